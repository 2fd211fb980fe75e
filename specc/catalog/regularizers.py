"""Regularizers: the loss each adds to `regularization_losses`."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, StrictFloat, StrictInt

from specc.catalog.base import Args, Entry, Registry

Number = StrictInt | StrictFloat


@dataclass(frozen=True, slots=True)
class RegularizerEntry(Entry):
    """A regularizer kind; `formula` documents the loss it adds."""

    formula: str


class ScaleArgs(Args):
    scale: Number = Field(ge=0, description="The factor of the penalty.")


class L1L2Args(Args):
    l1: Number = Field(ge=0, description="Factor of Σ|w|.")
    l2: Number = Field(ge=0, description="Factor of Σw².")


REGULARIZERS: Registry[RegularizerEntry] = Registry(
    "regularizer",
    [
        RegularizerEntry("l1", ScaleArgs, "L1 penalty.", "tf.keras.regularizers.l1", "scale·Σ|w|"),
        RegularizerEntry("l2", ScaleArgs, "L2 penalty.", "tf.keras.regularizers.l2", "scale·Σw²"),
        RegularizerEntry(
            "l2_loss",
            ScaleArgs,
            "Half the L2 penalty, as TF1 contrib's l2_regularizer (tf.nn.l2_loss).",
            "tf.contrib.layers.l2_regularizer",
            "scale·Σw²/2",
        ),
        RegularizerEntry(
            "l1_l2", L1L2Args, "L1 plus L2.", "tf.keras.regularizers.l1_l2", "l1·Σ|w| + l2·Σw²"
        ),
    ],
)
