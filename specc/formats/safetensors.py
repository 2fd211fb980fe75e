"""`.safetensors` parameter files: an 8-byte little-endian header length, a JSON
header (`dtype`, `shape`, `data_offsets` per tensor, and `__metadata__`), then
the raw little-endian data. Written without the `safetensors` package and
readable by it; listing a file's tensors reads its header only, without NumPy.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Iterable, Mapping
from io import BufferedReader
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, Final, TypeGuard

from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.tables import _SAFETENSORS_DTYPES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    from specc.formats.lazy import numpy as np

#: headers larger than this are refused (real ones are a few megabytes at most,
#: for files of many tensors)
MAX_SAFETENSORS_HEADER: Final = 100 << 20

#: dtype name -> safetensors code
_SAFETENSORS_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {name: code for code, name in _SAFETENSORS_DTYPES.items()}
)


def _safetensors_header(f: IO[bytes], path: str) -> tuple[dict[str, Any], int]:
    """The parsed JSON header of an open file, and where its data starts."""
    head = f.read(8)
    if len(head) < 8:
        raise CheckpointError(path, "not a .safetensors file (too short)")
    (length,) = struct.unpack("<Q", head)
    size = os.fstat(f.fileno()).st_size
    if length > MAX_SAFETENSORS_HEADER or 8 + length > size:
        raise CheckpointError(path, f"not a .safetensors file (header length {length})")
    raw = f.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(path, f"malformed .safetensors header: {e}") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "malformed .safetensors header")
    return header, 8 + length


def _tensor(path: str, key: str, meta: object) -> tuple[ArrayInfo, str]:
    """A header entry as an ArrayInfo, and its safetensors dtype code."""
    if not isinstance(meta, dict):
        raise CheckpointError(path, f"{key}: malformed tensor entry")
    code, shape = meta.get("dtype"), meta.get("shape")
    if not isinstance(code, str) or not _is_shape(shape):
        raise CheckpointError(path, f"{key}: malformed dtype or shape")
    return ArrayInfo(key, tuple(shape), _SAFETENSORS_DTYPES.get(code, code)), code


def _is_shape(shape: object) -> TypeGuard[list[int]]:
    """A list of non-negative ints (JSON's `true` is no dimension)."""
    return isinstance(shape, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    )


def read_safetensors(path: str) -> list[ArrayInfo]:
    """The tensors of a .safetensors file, in header order (`__metadata__`
    skipped), from the header only. Raises CheckpointError for a malformed
    file, OSError when it cannot be opened."""
    with open(path, "rb") as f:
        header, _ = _safetensors_header(f, path)
    tensors = [(key, meta) for key, meta in header.items() if key != "__metadata__"]
    return [_tensor(path, key, meta)[0] for key, meta in tensors]


def _read_tensor(
    f: BufferedReader, path: str, key: str, meta: Mapping[str, Any], start: int
) -> npt.NDArray[Any]:
    info, code = _tensor(path, key, meta)
    try:
        dtype = np.dtype(info.dtype).newbyteorder("<")
    except TypeError:
        raise CheckpointError(path, f"{key}: NumPy cannot hold dtype {code}") from None
    a = np.empty(info.shape, dtype=dtype)
    offsets = meta.get("data_offsets")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) for o in offsets)
        or offsets[1] - offsets[0] != a.nbytes
    ):
        msg = "data_offsets do not fit its shape and dtype"
        raise CheckpointError(path, f"{key}: {msg}")
    f.seek(start + offsets[0])
    if f.readinto(a.reshape(-1).view(np.uint8).data) != a.nbytes:
        raise CheckpointError(path, f"{key}: truncated data")
    return a.astype(dtype.newbyteorder("="), copy=False)


def read_safetensors_arrays(
    path: str,
    only: str | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """The tensors of a .safetensors file (only the one keyed `only`, when given),
    in native byte order."""
    out: dict[str, npt.NDArray[Any]] = {}
    with open(path, "rb") as f:
        header, start = _safetensors_header(f, path)
        for key, meta in header.items():
            if key != "__metadata__" and (only is None or key == only):
                out[key] = _read_tensor(f, path, key, meta, start)
    return out


def safetensors_header(
    entries: Iterable[tuple[str, tuple[int, ...], np.dtype[Any]]],
    metadata: Mapping[str, str],
) -> bytes:
    """The length and JSON header of a file of these tensors, packed in order
    (padded with spaces to 8 bytes, as the format recommends)."""
    header: dict[str, Any] = {"__metadata__": dict(metadata)}
    offset = 0
    for name, shape, dtype in entries:
        if dtype.name not in _SAFETENSORS_CODES:
            raise ValueError(f"{name!r}: dtype {dtype} cannot be stored in safetensors")
        nbytes = math.prod(shape) * dtype.itemsize
        header[name] = {
            "dtype": _SAFETENSORS_CODES[dtype.name],
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def write_safetensors(
    f: IO[bytes],
    entries: Iterable[tuple[str, tuple[int, ...], np.dtype[Any]]],
    arrays: Iterable[tuple[str, npt.NDArray[Any]]],
    metadata: Mapping[str, str],
) -> None:
    """Write the header of `entries`, then the arrays' data one at a time (the
    arrays must match the entries, in order)."""
    f.write(safetensors_header(entries, metadata))
    for _, a in arrays:
        f.write(_little(a).reshape(-1).view(np.uint8).data)


def _little(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`a`, C-contiguous and little-endian (copied only when it is not)."""
    if not a.flags.c_contiguous:
        a = a.copy(order="C")
    return a.astype(a.dtype.newbyteorder("<"), copy=False)
