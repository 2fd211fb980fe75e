"""The block samplers: uniform, normal and truncated normal values computed
from raw draws in bulk, bit for bit docs/rng.md's algorithms, and the
filling of a range of blocks by the worker threads."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np

from specc.runtime.prelude import BLOCK_SIZE, Array
from specc.runtime.streams import _TASK_BLOCKS, _name_hash
from specc.runtime.table import VariableInfo
from specc.runtime.workers import _Workers, _Workspace

# --------------------------------------------------------------------- samplers


_SCALE_24: Final = np.float32(2.0**-24)
# 2*pi (rounded to float32) times 2**-24, exact: k * _TWO_PI_24 equals
# (k * 2**-24) * float32(2*pi) bit for bit.
_TWO_PI_24: Final = np.float32(np.float32(2 * math.pi) * _SCALE_24)
_FLOAT32: Final = np.dtype(np.float32)
_LITTLE_ENDIAN: Final = sys.byteorder == "little"

# A sampler fills out[i] (one row per block, rows of equal length) from gens[i],
# with scratch from the thread's workspace.
_Sampler = Callable[[_Workspace, Sequence[np.random.Generator], Array], None]


def _raw_halves(gen: np.random.Generator, pairs: int, into: Array) -> None:
    """2 * pairs 32-bit draws of NumPy's next_uint32 into `into`: the low, then
    the high half of each 64-bit output."""
    raw = gen.bit_generator.random_raw(pairs)
    if _LITTLE_ENDIAN:
        into[: 2 * pairs] = raw.view(np.uint32)
    else:
        into[0 : 2 * pairs : 2] = raw & 0xFFFFFFFF
        into[1 : 2 * pairs : 2] = raw >> 32


def _bits24(gens: Sequence[np.random.Generator], n: int, bits: Array) -> Array:
    """Row i: the 24-bit integers k behind the next `n` values of
    `gens[i].random(n, dtype=float32)`, which are exactly k * 2**-24 (NumPy's
    recipe is next_uint32 >> 8). Written to bits[i, :n]; bits has an even
    number of columns >= n. (Valid for a fresh stream and an even `n`, or as
    the stream's last draw: an odd draw leaves a half unused.)"""
    pairs = (n + 1) // 2
    for gen, row in zip(gens, bits, strict=False):
        _raw_halves(gen, pairs, row)
    k = bits[: len(gens), :n]
    np.right_shift(k, 8, out=k)
    return k


def _uniform_rows(
    ws: _Workspace,
    gens: Sequence[np.random.Generator],
    out: Array,
    scale: Any,
    offset: Any,
) -> None:
    """out[i] = gens[i].random(dtype=out.dtype) * scale + offset, rounded in
    out's dtype (bit for bit that expression; float32 is computed from raw
    draws in bulk)."""
    if out.dtype != _FLOAT32:
        for gen, row in zip(gens, out, strict=True):
            gen.random(out=row, dtype=out.dtype)
        out *= scale
        out += offset
        return
    rows, n = out.shape
    bits = ws.scratch(rows, (n + 1) // 2 * 2)[0]
    k = _bits24(gens, n, bits)
    out[...] = k.view(np.int32)  # exact: k < 2**24
    scale = np.float32(scale)
    folded = scale * _SCALE_24
    # (k * 2**-24) * scale == k * (2**-24 * scale) unless the product underflows
    if folded * np.float32(2.0**24) == scale:
        out *= folded
    else:
        out *= _SCALE_24
        out *= scale
    out += offset


def _box_muller(r: Array, t: Array, head: Array, tail: Array) -> None:
    """head = r*cos(t) and tail = (r*sin(t))[..., :width of tail], element-wise
    (any shape), given r = 1 - u1 and t = 2*pi*u2; r becomes sqrt(-2 log(r))."""
    np.log(r, out=r)
    r *= -2
    np.sqrt(r, out=r)
    np.cos(t, out=head)
    head *= r
    width = tail.shape[-1]
    np.sin(t[..., :width], out=tail)
    tail *= r[..., :width]


def _normal_rows(
    ws: _Workspace,
    gens: Sequence[np.random.Generator],
    out: Array,
) -> Array:
    """Standard normal values by Box-Muller over uniforms, in out's dtype, row
    i from gens[i]: the first half of a row gets r*cos(t), the second r*sin(t),
    with r = sqrt(-2 log(1 - u1)) and t = 2 pi u2, u1 the first half of the
    row's draws and u2 the second. Returns r, of shape (rows, first half)
    (scratch: valid until the workspace's next `scratch`)."""
    rows, n = out.shape
    m = (n + 1) // 2
    if out.dtype == _FLOAT32:
        bits, u, _ = ws.scratch(rows, 2 * m)
        k = _bits24(gens, 2 * m, bits)
        np.subtract(1 << 24, k[:, :m], out=k[:, :m])  # 1 - u1, in (0, 1], times 2**24
        u[...] = k.view(np.int32)
        r = u[:, :m]
        t = u[:, m:]
        r *= _SCALE_24
        t *= _TWO_PI_24
    else:
        u = np.stack([gen.random(2 * m, dtype=out.dtype) for gen in gens])
        r = u[:, :m]
        t = u[:, m:]
        np.subtract(1, r, out=r)
        t *= 2 * math.pi
    _box_muller(r, t, out[:, :m], out[:, m:])
    return r


def _normal(gen: np.random.Generator, out: Array) -> None:
    """`_normal_rows` of one flat array (on a workspace of its own)."""
    _normal_rows(_Workspace(), [gen], out.reshape(1, -1))


def _paired_normals(
    gens: Sequence[np.random.Generator], sizes: list[int], dtype: np.dtype[Any]
) -> Array:
    """For each stream i, sizes[i] (even) standard normal values by Box-Muller
    over its next draws in adjacent pairs: draws 2p and 2p+1 give values 2p =
    r*cos(t) and 2p+1 = r*sin(t). Concatenated in stream order."""
    total = sum(sizes)
    r: Array
    t: Array
    if dtype == _FLOAT32:
        bits = np.empty(total, np.uint32)
        at = 0
        for gen, size in zip(gens, sizes, strict=True):
            if size:
                _raw_halves(gen, size // 2, bits[at:])
                at += size
        np.right_shift(bits, 8, out=bits)
        r = np.subtract(1 << 24, bits[0::2]).astype(np.float32)
        r *= _SCALE_24
        t = bits[1::2].astype(np.float32)
        t *= _TWO_PI_24
    else:
        draws = zip(gens, sizes, strict=True)
        u = np.concatenate([gen.random(size, dtype=dtype) for gen, size in draws])
        r = np.subtract(1, u[0::2])
        t = u[1::2] * (2 * math.pi)
    values = np.empty(total, dtype)
    _box_muller(r, t, values[0::2], values[1::2])
    return values


def _accepted_normals(
    gens: Sequence[np.random.Generator], counts: list[int], dtype: np.dtype[Any]
) -> Array:
    """For each stream i, the first counts[i] values within 2 of its
    continuation (`_paired_normals`, drawn in batches of k + k//8 + 16 values,
    rounded up to even, while k are still missing), concatenated in stream
    order. One batch almost always suffices, so every block's redraw is done
    together, in one round."""
    missing = list(counts)
    found: list[list[Array]] = [[] for _ in counts]
    while any(missing):
        sizes = [(k + k // 8 + 17) // 2 * 2 if k else 0 for k in missing]
        values = _paired_normals(gens, sizes, dtype)
        within = np.abs(values) <= 2
        at = 0
        for i, size in enumerate(sizes):
            if size:
                accepted = values[at : at + size][within[at : at + size]][: missing[i]]
                found[i].append(accepted)
                missing[i] -= accepted.size
                at += size
    return np.concatenate([part for parts in found for part in parts])


#: |r cos t| and |r sin t| can exceed 2 only where the radius r does; the
#: bound sits below 2 so that no rounding of cos or sin can hide a value
_RADIUS_BOUND: Final = 1.999


def _truncated_rows(
    ws: _Workspace,
    gens: Sequence[np.random.Generator],
    out: Array,
) -> None:
    """Standard normal values (`_normal_rows`); those beyond 2 are replaced, in
    index order, by the accepted values of their row's continuation
    (`_accepted_normals`)."""
    r = _normal_rows(ws, gens, out)
    rows, n = out.shape
    m = r.shape[1]
    # Only the pairs whose radius exceeds 2 (e**-2, 13.5% of them) can hold a
    # value beyond 2: finding those and testing their two values costs about
    # 0.6 ns a value against 1 ns for testing every value.
    if out.dtype == _FLOAT32:
        wide = ws.scratch(rows, m)[2].reshape(rows, m)
    else:
        wide = np.empty((rows, m), np.bool_)
    np.greater(r, _RADIUS_BOUND, out=wide)
    near = np.flatnonzero(wide)  # pair j of row i as i * m + j
    if not near.size:
        return
    # Row i's values are its heads out[i, j] = r cos t, then its tails
    # out[i, m + j] = r sin t: listing each row's candidate heads, then its
    # candidate tails, lists the candidates in index order.
    cuts = np.searchsorted(near, np.arange(rows + 1) * m).tolist()
    parts: list[Array] = []
    starts = [0]  # where each row's candidates start in `parts`, concatenated
    for i in range(rows):
        head = near[cuts[i] : cuts[i + 1]] + i * (n - m)  # flat index of out[i, j]
        tail = head + m
        if n - m < m:  # odd n: the row's last pair has no tail
            tail = tail[head < i * n + n - m]
        parts += (head, tail)
        starts.append(starts[-1] + head.size + tail.size)
    candidates = np.concatenate(parts)
    size = np.abs(out.reshape(-1)[candidates])
    beyond = np.flatnonzero(size > 2)  # positions in `candidates`
    if not beyond.size:
        return
    counts = np.diff(np.searchsorted(beyond, starts)).tolist()
    out.reshape(-1)[candidates[beyond]] = _accepted_normals(gens, counts, out.dtype)


def _normal_sampler(mean: float, stddev: float, *, truncated: bool) -> _Sampler:
    base = _truncated_rows if truncated else _normal_rows

    def sample(ws: _Workspace, gens: Sequence[np.random.Generator], out: Array) -> None:
        base(ws, gens, out)
        out *= stddev
        out += mean

    return sample


def _uniform_sampler(minval: float, maxval: float, dtype: np.dtype[Any]) -> _Sampler:
    lo = dtype.type(minval)
    span = dtype.type(maxval) - lo  # in the variable's dtype, as TF

    def sample(ws: _Workspace, gens: Sequence[np.random.Generator], out: Array) -> None:
        _uniform_rows(ws, gens, out, span, lo)

    return sample


def _integer_sampler(minval: int, maxval: int) -> _Sampler:
    def sample(ws: _Workspace, gens: Sequence[np.random.Generator], out: Array) -> None:
        del ws  # NumPy's integers() needs no scratch
        for gen, row in zip(gens, out, strict=True):
            row[:] = gen.integers(minval, maxval, size=row.shape[0], dtype=row.dtype)

    return sample


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """TF's `_compute_fans`."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _variance_scaling(
    scale: float,
    mode: str,
    distribution: str,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
) -> _Sampler:
    """TF1's VarianceScaling: fans of the full shape, even for a part."""
    fan_in, fan_out = _fans(shape)
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    if distribution in ("normal", "truncated_normal"):
        stddev = math.sqrt(scale) / 0.87962566103423978
        return _normal_sampler(0.0, stddev, truncated=True)
    if distribution == "untruncated_normal":
        return _normal_sampler(0.0, math.sqrt(scale), truncated=False)
    limit = math.sqrt(3.0 * scale)
    return _uniform_sampler(-limit, limit, dtype)


def _sample_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """float16 is sampled in float32 and rounded; other dtypes sample as themselves."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _sample_range(
    v: VariableInfo,
    sampler: _Sampler,
    seed: int,
    start: int,
    stop: int,
    *,
    workers: _Workers,
) -> Array:
    """Elements [start, stop) of the flattened variable, computing only the
    blocks that hold them, a few consecutive whole blocks per task."""
    size = v.size
    dtype = _sample_dtype(np.dtype(v.dtype))
    first = start // BLOCK_SIZE
    last = (stop + BLOCK_SIZE - 1) // BLOCK_SIZE
    whole = min(last, size // BLOCK_SIZE)  # blocks before this one are full
    base = first * BLOCK_SIZE
    buf = np.empty(min(last * BLOCK_SIZE, size) - base, dtype)
    name_hash = _name_hash(v.name)
    # enough tasks for every thread, at most _TASK_BLOCKS blocks each
    step = max(1, min(_TASK_BLOCKS, -(-(whole - first) // workers.threads)))
    tasks = [(b, min(b + step, whole)) for b in range(first, whole, step)]
    if last > whole:
        tasks.append((max(first, whole), last))  # the short last block, alone

    def fill(task: tuple[int, int]) -> None:
        lo, hi = task[0] * BLOCK_SIZE, min(task[1] * BLOCK_SIZE, size)
        ws = workers.workspace()
        gens = ws.generators(seed, name_hash, task[0], task[1] - task[0])
        sampler(ws, gens, buf[lo - base : hi - base].reshape(len(gens), -1))

    if workers.pool is None or len(tasks) < 2:
        for task in tasks:
            fill(task)
    else:
        for _ in workers.pool.map(fill, tasks):
            pass
    out = buf[start - base : stop - base]
    if out.dtype != np.dtype(v.dtype):
        return out.astype(v.dtype)
    return out if out.size == buf.size else out.copy()
