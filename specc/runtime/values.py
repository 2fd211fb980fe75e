"""Initial values of whole variables: every initializer kind."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from specc.runtime.load import _MODULE_DIR, _read_safetensors
from specc.runtime.prelude import Array
from specc.runtime.samplers import _normal, _sample_dtype, _sample_range, _sampler
from specc.runtime.streams import _generator, _name_hash
from specc.runtime.table import ParamsError, VariableInfo

if TYPE_CHECKING:
    from specc.runtime.api import _Workers


def _constant(v: VariableInfo, value: Any) -> Array:
    """TF1's constant_initializer: a scalar broadcast, or a flat list padded
    with its last element."""
    dtype = np.dtype(v.dtype)
    if not isinstance(value, list):
        return np.full(v.shape, value, dtype=dtype)
    flat = np.array(value, dtype=dtype).reshape(-1)
    size = v.size
    if size == 0:  # TF checks nothing for an empty shape
        return np.zeros(v.shape, dtype=dtype)
    if flat.size == 0:  # TF fills zeros for an empty list
        return np.zeros(v.shape, dtype=dtype)
    if flat.size < size:
        pad = np.full(size - flat.size, flat[-1], dtype=dtype)
        flat = np.concatenate([flat, pad])
    return flat[:size].reshape(v.shape)


def _orthogonal(v: VariableInfo, gain: float, seed: int) -> Array:
    """TF1's orthogonal_initializer: QR of a normal matrix from one stream,
    with the sign fix, transposed when there are fewer rows than columns."""
    rows = math.prod(v.shape[:-1])
    cols = v.shape[-1]
    flat_shape = (cols, rows) if rows < cols else (rows, cols)
    dtype = _sample_dtype(np.dtype(v.dtype))
    a = np.empty(flat_shape[0] * flat_shape[1], dtype)
    _normal(_generator(seed, _name_hash(v.name), 0), a)
    q, r = np.linalg.qr(a.reshape(flat_shape))
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    out = np.ascontiguousarray(q.reshape(v.shape))
    out *= gain
    return out.astype(v.dtype, copy=False)


def _checkpoint(v: VariableInfo, path: str, key: str | None) -> Array:
    full = os.path.join(_MODULE_DIR, path)
    name = v.name if key is None else key
    if full.endswith(".safetensors"):
        arrays = _read_safetensors(full, only=name)
    else:
        with np.load(full, allow_pickle=False) as npz:
            arrays = {name: npz[name]} if name in npz.files else {}
    if name not in arrays:
        msg = f"checkpoint {path!r} has no array {name!r} for {v.name!r}"
        raise KeyError(msg)
    a = arrays[name]
    if tuple(a.shape) != v.shape or a.dtype != np.dtype(v.dtype):
        raise ParamsError(
            f"checkpoint {path!r} key {name!r}: expected shape {list(v.shape)} dtype "
            f"{v.dtype} for variable {v.name!r}, found shape {list(a.shape)} dtype {a.dtype}"
        )
    return a


def _whole(v: VariableInfo, seed: int, workers: _Workers) -> Array:
    sampler = _sampler(v)
    if sampler is not None:
        values = _sample_range(v, sampler, seed, 0, v.size, workers=workers)
        return values.reshape(v.shape)
    kind = v.initializer["kind"]
    args = v.initializer["args"]
    if kind == "zeros":
        return np.zeros(v.shape, dtype=v.dtype)
    if kind == "ones":
        return np.ones(v.shape, dtype=v.dtype)
    if kind == "constant":
        return _constant(v, args["value"])
    if kind == "value":
        literal: Array = np.array(args["value"], dtype=v.dtype)
        return literal.reshape(v.shape)
    if kind == "identity":
        eye: Array = np.eye(v.shape[0], v.shape[1], dtype=v.dtype)
        eye *= np.asarray(args["gain"], dtype=v.dtype)
        return eye
    if kind == "orthogonal":
        return _orthogonal(v, args["gain"], seed)
    if kind == "checkpoint":
        return _checkpoint(v, args["path"], args["key"])
    raise ValueError(f"variable {v.name!r}: unknown initializer {kind!r}")
