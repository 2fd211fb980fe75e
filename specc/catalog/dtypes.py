"""The dtypes specc knows: TF's names, their kinds and sizes, and how each is
spelled by NumPy, the file formats and TF's own DataType enum.

This is the one dtype table: the file readers and writers (specc/formats/) and
the emitter (the tables it writes into generated modules) derive theirs from
it. Importing this module imports nothing beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

DTypeKind = Literal["float", "int", "uint", "bool", "complex", "string"]


@dataclass(frozen=True, slots=True)
class DType:
    """A TF dtype by its canonical name (`float32`), with its kind and byte size."""

    name: str
    kind: DTypeKind
    itemsize: int
    #: NumPy's name for it, or None when NumPy has no type for it (bfloat16, string)
    numpy: str | None
    #: its safetensors dtype code (`F32`), or None when safetensors has none
    safetensors: str | None
    #: the .npy `descr` bodies (without the byte-order mark) that denote it; a
    #: kind letter alone (`S`) stands for every size
    npy: tuple[str, ...]
    #: TF's `DataType` enum number (`DT_FLOAT` = 1), as TF checkpoints store it
    tf_enum: int
    #: where NumPy has no type for it, the NumPy dtype whose bit patterns hold
    #: it in generated modules (bfloat16: uint16; docs/module.md)
    bits: str | None = None

    @property
    def is_floating(self) -> bool:
        return self.kind == "float"

    @property
    def is_integer(self) -> bool:
        return self.kind in ("int", "uint")

    def __str__(self) -> str:
        return self.name


DTYPES: Final[dict[str, DType]] = {
    d.name: d
    for d in (
        DType("float16", "float", 2, "float16", "F16", ("f2",), 19),  # DT_HALF
        # `np.save` of an `ml_dtypes.bfloat16` array (JAX's, TF's) writes `<V2`
        DType("bfloat16", "float", 2, None, "BF16", ("V2",), 14, bits="uint16"),
        DType("float32", "float", 4, "float32", "F32", ("f4",), 1),
        DType("float64", "float", 8, "float64", "F64", ("f8",), 2),  # DT_DOUBLE
        DType("int8", "int", 1, "int8", "I8", ("i1",), 6),
        DType("int16", "int", 2, "int16", "I16", ("i2",), 5),
        DType("int32", "int", 4, "int32", "I32", ("i4",), 3),
        DType("int64", "int", 8, "int64", "I64", ("i8",), 9),
        DType("uint8", "uint", 1, "uint8", "U8", ("u1",), 4),
        DType("uint16", "uint", 2, "uint16", "U16", ("u2",), 17),
        DType("uint32", "uint", 4, "uint32", "U32", ("u4",), 22),
        DType("uint64", "uint", 8, "uint64", "U64", ("u8",), 23),
        DType("bool", "bool", 1, "bool", "BOOL", ("b1", "?", "?1"), 10),
        DType("complex64", "complex", 8, "complex64", "C64", ("c8",), 8),
        # safetensors has no 128-bit complex
        DType("complex128", "complex", 16, "complex128", None, ("c16",), 18),
        # TF sizes string elements at 16 bytes in its partitioners; NumPy's
        # bytes, str and object arrays all read as strings
        DType("string", "string", 16, None, None, ("S", "U", "O"), 7),
    )
}

#: TF's other spellings, resolved as `tf.as_dtype` resolves them.
ALIASES: Final[dict[str, str]] = {"half": "float16", "float": "float32", "double": "float64"}

FLOAT32: Final = DTYPES["float32"]
INT32: Final = DTYPES["int32"]
INT64: Final = DTYPES["int64"]
BOOL: Final = DTYPES["bool"]
STRING: Final = DTYPES["string"]

#: The most dimensions a NumPy array has (NumPy 2's limit).
MAX_MODULE_RANK: Final = 64

#: The safetensors dtype codes with no specc dtype, and their sizes in bits (the
#: reference implementation's `Dtype` enum): files holding them are valid, and
#: their arrays are listed under the code, but cannot be read into NumPy.
SAFETENSORS_ONLY_BITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "F4": 4,
        "F6_E2M3": 6,
        "F6_E3M2": 6,
        "F8_E5M2": 8,
        "F8_E4M3": 8,
        "F8_E8M0": 8,
        "F8_E4M3FNUZ": 8,
        "F8_E5M2FNUZ": 8,
    }
)


def parse_dtype(name: str) -> DType | None:
    """The dtype a name denotes (canonical or alias), or None."""
    return DTYPES.get(ALIASES.get(name, name))


def dtype_names() -> tuple[str, ...]:
    """Every accepted spelling, canonical names first."""
    return (*DTYPES, *ALIASES)


def module_refusal(dtype: DType, rank: int) -> str | None:
    """Why a generated module cannot hold a variable of this dtype and rank (NumPy
    cannot), as a sentence to follow "variable 'name': ", or None when it can.
    The one place this rule lives: the emitter refuses such a table with it, and
    the compiler can report it before emitting."""
    if dtype.numpy is None and dtype.bits is None and dtype.kind != "string":
        return f"the generated module cannot initialize or save {dtype.name} variables"
    if rank > MAX_MODULE_RANK:
        return f"rank {rank} is more than the {MAX_MODULE_RANK} dimensions NumPy allows"
    return None


def npy_dtypes() -> dict[str, str]:
    """.npy `descr` body (no byte-order mark; a kind letter alone: any size) ->
    dtype name, as the .npz reader looks them up."""
    return {descr: d.name for d in DTYPES.values() for descr in d.npy}


def safetensors_dtypes() -> dict[str, str]:
    """safetensors dtype code -> dtype name."""
    return {d.safetensors: d.name for d in DTYPES.values() if d.safetensors is not None}


def tf_dtypes() -> dict[int, tuple[str, int]]:
    """TF's `DataType` number -> (dtype name, bytes per element), as TF
    checkpoints store them."""
    return {d.tf_enum: (d.name, d.itemsize) for d in DTYPES.values()}


def safetensors_bits() -> dict[str, int]:
    """Every safetensors dtype code the format defines -> its size in bits (the
    readers check `data_offsets` against shape times this)."""
    ours = {d.safetensors: 8 * d.itemsize for d in DTYPES.values() if d.safetensors}
    return {**ours, **SAFETENSORS_ONLY_BITS}
