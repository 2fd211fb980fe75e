"""`.npz` parameter files: a zip of `.npy` members, one per array.

Listing a file's arrays reads only each member's header (a Python dict literal
such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, parsed
by a tiny literal parser: no `eval`, no `ast`, no NumPy), so a multi-gigabyte
checkpoint is described in milliseconds. Reading and writing array data uses
NumPy's `.npy` code.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias

from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.tables import _NPY_DTYPES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    from specc.formats.lazy import numpy as np

#: .npy headers larger than this are refused (real ones are under a kilobyte)
MAX_NPY_HEADER: Final = 1 << 20

_NPY_MAGIC: Final = b"\x93NUMPY"


def npy_dtype(descr: str) -> str:
    """specc's dtype name for a .npy `descr` (`'<f4'` -> `float32`), or `descr`
    itself when there is none. Byte order does not change the dtype."""
    body = descr[1:] if descr[:1] in "<>|=" else descr
    return _NPY_DTYPES.get(body, _NPY_DTYPES.get(body[:1], descr))


# ------------------------------------------------------------ literal parser


class _LiteralError(ValueError):
    pass


_Scalar: TypeAlias = str | int | bool | None
PyLiteral: TypeAlias = (
    _Scalar | tuple["PyLiteral", ...] | list["PyLiteral"] | dict[str, "PyLiteral"]
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


# ------------------------------------------------------------ headers


def _npy_header_text(data: bytes, path: str, key: str) -> str:
    """The header literal of a .npy stream's first bytes."""
    if not data.startswith(_NPY_MAGIC) or len(data) < 10:
        raise CheckpointError(path, f"{key}: not a .npy array")
    major = data[6]
    if major == 1:
        (length,) = struct.unpack("<H", data[8:10])
        start = 10
    elif major in (2, 3):
        if len(data) < 12:
            raise CheckpointError(path, f"{key}: truncated .npy header")
        (length,) = struct.unpack("<I", data[8:12])
        start = 12
    else:
        raise CheckpointError(path, f"{key}: unsupported .npy format version {major}")
    if length > MAX_NPY_HEADER or len(data) < start + length:
        raise CheckpointError(path, f"{key}: truncated .npy header")
    try:
        return data[start : start + length].decode("utf-8" if major == 3 else "latin-1")
    except UnicodeDecodeError as e:
        raise CheckpointError(path, f"{key}: malformed .npy header: {e}") from None


def npy_header(data: bytes, path: str, key: str) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) from the first bytes of the .npy member `key` of `path`."""
    try:
        header = parse_literal(_npy_header_text(data, path, key))
    except _LiteralError as e:
        raise CheckpointError(path, f"{key}: malformed .npy header: {e}") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, f"{key}: malformed .npy header")
    descr, shape = header.get("descr"), header.get("shape")
    if not isinstance(shape, tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise CheckpointError(path, f"{key}: malformed .npy shape {shape!r}")
    dims = tuple(d for d in shape if isinstance(d, int))
    if isinstance(descr, str):
        return dims, npy_dtype(descr)
    if isinstance(descr, list):
        return dims, "structured"
    raise CheckpointError(path, f"{key}: malformed .npy descr {descr!r}")


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> bytes:
    """The bytes of a member's .npy header (as many as its length field says)."""
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
                raise CheckpointError(path, f"{_key(info)}: .npy header too large")
            head += f.read(need - len(head))
        return head


def _key(info: zipfile.ZipInfo) -> str:
    """A member's key: its name less `.npy`, as `numpy.load` gives it."""
    return info.filename.removesuffix(".npy")


def _members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [info for info in zf.infolist() if not info.is_dir()]


def read_npz(path: str) -> list[ArrayInfo]:
    """The arrays of a .npz file, in the zip's order, from their headers only.
    Raises CheckpointError for a malformed file, OSError when it cannot be
    opened."""
    out: list[ArrayInfo] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in _members(zf):
                key = _key(info)
                shape, dtype = npy_header(_member_header(zf, info, path), path, key)
                out.append(ArrayInfo(key, shape, dtype))
    except zipfile.BadZipFile as e:
        raise CheckpointError(path, f"not a .npz file ({e})") from None
    except (
        NotImplementedError,
        RuntimeError,
        EOFError,
    ) as e:  # compression, encryption
        raise CheckpointError(path, f"cannot read the .npz file ({e})") from None
    return out


# ------------------------------------------------------------ array data


def read_npz_arrays(path: str, only: str | None = None) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a .npz file (only the one keyed `only`, when given)."""
    out: dict[str, npt.NDArray[Any]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in _members(zf):
                key = _key(info)
                if only is not None and key != only:
                    continue
                # our header check first: whatever it passes, NumPy can parse
                npy_header(_member_header(zf, info, path), path, key)
                with zf.open(info) as f:
                    try:
                        out[key] = np.lib.format.read_array(f, allow_pickle=False)
                    except (ValueError, TypeError) as e:  # a dtype or short data
                        raise CheckpointError(path, f"{key}: {e}") from None
    except zipfile.BadZipFile as e:
        raise CheckpointError(path, f"not a .npz file ({e})") from None
    except (NotImplementedError, RuntimeError, EOFError) as e:
        raise CheckpointError(path, f"cannot read the .npz file ({e})") from None
    return out


def write_npz(f: IO[bytes], arrays: Iterable[tuple[str, npt.NDArray[Any]]]) -> None:
    """Write arrays, one at a time, as an uncompressed .npz (one `.npy` member
    each, zip64 so that members may pass 4 GiB)."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, a in arrays:
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, _contiguous(a))


def _contiguous(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return a if a.flags.c_contiguous else a.copy(order="C")
