"""The module's public API: `init`, `iter_init`, `init_variable`,
`init_partition`, `regularization_loss`, `apply_constraints`, `check`, `save`
and `load` (`init_file` streams to a file: `tasks.py`).

Kinds are looked up in the dispatch tables the emitter writes at the end of
the module (`_SAMPLERS`, `_BUILDERS`, `_REGULARIZERS`, `_CONSTRAINTS`)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping

import numpy as np

from specc.formats.arrays import CheckpointError
from specc.formats.bfloat16 import (
    from_bfloat16,
    is_bfloat16,
    storage_dtype,
    to_bfloat16,
)
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


def _via_float32(v: VariableInfo) -> VariableInfo | None:
    """For a bfloat16 variable, the float32 variable of the same spec, whose
    values it holds rounded to bfloat16 (docs/rng.md); None for any other, and
    for a checkpoint, which copies stored bfloat16 values as they are."""
    if v.dtype != "bfloat16" or v.initializer["kind"] == "checkpoint":
        return None
    return v._replace(dtype="float32")


def _whole(v: VariableInfo, seed: int, workers: _Workers) -> Array:
    wide = _via_float32(v)
    if wide is not None:
        return to_bfloat16(_whole(wide, seed, workers))
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


def _part(v: VariableInfo, part: int, seed: int, workers: _Workers) -> Array:
    """Part `part` of a partitioned variable (see `init_partition`)."""
    assert v.partitions is not None
    wide = _via_float32(v)
    if wide is not None:
        return to_bfloat16(_part(wide, part, seed, workers))
    p = v.partitions[part]
    index = tuple(slice(o, o + n) for o, n in zip(p.offset, p.shape, strict=True))
    sampler = _sampler(v)
    if sampler is None:
        return np.ascontiguousarray(_whole(v, seed, workers)[index])
    row = math.prod(v.shape[1:])
    rows = _sample_range(
        v,
        sampler,
        seed,
        p.offset[0] * row,
        (p.offset[0] + p.shape[0]) * row,
        workers=workers,
    ).reshape((p.shape[0], *v.shape[1:]))
    return np.ascontiguousarray(rows[(slice(None), *index[1:])])


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
    s = _check_seed(seed)
    workers = _workers(threads)
    try:
        return _part(v, part, s, workers)
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


def _values(v: VariableInfo, a: Array) -> Array:
    """A variable's array as numbers: a bfloat16 one (ml_dtypes' or uint16 bit
    patterns) as its exact float32 values."""
    return from_bfloat16(a) if v.dtype == "bfloat16" else np.asarray(a)


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
        total += loss(_values(v, params[v.name]), reg["args"])
    return total


def apply_constraints(params: MutableMapping[str, Array]) -> None:
    """Replace each constrained variable by its projection (the whole variable),
    Keras's formulas (epsilon 1e-7) in its dtype (a bfloat16 variable: in
    float32, then rounded to bfloat16)."""
    for v in _variables():
        con = v.constraint
        if con is not None:
            project = _CONSTRAINTS.get(con["kind"])
            if project is None:
                msg = f"variable {v.name!r}: unknown constraint {con['kind']!r}"
                raise ValueError(msg)
            w = _values(v, params[v.name])
            w = project(w, con["args"]).astype(w.dtype, copy=False)
            params[v.name] = to_bfloat16(w) if v.dtype == "bfloat16" else w


def check(params: Mapping[str, Array], *, strict: bool = True) -> None:
    """Raise ParamsError at the first missing key, wrong shape or dtype, and,
    when `strict`, extra key. A bfloat16 variable's array has the dtype the
    module gives it (`ml_dtypes.bfloat16`, else uint16 bits)."""
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
        if v.dtype == "string" and dtype.kind == "S":
            continue  # UTF-8 bytes of any width
        if dtype != storage_dtype(v.dtype):
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


def _file_dtype(name: str, a: Array) -> str:
    """The dtype an array is written as: bfloat16 for ml_dtypes' bfloat16 and
    for uint16 bits of a bfloat16 variable, else NumPy's name."""
    v = _by_name().get(name)
    if v is not None and v.dtype == "bfloat16" and a.dtype == np.uint16:
        return "bfloat16"
    if a.dtype.kind == "S":
        return "string"  # UTF-8 bytes, whatever their width
    return "bfloat16" if is_bfloat16(a.dtype) else a.dtype.name


def _checked(
    entries: list[tuple[str, tuple[int, ...], str]],
    arrays: Iterable[tuple[str, Array]],
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[str, Array]]:
    """The arrays, each checked against its entry (the name, shape and dtype the
    file's header was written for); `progress(bytes so far)` once each is
    written."""
    done = 0
    for want, (name, a) in zip(entries, arrays, strict=True):
        if (name, tuple(a.shape), _file_dtype(name, a)) != want:
            raise ParamsError(f"{name!r}: array does not match {want}")
        yield name, a
        done += a.nbytes
        if progress is not None:
            progress(done)


def save(params: Mapping[str, Array], path: str | os.PathLike[str]) -> None:
    """Write parameters to a .npz or .safetensors file (atomically). A bfloat16
    variable's array (ml_dtypes' bfloat16, or uint16 bits) is stored as
    bfloat16: safetensors `BF16`, or `.npy` 2-byte voids (docs/module.md)."""
    arrays = [(k, np.asarray(a)) for k, a in params.items()]
    entries = [(k, tuple(a.shape), _file_dtype(k, a)) for k, a in arrays]
    write_params(path, entries, _checked(entries, arrays, None), _metadata())


def load(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read parameters written by `save` (or any .npz / .safetensors file); a
    bfloat16 array comes back as `ml_dtypes.bfloat16`, else uint16 bits.

    Raises ParamsError, with the reason, for a file that is not a valid .npz or
    .safetensors file or holds an array NumPy cannot hold; OSError when it
    cannot be opened."""
    try:
        return read_params(os.fspath(path))
    except CheckpointError as e:
        raise ParamsError(str(e)) from None
