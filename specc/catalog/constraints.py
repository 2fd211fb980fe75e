"""Constraints: projections applied after each update (Keras's formulas)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, StrictFloat, StrictInt

from specc.catalog.base import Args, Entry, NoArgs, Registry

Number = StrictInt | StrictFloat
Axis = StrictInt | list[StrictInt]


@dataclass(frozen=True, slots=True)
class ConstraintEntry(Entry):
    """A constraint kind; `formula` documents the projection."""

    formula: str


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


CONSTRAINTS: Registry[ConstraintEntry] = Registry(
    "constraint",
    [
        ConstraintEntry(
            "max_norm",
            MaxNormArgs,
            "Rescale slices whose norm exceeds max_value.",
            "tf.keras.constraints.MaxNorm",
            "w · clip(n, 0, max_value) / (1e-7 + n), n = ‖w‖ along axis",
        ),
        ConstraintEntry(
            "min_max_norm",
            MinMaxNormArgs,
            "Keep slice norms between min_value and max_value.",
            "tf.keras.constraints.MinMaxNorm",
            "w · (rate·clip(n, min, max) + (1-rate)·n) / (1e-7 + n)",
        ),
        ConstraintEntry(
            "non_neg",
            NoArgs,
            "Clamp negative values to zero.",
            "tf.keras.constraints.NonNeg",
            "max(w, 0)",
        ),
        ConstraintEntry(
            "unit_norm",
            UnitNormArgs,
            "Scale slices to unit norm.",
            "tf.keras.constraints.UnitNorm",
            "w / (1e-7 + ‖w‖ along axis)",
        ),
    ],
)
