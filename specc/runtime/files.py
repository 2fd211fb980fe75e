"""Writing parameter files: .npz and .safetensors, atomically."""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, Final

import numpy as np

from specc.runtime.generated import SPEC_NAME, SPEC_SHA256
from specc.runtime.prelude import Array
from specc.runtime.table import ParamsError

# --------------------------------------------------------------------- files

_ST_DTYPES: Final = {
    "float64": "F64",
    "float32": "F32",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint64": "U64",
    "uint32": "U32",
    "uint16": "U16",
    "uint8": "U8",
    "bool": "BOOL",
    "complex64": "C64",
}
_ST_NAMES: Final = {code: name for name, code in _ST_DTYPES.items()}


def _st_header(entries: Iterable[tuple[str, tuple[int, ...], np.dtype[Any]]]) -> bytes:
    header: dict[str, Any] = {
        "__metadata__": {"specc_spec": SPEC_NAME, "specc_sha256": SPEC_SHA256}
    }
    offset = 0
    for name, shape, dtype in entries:
        if dtype.name not in _ST_DTYPES:
            raise ValueError(f"{name!r}: dtype {dtype} cannot be stored in safetensors")
        nbytes = math.prod(shape) * dtype.itemsize
        header[name] = {
            "dtype": _ST_DTYPES[dtype.name],
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def _contiguous(a: Array) -> Array:
    return a if a.flags.c_contiguous else a.copy(order="C")


def _little(a: Array) -> Array:
    a = _contiguous(a)
    return a.astype(a.dtype.newbyteorder("<"), copy=False)


def _write_params(
    f: IO[bytes],
    fmt: str,
    entries: list[tuple[str, tuple[int, ...], np.dtype[Any]]],
    arrays: Iterable[tuple[str, Array]],
    progress: Callable[[int], None] | None,
) -> None:
    done = 0
    expected = iter(entries)
    if fmt == "safetensors":
        f.write(_st_header(entries))
        zf = None
    else:
        zf = zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True)
    try:
        for name, a in arrays:
            want = next(expected)
            if (name, tuple(a.shape), a.dtype) != want:
                raise ParamsError(f"{name!r}: array does not match {want}")
            if zf is None:
                f.write(_little(a).reshape(-1).view(np.uint8).data)
            else:
                with zf.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, _contiguous(a))
            done += a.nbytes
            if progress is not None:
                progress(done)
    finally:
        if zf is not None:
            zf.close()


def _format(path: str | os.PathLike[str]) -> str:
    p = os.fspath(path)
    if p.endswith(".npz"):
        return "npz"
    if p.endswith(".safetensors"):
        return "safetensors"
    raise ValueError(f"{p!r}: expected a .npz or .safetensors file")


def _save_stream(
    path: str | os.PathLike[str],
    entries: list[tuple[str, tuple[int, ...], np.dtype[Any]]],
    arrays: Iterable[tuple[str, Array]],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write arrays one at a time to a temporary file beside `path`, then rename:
    a failure or interrupt leaves no partial file."""
    fmt = _format(path)
    target = os.fspath(path)
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(target) + ".",
        suffix=".tmp",
        dir=os.path.dirname(target) or ".",
    )
    try:
        with os.fdopen(fd, "wb") as f:
            _write_params(f, fmt, entries, arrays, progress)
        umask = os.umask(0)  # mkstemp's file is private: give it open()'s mode
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def save(params: Mapping[str, Array], path: str | os.PathLike[str]) -> None:
    """Write parameters to a .npz or .safetensors file (atomically)."""
    arrays = [(k, np.asarray(a)) for k, a in params.items()]
    _save_stream(path, [(k, tuple(a.shape), a.dtype) for k, a in arrays], arrays)
