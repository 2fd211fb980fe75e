"""Constraints: projections applied after each update (Keras's formulas).

Each entry's `impl` is its NumPy code, copied into generated modules by the
emitter (see specc/catalog/initializers.py): `impl(w, args)` projects the whole
variable `w` (epsilon 1e-7). The runtime names it uses are imported for type
checking only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictFloat, StrictInt

from specc.catalog.base import Args, Check, Entry, NoArgs, Registry, no_rule

if TYPE_CHECKING:
    import numpy as np

    from specc.runtime.kinds import _ConstraintImpl
    from specc.runtime.norms import _norms, _rescale
    from specc.runtime.prelude import Array

Number = StrictInt | StrictFloat
Axis = StrictInt | list[StrictInt]


@dataclass(frozen=True, slots=True)
class ConstraintEntry(Entry):
    """A constraint kind; `formula` documents the projection, `impl` computes it,
    `check(args, shape, dtype)` is its static rule (TF has none beyond the
    arguments: Keras applies constraints after updates, not at creation)."""

    formula: str
    impl: _ConstraintImpl
    check: Check = no_rule


class MaxNormArgs(Args):
    max_value: Number = Field(2, description="Largest norm allowed.")
    axis: Axis = Field(0, description="Axis (or axes) along which norms are computed.")


class MinMaxNormArgs(Args):
    min_value: Number = Field(0.0, description="Smallest norm allowed.")
    max_value: Number = Field(1.0, description="Largest norm allowed.")
    rate: Number = Field(1.0, description="Interpolation rate toward the clipped norm.")
    axis: Axis = Field(0, description="Axis (or axes) along which norms are computed.")


class UnitNormArgs(Args):
    axis: Axis = Field(0, description="Axis (or axes) along which norms are computed.")


# --------------------------------------------------------------------------- NumPy code


def _constrain_max_norm(w: Array, args: Mapping[str, Any]) -> Array:
    """w * clip(n, 0, max_value) / (1e-7 + n), n the norms along axis."""
    norms = _norms(w, args["axis"])
    return _rescale(w, np.clip(norms, 0, args["max_value"]), norms)


def _constrain_min_max_norm(w: Array, args: Mapping[str, Any]) -> Array:
    """w * (rate * clip(n, min, max) + (1 - rate) * n) / (1e-7 + n)."""
    norms = _norms(w, args["axis"])
    rate = args["rate"]
    clipped = np.clip(norms, args["min_value"], args["max_value"])
    return _rescale(w, rate * clipped + (1 - rate) * norms, norms)


def _constrain_non_neg(w: Array, args: Mapping[str, Any]) -> Array:
    """Negative values become zero."""
    del args
    out: Array = w * (w >= 0).astype(w.dtype)
    return out


def _constrain_unit_norm(w: Array, args: Mapping[str, Any]) -> Array:
    """w / (1e-7 + n)."""
    norms = _norms(w, args["axis"])
    return _rescale(w, np.ones_like(norms), norms)


# --------------------------------------------------------------------------- registry

CONSTRAINTS: Registry[ConstraintEntry] = Registry(
    "constraint",
    [
        ConstraintEntry(
            "max_norm",
            MaxNormArgs,
            "Rescale slices whose norm exceeds max_value.",
            "tf.keras.constraints.MaxNorm",
            "w · clip(n, 0, max_value) / (1e-7 + n), n = ‖w‖ along axis",
            impl=_constrain_max_norm,
        ),
        ConstraintEntry(
            "min_max_norm",
            MinMaxNormArgs,
            "Keep slice norms between min_value and max_value.",
            "tf.keras.constraints.MinMaxNorm",
            "w · (rate·clip(n, min, max) + (1-rate)·n) / (1e-7 + n)",
            impl=_constrain_min_max_norm,
        ),
        ConstraintEntry(
            "non_neg",
            NoArgs,
            "Clamp negative values to zero.",
            "tf.keras.constraints.NonNeg",
            "max(w, 0)",
            impl=_constrain_non_neg,
        ),
        ConstraintEntry(
            "unit_norm",
            UnitNormArgs,
            "Scale slices to unit norm.",
            "tf.keras.constraints.UnitNorm",
            "w / (1e-7 + ‖w‖ along axis)",
            impl=_constrain_unit_norm,
        ),
    ],
)
