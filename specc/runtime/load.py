"""Reading parameter files (.npz and .safetensors)."""

from __future__ import annotations

import json
import os
import struct
from typing import Final

import numpy as np

from specc.runtime.files import _ST_NAMES, _format
from specc.runtime.prelude import Array


def _read_safetensors(path: str, only: str | None = None) -> dict[str, Array]:
    out: dict[str, Array] = {}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        start = 8 + length
        for name, meta in header.items():
            if name == "__metadata__" or (only is not None and name != only):
                continue
            dtype = np.dtype(_ST_NAMES[meta["dtype"]]).newbyteorder("<")
            lo, hi = meta["data_offsets"]
            f.seek(start + lo)
            a = np.empty(tuple(meta["shape"]), dtype=dtype)
            if f.readinto(a.reshape(-1).view(np.uint8).data) != hi - lo:
                raise ValueError(f"{path!r}: truncated data for {name!r}")
            out[name] = a.astype(dtype.newbyteorder("="), copy=False)
    return out


def load(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read parameters written by `save` (or any .npz / .safetensors file)."""
    if _format(path) == "safetensors":
        return _read_safetensors(os.fspath(path))
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


_MODULE_DIR: Final = os.path.dirname(os.path.abspath(__file__))
