"""The sums and norms that regularizers and constraints compute (their kinds'
code lives with their catalog entries, specc/catalog/)."""

from __future__ import annotations

from typing import Final

import numpy as np

from specc.runtime.prelude import Array


def _sum_abs(w: Array) -> float:
    return float(np.sum(np.abs(w), dtype=np.float64))


def _sum_sq(w: Array) -> float:
    return float(np.sum(np.square(w, dtype=np.float64)))


_EPSILON: Final = 1e-7


def _axes(axis: int | list[int]) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _norms(w: Array, axis: int | list[int]) -> Array:
    """The L2 norms of w along `axis` (an int or a list), kept as size-1 axes."""
    norms: Array = np.sqrt(np.sum(np.square(w), axis=_axes(axis), keepdims=True))
    return norms


def _rescale(w: Array, desired: Array, norms: Array) -> Array:
    """w with its norms along an axis changed from `norms` to `desired`, as Keras
    does it (epsilon 1e-7), in w's dtype."""
    out: Array = w * (desired / (_EPSILON + norms))
    return out
