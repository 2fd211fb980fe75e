"""The keys, shapes and dtypes of a parameter file, read from its headers only.

`.npz` is a zip of `.npy` members; each member starts with a small header (a
Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape':
(3, 4), }`), parsed here by a tiny literal parser (no `eval`, no `ast`).
`.safetensors` starts with an 8-byte little-endian length and a JSON header.
Neither needs NumPy, and no array data is read, so a multi-gigabyte checkpoint
is described in milliseconds.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from dataclasses import dataclass
from typing import Final, TypeAlias

#: headers larger than this are refused (real ones are under a kilobyte for
#: .npy and a few megabytes for safetensors with many tensors)
MAX_NPY_HEADER: Final = 1 << 20
MAX_SAFETENSORS_HEADER: Final = 100 << 20

_NPY_MAGIC: Final = b"\x93NUMPY"

#: .npy `descr` kind letter and item size -> specc's (TF's) dtype name
_NPY_KINDS: Final[dict[tuple[str, int], str]] = {
    ("f", 2): "float16",
    ("f", 4): "float32",
    ("f", 8): "float64",
    ("i", 1): "int8",
    ("i", 2): "int16",
    ("i", 4): "int32",
    ("i", 8): "int64",
    ("u", 1): "uint8",
    ("u", 2): "uint16",
    ("u", 4): "uint32",
    ("u", 8): "uint64",
    ("b", 1): "bool",
    ("c", 8): "complex64",
    ("c", 16): "complex128",
}

#: safetensors dtype codes -> specc's dtype name
SAFETENSORS_DTYPES: Final[dict[str, str]] = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "U16": "uint16",
    "I16": "int16",
    "U32": "uint32",
    "I32": "int32",
    "U64": "uint64",
    "I64": "int64",
    "F16": "float16",
    "BF16": "bfloat16",
    "F32": "float32",
    "F64": "float64",
    "C64": "complex64",
}


class CheckpointError(Exception):
    """The file cannot be read as a parameter file (message names the file)."""


@dataclass(frozen=True, slots=True)
class ArrayInfo:
    """One array of a parameter file. `dtype` is specc's name (`float32`) when the
    file's type has one, else the file's own spelling (`<V2`, `F8_E4M3`)."""

    name: str
    shape: tuple[int, ...]
    dtype: str


def npy_dtype(descr: str) -> str:
    """specc's dtype name for a .npy `descr` (`'<f4'` -> `float32`), or `descr`
    itself when there is none. Byte order does not change the dtype."""
    body = descr[1:] if descr[:1] in "<>|=" else descr
    kind, size = body[:1], body[1:]
    if kind in ("S", "U", "O"):
        return "string"
    if size.isdigit():
        name = _NPY_KINDS.get((kind, int(size)))
        if name is not None:
            return name
    if kind == "?" and size in ("", "1"):
        return "bool"
    return descr


# ------------------------------------------------------------ literal parser


class _LiteralError(ValueError):
    pass


PyLiteral: TypeAlias = (
    str
    | int
    | bool
    | tuple["PyLiteral", ...]
    | list["PyLiteral"]
    | dict[str, "PyLiteral"]
    | None
)


class _Parser:
    """A recursive-descent parser for the Python literals a .npy header uses:
    dicts with string keys, tuples, lists, strings, integers, True/False/None."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> PyLiteral:
        value = self.value(0)
        self.skip()
        if self.pos != len(self.text):
            raise _LiteralError(f"unexpected {self.text[self.pos : self.pos + 10]!r}")
        return value

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise _LiteralError(f"expected {ch!r} at offset {self.pos}")
        self.pos += 1

    def value(self, depth: int) -> PyLiteral:
        if depth > 32:
            raise _LiteralError("nested too deeply")
        ch = self.peek()
        if ch == "{":
            return self.mapping(depth)
        if ch in "([":
            return self.sequence(depth)
        if ch in "'\"":
            return self.string()
        if ch == "-" or ch.isdigit():
            return self.integer()
        for word, result in (("True", True), ("False", False), ("None", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return result
        raise _LiteralError(f"unexpected {self.text[self.pos : self.pos + 10]!r}")

    def mapping(self, depth: int) -> dict[str, PyLiteral]:
        self.expect("{")
        out: dict[str, PyLiteral] = {}
        while self.peek() != "}":
            key = self.string()
            self.expect(":")
            out[key] = self.value(depth + 1)
            if self.peek() != ",":
                break
            self.pos += 1
        self.expect("}")
        return out

    def sequence(self, depth: int) -> PyLiteral:
        close = ")" if self.peek() == "(" else "]"
        self.pos += 1
        items: list[PyLiteral] = []
        trailing_comma = False
        while self.peek() != close:
            items.append(self.value(depth + 1))
            trailing_comma = self.peek() == ","
            if not trailing_comma:
                break
            self.pos += 1
        self.expect(close)
        if close == "]":
            return items
        if len(items) == 1 and not trailing_comma:
            return items[0]  # a parenthesized value, not a tuple
        return tuple(items)

    def string(self) -> str:
        quote = self.peek()
        if quote not in ("'", '"'):
            raise _LiteralError(f"expected a string at offset {self.pos}")
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            raise _LiteralError("unterminated string")
        raw = self.text[self.pos + 1 : end]
        if "\\" in raw:
            raise _LiteralError("escapes are not supported in .npy headers")
        self.pos = end + 1
        return raw

    def integer(self) -> int:
        start = self.pos
        if self.text[self.pos] == "-":
            self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        # numpy wrote `3L` for longs under Python 2
        digits = self.text[start : self.pos]
        if self.text[self.pos : self.pos + 1] == "L":
            self.pos += 1
        if digits in ("", "-"):
            raise _LiteralError(f"expected a number at offset {start}")
        return int(digits)


def parse_literal(text: str) -> PyLiteral:
    """Parse a Python literal of the .npy header subset; ValueError if malformed."""
    return _Parser(text).parse()


# ------------------------------------------------------------ .npy / .npz


def npy_header(data: bytes, where: str) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) from the first bytes of a .npy stream."""
    if not data.startswith(_NPY_MAGIC) or len(data) < 10:
        raise CheckpointError(f"{where}: not a .npy array")
    major = data[6]
    if major == 1:
        (length,) = struct.unpack("<H", data[8:10])
        start = 10
    elif major in (2, 3):
        if len(data) < 12:
            raise CheckpointError(f"{where}: truncated .npy header")
        (length,) = struct.unpack("<I", data[8:12])
        start = 12
    else:
        raise CheckpointError(f"{where}: unsupported .npy format version {major}")
    if length > MAX_NPY_HEADER or len(data) < start + length:
        raise CheckpointError(f"{where}: truncated .npy header")
    raw = data[start : start + length]
    try:
        text = raw.decode("utf-8" if major == 3 else "latin-1")
        header = parse_literal(text)
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"{where}: malformed .npy header: {e}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: malformed .npy header")
    descr, shape = header.get("descr"), header.get("shape")
    if not isinstance(shape, tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise CheckpointError(f"{where}: malformed .npy shape {shape!r}")
    dims = tuple(d for d in shape if isinstance(d, int))
    if isinstance(descr, str):
        dtype = npy_dtype(descr)
    elif isinstance(descr, list):
        dtype = "structured"
    else:
        raise CheckpointError(f"{where}: malformed .npy descr {descr!r}")
    return dims, dtype


def _read_member_header(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str
) -> bytes:
    with zf.open(info) as f:
        head = f.read(12)
        if len(head) >= 10 and head.startswith(_NPY_MAGIC):
            if head[6] == 1:
                (length,) = struct.unpack("<H", head[8:10])
                need = 10 + length
            else:
                (length,) = struct.unpack("<I", head[8:12])
                need = 12 + length
            if need > MAX_NPY_HEADER:
                raise CheckpointError(f"{where}: .npy header too large")
            head += f.read(need - len(head))
        return head


def read_npz(path: str) -> list[ArrayInfo]:
    """The arrays of a .npz file, in the zip's order. Keys are member names less
    `.npy`, as `numpy.load` gives them."""
    out: list[ArrayInfo] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                key = name[: -len(".npy")] if name.endswith(".npy") else name
                where = f"{path}: {key}"
                shape, dtype = npy_header(_read_member_header(zf, info, where), where)
                out.append(ArrayInfo(key, shape, dtype))
    except zipfile.BadZipFile as e:
        raise CheckpointError(f"{path}: not a .npz file ({e})") from None
    except (
        NotImplementedError,
        RuntimeError,
        EOFError,
    ) as e:  # compression, encryption
        raise CheckpointError(f"{path}: cannot read the .npz file ({e})") from None
    return out


# ------------------------------------------------------------ .safetensors


def read_safetensors(path: str) -> list[ArrayInfo]:
    """The tensors of a .safetensors file, in header order (`__metadata__` skipped)."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path}: not a .safetensors file (too short)")
        (length,) = struct.unpack("<Q", head)
        size = os.fstat(f.fileno()).st_size
        if length > MAX_SAFETENSORS_HEADER or 8 + length > size:
            raise CheckpointError(
                f"{path}: not a .safetensors file (header length {length})"
            )
        raw = f.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"{path}: malformed .safetensors header: {e}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: malformed .safetensors header")
    out: list[ArrayInfo] = []
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(meta, dict):
            raise CheckpointError(f"{path}: {key}: malformed tensor entry")
        code, shape = meta.get("dtype"), meta.get("shape")
        if (
            not isinstance(code, str)
            or not isinstance(shape, list)
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
            )
        ):
            raise CheckpointError(f"{path}: {key}: malformed dtype or shape")
        out.append(ArrayInfo(key, tuple(shape), SAFETENSORS_DTYPES.get(code, code)))
    return out


def file_format(path: str) -> str | None:
    """`npz` or `safetensors` by the file's suffix, else None."""
    lower = path.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".safetensors"):
        return "safetensors"
    return None


def read_arrays(path: str) -> list[ArrayInfo]:
    """The arrays of a .npz or .safetensors file. Raises CheckpointError for an
    unknown suffix or a malformed file, OSError when it cannot be opened."""
    fmt = file_format(path)
    if fmt == "npz":
        return read_npz(path)
    if fmt == "safetensors":
        return read_safetensors(path)
    raise CheckpointError(f"{path}: expected a .npz or .safetensors file")
