"""`.safetensors` parameter files: an 8-byte little-endian header length, a JSON
header (`dtype`, `shape`, `data_offsets` per tensor, and `__metadata__`), then
the raw little-endian data. Written without the `safetensors` package and
readable by it; listing a file's tensors reads its header only, without NumPy.

Reading validates a file as the format's reference implementation does
(huggingface/safetensors, `Metadata::validate` and `read_metadata` in
`safetensors/src/tensor.rs`), before any array is allocated: the header length
at most 100,000,000 bytes and within the file; UTF-8 JSON nested at most 128
deep (serde_json's limit; checked before parsing, so no input recurses), an
object without duplicate keys; `__metadata__` absent, null or strings to
strings; every tensor a known dtype code, a shape of non-negative integers and
two `data_offsets` that, sorted, tile the data region exactly (no gap, no
overlap, each span shape x dtype size, the last ending at the end of the
file). So no array is ever larger than the file. Like the reference, a tensor
entry's unknown keys are ignored.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Iterable, Mapping
from io import BufferedReader
from itertools import accumulate
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, Final, NamedTuple, NoReturn

from specc.formats.arrays import (
    ArrayInfo,
    CheckpointError,
    brief,
    element_count,
    file_size,
    not_valid,
    open_regular,
)
from specc.formats.bfloat16 import as_bfloat16, bfloat16_bits
from specc.formats.tables import _SAFETENSORS_BITS, _SAFETENSORS_DTYPES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from specc.runtime.prelude import Array
else:
    from specc.formats.lazy import numpy as np

#: The reference's MAX_HEADER_SIZE: longer headers are refused.
MAX_SAFETENSORS_HEADER: Final = 100_000_000
#: serde_json's default recursion limit, under which the reference parses.
MAX_SAFETENSORS_DEPTH: Final = 128
#: The most dimensions NumPy allows; a longer shape is valid but not readable.
_NUMPY_MAX_RANK: Final = 64

#: dtype name -> safetensors code
_SAFETENSORS_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {name: code for code, name in _SAFETENSORS_DTYPES.items()}
)

# A JSON string, or an unterminated one up to the end: every match succeeds
# (DOTALL), so removing strings is linear whatever the bytes.
_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET: Final = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP: Final = tuple(
    1 if b in b"[{" else -1 if b in b"]}" else 0  # the nesting a byte opens or closes
    for b in range(256)
)
# No number in a valid header has more digits than 2**64 - 1 (20); refusing
# longer ones keeps int() conversion cheap whatever the interpreter's limit.
_LONG_NUMBER: Final = re.compile(rb"[0-9]{21}")


class _HeaderError(Exception):
    """A header that is not what the format allows (the reason)."""


class _Tensor(NamedTuple):
    """One tensor entry of a validated header."""

    name: str
    code: str
    shape: tuple[int, ...]
    begin: int
    end: int


def _safetensors_invalid(path: str, reason: str) -> NoReturn:
    raise not_valid(path, "safetensors", reason)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key repeats (the last would win silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _HeaderError(f"key {brief(key)} appears twice")
            seen.add(key)
    return out


def _json_constant(name: str) -> NoReturn:
    raise _HeaderError(f"{name} is not JSON")


def _parse_header(raw: bytes) -> dict[str, Any]:
    """The header's JSON object; _HeaderError with the reason otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        msg = f"header is not UTF-8 ({e.reason} at byte {e.start})"
        raise _HeaderError(msg) from None
    bare = _JSON_STRING.sub(b"", raw)
    steps = map(_BRACKET_STEP.__getitem__, bare.translate(None, _NOT_BRACKET))
    # the first depth past the limit, found at C speed, stopping there
    if next(filter(MAX_SAFETENSORS_DEPTH.__lt__, accumulate(steps)), None) is not None:
        raise _HeaderError(f"header nests deeper than {MAX_SAFETENSORS_DEPTH} levels")
    if _LONG_NUMBER.search(bare):
        raise _HeaderError("header has a number of more than 20 digits")
    try:
        hooks: dict[str, Any] = {"parse_constant": _json_constant}
        header = json.loads(text, object_pairs_hook=_json_object, **hooks)
    except ValueError as e:
        raise _HeaderError(f"header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise _HeaderError("header is not a JSON object")
    return header


def _text(value: str, what: str) -> str:
    """`value`, refused when JSON escapes made it a lone surrogate (no UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _HeaderError(f"{what} {brief(value)} is not valid Unicode") from None
    return value


def _is_index(value: object) -> bool:
    """A JSON integer in [0, 2**64) (`true` is no integer)."""
    return type(value) is int and 0 <= value < 1 << 64


def _check_metadata(meta: object) -> None:
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise _HeaderError("__metadata__ is not a JSON object")
    for key, value in meta.items():
        _text(key, "__metadata__ key")
        if not isinstance(value, str):
            raise _HeaderError(f"__metadata__ {brief(key)} is not a string")
        _text(value, f"__metadata__ {brief(key)} value")


def _entry(name: str, meta: object) -> _Tensor:
    """A tensor entry: a known dtype code, a shape, two data offsets."""
    _text(name, "tensor name")
    if not isinstance(meta, dict):
        raise _HeaderError(f"tensor {brief(name)} is not a JSON object")
    code, shape = meta.get("dtype"), meta.get("shape")
    offsets = meta.get("data_offsets")
    if not isinstance(code, str) or code not in _SAFETENSORS_BITS:
        raise _HeaderError(f"tensor {brief(name)} has unknown dtype {brief(code)}")
    if not isinstance(shape, list) or not all(_is_index(d) for d in shape):
        raise _HeaderError(f"tensor {brief(name)}: bad shape {brief(shape)}")
    pair: list[Any] = offsets if isinstance(offsets, list) and len(offsets) == 2 else []
    if not pair or not all(map(_is_index, pair)):
        raise _HeaderError(f"tensor {brief(name)}: bad data_offsets {brief(offsets)}")
    return _Tensor(name, code, tuple(shape), pair[0], pair[1])


def _check_layout(tensors: list[_Tensor], data_size: int) -> None:
    """The reference's `validate`: sorted by offsets, the tensors' spans tile
    the data region exactly, each as long as its shape and dtype say."""
    at = 0
    for t in sorted(tensors, key=lambda t: (t.begin, t.end)):
        tensor, span = f"tensor {brief(t.name)}", f"data_offsets {[t.begin, t.end]}"
        if t.end < t.begin:
            raise _HeaderError(f"{tensor}: {span} end before they begin")
        if t.begin != at:
            gap = "leave a gap after" if t.begin > at else "overlap"
            raise _HeaderError(f"{tensor}: {span} {gap} the data before (to {at})")
        if t.end > data_size:
            raise _HeaderError(f"{tensor}: {span} pass the {data_size} data bytes")
        count = element_count(t.shape, 8 * data_size)
        bits = None if count is None else count * _SAFETENSORS_BITS[t.code]
        if bits is None:
            shape = brief(list(t.shape))
            raise _HeaderError(f"{tensor}: shape {shape} is larger than the file")
        if bits % 8:
            raise _HeaderError(f"{tensor}: {bits} bits of {t.code} are not whole bytes")
        if t.end - t.begin != bits // 8:
            size = f"shape {brief(list(t.shape))} of {t.code} is {bits // 8} bytes"
            raise _HeaderError(f"{tensor}: {span} hold {t.end - t.begin}, but {size}")
        at = t.end
    if at != data_size:
        raise _HeaderError(f"the tensors cover {at} of the {data_size} data bytes")


def _read_header(f: IO[bytes], path: str) -> tuple[list[_Tensor], int]:
    """The tensors of an open file's header, validated, in header order, and
    where the data region starts."""
    size = file_size(f)
    head = f.read(8)
    if len(head) < 8:
        _safetensors_invalid(path, f"{size} bytes, too few for a header length")
    (length,) = struct.unpack("<Q", head)
    if length > MAX_SAFETENSORS_HEADER:
        _safetensors_invalid(path, f"header length {length} is over 100000000 bytes")
    if 8 + length > size:
        _safetensors_invalid(
            path, f"header length {length} is past the end of the {size}-byte file"
        )
    raw = f.read(length)
    if len(raw) != length:
        _safetensors_invalid(path, "the file ends inside the header")
    try:
        header = _parse_header(raw)
        tensors = []
        for key, meta in header.items():
            if key == "__metadata__":
                _check_metadata(meta)
            else:
                tensors.append(_entry(key, meta))
        _check_layout(tensors, size - 8 - length)
    except _HeaderError as e:
        _safetensors_invalid(path, str(e))
    return tensors, 8 + length


def _tensor_info(t: _Tensor) -> ArrayInfo:
    return ArrayInfo(t.name, t.shape, _SAFETENSORS_DTYPES.get(t.code, t.code))


def read_safetensors(path: str) -> list[ArrayInfo]:
    """The tensors of a .safetensors file, in header order (`__metadata__`
    skipped), from the header only. Raises CheckpointError for a file that is
    not a valid one, OSError when it cannot be opened."""
    with open_regular(path) as f:
        tensors, _ = _read_header(f, path)
    return [_tensor_info(t) for t in tensors]


def _safetensors_numpy_dtype(path: str, t: _Tensor) -> np.dtype[Any]:
    """The little-endian NumPy dtype of a tensor's data; CheckpointError naming
    the dtype when NumPy cannot hold it (the file itself is valid)."""
    name = _SAFETENSORS_DTYPES.get(t.code)
    if name is None:
        raise CheckpointError(path, f"{brief(t.name)}: NumPy has no dtype {t.code}")
    if len(t.shape) > _NUMPY_MAX_RANK:
        raise CheckpointError(
            path,
            f"{brief(t.name)}: {len(t.shape)} dimensions, more than NumPy's {_NUMPY_MAX_RANK}",
        )
    # bfloat16 is read as its bit patterns (formats/bfloat16.py)
    return np.dtype("uint16" if name == "bfloat16" else name).newbyteorder("<")


def _read_tensor(f: BufferedReader, path: str, t: _Tensor, start: int) -> Array:
    """A tensor's array, in native byte order. Its size was checked against the
    file's, so allocating it is safe."""
    dtype = _safetensors_numpy_dtype(path, t)
    a = np.empty(math.prod(t.shape), dtype=dtype)
    view = a.view(np.uint8).data
    f.seek(start + t.begin)
    done = 0
    while done < len(view):
        got = f.readinto(view[done:])
        if not got:
            raise CheckpointError(path, f"{brief(t.name)}: the file ends early")
        done += got
    a = a.reshape(t.shape).astype(dtype.newbyteorder("="), copy=False)
    return as_bfloat16(a) if t.code == "BF16" else a


def read_safetensors_arrays(
    path: str,
    only: str | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """The tensors of a .safetensors file (only the one keyed `only`, when given),
    in native byte order. The whole header is validated first."""
    with open_regular(path) as f:
        tensors, start = _read_header(f, path)
        return {
            t.name: _read_tensor(f, path, t, start)
            for t in tensors
            if only is None or t.name == only
        }


def safetensors_header(
    entries: Iterable[tuple[str, tuple[int, ...], str]],
    metadata: Mapping[str, str],
) -> bytes:
    """The length and JSON header of a file of these tensors (name, shape, specc
    dtype name), packed in order (padded with spaces to 8 bytes, as the format
    recommends)."""
    header: dict[str, Any] = {"__metadata__": dict(metadata)}
    offset = 0
    for name, shape, dtype in entries:
        code = _SAFETENSORS_CODES.get(dtype)
        if code is None:
            raise ValueError(f"{name!r}: dtype {dtype} cannot be stored in safetensors")
        nbytes = math.prod(shape) * _SAFETENSORS_BITS[code] // 8
        header[name] = {
            "dtype": code,
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def write_safetensors(
    f: IO[bytes],
    entries: Iterable[tuple[str, tuple[int, ...], str]],
    arrays: Iterable[tuple[str, npt.NDArray[Any]]],
    metadata: Mapping[str, str],
) -> None:
    """Write the header of `entries`, then the arrays' data one at a time (the
    arrays must match the entries, in order; a bfloat16 entry's array is
    ml_dtypes' bfloat16 or uint16 bit patterns)."""
    entries = list(entries)
    f.write(safetensors_header(entries, metadata))
    for (_, _, dtype), (_, a) in zip(entries, arrays, strict=True):
        data = bfloat16_bits(a) if dtype == "bfloat16" else a
        f.write(_little(data).reshape(-1).view(np.uint8).data)


def _little(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`a`, C-contiguous and little-endian (copied only when it is not)."""
    if not a.flags.c_contiguous:
        a = a.copy(order="C")
    return a.astype(a.dtype.newbyteorder("<"), copy=False)
