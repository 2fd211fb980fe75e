"""The type aliases and constants every part of the runtime shares."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

#: Elements per random block: block b of the flattened (C-order) variable is
#: drawn from its own stream, so blocks can be filled in any order or thread.
BLOCK_SIZE: Final = 65536

Array = npt.NDArray[Any]
# A sampler fills out[i] (one row per block, rows of equal length) from gens[i].
_Sampler = Callable[[Sequence[np.random.Generator], Array], None]

#: The folder of the module: a checkpoint initializer's path is relative to it.
_MODULE_DIR: Final = os.path.dirname(os.path.abspath(__file__))
