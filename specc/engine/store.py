"""The variable store: TF's `_VariableStore` — create, share, partition.

The control flow of `get_variable` follows TF's `_true_getter`,
`_get_partitioned_variable` and `_get_single_variable` check for check, so that
the first error is the one TF raises.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

from specc.catalog import (
    ConstraintEntry,
    GetterCall,
    GetterEntry,
    PartitionerEntry,
    RegularizerEntry,
)
from specc.catalog.dtypes import DType
from specc.catalog.initializers import INITIALIZERS, compatible, flatten_literal, literal_kind
from specc.catalog.partitioners import PartitionError, check_partitions, iter_slices
from specc.diagnostics import codes
from specc.engine.errors import EngineError
from specc.engine.graph import Graph, check_scope_name
from specc.engine.observer import NameUsed, Observer
from specc.engine.options import LiteralValue, Option
from specc.engine.scopes import InitOption, Reuse
from specc.limits import Limits
from specc.shapes import tf_shape
from specc.span import Span

GLOBAL_VARIABLES = "variables"
TRAINABLE_VARIABLES = "trainable_variables"
LOCAL_VARIABLES = "local_variables"

_DEFAULT_FLOAT_INIT = Option(INITIALIZERS["glorot_uniform"], INITIALIZERS["glorot_uniform"].args())
_DEFAULT_OTHER_INIT = Option(INITIALIZERS["zeros"], INITIALIZERS["zeros"].args())


@dataclass(slots=True, eq=False)
class VarRequest:
    """What one `get_variable` call asks for after scope defaults are applied.

    Read-only by convention: not `frozen`, because a frozen dataclass sets each of
    its fields through `object.__setattr__`, and one request is made per variable."""

    shape: tuple[int, ...] | None
    dtype: DType
    initializer: InitOption | None
    regularizer: Option[RegularizerEntry] | None
    reuse: Reuse
    trainable: bool | None
    collections: tuple[str, ...] | None
    caching_device: str | None
    partitioner: Option[PartitionerEntry] | None
    validate_shape: bool
    use_resource: bool | None
    constraint: Option[ConstraintEntry] | None
    synchronization: str
    aggregation: str
    getters: tuple[Option[GetterEntry], ...]


@dataclass(slots=True, eq=False)
class Variable:
    """A created variable (or one part of a partitioned variable)."""

    name: str
    tensor: str
    shape: tuple[int, ...]
    dtype: DType
    trainable: bool
    collections: tuple[str, ...]
    initializer: InitOption
    regularizer: Option[RegularizerEntry] | None
    constraint: Option[ConstraintEntry] | None
    synchronization: str
    aggregation: str
    caching_device: str | None
    use_resource: bool | None
    validate_shape: bool
    read_dtype: DType | None
    defined_at: Span | None
    shared_at: list[Span] = field(default_factory=list)
    #: for a part: the partitioned variable's name and this part's offset
    part_of: str | None = None
    offset: tuple[int, ...] | None = None

    @property
    def local(self) -> bool:
        return LOCAL_VARIABLES in self.collections


@dataclass(slots=True, eq=False)
class PartitionedVariable:
    """A `PartitionedVariable`: its parts are ordinary variables of the store."""

    name: str
    shape: tuple[int, ...]
    dtype: DType
    partitions: list[int]
    parts: list[Variable]
    defined_at: Span | None
    shared_at: list[Span] = field(default_factory=list)


Got = Variable | PartitionedVariable


@dataclass(slots=True)
class VariableStore:
    """Every variable of one compilation, shared by all threads."""

    graph: Graph
    limits: Limits
    observer: Observer | None = None
    vars: dict[str, Variable] = field(default_factory=dict)
    partitioned: dict[str, PartitionedVariable] = field(default_factory=dict)
    regularization_losses: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=list)
    param_bytes: int = 0
    #: X for every variable named X/part_0 (a part, or a variable named so): TF
    #: checks for one on every get_variable without a partitioner
    part_0_of: set[str] = field(default_factory=set)
    _collection_keys: dict[tuple[tuple[str, ...] | None, bool], tuple[str, ...]] = field(
        default_factory=dict
    )

    # ------------------------------------------------------------ entry point

    def get_variable(self, name: str, req: VarRequest, site: Span | None) -> Got:
        """`_VariableStore.get_variable`: validate, run the custom getters, get."""
        trainable = req.trainable
        if trainable is None:
            trainable = req.synchronization != "on_read"
        call = GetterCall(name, req.dtype, trainable)
        for getter in req.getters:  # innermost first: it wraps (and calls) the outer ones
            call = getter.entry.apply(getter.args, call)
        return self._true_getter(call, req, site)

    def _true_getter(self, call: GetterCall, req: VarRequest, site: Span | None) -> Got:
        name = call.name
        is_scalar = req.shape is not None and len(req.shape) == 0
        if req.partitioner is not None and not is_scalar:
            return self._get_partitioned(call, req, req.partitioner, site)
        if req.partitioner is None and name in self.partitioned and req.reuse is Reuse.YES:
            return self._get_partitioned(call, req, None, site)
        if name in self.part_0_of:
            raise EngineError(
                codes.PARTITION_CLASH,
                "No partitioner was provided, but a partitioned version of the variable was "
                f"found: {name}/part_0. Perhaps a variable of the same name was already "
                "created with partitioning?",
                variable=name,
                related=self.vars[f"{name}/part_0"].defined_at,
                hint="give the same partitioner, or reuse it with `reuse: true`",
            )
        return self._get_single(call, req, req.shape, req.initializer, site)

    # ------------------------------------------------------------ partitioned

    def _get_partitioned(
        self,
        call: GetterCall,
        req: VarRequest,
        partitioner: Option[PartitionerEntry] | None,
        site: Span | None,
    ) -> PartitionedVariable:
        """`_VariableStore._get_partitioned_variable`, check for check."""
        name, dtype, shape = call.name, call.dtype, req.shape
        if name in self.vars:
            raise EngineError(
                codes.PARTITION_CLASH,
                "A partitioner was provided, but an unpartitioned version of the variable was "
                f"found: {name}.  Perhaps a variable of the same name was already created "
                "without partitioning?",
                variable=name,
                related=self.vars[name].defined_at,
            )
        parts: list[int] | None = None
        if not req.reuse.truthy or partitioner is not None:
            parts = self._call_partitioner(name, partitioner, shape, dtype)
        existing = self.partitioned.get(name)
        if existing is not None:
            return self._share_partitioned(existing, req, shape, dtype, parts=parts, site=site)
        if req.reuse is Reuse.YES:
            raise EngineError(
                codes.VARIABLE_MISSING,
                f"PartitionedVariable {name} does not exist, or was not created with "
                "tf.get_variable(). Did you mean to set reuse=False or reuse=tf.AUTO_REUSE "
                "in VarScope?",
                variable=name,
                hint="create it first, or use `reuse: auto`",
            )
        assert parts is not None and shape is not None  # computed above when not reusing
        self._check_part_count(name, parts)
        slices = iter_slices(shape, parts)
        self._check_existing_parts(name, len(slices))
        made = [
            self._make_part(
                call, req, i, offset=offset, part_shape=part_shape, shape=shape, site=site
            )
            for i, (offset, part_shape) in enumerate(slices)
        ]
        pv = PartitionedVariable(name, shape, dtype, parts, made, site)
        self.partitioned[name] = pv
        return pv

    @staticmethod
    def _share_partitioned(
        existing: PartitionedVariable,
        req: VarRequest,
        shape: tuple[int, ...] | None,
        dtype: DType,
        *,
        parts: list[int] | None,
        site: Span | None,
    ) -> PartitionedVariable:
        """The checks TF makes before returning an existing partitioned variable."""
        name = existing.name
        if req.reuse is Reuse.NO:
            raise EngineError(
                codes.VARIABLE_EXISTS,
                f"Partitioned variable with name {name} already exists. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?",
                variable=name,
                related=existing.defined_at,
                hint="set `reuse: true` or `reuse: auto` on the enclosing scope",
            )
        if shape is not None and shape != existing.shape:
            raise EngineError(
                codes.SHAPE_MISMATCH,
                f"Trying to reuse partitioned variable {name}, but specified shape "
                f"{tf_shape(shape)} and found shape {tf_shape(existing.shape)}.",
                variable=name,
                related=existing.defined_at,
            )
        if dtype != existing.dtype:
            raise EngineError(
                codes.DTYPE_MISMATCH,
                f"Trying to reuse partitioned variable {name}, but specified dtype "
                f"{dtype.name} and found dtype {existing.dtype.name}.",
                variable=name,
                related=existing.defined_at,
            )
        if parts is not None and existing.partitions != parts:
            raise EngineError(
                codes.PARTITION_MISMATCH,
                f"Trying to reuse partitioned variable {name}, but specified partitions "
                f"{parts} and found partitions {existing.partitions}.",
                variable=name,
                related=existing.defined_at,
            )
        if site is not None:
            existing.shared_at.append(site)
        return existing

    def _check_part_count(self, name: str, parts: list[int]) -> None:
        """Each part is a variable: a partitioner asking for more parts than the
        variable limit leaves is refused before any part is made."""
        num = math.prod(parts)
        if len(self.vars) + num > self.limits.max_variables:
            raise EngineError(
                codes.LIMIT,
                f"partitioning {name} into {num} parts makes more than "
                f"{self.limits.max_variables} variables "
                f"({self.limits.advice('max_variables')})",
                variable=name,
            )

    def _check_existing_parts(self, name: str, num: int) -> None:
        """TF's check against parts made by an earlier, different partitioning."""
        if f"{name}/part_0" not in self.vars:
            return
        if f"{name}/part_{num - 1}" not in self.vars:
            raise EngineError(
                codes.PARTITION_CLASH,
                "Partitioner returned a different partitioning than what was already "
                f"found.  Partitioner returned {num} shards, and shard {name}/part_0 was "
                f"found, but {name}/part_{num - 1} was not.",
                variable=name,
            )
        if f"{name}/part_{num}" in self.vars:
            raise EngineError(
                codes.PARTITION_CLASH,
                "Partitioner returned a different partitioning than what was already "
                f"found.  Partitioner returned {num} shards, and shard {name}/part_0 was "
                f"found, but so was the extra shard {name}/part_{num}.",
                variable=name,
            )

    def _make_part(
        self,
        call: GetterCall,
        req: VarRequest,
        i: int,
        *,
        offset: tuple[int, ...],
        part_shape: tuple[int, ...],
        shape: tuple[int, ...],
        site: Span | None,
    ) -> Variable:
        """Create part `i` of a new partitioned variable."""
        name, dtype = call.name, call.dtype
        part_name = f"{name}/part_{i}"
        # TF's `_PartitionInfo`: every offset inside the full shape (a zero
        # dimension fails at the first part)
        for off, dim in zip(offset, shape, strict=True):
            if not 0 <= off < dim:
                raise EngineError(
                    codes.PARTITION_INVALID,
                    f"Expected 0 <= offset < shape but found offset={off}, shape={dim} "
                    f"for var_offset={list(offset)}, full_shape={list(shape)}",
                    variable=name,
                    hint="a partitioned variable cannot have a zero dimension",
                )
        # TF opens `<part>/PartitionedInitializer` at the root before each part
        init_name = part_name + "/PartitionedInitializer"
        _check_variable_name(init_name, name)
        got = self.graph.unique_name(init_name, "")
        if self.observer is not None:
            self.observer.name_used(NameUsed(init_name, got, "partition initializer", site))
        initializer = req.initializer
        init_shape: tuple[int, ...] | None = part_shape
        if isinstance(initializer, LiteralValue):
            if i == 0:
                # TF converts the literal to the variable's dtype, then slices it
                initializer.check(name)
                _check_literal_dtype(initializer, dtype, name)
                if initializer.shape != shape:
                    raise EngineError(
                        codes.INITIALIZER_SHAPE,
                        f"value literal of shape {list(initializer.shape)} does not match the "
                        f"partitioned variable's shape {list(shape)}",
                        variable=name,
                    )
            init_shape = None
        elif initializer is None:
            initializer = self._default_initializer(name, dtype)
        part_call = GetterCall(part_name, dtype, call.trainable, call.read_dtype)
        var = self._get_single(
            part_call, req, init_shape, initializer, site, slice_shape=part_shape, part_of=name
        )
        var.part_of, var.offset = name, offset
        return var

    def _call_partitioner(
        self,
        name: str,
        partitioner: Option[PartitionerEntry] | None,
        shape: tuple[int, ...] | None,
        dtype: DType,
    ) -> list[int]:
        if shape is None:
            raise EngineError(
                codes.SHAPE_UNDEFINED,
                "Shape of a new partitioned variable must be fully defined, but instead was "
                "<unknown>.",
                variable=name,
                hint="give `shape:`",
            )
        if not shape:
            raise EngineError(
                codes.PARTITION_INVALID,
                f"A partitioned Variable must have rank at least 1, shape: {tf_shape(shape)}",
                variable=name,
            )
        assert partitioner is not None  # TF only calls it when reuse is off or one is given
        try:
            parts = partitioner.entry.partitions(partitioner.args, shape, dtype)
        except PartitionError as e:
            raise EngineError(codes.PARTITION_INVALID, str(e), variable=name) from None
        problem = check_partitions(parts, shape)
        if problem:
            raise EngineError(codes.PARTITION_INVALID, problem, variable=name)
        return parts

    # ------------------------------------------------------------ single

    def _get_single(
        self,
        call: GetterCall,
        req: VarRequest,
        shape: tuple[int, ...] | None,
        initializer: InitOption | None,
        site: Span | None,
        *,
        slice_shape: tuple[int, ...] | None = None,
        part_of: str | None = None,
    ) -> Variable:
        """`_VariableStore._get_single_variable`, check for check."""
        name, dtype = call.name, call.dtype
        if isinstance(initializer, LiteralValue) and shape is not None:
            raise EngineError(
                codes.INITIALIZER_SHAPE,
                "If initializer is a constant, do not specify shape.",
                variable=name,
                hint="remove `shape:`; a `value` literal carries its own shape",
            )
        found = self.vars.get(name)
        if found is not None:
            return self._share(found, req, shape, dtype, site)
        if req.reuse is Reuse.YES:
            raise EngineError(
                codes.VARIABLE_MISSING,
                f"Variable {name} does not exist, or was not created with tf.get_variable(). "
                "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?",
                variable=name,
                hint=self._missing_hint(name),
            )
        if initializer is None:
            if shape is None:
                raise EngineError(
                    codes.SHAPE_UNDEFINED,
                    f"Variable {name} did not get an initializer, so its `shape` argument must "
                    "be specified.",
                    variable=name,
                    hint="give `shape:`",
                )
            initializer = self._default_initializer(name, dtype)
        var_shape, var_dtype = _new_shape_dtype(name, initializer, shape, dtype, slice_shape)
        tensor = self._graph_node(name, part_of, site) + ":0"
        if isinstance(initializer, LiteralValue):
            if slice_shape is None:
                initializer.check(name)  # TF converts the literal as it creates the variable
        else:
            problem = initializer.entry.check(initializer.args, var_shape, var_dtype)
            if problem is not None:
                # TF's message names no variable: the error is about the one asked for
                raise EngineError(
                    codes.lookup(problem.code), problem.message, variable=part_of or name
                )
        self._count(name, var_shape, var_dtype)
        # positional (in field order): keyword arguments cost twice as much here
        var = Variable(
            name,
            tensor,
            var_shape,
            var_dtype,
            call.trainable,
            self._collections(req.collections, call.trainable),
            initializer,
            req.regularizer,
            req.constraint,
            req.synchronization,
            req.aggregation,
            req.caching_device,
            req.use_resource,
            req.validate_shape,
            call.read_dtype,
            site,  # defined_at
        )
        self._add(var, req)
        return var

    @staticmethod
    def _share(
        found: Variable,
        req: VarRequest,
        shape: tuple[int, ...] | None,
        dtype: DType,
        site: Span | None,
    ) -> Variable:
        """The checks TF makes before returning an existing variable."""
        name = found.name
        if req.reuse is Reuse.NO:
            raise EngineError(
                codes.VARIABLE_EXISTS,
                f"Variable {name} already exists, disallowed. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?",
                variable=name,
                related=found.defined_at,
                hint="set `reuse: true` or `reuse: auto` on the enclosing scope",
            )
        if shape is not None and shape != found.shape:
            raise EngineError(
                codes.SHAPE_MISMATCH,
                f"Trying to share variable {name}, but specified shape {tf_shape(shape)} "
                f"and found shape {tf_shape(found.shape)}.",
                variable=name,
                related=found.defined_at,
            )
        if dtype != found.dtype:
            raise EngineError(
                codes.DTYPE_MISMATCH,
                f"Trying to share variable {name}, but specified dtype {dtype.name} and "
                f"found dtype {found.dtype.name}.",
                variable=name,
                related=found.defined_at,
            )
        if site is not None and found.part_of is None:
            found.shared_at.append(site)
        return found

    def _missing_hint(self, name: str) -> str:
        """The fix for sharing a variable that does not exist: a near name that
        does (a typo or the wrong scope), else create it first. (`reuse: auto`
        is not the fix for a typo: it would create a second variable.)"""
        close = difflib.get_close_matches(name, [*self.vars, *self.partitioned], n=1, cutoff=0.7)
        if close:
            return f"did you mean {close[0]!r}? it exists, and sharing it needs its exact name"
        return "create it first in a scope that does not reuse, or use `reuse: auto`"

    def _graph_node(self, name: str, part_of: str | None, site: Span | None) -> str:
        """The variable's own graph node, named through name_scope(name) at the root:
        made unique; a name ending in "/" is used as is (not marked used); an empty
        name (a custom getter can make one) checks, marks and renames nothing: the
        node is named "" (tensor ":0")."""
        if not name:
            return ""
        _check_variable_name(name)
        node = name[:-1] if name[-1] == "/" else self.graph.unique_name(name, "")
        if self.observer is not None and name[-1] != "/":
            self.observer.name_used(NameUsed(name, node, "variable", site))
        try:
            self.graph.add_node(node)
        except EngineError as e:
            e.variable = part_of or name
            raise
        return node

    def _add(self, var: Variable, req: VarRequest) -> None:
        name = var.name
        self.vars[name] = var
        if name.endswith("/part_0"):
            self.part_0_of.add(name[:-7])
        if TRAINABLE_VARIABLES in var.collections:
            self.trainable.append(name)
        if req.regularizer is not None:
            self.regularization_losses.append(name)

    def _collections(self, given: tuple[str, ...] | None, trainable: bool) -> tuple[str, ...]:
        """The sorted collection keys of a new variable: the given ones (default
        `variables`), plus `trainable_variables` when trainable (as TF's Variable).
        Memoized per store: a spec gives a handful of distinct collection lists."""
        key = (given, trainable)
        found = self._collection_keys.get(key)
        if found is None:
            keys = set(given) if given is not None else {GLOBAL_VARIABLES}
            if trainable:
                keys.add(TRAINABLE_VARIABLES)
            found = self._collection_keys[key] = tuple(sorted(keys))
        return found

    def _default_initializer(self, name: str, dtype: DType) -> InitOption:
        if dtype.is_floating:
            return _DEFAULT_FLOAT_INIT
        if dtype.is_integer or dtype.kind in ("bool", "string"):
            return _DEFAULT_OTHER_INIT
        raise EngineError(
            codes.INITIALIZER_REQUIRED,
            f"An initializer for variable {name} of <dtype: '{dtype.name}'> is required",
            variable=name,
            hint="give an `initializer:` (zeros, ones, constant, value)",
        )

    def _count(self, name: str, shape: tuple[int, ...], dtype: DType) -> None:
        if len(self.vars) >= self.limits.max_variables:
            raise EngineError(
                codes.LIMIT,
                f"the spec creates more than {self.limits.max_variables} variables "
                f"({self.limits.advice('max_variables')})",
                variable=name,
            )
        self.param_bytes += math.prod(shape) * dtype.itemsize
        if self.param_bytes > self.limits.max_param_bytes:
            raise EngineError(
                codes.LIMIT,
                f"the spec's parameters exceed {self.limits.max_param_bytes} bytes "
                f"({self.limits.advice('max_param_bytes')})",
                variable=name,
            )


def _new_shape_dtype(
    name: str,
    initializer: InitOption,
    shape: tuple[int, ...] | None,
    dtype: DType,
    slice_shape: tuple[int, ...] | None,
) -> tuple[tuple[int, ...], DType]:
    """The shape and dtype a new variable gets: a `value` literal's own (its
    slice for a part), else the ones asked for, which must include a shape."""
    if isinstance(initializer, LiteralValue):
        if slice_shape is None:
            return initializer.shape, initializer.dtype
        return slice_shape, dtype
    if shape is None:
        raise EngineError(
            codes.SHAPE_UNDEFINED,
            "The initializer passed is not valid. It should be a callable with no "
            "arguments and the shape should not be provided or an instance of "
            "`tf.keras.initializers.*' and `shape` should be fully defined.",
            variable=name,
            hint=f"give `shape:`; initializer '{initializer.kind}' needs one",
        )
    return shape, dtype


def _check_variable_name(graph_name: str, variable: str | None = None) -> None:
    try:
        check_scope_name(graph_name, "")
    except EngineError as e:
        e.variable = variable or graph_name
        raise


def _check_literal_dtype(value: LiteralValue, dtype: DType, name: str) -> None:
    """`convert_to_tensor(literal, dtype)`: every element must convert."""
    for leaf in flatten_literal(value.value):
        if not compatible(literal_kind(leaf), dtype):
            raise EngineError(
                codes.INITIALIZER_DTYPE,
                f"Expected {dtype.name}, but got {leaf!r} of type '{type(leaf).__name__}'.",
                variable=name,
            )
