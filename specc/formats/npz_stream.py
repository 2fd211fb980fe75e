"""`.npz` files written a chunk at a time, and the comment that marks the
ones specc wrote.

NumPy's `write_array` needs the whole array; a variable larger than memory
streams instead: its `.npy` header is written from its shape and dtype
(NumPy's own header writer, so the bytes are `write_array`'s), then its data
chunk by chunk into the zip member (zip64, stored). The zip's comment,
`specc {"specc_sha256": ..., "specc_spec": ...}`, says which spec wrote it:
`specc init` overwrites only files that carry it (or `--force`).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Final

from specc.formats.bfloat16 import bfloat16_bits

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    from specc.formats.lazy import numpy as np

#: what the zip comment of an `.npz` specc wrote starts with
NPZ_COMMENT_PREFIX: Final = b"specc "


def npz_comment(metadata: Mapping[str, str]) -> bytes:
    """The zip comment naming the spec (at most 65,535 bytes, as zip allows)."""
    text = json.dumps(dict(metadata), sort_keys=True, ensure_ascii=True)
    return (NPZ_COMMENT_PREFIX + text.encode("ascii"))[:65535]


def npz_metadata(path: str) -> dict[str, str] | None:
    """The metadata of an `.npz` specc wrote (from its zip comment), or None
    for any other file. Raises OSError when it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as zf:
            comment = zf.comment
    except (zipfile.BadZipFile, EOFError):
        return None
    if not comment.startswith(NPZ_COMMENT_PREFIX):
        return None
    try:
        found = json.loads(comment[len(NPZ_COMMENT_PREFIX) :].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return found if isinstance(found, dict) else None


#: the `descr` NumPy gives an ml_dtypes.bfloat16 array; a plain 2-byte void
#: would be `|V2`
BFLOAT16_DESCR: Final = "<V2"


def _npy_header(f: IO[bytes], shape: tuple[int, ...], descr: str) -> None:
    """The `.npy` header `write_array` writes for an array of this shape and
    `descr` (format 1.0, or 2.0 when the header needs it)."""
    d = {
        "descr": descr,
        "fortran_order": False,
        "shape": shape,
    }
    try:
        np.lib.format.write_array_header_1_0(f, d)
    except ValueError:
        np.lib.format.write_array_header_2_0(f, d)


def _npz_stored(chunk: npt.NDArray[Any], dtype: str) -> npt.NDArray[Any]:
    """A chunk as it is stored: a bfloat16 one as 2-byte voids of its
    little-endian bits (as `np.savez` writes ml_dtypes' bfloat16), C-contiguous."""
    if dtype == "bfloat16":
        chunk = bfloat16_bits(chunk).astype("<u2", copy=False).view("V2")
    return np.ascontiguousarray(chunk)


def write_npz_streamed(
    f: IO[bytes],
    entries: Iterable[tuple[str, tuple[int, ...], str]],
    chunks: Callable[[str], Iterator[npt.NDArray[Any]]],
    comment: bytes = b"",
) -> None:
    """Write an uncompressed `.npz` of `entries` (name, shape, specc dtype
    name), each member's data from `chunks(name)`: flat arrays adding up to its
    size in C order, at least one (the first gives the stored dtype: a string
    variable's width is known once it is built), one in memory at a time. Each
    member's bytes are those `np.savez` writes for the whole array."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, shape, dtype in entries:
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                first = True
                for chunk in chunks(name):
                    data = _npz_stored(chunk, dtype)
                    if first:
                        descr = (
                            BFLOAT16_DESCR
                            if dtype == "bfloat16"
                            else data.dtype.str  # dtype_to_descr's answer for a plain dtype
                        )
                        _npy_header(member, shape, descr)
                        first = False
                    member.write(data.reshape(-1).view(np.uint8).data)
                if first:
                    raise ValueError(f"{name!r}: no values to write")
        zf.comment = comment
