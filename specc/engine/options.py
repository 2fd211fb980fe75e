"""Option values the engine works with: catalog choices with validated arguments,
and literal `value` initializers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from specc.catalog.base import Args, Entry
from specc.catalog.dtypes import DTYPES, DType
from specc.catalog.initializers import flatten_literal, literal_kind
from specc.diagnostics import codes
from specc.engine.errors import EngineError

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True, slots=True)
class Option(Generic[E]):
    """A catalog kind chosen with its (validated) arguments."""

    entry: E
    args: Args
    _json: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # computed once: an option object is shared by every variable it configures
        object.__setattr__(
            self, "_json", {"kind": self.entry.kind, "args": self.args.model_dump(mode="json")}
        )

    @property
    def kind(self) -> str:
        return self.entry.kind

    def to_json(self) -> dict[str, Any]:
        """`{"kind": ..., "args": {...}}` (shared: do not mutate)."""
        return self._json


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT64_MAX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A `value` initializer: a literal whose dtype and shape TF infers
    (graph-mode `convert_to_tensor`, NumPy's inference with TF's int32/float32
    preference: Python ints give int32, floats float32, booleans mixed with
    numbers count as numbers).

    TF converts the literal only when it uses it: when `dtype:` is written
    beside it, or when it creates the variable; a variable that is shared never
    looks at it. So a literal TF cannot convert (ragged, strings mixed with
    numbers) carries the `problem`, raised by the engine at those points."""

    value: Any
    dtype: DType
    shape: tuple[int, ...]
    problem: str | None = None

    kind = "value"

    def to_json(self) -> dict[str, Any]:
        return {"kind": "value", "args": {"value": self.value}}

    def check(self, variable: str) -> None:
        """Raise TF's conversion error, if the literal has one."""
        if self.problem is not None:
            raise EngineError(codes.INITIALIZER_SHAPE, self.problem, variable=variable)

    @staticmethod
    def infer(value: Any) -> LiteralValue:
        """Infer dtype and shape as TF does; a ragged or mixed literal gets a problem."""
        try:
            shape = _literal_shape(value)
        except EngineError as e:
            return LiteralValue(value, DTYPES["float32"], (), e.message)
        leaves = flatten_literal(value)
        kinds = {literal_kind(x) for x in leaves}
        numbers = kinds - {"bool"}
        if not kinds or ("float" in numbers and "string" not in numbers):
            dtype = DTYPES["float32"]
        elif kinds == {"bool"}:
            dtype = DTYPES["bool"]
        elif numbers == {"int"}:
            ints = [x for x in leaves if isinstance(x, int) and not isinstance(x, bool)]
            if all(_INT32_MIN <= x <= _INT32_MAX for x in ints):
                dtype = DTYPES["int32"]
            elif all(_INT64_MIN <= x <= _INT64_MAX for x in ints):
                dtype = DTYPES["int64"]
            elif all(0 <= x <= _UINT64_MAX for x in ints):
                dtype = DTYPES["uint64"]
            else:
                return LiteralValue(
                    value,
                    DTYPES["int64"],
                    shape,
                    "Can't convert Python sequence with out-of-range integer to Tensor.",
                )
        elif kinds == {"string"}:
            dtype = DTYPES["string"]
        else:
            return LiteralValue(
                value,
                DTYPES["float32"],
                shape,
                f"value literal mixes {', '.join(sorted(kinds))} elements; TF cannot convert "
                "it to one tensor (Failed to convert elements to Tensor)",
            )
        return LiteralValue(value, dtype, shape)


def _literal_shape(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    shape = [len(value)]
    level: list[Any] = value
    while level and isinstance(level[0], list):
        shape.append(len(level[0]))
        level = level[0]

    def check(node: Any, depth: int) -> None:
        if depth == len(shape):
            if isinstance(node, list):
                raise _ragged()
            return
        if not isinstance(node, list) or len(node) != shape[depth]:
            raise _ragged()
        for child in node:
            check(child, depth + 1)

    check(value, 0)
    return tuple(shape)


def _ragged() -> EngineError:
    return EngineError(
        codes.INITIALIZER_SHAPE,
        "Can't convert non-rectangular Python sequence to Tensor: every row of a value "
        "literal must have the same length",
    )
