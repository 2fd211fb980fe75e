"""What the file formats describe: a stored array's name, shape and dtype, the
error a file that cannot be used raises, the format a path names, and the
checks every reader shares (only regular files are opened; sizes are computed
without ever trusting a header's arithmetic)."""

from __future__ import annotations

import os
import stat
from io import BufferedReader
from typing import IO, NamedTuple

from specc.formats.atomic import _describe_kind


class CheckpointError(ValueError):
    """A parameter file that cannot be used: not a .npz or .safetensors file,
    malformed, or without the array asked for. Its text names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def not_valid(path: str, fmt: str, reason: str) -> CheckpointError:
    """The error of a corrupt file: `not a valid <fmt> file: <reason>`, one line
    (a reason quotes names with `brief`) of at most 300 characters."""
    reason = " ".join(reason.split())
    if len(reason) > 300:
        reason = reason[:297] + "..."
    return CheckpointError(path, f"not a valid {fmt} file: {reason}")


def brief(value: object, width: int = 60) -> str:
    """`repr(value)`, cut to about `width` characters: a reason quotes names and
    values from the file, which may be megabytes long (repr also escapes
    newlines, so the reason stays one line)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


class ArrayInfo(NamedTuple):
    """One array of a parameter file. `dtype` is specc's name (`float32`) when the
    file's type has one, else the file's own spelling (`<V4`, `F8_E4M3`).
    (A NamedTuple, as the runtime's records: generated modules may be exec'd
    without an entry in `sys.modules`, which dataclasses need.)"""

    name: str
    shape: tuple[int, ...]
    dtype: str


def file_format(path: str) -> str | None:
    """`npz` or `safetensors` by the file's suffix, else None. (A third format
    is one more suffix here and one more branch in `specc.formats.params`.)"""
    lower = path.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".safetensors"):
        return "safetensors"
    return None


def open_regular(path: str) -> BufferedReader:
    """`path` opened for reading, when it is a regular file (after symlinks).

    A FIFO, a device (a symlink to /dev/zero), a socket or a folder is a
    CheckpointError before anything is opened: reading one could block forever
    or never end. The file is opened non-blocking (so a FIFO swapped in after
    the check still cannot block the open) and checked again through its
    descriptor. A missing file is FileNotFoundError, as `open` raises it."""
    kind = _describe_kind(os.stat(path).st_mode)
    if kind is not None:
        raise CheckpointError(path, f"not a regular file: it is {kind}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _describe_kind(mode) or "not a regular file"
            raise CheckpointError(path, f"not a regular file: it is {kind}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_size(f: IO[bytes]) -> int:
    """The size of an open regular file."""
    return os.fstat(f.fileno()).st_size


def element_count(shape: tuple[int, ...], limit: int) -> int | None:
    """The number of elements of `shape`, or None when it exceeds `limit`: a
    header may claim dimensions whose product is astronomically large, and the
    product is never needed beyond what the file could hold."""
    if 0 in shape:
        return 0
    count = 1
    for d in shape:
        count *= d
        if count > limit:
            return None
    return count
