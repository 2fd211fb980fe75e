"""The module's public initialization API: `init`, `iter_init`,
`init_variable` and `init_partition`."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from specc.runtime.generated import SPEC_NAME
from specc.runtime.prelude import Array
from specc.runtime.samplers import _sample_range, _sampler
from specc.runtime.streams import _check_seed
from specc.runtime.table import VariableInfo, _by_name, _variables
from specc.runtime.values import _whole


def _info(name: str) -> VariableInfo:
    try:
        return _by_name()[name]
    except KeyError:
        raise KeyError(f"no variable {name!r} in spec {SPEC_NAME!r}") from None


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


def init_variable(
    name: str,
    seed: int | None = None,
    *,
    threads: int | None = None,
) -> Array:
    """The initial value of one variable (a partitioned variable as a whole)."""
    v = _info(name)
    s = _check_seed(seed)
    workers = _workers(threads)
    try:
        return _whole(v, s, workers)
    finally:
        workers.close()


def init_partition(
    name: str, part: int, seed: int | None = None, *, threads: int | None = None
) -> Array:
    """Part `part` of a partitioned variable: exactly that slice of the whole.
    Element-wise initializers compute only the rows the part spans."""
    v = _info(name)
    if v.partitions is None:
        raise ValueError(f"variable {name!r} is not partitioned")
    if not 0 <= part < len(v.partitions):
        msg = f"{name!r} has {len(v.partitions)} parts, not part {part}"
        raise IndexError(msg)
    p = v.partitions[part]
    s = _check_seed(seed)
    index = tuple(slice(o, o + n) for o, n in zip(p.offset, p.shape, strict=True))
    sampler = _sampler(v)
    workers = _workers(threads)
    try:
        if sampler is None:
            return np.ascontiguousarray(_whole(v, s, workers)[index])
        row = math.prod(v.shape[1:])
        rows = _sample_range(
            v,
            sampler,
            s,
            p.offset[0] * row,
            (p.offset[0] + p.shape[0]) * row,
            workers=workers,
        ).reshape((p.shape[0], *v.shape[1:]))
        return np.ascontiguousarray(rows[(slice(None), *index[1:])])
    finally:
        workers.close()


def iter_init(
    seed: int | None = None, *, threads: int | None = None
) -> Iterator[tuple[str, Array]]:
    """(name, value) for every variable in table order, one at a time, so a
    caller can stream them to a file without holding them all."""
    s = _check_seed(seed)
    workers = _workers(threads)
    try:
        for v in _variables():
            yield v.name, _whole(v, s, workers)
    finally:
        workers.close()


def init(seed: int | None = None, *, threads: int | None = None) -> dict[str, Array]:
    """Every variable's initial value, keyed by full name (no `:0`).

    The values do not depend on `threads` (default: the CPU count)."""
    return dict(iter_init(seed, threads=threads))
