"""`init_file`: every variable's initial value straight to a file."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from specc.runtime.api import iter_init
from specc.runtime.files import _save_stream
from specc.runtime.table import _variables


def init_file(
    path: str | os.PathLike[str],
    seed: int | None = None,
    *,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Materialize every variable straight to a .npz or .safetensors file, one
    variable in memory at a time; `progress(bytes_written)` after each."""
    entries = [(v.name, v.shape, np.dtype(v.dtype)) for v in _variables()]
    _save_stream(path, entries, iter_init(seed, threads=threads), progress)
