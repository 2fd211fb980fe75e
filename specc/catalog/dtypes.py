"""The dtypes specc knows: TF's names, their kinds and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

DTypeKind = Literal["float", "int", "uint", "bool", "complex", "string"]


@dataclass(frozen=True, slots=True)
class DType:
    """A TF dtype by its canonical name (`float32`), with its kind and byte size."""

    name: str
    kind: DTypeKind
    itemsize: int

    @property
    def is_floating(self) -> bool:
        return self.kind == "float"

    @property
    def is_integer(self) -> bool:
        return self.kind in ("int", "uint")

    def __str__(self) -> str:
        return self.name


def _d(name: str, kind: DTypeKind, size: int) -> DType:
    return DType(name, kind, size)


DTYPES: Final[dict[str, DType]] = {
    d.name: d
    for d in (
        _d("float16", "float", 2),
        _d("bfloat16", "float", 2),
        _d("float32", "float", 4),
        _d("float64", "float", 8),
        _d("int8", "int", 1),
        _d("int16", "int", 2),
        _d("int32", "int", 4),
        _d("int64", "int", 8),
        _d("uint8", "uint", 1),
        _d("uint16", "uint", 2),
        _d("uint32", "uint", 4),
        _d("uint64", "uint", 8),
        _d("bool", "bool", 1),
        _d("complex64", "complex", 8),
        _d("complex128", "complex", 16),
        # TF sizes string elements at 16 bytes in its partitioners
        _d("string", "string", 16),
    )
}

#: TF's other spellings, resolved as `tf.as_dtype` resolves them.
ALIASES: Final[dict[str, str]] = {"half": "float16", "float": "float32", "double": "float64"}

FLOAT32: Final = DTYPES["float32"]
INT32: Final = DTYPES["int32"]
INT64: Final = DTYPES["int64"]
BOOL: Final = DTYPES["bool"]
STRING: Final = DTYPES["string"]


def parse_dtype(name: str) -> DType | None:
    """The dtype a name denotes (canonical or alias), or None."""
    return DTYPES.get(ALIASES.get(name, name))


def dtype_names() -> tuple[str, ...]:
    """Every accepted spelling, canonical names first."""
    return (*DTYPES, *ALIASES)
