"""Initializers: TF1's `tf.compat.v1` initializers, their arguments and rules.

Each entry names the TF API it mirrors, its arguments (defaults are TF1's) and
`check`, which says whether the initializer can fill a variable of a given
shape and dtype, with TF's verdict (`initializer-dtype`, `initializer-rank`,
`initializer-shape`). The NumPy samplers live in the generated module's runtime
(`specc/emit/templates/runtime.py.j2`), keyed by the same kind names, so the
standalone module and `specc init` share one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from specc.catalog.base import Args, Entry, NoArgs, Registry
from specc.catalog.dtypes import DType

Number = StrictInt | StrictFloat
#: A literal value for `constant` and `value`: a scalar or a nested list of them.
Literal_ = StrictBool | StrictInt | StrictFloat | StrictStr | list[Any]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an initializer cannot fill a variable: a diagnostic code and message."""

    code: str
    message: str


Check = Callable[[Args, tuple[int, ...], DType], Problem | None]


@dataclass(frozen=True, slots=True)
class InitializerEntry(Entry):
    """An initializer kind: `check(args, shape, dtype)` returns a Problem or None."""

    check: Check
    #: True when each element is drawn independently, so a slice costs its size.
    elementwise: bool = True


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
        1.0, description="Standard deviation of the normal distribution (before truncation)."
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
        description="A `.npz` or `.safetensors` file, relative to the spec's folder.",
        examples=["warm_start.npz"],
    )
    key: StrictStr | None = Field(
        None, description="The array's key in the file; default: the variable's full name."
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
            "initializer-dtype", "initializer 'ones' cannot initialize a string variable"
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
    if dtype.name in ("int32", "int64"):  # TF's random_uniform rejects other integers first
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
    del args, shape, dtype
    return None  # shape and dtype are checked against the file when values are built


# --------------------------------------------------------------------------- registry


def _e(
    kind: str,
    args: type[Args],
    check: Check,
    tf_api: str,
    doc: str,
    *,
    elementwise: bool = True,
) -> InitializerEntry:
    return InitializerEntry(kind, args, doc, tf_api, check, elementwise)


INITIALIZERS: Registry[InitializerEntry] = Registry(
    "initializer",
    [
        _e(
            "zeros",
            NoArgs,
            _any_numeric,
            "tf.compat.v1.zeros_initializer",
            "All zeros (False, '').",
        ),
        _e("ones", NoArgs, _ones_check, "tf.compat.v1.ones_initializer", "All ones (True)."),
        _e(
            "constant",
            ConstantArgs,
            _constant_check,
            "tf.compat.v1.constant_initializer",
            "A constant: a scalar broadcast to the shape, or a list filling it.",
        ),
        _e(
            "random_uniform",
            RandomUniformArgs,
            _random_uniform_check,
            "tf.compat.v1.random_uniform_initializer",
            "Uniform in [minval, maxval); integer variables take integer bounds.",
        ),
        _e(
            "random_normal",
            NormalArgs,
            _float_only("random_normal"),
            "tf.compat.v1.random_normal_initializer",
            "Normal with the given mean and standard deviation.",
        ),
        _e(
            "truncated_normal",
            NormalArgs,
            _float_only("truncated_normal"),
            "tf.compat.v1.truncated_normal_initializer",
            "Normal, with values more than two standard deviations from the mean redrawn.",
        ),
        _e(
            "uniform_unit_scaling",
            UniformUnitScalingArgs,
            _float_only("uniform_unit_scaling"),
            "tf.compat.v1.uniform_unit_scaling_initializer",
            "Uniform in ±factor·√(3/fan_in), where fan_in is the product of all dimensions "
            "but the last.",
        ),
        _e(
            "variance_scaling",
            VarianceScalingArgs,
            _float_only("variance_scaling"),
            "tf.compat.v1.variance_scaling_initializer",
            "s = scale / max(1, n), n = fan_in | fan_out | (fan_in+fan_out)/2; truncated "
            "normal with stddev √s/0.8796256610342398, normal with stddev √s, or uniform in "
            "±√(3s).",
        ),
        _e(
            "glorot_uniform",
            NoArgs,
            _float_only("glorot_uniform"),
            "tf.compat.v1.glorot_uniform_initializer",
            "variance_scaling(1, fan_avg, uniform); TF's default for float variables.",
        ),
        _e(
            "glorot_normal",
            NoArgs,
            _float_only("glorot_normal"),
            "tf.compat.v1.glorot_normal_initializer",
            "variance_scaling(1, fan_avg, truncated_normal).",
        ),
        _e(
            "he_normal",
            NoArgs,
            _float_only("he_normal"),
            "tf.compat.v1.initializers.he_normal",
            "variance_scaling(2, fan_in, truncated_normal).",
        ),
        _e(
            "he_uniform",
            NoArgs,
            _float_only("he_uniform"),
            "tf.compat.v1.initializers.he_uniform",
            "variance_scaling(2, fan_in, uniform).",
        ),
        _e(
            "lecun_normal",
            NoArgs,
            _float_only("lecun_normal"),
            "tf.compat.v1.initializers.lecun_normal",
            "variance_scaling(1, fan_in, truncated_normal).",
        ),
        _e(
            "lecun_uniform",
            NoArgs,
            _float_only("lecun_uniform"),
            "tf.compat.v1.initializers.lecun_uniform",
            "variance_scaling(1, fan_in, uniform).",
        ),
        _e(
            "orthogonal",
            GainArgs,
            _orthogonal_check,
            "tf.compat.v1.orthogonal_initializer",
            "A (semi-)orthogonal matrix from the QR decomposition of a normal matrix, with "
            "TF's sign fix, reshaped to the shape (rows = product of all but the last "
            "dimension), times gain.",
            elementwise=False,
        ),
        _e(
            "identity",
            GainArgs,
            _identity_check,
            "tf.compat.v1.initializers.identity",
            "gain times the identity matrix (2-D only; a non-square shape gets ones on the "
            "main diagonal).",
            elementwise=False,
        ),
        _e(
            "checkpoint",
            CheckpointArgs,
            _checkpoint_check,
            "tf.compat.v1.train.init_from_checkpoint",
            "Warm start: the array stored under `key` in a .npz or .safetensors file.",
            elementwise=False,
        ),
    ],
)

#: The `value` pseudo-kind: a literal nested list given as the initializer itself.
VALUE_KIND = "value"
