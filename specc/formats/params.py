"""Parameter files by suffix: `.npz` or `.safetensors`, or a TF checkpoint by its
prefix (`model.ckpt`); listed from their headers, read, found in, and (npz and
safetensors) written atomically."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from specc.formats.arrays import ArrayInfo, CheckpointError, file_format
from specc.formats.atomic import atomic_output
from specc.formats.npz import read_npz, read_npz_arrays
from specc.formats.npz_stream import npz_comment, write_npz_streamed
from specc.formats.safetensors import (
    read_safetensors,
    read_safetensors_arrays,
    write_safetensors,
)
from specc.formats.sharded import (
    is_sharded_folder,
    read_sharded,
    read_sharded_arrays,
    sharded_index_path,
)
from specc.formats.tf_checkpoint import (
    read_tf_checkpoint,
    read_tf_checkpoint_arrays,
    tf_checkpoint_prefix,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def params_format(path: str) -> str | None:
    """`npz` or `safetensors` by the file's suffix, `tf` for a TF checkpoint
    (its prefix, as TF names it, or one of its files), `sharded` for a folder
    of safetensors shards or its index, else None."""
    fmt = file_format(path)
    if fmt is None and (sharded_index_path(path) or is_sharded_folder(path)):
        return "sharded"
    if fmt is None and tf_checkpoint_prefix(path) is not None:
        return "tf"
    return fmt


def _known_format(path: str) -> str:
    fmt = params_format(path)
    if fmt is None:
        msg = (
            "expected a .npz or .safetensors file, a folder of safetensors shards"
            " or a TF checkpoint (model.ckpt)"
        )
        raise CheckpointError(path, msg)
    return fmt


def read_arrays(path: str) -> list[ArrayInfo]:
    """The arrays of a .npz or .safetensors file, from its headers only. Raises
    CheckpointError for an unknown suffix or a malformed file, OSError when it
    cannot be opened."""
    fmt = _known_format(path)
    if fmt == "tf":
        return read_tf_checkpoint(path)
    if fmt == "sharded":
        return read_sharded(path)
    if fmt == "npz":
        return read_npz(path)
    return read_safetensors(path)


def read_params(path: str, only: str | None = None) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a .npz or .safetensors file, by key (only the one keyed
    `only`, when given)."""
    fmt = _known_format(path)
    if fmt == "tf":
        return read_tf_checkpoint_arrays(path, only)
    if fmt == "sharded":
        return read_sharded_arrays(path, only)
    if fmt == "npz":
        return read_npz_arrays(path, only)
    return read_safetensors_arrays(path, only)


def find_array(path: str, key: str) -> ArrayInfo:
    """The header of array `key` of a parameter file. Every reason the file
    cannot supply it (missing, a folder, unreadable, another format, malformed,
    no such key) is a CheckpointError that says which."""
    # a TF checkpoint's prefix names no file: its reader says what is missing
    fmt = params_format(path)
    if fmt != "tf" and not os.path.exists(path):
        raise CheckpointError(path, "no such file")
    if fmt not in ("tf", "sharded") and os.path.isdir(path):
        raise CheckpointError(path, "a folder, not a file")
    try:
        arrays = read_arrays(path)
    except OSError as e:
        raise CheckpointError(path, f"cannot be read ({e.strerror or e})") from None
    for a in arrays:
        if a.name == key:
            return a
    keys = [a.name for a in arrays]
    close = difflib.get_close_matches(key, keys, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise CheckpointError(path, f"no array {key!r} among its {len(keys)}{hint}")


def write_params(
    path: str | os.PathLike[str],
    entries: Iterable[tuple[str, tuple[int, ...], str | np.dtype[Any]]],
    arrays: Iterable[tuple[str, npt.NDArray[Any]]],
    metadata: Mapping[str, str],
) -> None:
    """Write arrays, one at a time, to a .npz or .safetensors file, atomically:
    a failure or an interrupt leaves no partial file. `entries` (name, shape,
    dtype) describe the arrays, in order, up front (safetensors' header needs
    them); a dtype is specc's name, or a NumPy dtype (named as NumPy names it:
    `bfloat16` says that a uint16 array holds bfloat16 bits). Only safetensors
    keeps `metadata`."""
    fmt = _known_format(os.fspath(path))
    if fmt in ("tf", "sharded"):
        # the writer is specc's (`specc init`), not a module's
        msg = "TF checkpoints and sharded folders are written by `specc init`"
        raise CheckpointError(os.fspath(path), msg)
    named = [(n, shape, d if isinstance(d, str) else d.name) for n, shape, d in entries]
    with atomic_output(path) as f:
        if fmt == "npz":
            pairs = iter(arrays)

            def chunks(name: str) -> Iterator[npt.NDArray[Any]]:
                key, a = next(pairs)
                if key != name:
                    raise ValueError(f"array {key!r} where {name!r} was listed")
                yield a.reshape(-1)

            write_npz_streamed(f, named, chunks, npz_comment(metadata))
        else:
            write_safetensors(f, named, arrays, metadata)
