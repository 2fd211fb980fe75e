"""Initializers: TF1's `tf.compat.v1` initializers, their arguments and rules.

Each entry names the TF API it mirrors, its arguments (defaults are TF1's),
`check`, which says whether the initializer can fill a variable of a given
shape and dtype, with TF's verdict (`initializer-dtype`, `initializer-rank`,
`initializer-shape`), and `impl`, its NumPy code.

The `impl` functions run only inside generated modules: the emitter copies
them there (with a dispatch table by kind), where they use the names of the
runtime (`specc/runtime/`). This file imports those names for type checking
only, so importing the catalog never imports NumPy (`specc check` stays light).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from specc.catalog.base import Args, Check, Entry, NoArgs, Problem, Registry
from specc.catalog.dtypes import DType
from specc.formats.arrays import CheckpointError, file_format
from specc.formats.tf_checkpoint import tf_checkpoint_prefix

if TYPE_CHECKING:
    import numpy as np

    from specc.formats.bfloat16 import as_bytes, storage_dtype
    from specc.formats.params import find_array, read_params
    from specc.runtime.kinds import _BuilderImpl, _SamplerImpl
    from specc.runtime.prelude import _MODULE_DIR, Array
    from specc.runtime.samplers import (
        _integer_sampler,
        _normal,
        _normal_sampler,
        _sample_dtype,
        _Sampler,
        _uniform_sampler,
        _variance_scaling,
    )
    from specc.runtime.streams import _generator, _name_hash
    from specc.runtime.table import ParamsError, VariableInfo

Number = StrictInt | StrictFloat
#: A literal value for `constant` and `value`: a scalar or a nested list of them.
Literal_ = StrictBool | StrictInt | StrictFloat | StrictStr | list[Any]


@dataclass(frozen=True, slots=True)
class ExternalContext:
    """What a check of the outside world knows of the variable to initialize."""

    #: the spec's folder: paths in arguments are relative to it
    base_dir: str
    #: the variable's full name (a `checkpoint` key defaults to it)
    variable: str
    #: its full shape (a partitioned variable's whole shape)
    shape: tuple[int, ...]
    dtype: DType


#: A check of the outside world (files): (arguments, context) -> Problem.
ExternalCheck = Callable[[Args, ExternalContext], Problem | None]


@dataclass(frozen=True, slots=True)
class InitializerEntry(Entry):
    """An initializer kind: `check(args, shape, dtype)` returns a Problem or None;
    `impl` is its NumPy code (see the module docstring)."""

    check: Check
    #: A block sampler (`elementwise`) or the builder of the whole variable.
    impl: _SamplerImpl | _BuilderImpl
    #: True when `impl` returns a block sampler: each element is drawn from its
    #: block's stream, so a part costs only its own blocks. False when it builds
    #: the whole variable (a part is then sliced from the whole).
    elementwise: bool = True
    #: What `impl` will need of the outside world, checked at compile time so
    #: that `specc check` refuses what `init` would: None when it needs nothing.
    #: Headers only: it never reads array data.
    check_external: ExternalCheck | None = None


# --------------------------------------------------------------------------- arguments


class ConstantArgs(Args):
    value: Literal_ = Field(
        description="A scalar, broadcast to the shape, or a nested list; TF fills a shorter "
        "flat list with its last element and rejects a longer one.",
        examples=[0.1, [1.0, 2.0, 3.0]],
    )


class RandomUniformArgs(Args):
    minval: Number = Field(0, description="Lower bound (inclusive).")
    maxval: Number = Field(1, description="Upper bound (exclusive).")


class NormalArgs(Args):
    mean: Number = Field(0.0, description="Mean of the normal distribution.")
    stddev: Annotated[Number, Field(ge=0)] = Field(
        1.0,
        description="Standard deviation of the normal distribution (before truncation).",
    )


class UniformUnitScalingArgs(Args):
    factor: Number = Field(
        1.0, description="Multiplier: values are uniform in ±factor·√(3/fan_in)."
    )


class VarianceScalingArgs(Args):
    scale: Annotated[Number, Field(gt=0)] = Field(1.0, description="Scaling factor (positive).")
    mode: Literal["fan_in", "fan_out", "fan_avg"] = Field(
        "fan_in", description="Which fan divides the scale."
    )
    distribution: Literal["truncated_normal", "untruncated_normal", "normal", "uniform"] = Field(
        "truncated_normal",
        description="`truncated_normal` (`normal` is its TF1 alias), `untruncated_normal` or "
        "`uniform`.",
    )


class GainArgs(Args):
    gain: Number = Field(1.0, description="Multiplicative factor applied to the matrix.")


class CheckpointArgs(Args):
    path: StrictStr = Field(
        description="A `.npz` or `.safetensors` file, or a TF checkpoint (`model.ckpt`, "
        "its prefix), relative to the spec's folder.",
        examples=["warm_start.npz"],
    )
    key: StrictStr | None = Field(
        None,
        description="The array's key in the file; default: the variable's full name.",
    )


# --------------------------------------------------------------------------- checks


def _float_only(kind: str) -> Check:
    def check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
        del args, shape
        if dtype.is_floating:
            return None
        return Problem(
            "initializer-dtype",
            f"initializer '{kind}' draws floating-point values and cannot initialize a "
            f"{dtype.name} variable (TF: Expected {dtype.name}, but got a float)",
        )

    return check


def _any_numeric(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    del args, shape
    del dtype
    return None


def _ones_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    del args, shape
    if dtype.kind == "string":
        return Problem(
            "initializer-dtype",
            "initializer 'ones' cannot initialize a string variable",
        )
    return None


def literal_kind(value: object) -> str:
    """The dtype kind TF infers for one Python scalar of a literal."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "string"


def flatten_literal(value: object) -> list[object]:
    """The leaves of a nested list literal in C order."""
    if not isinstance(value, list):
        return [value]
    out: list[object] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def compatible(kind: str, dtype: DType) -> bool:
    """Whether TF converts a Python scalar of `kind` to `dtype` (`_AssertCompatible`)."""
    if dtype.kind == "string":
        return kind == "string"
    if kind == "string":
        return False
    if kind == "bool":
        return True  # TF converts True/False to 1/0 of any numeric dtype
    if dtype.kind == "bool":
        return False  # but no number to a bool
    if dtype.kind in ("int", "uint"):
        return kind == "int"
    return True  # float and complex accept ints and floats


def _constant_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    assert isinstance(args, ConstantArgs)
    size = 1
    for d in shape:
        size *= d
    if size == 0:
        return None  # TF's make_tensor_proto checks nothing for an empty shape
    leaves = flatten_literal(args.value)
    for leaf in leaves:
        kind = literal_kind(leaf)
        if not compatible(kind, dtype):
            return Problem(
                "initializer-dtype",
                f"constant value {leaf!r} cannot initialize a {dtype.name} variable "
                f"(TF: Expected {dtype.name}, but got {leaf!r} of type '{type(leaf).__name__}')",
            )
    if isinstance(args.value, list) and len(leaves) > size:
        return Problem(
            "initializer-shape",
            f"constant value has {len(leaves)} elements but shape {list(shape)} holds {size} "
            "(TF: Too many elements provided)",
        )
    # an empty list is accepted: TF fills the variable with zeros
    return None


def _random_uniform_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    assert isinstance(args, RandomUniformArgs)
    del shape
    if dtype.is_floating:
        return None
    if dtype.name in (
        "int32",
        "int64",
    ):  # TF's random_uniform rejects other integers first
        for name in ("minval", "maxval"):
            v = getattr(args, name)
            if isinstance(v, float):
                return Problem(
                    "initializer-dtype",
                    f"random_uniform {name} {v!r} is a float and cannot bound a {dtype.name} "
                    f"variable (TF: Expected {dtype.name}, but got {v!r} of type 'float'); "
                    "give integer bounds",
                )
        return None
    return Problem(
        "initializer-dtype",
        f"initializer 'random_uniform' cannot initialize a {dtype.name} variable",
    )


def _orthogonal_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    if len(shape) < 2:
        return Problem(
            "initializer-rank",
            "orthogonal: the tensor to initialize must be at least two-dimensional, got shape "
            f"{list(shape)}",
        )
    return _float_only("orthogonal")(args, shape, dtype)


def _identity_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    assert isinstance(args, GainArgs)
    if len(shape) != 2:
        return Problem(
            "initializer-rank",
            f"identity: the tensor to initialize must be two-dimensional, got shape {list(shape)}",
        )
    if dtype.is_floating or dtype.kind == "complex":
        return None
    if dtype.is_integer and isinstance(args.gain, int):
        return None
    return Problem(
        "initializer-dtype",
        f"identity with gain {args.gain!r} cannot initialize a {dtype.name} variable",
    )


def _checkpoint_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    assert isinstance(args, CheckpointArgs)
    del shape, dtype  # checked against the file by `_checkpoint_external`
    # a TF checkpoint by its name here (`model.ckpt`, `model.ckpt-1000`, or
    # any prefix through its `.index`), a sharded folder by its index or a
    # name without a suffix; the external check finds their files
    if (
        file_format(args.path) is None
        and tf_checkpoint_prefix(args.path) is None
        and not _maybe_sharded(args.path)
    ):
        return Problem(
            "checkpoint",
            f"checkpoint {args.path!r}: expected a .npz or .safetensors file, a folder "
            "of safetensors shards (or its model.safetensors.index.json) or a TF "
            "checkpoint (model.ckpt, or its PREFIX.index)",
            help="save the arrays with numpy.savez, safetensors' save_file, a "
            "generated module's save() or TF's Saver",
        )
    return None


def _maybe_sharded(path: str) -> bool:
    """A sharded folder's index, or a name that may be such a folder (no
    suffix): whether it is one is the external check's to say."""
    name = os.path.basename(path.rstrip("/"))
    return path.endswith(".safetensors.index.json") or (bool(name) and "." not in name)


def _checkpoint_external(args: Args, ctx: ExternalContext) -> Problem | None:
    """The file, from its headers: it must hold the key with the variable's shape
    and dtype (the generated module refuses anything else)."""
    assert isinstance(args, CheckpointArgs)
    # the readers are imported only for specs that warm-start (`specc check` of
    # any other spec does not pay for them); they never import NumPy to list
    from specc.formats.params import find_array  # noqa: PLC0415

    key = ctx.variable if args.key is None else args.key
    try:
        found = find_array(os.path.join(ctx.base_dir, args.path), key)
    except CheckpointError as e:
        return Problem("checkpoint", f"checkpoint {args.path!r}: {e.reason}", _checkpoint_help(e))
    what = f"checkpoint {args.path!r} holds {key!r}"
    if found.shape != ctx.shape:
        return Problem(
            "initializer-shape",
            f"{what} with shape {list(found.shape)}, but variable {ctx.variable!r} has "
            f"shape {list(ctx.shape)}",
            "give the variable the stored shape, or store an array of its shape",
        )
    if found.dtype != ctx.dtype.name:
        return Problem(
            "initializer-dtype",
            f"{what} as {found.dtype}, but variable {ctx.variable!r} is {ctx.dtype.name}",
            f"declare `dtype: {found.dtype}`, or store the array as {ctx.dtype.name}",
        )
    return None


def _checkpoint_help(error: CheckpointError) -> str:
    if error.reason.startswith("no array"):
        return "set `key:` to the array's name in the file"
    if error.reason.startswith("no such file"):
        return "the path is relative to the spec's folder"
    return "give a .npz or .safetensors file or a TF checkpoint the generated module can read"


# --------------------------------------------------------------------------- NumPy code
# Copied into generated modules (see the module docstring). A sampler's `dtype`
# is the sampling dtype (float32 for a float16 variable); a builder gets the seed.


def _init_zeros(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """All zeros (False, b'')."""
    del args, seed
    return np.zeros(v.shape, dtype=storage_dtype(v.dtype))


def _init_ones(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """All ones (True)."""
    del args, seed
    return np.ones(v.shape, dtype=v.dtype)


def _init_constant(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """TF1's constant_initializer: a scalar broadcast, or a flat list padded
    with its last element."""
    del seed
    value = args["value"]
    dtype: np.dtype[Any] | None
    if v.dtype == "string":
        # UTF-8 bytes, as wide as the longest (NumPy sizes `S` from the values)
        value, dtype = as_bytes(value), None
    else:
        dtype = np.dtype(v.dtype)
    if not isinstance(value, list):
        return np.full(v.shape, value, dtype=dtype)
    flat = np.array(value, dtype=dtype).reshape(-1)
    dtype = flat.dtype
    size = v.size
    if size == 0:  # TF checks nothing for an empty shape
        return np.zeros(v.shape, dtype=dtype)
    if flat.size == 0:  # TF fills zeros for an empty list
        return np.zeros(v.shape, dtype=dtype)
    if flat.size < size:
        pad = np.full(size - flat.size, flat[-1], dtype=dtype)
        flat = np.concatenate([flat, pad])
    return flat[:size].reshape(v.shape)


def _init_value(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """A literal nested list: the variable's shape and dtype come from it."""
    del seed
    if v.dtype == "string":
        literal: Array = np.array(as_bytes(args["value"]), dtype=np.bytes_)
    else:
        literal = np.array(args["value"], dtype=v.dtype)
    return literal.reshape(v.shape)


def _init_random_uniform(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """Uniform in [minval, maxval); integer variables draw integers."""
    del v
    if dtype.kind in "iu":
        return _integer_sampler(int(args["minval"]), int(args["maxval"]))
    return _uniform_sampler(args["minval"], args["maxval"], dtype)


def _init_random_normal(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """Normal with the given mean and standard deviation."""
    del v, dtype
    return _normal_sampler(args["mean"], args["stddev"], truncated=False)


def _init_truncated_normal(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """Normal, values beyond two standard deviations redrawn."""
    del v, dtype
    return _normal_sampler(args["mean"], args["stddev"], truncated=True)


def _init_uniform_unit_scaling(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """Uniform in +/- factor * sqrt(3 / fan_in), fan_in the product of all but the last
    dimension (of the full shape, also for a part)."""
    input_size = max(float(math.prod(v.shape[:-1])), 1.0)
    max_val = math.sqrt(3 / input_size) * args["factor"]
    return _uniform_sampler(-max_val, max_val, dtype)


def _init_variance_scaling(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """TF1's VarianceScaling with the given scale, mode and distribution."""
    scale = float(args["scale"])
    return _variance_scaling(scale, args["mode"], args["distribution"], v.shape, dtype)


def _init_glorot_uniform(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(1, fan_avg, uniform)."""
    del args
    return _variance_scaling(1.0, "fan_avg", "uniform", v.shape, dtype)


def _init_glorot_normal(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(1, fan_avg, truncated_normal)."""
    del args
    return _variance_scaling(1.0, "fan_avg", "truncated_normal", v.shape, dtype)


def _init_he_normal(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(2, fan_in, truncated_normal)."""
    del args
    return _variance_scaling(2.0, "fan_in", "truncated_normal", v.shape, dtype)


def _init_he_uniform(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(2, fan_in, uniform)."""
    del args
    return _variance_scaling(2.0, "fan_in", "uniform", v.shape, dtype)


def _init_lecun_normal(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(1, fan_in, truncated_normal)."""
    del args
    return _variance_scaling(1.0, "fan_in", "truncated_normal", v.shape, dtype)


def _init_lecun_uniform(
    v: VariableInfo,
    args: Mapping[str, Any],
    dtype: np.dtype[Any],
) -> _Sampler:
    """variance_scaling(1, fan_in, uniform)."""
    del args
    return _variance_scaling(1.0, "fan_in", "uniform", v.shape, dtype)


def _init_orthogonal(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """TF1's orthogonal_initializer: QR of a normal matrix from one stream,
    with the sign fix, transposed when there are fewer rows than columns."""
    rows = math.prod(v.shape[:-1])
    cols = v.shape[-1]
    flat_shape = (cols, rows) if rows < cols else (rows, cols)
    dtype = _sample_dtype(np.dtype(v.dtype))
    a = np.empty(flat_shape[0] * flat_shape[1], dtype)
    _normal(_generator(seed, _name_hash(v.name), 0), a)
    q, r = np.linalg.qr(a.reshape(flat_shape))
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    out = np.ascontiguousarray(q.reshape(v.shape))
    out *= args["gain"]
    return out.astype(v.dtype, copy=False)


def _init_identity(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """gain times the identity matrix (ones on the main diagonal)."""
    del seed
    eye: Array = np.eye(v.shape[0], v.shape[1], dtype=v.dtype)
    eye *= np.asarray(args["gain"], dtype=v.dtype)
    return eye


def _init_checkpoint(v: VariableInfo, args: Mapping[str, Any], seed: int) -> Array:
    """The array stored under `key` (default: the variable's full name) in a
    .npz or .safetensors file or a TF checkpoint (a partitioned variable's
    slices joined), its path relative to the module's folder. The header is
    checked before any data is read."""
    del seed
    path = os.path.join(_MODULE_DIR, args["path"])
    key = v.name if args["key"] is None else args["key"]
    found = find_array(path, key)
    if found.shape != v.shape or found.dtype != v.dtype:
        raise ParamsError(
            f"checkpoint {args['path']!r} key {key!r}: expected shape {list(v.shape)} "
            f"dtype {v.dtype} for variable {v.name!r}, found shape "
            f"{list(found.shape)} dtype {found.dtype}"
        )
    # storage_dtype: a bfloat16 array is ml_dtypes' bfloat16 or uint16 bits
    return read_params(path, only=key)[key].astype(storage_dtype(v.dtype), copy=False)


# --------------------------------------------------------------------------- registry


def _e(
    kind: str,
    args: type[Args],
    check: Check,
    tf_api: str,
    doc: str,
    *,
    impl: _SamplerImpl | _BuilderImpl,
    elementwise: bool = True,
    check_external: ExternalCheck | None = None,
) -> InitializerEntry:
    return InitializerEntry(kind, args, doc, tf_api, check, impl, elementwise, check_external)


INITIALIZERS: Registry[InitializerEntry] = Registry(
    "initializer",
    [
        _e(
            "zeros",
            NoArgs,
            _any_numeric,
            "tf.compat.v1.zeros_initializer",
            "All zeros (False, '').",
            impl=_init_zeros,
            elementwise=False,
        ),
        _e(
            "ones",
            NoArgs,
            _ones_check,
            "tf.compat.v1.ones_initializer",
            "All ones (True).",
            impl=_init_ones,
            elementwise=False,
        ),
        _e(
            "constant",
            ConstantArgs,
            _constant_check,
            "tf.compat.v1.constant_initializer",
            "A constant: a scalar broadcast to the shape, or a list filling it.",
            impl=_init_constant,
            elementwise=False,
        ),
        _e(
            "random_uniform",
            RandomUniformArgs,
            _random_uniform_check,
            "tf.compat.v1.random_uniform_initializer",
            "Uniform in [minval, maxval); integer variables take integer bounds.",
            impl=_init_random_uniform,
        ),
        _e(
            "random_normal",
            NormalArgs,
            _float_only("random_normal"),
            "tf.compat.v1.random_normal_initializer",
            "Normal with the given mean and standard deviation.",
            impl=_init_random_normal,
        ),
        _e(
            "truncated_normal",
            NormalArgs,
            _float_only("truncated_normal"),
            "tf.compat.v1.truncated_normal_initializer",
            "Normal, with values more than two standard deviations from the mean redrawn.",
            impl=_init_truncated_normal,
        ),
        _e(
            "uniform_unit_scaling",
            UniformUnitScalingArgs,
            _float_only("uniform_unit_scaling"),
            "tf.compat.v1.uniform_unit_scaling_initializer",
            "Uniform in ±factor·√(3/fan_in), where fan_in is the product of all dimensions "
            "but the last.",
            impl=_init_uniform_unit_scaling,
        ),
        _e(
            "variance_scaling",
            VarianceScalingArgs,
            _float_only("variance_scaling"),
            "tf.compat.v1.variance_scaling_initializer",
            "s = scale / max(1, n), n = fan_in | fan_out | (fan_in+fan_out)/2; truncated "
            "normal with stddev √s/0.8796256610342398, normal with stddev √s, or uniform in "
            "±√(3s).",
            impl=_init_variance_scaling,
        ),
        _e(
            "glorot_uniform",
            NoArgs,
            _float_only("glorot_uniform"),
            "tf.compat.v1.glorot_uniform_initializer",
            "variance_scaling(1, fan_avg, uniform); TF's default for float variables.",
            impl=_init_glorot_uniform,
        ),
        _e(
            "glorot_normal",
            NoArgs,
            _float_only("glorot_normal"),
            "tf.compat.v1.glorot_normal_initializer",
            "variance_scaling(1, fan_avg, truncated_normal).",
            impl=_init_glorot_normal,
        ),
        _e(
            "he_normal",
            NoArgs,
            _float_only("he_normal"),
            "tf.compat.v1.initializers.he_normal",
            "variance_scaling(2, fan_in, truncated_normal).",
            impl=_init_he_normal,
        ),
        _e(
            "he_uniform",
            NoArgs,
            _float_only("he_uniform"),
            "tf.compat.v1.initializers.he_uniform",
            "variance_scaling(2, fan_in, uniform).",
            impl=_init_he_uniform,
        ),
        _e(
            "lecun_normal",
            NoArgs,
            _float_only("lecun_normal"),
            "tf.compat.v1.initializers.lecun_normal",
            "variance_scaling(1, fan_in, truncated_normal).",
            impl=_init_lecun_normal,
        ),
        _e(
            "lecun_uniform",
            NoArgs,
            _float_only("lecun_uniform"),
            "tf.compat.v1.initializers.lecun_uniform",
            "variance_scaling(1, fan_in, uniform).",
            impl=_init_lecun_uniform,
        ),
        _e(
            "orthogonal",
            GainArgs,
            _orthogonal_check,
            "tf.compat.v1.orthogonal_initializer",
            "A (semi-)orthogonal matrix from the QR decomposition of a normal matrix, with "
            "TF's sign fix, reshaped to the shape (rows = product of all but the last "
            "dimension), times gain.",
            impl=_init_orthogonal,
            elementwise=False,
        ),
        _e(
            "identity",
            GainArgs,
            _identity_check,
            "tf.compat.v1.initializers.identity",
            "gain times the identity matrix (2-D only; a non-square shape gets ones on the "
            "main diagonal).",
            impl=_init_identity,
            elementwise=False,
        ),
        _e(
            "checkpoint",
            CheckpointArgs,
            _checkpoint_check,
            "tf.compat.v1.train.init_from_checkpoint",
            "Warm start: the array stored under `key` in a .npz or .safetensors file or a "
            "TF checkpoint (a partitioned variable's slices joined).",
            impl=_init_checkpoint,
            elementwise=False,
            check_external=_checkpoint_external,
        ),
    ],
)


def _value_check(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    del args, shape, dtype
    return None  # the engine checks a literal where it reads it (its shape and dtype)


class ValueArgs(Args):
    value: Literal_ = Field(description="The literal: a scalar or a nested list.")


#: The `value` pseudo-kind: a literal nested list given as the initializer
#: itself (`initializer: {value: [[1, 2]]}`). The language reads it apart from
#: the registry's kinds, but the generated module builds it like one.
VALUE: InitializerEntry = _e(
    "value",
    ValueArgs,
    _value_check,
    "tf.compat.v1.constant_initializer (a literal; TF infers shape and dtype from it)",
    "A literal nested list: the variable's value, shape and dtype.",
    impl=_init_value,
    elementwise=False,
)
VALUE_KIND = VALUE.kind
