"""NumPy, imported on first use.

The format readers list a file's arrays from its headers with the standard
library alone, so `specc check` (with `--against`, or checking a checkpoint
initializer's file) never pays for importing NumPy; only reading or writing
array data does. Generated modules, which embed the readers, import NumPy
themselves: this file is not embedded.
"""

from __future__ import annotations

import importlib
from typing import Any, Final


class LazyModule:
    """A module imported when one of its attributes is first read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


numpy: Final = LazyModule("numpy")
