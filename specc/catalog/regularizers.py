"""Regularizers: the loss each adds to `regularization_losses`.

Each entry's `impl` is its NumPy code, copied into generated modules by the
emitter (see specc/catalog/initializers.py): `impl(w, args)` is the loss of
the whole variable `w`, accumulated in float64. The runtime names it uses are
imported for type checking only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictFloat, StrictInt

from specc.catalog.base import Args, Check, Entry, Registry, no_rule

if TYPE_CHECKING:
    from specc.runtime.kinds import _RegularizerImpl
    from specc.runtime.norms import _sum_abs, _sum_sq
    from specc.runtime.prelude import Array

Number = StrictInt | StrictFloat


@dataclass(frozen=True, slots=True)
class RegularizerEntry(Entry):
    """A regularizer kind; `formula` documents the loss it adds, `impl` computes it,
    `check(args, shape, dtype)` is its static rule (TF has none beyond the
    arguments for the built-in kinds)."""

    formula: str
    impl: _RegularizerImpl
    check: Check = no_rule


class ScaleArgs(Args):
    scale: Number = Field(ge=0, description="The factor of the penalty.")


class L1L2Args(Args):
    l1: Number = Field(ge=0, description="Factor of Σ|w|.")
    l2: Number = Field(ge=0, description="Factor of Σw².")


# --------------------------------------------------------------------------- NumPy code


def _loss_l1(w: Array, args: Mapping[str, Any]) -> float:
    """scale * sum(|w|)."""
    return float(args["scale"] * _sum_abs(w))


def _loss_l2(w: Array, args: Mapping[str, Any]) -> float:
    """scale * sum(w**2)."""
    return float(args["scale"] * _sum_sq(w))


def _loss_l2_loss(w: Array, args: Mapping[str, Any]) -> float:
    """scale * sum(w**2) / 2."""
    return float(args["scale"] * _sum_sq(w) / 2)


def _loss_l1_l2(w: Array, args: Mapping[str, Any]) -> float:
    """l1 * sum(|w|) + l2 * sum(w**2)."""
    return float(args["l1"] * _sum_abs(w) + args["l2"] * _sum_sq(w))


# --------------------------------------------------------------------------- registry

REGULARIZERS: Registry[RegularizerEntry] = Registry(
    "regularizer",
    [
        RegularizerEntry(
            "l1",
            ScaleArgs,
            "L1 penalty.",
            "tf.keras.regularizers.l1",
            "scale·Σ|w|",
            impl=_loss_l1,
        ),
        RegularizerEntry(
            "l2",
            ScaleArgs,
            "L2 penalty.",
            "tf.keras.regularizers.l2",
            "scale·Σw²",
            impl=_loss_l2,
        ),
        RegularizerEntry(
            "l2_loss",
            ScaleArgs,
            "Half the L2 penalty, as TF1 contrib's l2_regularizer (tf.nn.l2_loss).",
            "tf.contrib.layers.l2_regularizer",
            "scale·Σw²/2",
            impl=_loss_l2_loss,
        ),
        RegularizerEntry(
            "l1_l2",
            L1L2Args,
            "L1 plus L2.",
            "tf.keras.regularizers.l1_l2",
            "l1·Σ|w| + l2·Σw²",
            impl=_loss_l1_l2,
        ),
    ],
)
