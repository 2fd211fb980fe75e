"""`.npz` parameter files: a zip of `.npy` members, one per array.

Listing a file's arrays reads only each member's header (a Python dict literal
such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, parsed
by a tiny literal parser: no `eval`, no `ast`, no NumPy), so a multi-gigabyte
checkpoint is described in milliseconds. The writer is `npz_stream`'s, which
writes a chunk at a time.

Reading is strict, and checks a file before allocating any array:

- the zip: only a regular file is opened; members are stored or deflated,
  unencrypted, named in UTF-8 (neither absolute nor with a `..` part, no NUL,
  no two with the same key), each within the file and overlapping no other
  (the trick of zip bombs), a stored member's sizes equal and a deflated one's
  at most 1032 times its compressed size (deflate's limit); CRC and deflate
  errors are caught where data is read;
- each `.npy` member: format version 1.0, 2.0 or 3.0, a header of at most
  10,000 bytes (NumPy's own limit) that is a dict of exactly `descr`,
  `fortran_order` and `shape`, at most 64 non-negative dimensions, and data
  exactly `shape x itemsize` long (the member's size says so before anything
  is read: no array is larger than the file's size implies).

A corrupt file is `not a valid npz file: <reason>`; a valid file whose dtype
specc cannot read (a datetime, an object array, a structured dtype) is an
error naming that dtype.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, NamedTuple, NoReturn, TypeAlias

from specc.formats.arrays import (
    ArrayInfo,
    CheckpointError,
    brief,
    element_count,
    file_size,
    not_valid,
    open_regular,
)
from specc.formats.bfloat16 import as_bfloat16
from specc.formats.tables import _NPY_DTYPES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from specc.runtime.prelude import Array
else:
    from specc.formats.lazy import numpy as np

#: .npy headers longer than this are refused, as NumPy's reader refuses them
#: (`numpy.lib.format._MAX_HEADER_SIZE`)
MAX_NPY_HEADER: Final = 10_000
#: The most a deflate stream expands (258 bytes from about 2 bits): a member
#: claiming more is a zip bomb or corrupt.
_MAX_DEFLATE_RATIO: Final = 1032
#: The most dimensions NumPy allows.
_NPY_MAX_RANK: Final = 64
_NPY_MAGIC: Final = b"\x93NUMPY"
#: Bytes read from a member at a time: NumPy's own buffer size; chunks of
#: megabytes make reading a stored member twice as slow (cache misses).
_READ_CHUNK: Final = 1 << 18
#: The bytes of a zip member's local header before its name.
_ZIP_LOCAL_HEADER: Final = 30
#: A .npy `descr` typestr: byte order, kind, size (a datetime's unit after it).
_TYPESTR: Final = re.compile(r"([<>|=]?)([?biufcSUVOMm])([0-9]{0,18})(\[\w+\])?")
#: The zip and zlib errors a corrupt member raises where it is read.
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,  # also a bad CRC-32 and a local header that disagrees
    zipfile.LargeZipFile,
    zlib.error,  # corrupt deflate data
    EOFError,  # deflate data that ends early
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # an encrypted member
    struct.error,
    UnicodeDecodeError,  # a name flagged UTF-8 that is not
)


def npy_dtype(descr: str) -> str:
    """specc's dtype name for a .npy `descr` (`'<f4'` -> `float32`), or `descr`
    itself when there is none. Byte order does not change the dtype."""
    body = descr[1:] if descr[:1] in "<>|=" else descr
    return _NPY_DTYPES.get(body, _NPY_DTYPES.get(body[:1], descr))


def _npz_invalid(path: str, reason: str) -> NoReturn:
    raise not_valid(path, "npz", reason)


# ------------------------------------------------------------ literal parser


class _MalformedError(ValueError):
    """Why a header (or the zip around it) is malformed; the readers turn it
    into a CheckpointError naming the file."""


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
            raise _MalformedError(f"unexpected {self.text[self.pos : self.pos + 10]!r}")
        return value

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise _MalformedError(f"expected {ch!r} at offset {self.pos}")
        self.pos += 1

    def value(self, depth: int) -> PyLiteral:
        if depth > 32:
            raise _MalformedError("nested too deeply")
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
        raise _MalformedError(f"unexpected {self.text[self.pos : self.pos + 10]!r}")

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
            raise _MalformedError(f"expected a string at offset {self.pos}")
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            raise _MalformedError("unterminated string")
        raw = self.text[self.pos + 1 : end]
        if "\\" in raw:
            raise _MalformedError("escapes are not supported in .npy headers")
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
            raise _MalformedError(f"expected a number at offset {start}")
        return int(digits)


def parse_literal(text: str) -> PyLiteral:
    """Parse a Python literal of the .npy header subset; ValueError if malformed."""
    return _Parser(text).parse()


# ------------------------------------------------------------ .npy headers


class _Npy(NamedTuple):
    """A .npy member's header: where its data starts, and what it holds."""

    offset: int
    shape: tuple[int, ...]
    #: the `descr` string, or None for a structured dtype (a list)
    descr: str | None
    fortran: bool

    @property
    def dtype(self) -> str:
        """specc's name of the dtype, else the file's spelling."""
        return "structured" if self.descr is None else npy_dtype(self.descr)


def _npy_header_text(data: bytes, where: str) -> tuple[str, int]:
    """The header literal of a .npy stream's first bytes, and where its data
    starts; _MalformedError with the reason otherwise."""
    if len(data) < 10 or not data.startswith(_NPY_MAGIC):
        raise _MalformedError(f"{where} is not a .npy array")
    major, minor = data[6], data[7]
    if major not in (1, 2, 3) or minor != 0:
        raise _MalformedError(f"{where} has .npy format version {major}.{minor}")
    if major == 1:
        (length,) = struct.unpack("<H", data[8:10])
        start = 10
    else:
        if len(data) < 12:
            raise _MalformedError(f"{where} ends inside its .npy header")
        (length,) = struct.unpack("<I", data[8:12])
        start = 12
    if length > MAX_NPY_HEADER:
        msg = f"{where} has a {length}-byte .npy header (NumPy's limit: 10000)"
        raise _MalformedError(msg)
    if len(data) < start + length:
        raise _MalformedError(f"{where} ends inside its .npy header")
    raw = data[start : start + length]
    try:
        return raw.decode("utf-8" if major == 3 else "latin-1"), start + length
    except UnicodeDecodeError:
        raise _MalformedError(f"{where} has a .npy header that is not UTF-8") from None


def _is_dimension(d: object) -> bool:
    """A non-negative int that NumPy's intp holds (`True` is no dimension)."""
    return type(d) is int and 0 <= d < 1 << 63


def _parse_npy(data: bytes, where: str) -> _Npy:
    """A .npy header as NumPy checks it: a dict of exactly descr, fortran_order
    and shape. _MalformedError with the reason otherwise."""
    text, offset = _npy_header_text(data, where)
    try:
        header = parse_literal(text)
    except _MalformedError as e:
        raise _MalformedError(f"{where} has a malformed .npy header ({e})") from None
    if not isinstance(header, dict) or sorted(header) != [
        "descr",
        "fortran_order",
        "shape",
    ]:
        raise _MalformedError(f"{where}: .npy keys are not descr, fortran_order, shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(shape, tuple) or not all(_is_dimension(d) for d in shape):
        raise _MalformedError(f"{where} has .npy shape {brief(shape)}")
    if len(shape) > _NPY_MAX_RANK:
        raise _MalformedError(f"{where} has {len(shape)} dimensions (NumPy allows 64)")
    if not isinstance(fortran, bool):
        raise _MalformedError(f"{where} has fortran_order {brief(fortran)}")
    if isinstance(descr, list):
        descr = None
    elif not isinstance(descr, str):
        raise _MalformedError(f"{where} has .npy descr {brief(descr)}")
    dims = tuple(d for d in shape if isinstance(d, int))
    return _Npy(offset, dims, descr, fortran)


def npy_header(data: bytes, path: str, key: str) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) from the first bytes of the .npy member `key` of `path`."""
    try:
        npy = _parse_npy(data, repr(key))
    except _MalformedError as e:
        _npz_invalid(path, str(e))
    return npy.shape, npy.dtype


def _itemsize(descr: str | None) -> int | None:
    """The size of one element of a `descr` typestr (`<f4`: 4, `<U3`: 12), or
    None when it has none that the data's length could be checked with (an
    object array's pickle, a structured or unknown descr)."""
    m = None if descr is None else _TYPESTR.fullmatch(descr)
    if m is None or m.group(2) == "O":
        return None
    if m.group(2) == "?":
        return 1
    if not m.group(3):
        return None
    return int(m.group(3)) * (4 if m.group(2) == "U" else 1)


# ------------------------------------------------------------ zip members


class _Member(NamedTuple):
    """A checked zip member: its name (UTF-8), its key (the name less `.npy`,
    as `numpy.load` gives it) and its zip entry."""

    name: str
    key: str
    info: zipfile.ZipInfo


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name, decoded as UTF-8 (zipfile decodes names without the
    UTF-8 flag as cp437; many writers store UTF-8 without it). Refused when it
    is not UTF-8, holds a NUL, is absolute or has a `..` part."""
    name = info.orig_filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            raise _MalformedError(f"member name {brief(name)} is not UTF-8") from None
    parts = name.replace("\\", "/").split("/")
    absolute = name[:1] in ("", "/", "\\") or ":" in parts[0]
    if absolute or "\x00" in name or ".." in parts:
        raise _MalformedError(f"member name {brief(name)}: empty, absolute or escaping")
    return name


def _member_span(info: zipfile.ZipInfo, name: str) -> tuple[int, int]:
    """Where a member lies in the archive, at least: its local header and data."""
    raw = info.orig_filename  # decoded from UTF-8 when flagged, else cp437
    name_bytes = len(raw.encode("utf-8")) if info.flag_bits & 0x800 else len(raw)
    if info.header_offset < 0:
        raise _MalformedError(f"member {brief(name)} starts before the archive")
    end = info.header_offset + _ZIP_LOCAL_HEADER + name_bytes + info.compress_size
    return info.header_offset, end


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    """A member NumPy could have written: stored or deflated, unencrypted, sizes
    that agree."""
    if info.flag_bits & 0x1:
        raise _MalformedError(f"member {brief(name)} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _MalformedError(
            f"member {brief(name)} uses compression method {info.compress_type} "
            "(NumPy writes stored or deflated members)"
        )
    stored = info.compress_type == zipfile.ZIP_STORED
    if stored and info.file_size != info.compress_size:
        raise _MalformedError(f"stored member {brief(name)} has two sizes")
    if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
        raise _MalformedError(
            f"member {brief(name)} claims {info.file_size} bytes from {info.compress_size}"
        )


def _members(zf: zipfile.ZipFile, size: int) -> list[_Member]:
    """The archive's members (folders skipped), each checked, in zip order."""
    out: list[_Member] = []
    keys: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    for info in zf.infolist():
        name = _member_name(info)
        spans.append((*_member_span(info, name), name))
        if info.is_dir():
            continue
        _check_member(info, name)
        key = name.removesuffix(".npy")
        if key in keys:
            raise _MalformedError(f"two members have the key {brief(key)}")
        keys.add(key)
        out.append(_Member(name, key, info))
    at = 0
    for start, end, name in sorted(spans):
        if start < at:
            raise _MalformedError(f"member {brief(name)} overlaps the member before it")
        at = end
    directory = getattr(zf, "start_dir", size)
    if at > min(size, directory if isinstance(directory, int) else size):
        raise _MalformedError("a member runs past the end of the members")
    return out


@contextmanager
def _open_npz(path: str) -> Iterator[tuple[zipfile.ZipFile, list[_Member]]]:
    """The open archive and its checked members. Every zip or member problem is
    a CheckpointError `not a valid npz file: ...`; OSError when the file
    cannot be opened."""
    with open_regular(path) as f:
        try:
            zf = zipfile.ZipFile(f)
        except _ZIP_ERRORS as e:
            _npz_invalid(path, f"not a zip archive ({e})")
        with zf:
            try:
                members = _members(zf, file_size(f))
            except _MalformedError as e:
                _npz_invalid(path, str(e))
            yield zf, members


def _member_header(zf: zipfile.ZipFile, m: _Member, path: str) -> _Npy:
    """A member's .npy header, checked against the member's size."""
    try:
        with zf.open(m.info) as f:
            head = f.read(12)
            if len(head) >= 12 and head.startswith(_NPY_MAGIC) and head[6] != 1:
                (length,) = struct.unpack("<I", head[8:12])
                head += f.read(min(length, MAX_NPY_HEADER + 1))
            elif len(head) >= 10 and head.startswith(_NPY_MAGIC):
                (length,) = struct.unpack("<H", head[8:10])
                head += f.read(length)
        npy = _parse_npy(head, brief(m.key))
    except _ZIP_ERRORS as e:
        _npz_invalid(path, f"member {brief(m.name)}: {e}")
    except _MalformedError as e:
        _npz_invalid(path, str(e))
    itemsize = _itemsize(npy.descr)
    if itemsize is not None:
        count = element_count(npy.shape, m.info.file_size)
        nbytes = None if count is None else count * itemsize
        if nbytes != m.info.file_size - npy.offset:
            _npz_invalid(
                path,
                f"{brief(m.key)}: shape {list(npy.shape)} of {brief(npy.descr)} needs "
                f"{'more' if nbytes is None else nbytes} bytes, "
                f"the member holds {m.info.file_size - npy.offset}",
            )
    return npy


def read_npz(path: str) -> list[ArrayInfo]:
    """The arrays of a .npz file, in the zip's order, from their headers only.
    Raises CheckpointError for a file that is not a valid one, OSError when it
    cannot be opened."""
    out: list[ArrayInfo] = []
    with _open_npz(path) as (zf, members):
        for m in members:
            npy = _member_header(zf, m, path)
            out.append(ArrayInfo(m.key, npy.shape, npy.dtype))
    return out


# ------------------------------------------------------------ array data


def _npz_numpy_dtype(npy: _Npy, path: str, key: str) -> np.dtype[Any]:
    """The NumPy dtype of a member's data (its byte order kept); CheckpointError
    naming the dtype when specc does not read it (the file itself is valid)."""
    descr = npy.descr
    m = None if descr is None else _TYPESTR.fullmatch(descr)
    known = None if m is None else _NPY_DTYPES.get(m.group(2) + m.group(3))
    readable = m is not None and (m.group(2) in "SU" or known is not None)
    if descr is None or not readable or _itemsize(descr) in (None, 0):
        dtype = brief(npy.dtype)
        raise CheckpointError(path, f"{brief(key)}: dtype {dtype} is not supported")
    # bfloat16 (`V2`, as np.save writes an ml_dtypes array) is read as its bits
    return np.dtype("<u2" if known == "bfloat16" else descr)


def _read_member(zf: zipfile.ZipFile, m: _Member, npy: _Npy, path: str) -> Array:
    """A member's array, in native byte order: the data is read into an array
    of the size the member's (checked) header gives, then its CRC checked."""
    dtype = _npz_numpy_dtype(npy, path, m.key)
    a = np.empty(element_count(npy.shape, m.info.file_size) or 0, dtype)
    view = a.view(np.uint8).data
    try:
        with zf.open(m.info) as f:
            f.read(npy.offset)
            done = 0
            while done < len(view):
                chunk = f.read(min(len(view) - done, _READ_CHUNK))
                if not chunk:
                    _npz_invalid(path, f"member {brief(m.name)} ends inside its data")
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
            if f.read(1):
                _npz_invalid(path, f"member {brief(m.name)} has data after its array")
    except _ZIP_ERRORS as e:
        _npz_invalid(path, f"member {brief(m.name)}: {e}")
    # Fortran order: the data of the transposed shape, transposed back
    a = a.reshape(npy.shape[::-1]).T if npy.fortran else a.reshape(npy.shape)
    a = a.astype(dtype.newbyteorder("="), copy=False)
    return as_bfloat16(a) if npy.dtype == "bfloat16" else a


def read_npz_arrays(path: str, only: str | None = None) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a .npz file (only the one keyed `only`, when given), in
    native byte order. Every member's header is checked first."""
    with _open_npz(path) as (zf, members):
        headers = [(m, _member_header(zf, m, path)) for m in members]
        return {
            m.key: _read_member(zf, m, npy, path)
            for m, npy in headers
            if only is None or m.key == only
        }
