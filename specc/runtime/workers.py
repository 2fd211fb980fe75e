"""The threads that fill a variable's blocks, and each thread's workspace."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from specc.runtime.prelude import BLOCK_SIZE, Array
from specc.runtime.streams import _TASK_BLOCKS, _stream_state


class _Workspace:
    """One thread's generators and scratch arrays (uint32 bits and float32
    values, a row per block of a task, and a flat bool mask), reused from task
    to task: the hot loops allocate nothing block-sized."""

    __slots__ = ("_bits", "_gens", "_mask", "_values")

    def __init__(self) -> None:
        self._gens: list[np.random.Generator] = []
        self._bits = np.empty((_TASK_BLOCKS, BLOCK_SIZE), np.uint32)
        self._values = np.empty((_TASK_BLOCKS, BLOCK_SIZE), np.float32)
        self._mask = np.empty(_TASK_BLOCKS * BLOCK_SIZE, np.bool_)

    def generators(
        self,
        seed: int,
        name_hash: bytes,
        first: int,
        count: int,
    ) -> list[np.random.Generator]:
        """The streams of blocks first .. first+count-1 (count <= _TASK_BLOCKS),
        on this workspace's reusable generators."""
        if not self._gens:
            new = np.random.Generator
            self._gens = [new(np.random.PCG64(0)) for _ in range(_TASK_BLOCKS)]
        for i in range(count):
            state = _stream_state(seed, name_hash, first + i)
            self._gens[i].bit_generator.state = state
        return self._gens[:count]

    def scratch(self, rows: int, width: int) -> tuple[Array, Array, Array]:
        """uint32 and float32 scratch of shape (rows, width) and a bool one of
        rows * width: views of the workspace when they fit in it, else new
        arrays."""
        if rows <= _TASK_BLOCKS and width <= BLOCK_SIZE:
            return (
                self._bits[:rows, :width],
                self._values[:rows, :width],
                self._mask[: rows * width],
            )
        return (
            np.empty((rows, width), np.uint32),
            np.empty((rows, width), np.float32),
            np.empty(rows * width, np.bool_),
        )


def _threads(threads: int | None) -> int:
    if threads is None:
        return os.cpu_count() or 1
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return threads


class _Workers(NamedTuple):
    """The threads that fill blocks for one call of the API: a pool (None for
    one thread), its size, and each thread's workspace."""

    pool: Executor | None
    threads: int
    local: threading.local

    def workspace(self) -> _Workspace:
        """The calling thread's workspace (made on its first task)."""
        ws: _Workspace | None = getattr(self.local, "ws", None)
        if ws is None:
            ws = _Workspace()
            self.local.ws = ws
        return ws

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _workers(threads: int | None) -> _Workers:
    n = _threads(threads)
    return _Workers(ThreadPoolExecutor(n) if n > 1 else None, n, threading.local())
