"""The type aliases and constants every part of the runtime shares."""

from __future__ import annotations

import os
from typing import Any, Final

import numpy.typing as npt

#: Elements per random block: block b of the flattened (C-order) variable is
#: drawn from its own stream, so blocks can be filled in any order or thread.
BLOCK_SIZE: Final = 65536

Array = npt.NDArray[Any]

#: The folder of the module: a checkpoint initializer's path is relative to it.
_MODULE_DIR: Final = os.path.dirname(os.path.abspath(__file__))
