"""The module's public API: `init`, `iter_init`, `init_variable`,
`init_partition`, `init_file`, `regularization_loss`, `apply_constraints`,
`check`, `save` and `load`.

Kinds are looked up in the dispatch tables the emitter writes at the end of
the module (`_SAMPLERS`, `_BUILDERS`, `_REGULARIZERS`, `_CONSTRAINTS`)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import numpy as np

from specc.formats.arrays import CheckpointError
from specc.formats.params import read_params, write_params
from specc.runtime.generated import (
    _BUILDERS,
    _CONSTRAINTS,
    _REGULARIZERS,
    _SAMPLERS,
    SPEC_NAME,
    SPEC_SHA256,
)
from specc.runtime.prelude import Array
from specc.runtime.samplers import _sample_dtype, _sample_range, _Sampler
from specc.runtime.streams import _check_seed
from specc.runtime.table import ParamsError, VariableInfo, _by_name, _info, _variables
from specc.runtime.workers import _Workers, _workers


def _sampler(v: VariableInfo) -> _Sampler | None:
    """The block sampler of an element-wise initializer, or None for a kind
    that builds the whole variable."""
    impl = _SAMPLERS.get(v.initializer["kind"])
    if impl is None:
        return None
    return impl(v, v.initializer["args"], _sample_dtype(np.dtype(v.dtype)))


def _whole(v: VariableInfo, seed: int, workers: _Workers) -> Array:
    sampler = _sampler(v)
    if sampler is not None:
        values = _sample_range(v, sampler, seed, 0, v.size, workers=workers)
        return values.reshape(v.shape)
    kind = v.initializer["kind"]
    build = _BUILDERS.get(kind)
    if build is None:
        raise ValueError(f"variable {v.name!r}: unknown initializer {kind!r}")
    return build(v, v.initializer["args"], seed)


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


def regularization_loss(params: Mapping[str, Array]) -> float:
    """The sum of the regularizers' losses (TF1 formulas), accumulated in float64.

    l1: scale*sum|w|; l2: scale*sum(w^2); l2_loss: scale*sum(w^2)/2;
    l1_l2: l1*sum|w| + l2*sum(w^2). A partitioned variable adds one loss per
    part in TF; these sums over the parts equal the sum over the whole."""
    total = 0.0
    for v in _variables():
        reg = v.regularizer
        if reg is None:
            continue
        loss = _REGULARIZERS.get(reg["kind"])
        if loss is None:
            msg = f"variable {v.name!r}: unknown regularizer {reg['kind']!r}"
            raise ValueError(msg)
        total += loss(np.asarray(params[v.name]), reg["args"])
    return total


def apply_constraints(params: MutableMapping[str, Array]) -> None:
    """Replace each constrained variable by its projection (the whole variable),
    Keras's formulas (epsilon 1e-7) in its dtype."""
    for v in _variables():
        con = v.constraint
        if con is not None:
            project = _CONSTRAINTS.get(con["kind"])
            if project is None:
                msg = f"variable {v.name!r}: unknown constraint {con['kind']!r}"
                raise ValueError(msg)
            w = np.asarray(params[v.name])
            params[v.name] = project(w, con["args"]).astype(w.dtype, copy=False)


def check(params: Mapping[str, Array], *, strict: bool = True) -> None:
    """Raise ParamsError at the first missing key, wrong shape or dtype, and,
    when `strict`, extra key."""
    for v in _variables():
        if v.name not in params:
            raise ParamsError(
                f"missing variable {v.name!r}: expected shape {list(v.shape)} dtype {v.dtype}"
            )
        a = params[v.name]
        shape = tuple(np.shape(a))
        if shape != v.shape:
            raise ParamsError(
                f"variable {v.name!r}: expected shape {list(v.shape)}, got {list(shape)}"
            )
        dtype = np.asarray(a).dtype
        if dtype != np.dtype(v.dtype):
            msg = f"variable {v.name!r}: expected dtype {v.dtype}, got {dtype}"
            raise ParamsError(msg)
    if strict:
        for key in params:
            if key not in _by_name():
                msg = f"unexpected key {key!r}: no such variable in {SPEC_NAME!r}"
                raise ParamsError(msg)


def _metadata() -> dict[str, str]:
    """What a .safetensors file the module writes says about its spec."""
    return {"specc_spec": SPEC_NAME, "specc_sha256": SPEC_SHA256}


def _checked(
    entries: list[tuple[str, tuple[int, ...], np.dtype[Any]]],
    arrays: Iterable[tuple[str, Array]],
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[str, Array]]:
    """The arrays, each checked against its entry (the name, shape and dtype the
    file's header was written for); `progress(bytes so far)` once each is
    written."""
    done = 0
    for want, (name, a) in zip(entries, arrays, strict=True):
        if (name, tuple(a.shape), a.dtype) != want:
            raise ParamsError(f"{name!r}: array does not match {want}")
        yield name, a
        done += a.nbytes
        if progress is not None:
            progress(done)


def save(params: Mapping[str, Array], path: str | os.PathLike[str]) -> None:
    """Write parameters to a .npz or .safetensors file (atomically)."""
    arrays = [(k, np.asarray(a)) for k, a in params.items()]
    entries = [(k, tuple(a.shape), a.dtype) for k, a in arrays]
    write_params(path, entries, _checked(entries, arrays, None), _metadata())


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
    arrays = _checked(entries, iter_init(seed, threads=threads), progress)
    write_params(path, entries, arrays, _metadata())


def load(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read parameters written by `save` (or any .npz / .safetensors file).

    Raises ParamsError, with the reason, for a file that is not a valid .npz or
    .safetensors file or holds an array NumPy cannot hold; OSError when it
    cannot be opened."""
    try:
        return read_params(os.fspath(path))
    except CheckpointError as e:
        raise ParamsError(str(e)) from None
