"""Files of a load by their display path: the file on disk, and its URI.

The loader names files by display path: the top spec's path as given, an
include's path joined to its including file's folder, and `<std>/NAME.yaml`
for the library bundled in the package, which lives in `specc/stdlib/`.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Final

STD_PREFIX: Final = "<std>/"


def std_folder() -> Path | None:
    """The folder of the bundled library on disk (None when not a plain folder)."""
    try:
        root = importlib.resources.files("specc").joinpath("stdlib")
        path = Path(os.fspath(root))  # type: ignore[call-overload]
    except (TypeError, ValueError, ImportError):
        path = Path(__file__).resolve().parent.parent / "stdlib"
    return path if path.is_dir() else None


def std_names() -> list[str]:
    """The names of the bundled library's files (`dense`, `lstm_cell`, ...)."""
    folder = std_folder()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder is not None else []


def path_of(display: str) -> str | None:
    """The file behind a display path (None for a pseudo name like `<untitled>`)."""
    if display.startswith(STD_PREFIX):
        folder = std_folder()
        return str(folder / display[len(STD_PREFIX) :]) if folder is not None else None
    if display.startswith("<") and display.endswith(">"):
        return None
    return os.path.abspath(display)


def uri_of(display: str) -> str | None:
    """The `file:` URI of a display path (None when it names no file)."""
    path = path_of(display)
    return Path(path).as_uri() if path is not None else None
