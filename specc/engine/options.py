"""Option values the engine works with: catalog choices with validated arguments,
and literal `value` initializers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from specc.catalog.base import Args, Entry
from specc.catalog.dtypes import DTYPES, DType
from specc.catalog.initializers import flatten_literal, literal_kind
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


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A `value` initializer: a literal whose dtype and shape TF infers
    (`convert_to_tensor`: Python ints give int32, floats float32)."""

    value: Any
    dtype: DType
    shape: tuple[int, ...]

    kind = "value"

    def to_json(self) -> dict[str, Any]:
        return {"kind": "value", "args": {"value": self.value}}

    @staticmethod
    def infer(value: Any) -> LiteralValue:
        """Infer dtype and shape as TF does; a ragged or mixed literal is an error."""
        shape = _literal_shape(value)
        leaves = flatten_literal(value)
        kinds = {literal_kind(x) for x in leaves}
        if not kinds or (kinds <= {"int", "float"} and "float" in kinds):
            dtype = DTYPES["float32"]
        elif kinds == {"int"}:
            ints = [x for x in leaves if isinstance(x, int)]
            wide = any(not _INT32_MIN <= x <= _INT32_MAX for x in ints)
            dtype = DTYPES["int64" if wide else "int32"]
        elif kinds == {"bool"}:
            dtype = DTYPES["bool"]
        elif kinds == {"string"}:
            dtype = DTYPES["string"]
        else:
            raise EngineError(
                "initializer-shape",
                f"value literal mixes {', '.join(sorted(kinds))} elements; TF cannot convert it "
                "to one tensor",
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
        "initializer-shape",
        "Can't convert non-rectangular Python sequence to Tensor: every row of a value "
        "literal must have the same length",
    )
