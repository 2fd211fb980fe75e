"""The threads that fill a variable's blocks."""

from __future__ import annotations

import os
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import NamedTuple


def _threads(threads: int | None) -> int:
    if threads is None:
        return os.cpu_count() or 1
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return threads


class _Workers(NamedTuple):
    """The threads that fill blocks: a pool (None for one thread) and its size."""

    pool: Executor | None
    threads: int

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _workers(threads: int | None) -> _Workers:
    n = _threads(threads)
    return _Workers(ThreadPoolExecutor(n) if n > 1 else None, n)
