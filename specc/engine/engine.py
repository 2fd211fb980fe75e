"""The scope engine: TF1's variable scopes, name scopes, templates and threads,
driven from Python. It knows nothing of YAML.

All state of one compilation lives in one `Engine`: the graph's used names and
the variable store (shared by every thread), and the per-thread state (current
variable scope, default-name counts, name-scope stack), swapped by `thread()`.

    eng = Engine()
    with eng.variable_scope("foo"):
        eng.get_variable("v", shape=(1,))
        eng.op("mult")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from specc.catalog import ConstraintEntry, PartitionerEntry, RegularizerEntry
from specc.catalog.dtypes import DType
from specc.diagnostics import codes
from specc.engine.errors import EngineError
from specc.engine.graph import Graph, check_node_name, check_scope_name
from specc.engine.observer import NameUsed, Observer, ScopeOpened, TemplateEntered, VariableGot
from specc.engine.options import LiteralValue, Option
from specc.engine.scopes import NO_OPTIONS, InitOption, Reuse, ScopeOptions, VariableScope
from specc.engine.store import LOCAL_VARIABLES, Got, VariableStore, VarRequest
from specc.limits import DEFAULT_LIMITS, Limits
from specc.span import Span


@dataclass(slots=True)
class ThreadState:
    """TF's thread-local state: `_VariableScopeStore` and the name-scope stack."""

    current: VariableScope = field(default_factory=lambda: VariableScope(Reuse.NO))
    counts: dict[str, int] = field(default_factory=dict)
    #: for a default-name base `B` (`scope/layer`): every `B_i` below this index
    #: is taken, so the next unique name is searched from there (TF searches
    #: from `B_1` every time: quadratic in sibling default-name scopes)
    free_from: dict[str, int] = field(default_factory=dict)
    #: every count key and search base under each scope-name prefix, so closing a
    #: scope resets its sub-scopes without scanning all counts (TF scans:
    #: quadratic in scopes)
    under: dict[str, list[str]] = field(default_factory=dict)
    _indexed: set[str] = field(default_factory=set)
    name_stack: str = ""
    #: names tried by `unique_suffix` so far: the work the search does, counted
    #: so that a test can prove it linear
    probes: int = 0

    def _index(self, name: str) -> None:
        if name not in self._indexed:
            self._indexed.add(name)
            i = name.find("/")
            while i >= 0:
                self.under.setdefault(name[:i], []).append(name)
                i = name.find("/", i + 1)

    def open_scope(self, name: str) -> None:
        """`_VariableScopeStore.open_variable_scope`."""
        counts = self.counts
        if name not in counts:
            self._index(name)
        counts[name] = counts.get(name, 0) + 1

    def close_subscopes(self, name: str) -> None:
        """`_VariableScopeStore.close_variable_subscopes`: zero the counts of every
        scope name below `name` (and forget the searches they made valid)."""
        counts, free_from = self.counts, self.free_from
        for key in self.under.get(name, ()):
            if key in counts:
                counts[key] = 0
            free_from.pop(key, None)

    def unique_suffix(self, base: str) -> int:
        """The first `i >= 1` with no open `base_i`: TF's search, resumed where
        the last one for `base` stopped."""
        counts = self.counts
        idx = self.free_from.get(base, 1)
        while counts.get(f"{base}_{idx}", 0) > 0:
            idx += 1
        self.probes += idx - self.free_from.get(base, 1) + 1
        if base not in self.free_from:
            self._index(base)
        self.free_from[base] = idx
        return idx

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        """The counts and searches, to restore when a re-entered scope closes."""
        return dict(self.counts), dict(self.free_from)

    def restore(self, saved: tuple[dict[str, int], dict[str, int]]) -> None:
        self.counts, self.free_from = saved


@dataclass(slots=True, eq=False)
class Template:
    """A `tf.make_template` object: its scope is made at the first call and
    re-entered with reuse at every later call."""

    name: str
    unique_name: str | VariableScope | None = None
    scope: VariableScope | None = None
    variables_created: bool = False


class Engine:
    """One compilation's TF1 graph-building state."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, observer: Observer | None = None) -> None:
        self.limits = limits
        self.observer = observer
        self.graph = Graph()
        self.store = VariableStore(self.graph, limits, observer)
        self.ops: list[str] = []
        self._ts = ThreadState()

    # ---------------------------------------------------------------- queries

    @property
    def current_scope(self) -> VariableScope:
        return self._ts.current

    @property
    def name_stack(self) -> str:
        return self._ts.name_stack

    def full_name(self, name: str) -> str:
        """The name `get_variable(name)` would look up in the current scope."""
        scope = self._ts.current.name
        return f"{scope}/{name}" if scope else name

    def exists(self, name: str) -> bool:
        """Whether a variable, partitioned variable or op of this name exists."""
        name = name.removesuffix(":0")
        return name in self.store.vars or name in self.store.partitioned or name in self.ops

    # ---------------------------------------------------------------- name scopes

    def _enter_name_scope(self, name: str | None, kind: str, origin: object) -> str:
        """`Graph.name_scope(name).__enter__`: sets the stack, returns the scope string."""
        ts = self._ts
        if name:
            check_scope_name(name, ts.name_stack)
        if not name:
            ts.name_stack = ""
            return ""
        if name[-1] == "/":
            ts.name_stack = name[:-1]
            return name
        stack = ts.name_stack
        ts.name_stack = self.graph.unique_name(name, stack)
        if self.observer is not None:
            wanted = f"{stack}/{name}" if stack else name
            self.observer.name_used(NameUsed(wanted, ts.name_stack, kind, origin))
        return ts.name_stack + "/"

    @contextmanager
    def name_scope(
        self, name: str | None, *, origin: object = None, kind: str = "name scope"
    ) -> Iterator[str]:
        """`tf.name_scope(name)`: None or "" resets to the root; a trailing "/"
        re-enters exactly that scope; anything else is made unique."""
        saved = self._ts.name_stack
        try:
            yield self._enter_name_scope(name, kind, origin)
        finally:
            self._ts.name_stack = saved

    def op(self, name: str, *, origin: object = None) -> str:
        """`tf.no_op(name=name)`: the op's resolved name.

        TF names the op through `name_scope(name)`: an empty name is the op type
        (`NoOp`), made unique; a name ending in "/" is used exactly (absolute, not
        made unique nor marked used), so it can clash with an existing node."""
        if not name:
            name = "NoOp"
        with self.name_scope(name, origin=origin, kind="op") as scope:
            resolved = scope[:-1]
        check_node_name(resolved)
        self.graph.add_node(resolved)
        self.ops.append(resolved)
        if self.observer is not None:
            self.observer.op_created(resolved, origin)
        return resolved

    # ---------------------------------------------------------------- variable scopes

    @contextmanager
    def variable_scope(
        self,
        name_or_scope: str | VariableScope | None,
        *,
        default_name: str | None = None,
        reuse: Reuse = Reuse.INHERIT,
        auxiliary_name_scope: bool = True,
        options: ScopeOptions = NO_OPTIONS,
        origin: object = None,
    ) -> Iterator[VariableScope]:
        """`tf.compat.v1.variable_scope`, step for step (`_enter_scope_uncached`)."""
        if default_name is None and name_or_scope is None:
            raise EngineError(
                codes.SCHEMA, "If default_name is None then name_or_scope is required"
            )
        ts = self._ts
        saved_stack = ts.name_stack
        # without an auxiliary name scope, TF re-enters the current name scope
        reenter: str | None = None
        if not auxiliary_name_scope:
            reenter = ts.name_stack + "/" if ts.name_stack else ""
        try:
            if name_or_scope is not None:
                if isinstance(name_or_scope, str):
                    ns_name = name_or_scope
                else:
                    ns_name = name_or_scope.name.split("/")[-1]
                old_name_scope: str | None = None
                if ns_name or reenter is not None:
                    returned = self._enter_name_scope(
                        reenter if reenter is not None else ns_name, "variable scope", origin
                    )
                    old_name_scope = (
                        returned
                        if isinstance(name_or_scope, str)
                        else name_or_scope.original_name_scope
                    )
                with self._pure_scope(
                    name_or_scope, reuse, options, old_name_scope, origin, default_name=None
                ) as scope:
                    yield scope
            else:
                if reuse.truthy:
                    raise EngineError(
                        codes.REUSE_WITHOUT_NAME,
                        "reuse=True cannot be used without a name_or_scope",
                        hint="name the scope (`scope: NAME`) or drop `reuse:`",
                    )
                assert default_name is not None
                returned = self._enter_name_scope(
                    reenter if reenter is not None else default_name, "variable scope", origin
                )
                unique = self._unique_variable_scope(default_name)
                with self._pure_scope(
                    unique, Reuse.INHERIT, options, returned, origin, default_name=default_name
                ) as scope:
                    yield scope
        finally:
            ts.name_stack = saved_stack

    def _unique_variable_scope(self, prefix: str) -> str:
        """TF's `_get_unique_variable_scope`: counts are per thread and case-sensitive."""
        ts = self._ts
        base = f"{ts.current.name}/{prefix}" if ts.current.name else prefix
        if ts.counts.get(base, 0) == 0:
            return prefix
        return f"{prefix}_{ts.unique_suffix(base)}"

    @contextmanager
    def _pure_scope(
        self,
        name_or_scope: str | VariableScope,
        reuse: Reuse,
        options: ScopeOptions,
        old_name_scope: str | None,
        origin: object,
        *,
        default_name: str | None,
    ) -> Iterator[VariableScope]:
        """TF's `_pure_variable_scope`: the variable-scope half, no name scope."""
        ts = self._ts
        old = ts.current
        observer = self.observer
        if isinstance(name_or_scope, VariableScope):
            src = name_or_scope
            scope = VariableScope(
                src.reuse if not reuse.truthy else reuse,
                name=src.name,
                original_name_scope=src.original_name_scope,
                initializer=src.initializer,
                regularizer=src.regularizer,
                partitioner=src.partitioner,
                # constraints are never restored on re-entry: only the given one applies
                constraint=options.constraint,
                getters=src.getters,
                dtype=src.dtype,
                caching_device=src.caching_device,
                use_resource=src.use_resource,
                origin=origin if origin is not None else src.origin,
            ).with_options(options)
            ts.open_scope(src.name)
            snapshot = ts.snapshot()
            ts.current = scope
            if observer is not None:
                observer.scope_opened(
                    ScopeOpened(scope, old, reuse, True, old_name_scope, default_name, origin)
                )
            try:
                yield scope
            finally:
                ts.restore(snapshot)
                ts.current = old
        else:
            new_name = f"{old.name}/{name_or_scope}" if old.name else name_or_scope
            scope = VariableScope(
                reuse if reuse.truthy else old.reuse,
                name=new_name,
                original_name_scope=name_or_scope if old_name_scope is None else old_name_scope,
                initializer=old.initializer,
                regularizer=old.regularizer,
                partitioner=old.partitioner,
                constraint=options.constraint,
                getters=old.getters,
                dtype=old.dtype,
                caching_device=old.caching_device,
                use_resource=old.use_resource,
                origin=origin,
                made_unique=default_name is not None and name_or_scope != default_name,
            ).with_options(options)
            ts.open_scope(new_name)
            ts.current = scope
            if observer is not None:
                observer.scope_opened(
                    ScopeOpened(scope, old, reuse, False, old_name_scope, default_name, origin)
                )
            try:
                yield scope
            finally:
                ts.close_subscopes(new_name)
                ts.current = old

    def reuse_variables(self, *, origin: object = None) -> None:
        """`get_variable_scope().reuse_variables()`: the current scope object now
        reuses, and so does every later re-entry of it."""
        self._ts.current.reuse = Reuse.YES
        if self.observer is not None:
            self.observer.reuse_set(self._ts.current, origin)

    # ---------------------------------------------------------------- variables

    def get_variable(
        self,
        name: str,
        *,
        shape: tuple[int, ...] | None = None,
        dtype: DType | None = None,
        initializer: InitOption | None = None,
        regularizer: Option[RegularizerEntry] | None = None,
        constraint: Option[ConstraintEntry] | None = None,
        partitioner: object = None,
        trainable: bool | None = None,
        collections: tuple[str, ...] | None = None,
        local: bool = False,
        caching_device: str | None = None,
        use_resource: bool | None = None,
        synchronization: str = "auto",
        aggregation: str = "none",
        validate_shape: bool = True,
        site: Span | None = None,
    ) -> Got:
        """`tf.compat.v1.get_variable` (or `get_local_variable` with `local`).

        `partitioner` is an `Option[PartitionerEntry]` or None (typed loosely to keep
        the signature readable)."""
        if local:
            collections = (*collections, LOCAL_VARIABLES) if collections else (LOCAL_VARIABLES,)
            trainable = False
        scope = self._ts.current
        full_name = self.full_name(name)
        if dtype is not None and isinstance(initializer, LiteralValue):
            # TF converts the literal here to compare dtypes
            initializer.check(full_name)
        if (
            dtype is not None
            and isinstance(initializer, LiteralValue)
            and initializer.dtype != dtype
        ):
            raise EngineError(
                codes.DTYPE_MISMATCH,
                f"Initializer type '{initializer.dtype.name}' and explicit dtype "
                f"'{dtype.name}' don't match.",
                variable=full_name,
                hint=f"drop `dtype:`: the literal makes a {initializer.dtype.name} variable",
            )
        part = partitioner if partitioner is not None else scope.partitioner
        assert part is None or (
            isinstance(part, Option) and isinstance(part.entry, PartitionerEntry)
        )
        # positional: keyword arguments cost twice as much on this per-variable path
        req = VarRequest(
            shape,
            dtype if dtype is not None else scope.dtype,
            initializer if initializer is not None else scope.initializer,
            regularizer if regularizer is not None else scope.regularizer,
            scope.reuse,
            trainable,
            collections,
            caching_device if caching_device is not None else scope.caching_device,
            part,  # partitioner
            validate_shape,
            use_resource if use_resource is not None else scope.use_resource,
            constraint if constraint is not None else scope.constraint,
            synchronization,
            aggregation,
            scope.getters,
        )
        observer = self.observer
        if observer is None:
            return self.store.get_variable(full_name, req, site)
        before = len(self.store.vars)
        got = self.store.get_variable(full_name, req, site)
        created = len(self.store.vars) > before
        observer.variable_got(VariableGot(got.name, created, got, scope, site))
        return got

    # ---------------------------------------------------------------- templates, threads

    def make_template(self, name: str, unique_name: str | VariableScope | None = None) -> Template:
        """`tf.compat.v1.make_template(name, func, unique_name_=...)`, without the func:
        call it with `call_template`."""
        return Template(name, unique_name)

    def _entered(
        self, name: str, instance: str | None, first: bool, scope: VariableScope, origin: object
    ) -> None:
        if self.observer is not None:
            self.observer.template_entered(TemplateEntered(name, instance, first, scope, origin))

    @contextmanager
    def use_template(
        self,
        name: str,
        scope: str | VariableScope | None = None,
        *,
        default_name: str | None = None,
        origin: object = None,
    ) -> Iterator[VariableScope]:
        """A plain call of a layer function: its body runs in `variable_scope(scope)`,
        or `variable_scope(None, default_name=default_name or name)`."""
        if scope is not None:
            cm = self.variable_scope(scope, origin=origin)
        else:
            cm = self.variable_scope(None, default_name=default_name or name, origin=origin)
        with cm as opened:
            self._entered(name, None, True, opened, origin)
            yield opened

    @contextmanager
    def call_template(
        self, template: Template, *, instance: str | None = None, origin: object = None
    ) -> Iterator[VariableScope]:
        """One call of a template object: the body runs inside the yielded scope.
        A later call that creates a trainable variable fails on exit, as in TF."""
        tag = instance if instance is not None else template.name
        if template.scope is not None:
            if template.variables_created:
                before = len(self.store.trainable)
                with self.variable_scope(template.scope, reuse=Reuse.YES, origin=origin) as scope:
                    self._entered(template.name, tag, False, scope, origin)
                    yield scope
                    new = self.store.trainable[before:]
                    if new:
                        raise EngineError(
                            codes.VARIABLE_MISSING,
                            "Trainable variable created when calling a template after the "
                            "first time, perhaps you used tf.Variable when you meant "
                            f"tf.get_variable: {new}",
                            variable=new[0],
                            related=self.store.vars[new[0]].defined_at,
                            hint="a template instance creates its variables on its first use only",
                        )
            else:
                with self.variable_scope(template.scope, origin=origin) as scope:
                    self._entered(template.name, tag, False, scope, origin)
                    yield scope
                    template.variables_created = True
        else:
            if isinstance(template.unique_name, VariableScope):
                cm = self.variable_scope(template.unique_name, origin=origin)
            else:
                cm = self.variable_scope(
                    template.unique_name, default_name=template.name, origin=origin
                )
            with cm as scope:
                template.scope = scope
                self._entered(template.name, tag, True, scope, origin)
                yield scope
                template.variables_created = True

    @contextmanager
    def thread(self) -> Iterator[None]:
        """A body run in a new thread (joined at exit): fresh thread-local state,
        shared store and graph names."""
        saved = self._ts
        self._ts = ThreadState()
        try:
            yield
        finally:
            self._ts = saved
