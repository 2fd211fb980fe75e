"""What the file formats describe: a stored array's name, shape and dtype, the
error a file that cannot be used raises, and the format a path names."""

from __future__ import annotations

from typing import NamedTuple


class CheckpointError(ValueError):
    """A parameter file that cannot be used: not a .npz or .safetensors file,
    malformed, or without the array asked for. Its text names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ArrayInfo(NamedTuple):
    """One array of a parameter file. `dtype` is specc's name (`float32`) when the
    file's type has one, else the file's own spelling (`<V2`, `F8_E4M3`).
    (A NamedTuple, as the runtime's records: generated modules may be exec'd
    without an entry in `sys.modules`, which dataclasses need.)"""

    name: str
    shape: tuple[int, ...]
    dtype: str


def file_format(path: str) -> str | None:
    """`npz` or `safetensors` by the file's suffix, else None."""
    lower = path.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".safetensors"):
        return "safetensors"
    return None
