"""Regularization losses, constraints and the parameter check."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Final

import numpy as np

from specc.runtime.generated import SPEC_NAME
from specc.runtime.prelude import Array
from specc.runtime.table import ParamsError, _by_name, _variables

# --------------------------------------------------------------------- losses


def _sum_abs(w: Array) -> float:
    return float(np.sum(np.abs(w), dtype=np.float64))


def _sum_sq(w: Array) -> float:
    return float(np.sum(np.square(w, dtype=np.float64)))


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
        w = np.asarray(params[v.name])
        kind = reg["kind"]
        args = reg["args"]
        if kind == "l1":
            total += args["scale"] * _sum_abs(w)
        elif kind == "l2":
            total += args["scale"] * _sum_sq(w)
        elif kind == "l2_loss":
            total += args["scale"] * _sum_sq(w) / 2
        elif kind == "l1_l2":
            total += args["l1"] * _sum_abs(w) + args["l2"] * _sum_sq(w)
        else:
            raise ValueError(f"variable {v.name!r}: unknown regularizer {kind!r}")
    return total


_EPSILON: Final = 1e-7


def _axes(axis: int | list[int]) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _constrain(w: Array, kind: str, args: Mapping[str, Any]) -> Array:
    """Keras's constraint formulas (epsilon 1e-7), in w's dtype."""
    out: Array
    if kind == "non_neg":
        out = w * (w >= 0).astype(w.dtype)
        return out
    axes = _axes(args["axis"])
    norms: Array = np.sqrt(np.sum(np.square(w), axis=axes, keepdims=True))
    if kind == "max_norm":
        desired = np.clip(norms, 0, args["max_value"])
    elif kind == "min_max_norm":
        rate = args["rate"]
        clipped = np.clip(norms, args["min_value"], args["max_value"])
        desired = rate * clipped + (1 - rate) * norms
    elif kind == "unit_norm":
        desired = np.ones_like(norms)
    else:
        raise ValueError(f"unknown constraint {kind!r}")
    out = w * (desired / (_EPSILON + norms))
    return out


def apply_constraints(params: MutableMapping[str, Array]) -> None:
    """Replace each constrained variable by its projection (the whole variable)."""
    for v in _variables():
        if v.constraint is not None:
            w = np.asarray(params[v.name])
            out = _constrain(w, v.constraint["kind"], v.constraint["args"])
            params[v.name] = out.astype(w.dtype, copy=False)


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
