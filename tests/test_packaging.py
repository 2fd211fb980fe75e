"""Packaging: a regular (non-editable) install must find every subpackage."""

from __future__ import annotations

from pathlib import Path

import specc

ROOT = Path(specc.__file__).resolve().parent


def test_every_python_folder_is_a_regular_package() -> None:
    """setuptools' find_packages skips folders without __init__.py (namespace
    packages), which an editable install would hide."""
    for folder in [ROOT, *(p for p in ROOT.rglob("*") if p.is_dir())]:
        if folder.name == "__pycache__":
            continue
        if any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), folder


def test_data_files_are_declared_as_package_data() -> None:
    pyproject = (ROOT.parent / "pyproject.toml").read_text()
    for pattern in ('"emit/templates/*.j2"', '"stdlib/*.yaml"', '"py.typed"'):
        assert pattern in pyproject
    assert any((ROOT / "stdlib").glob("*.yaml"))
    assert any((ROOT / "emit" / "templates").glob("*.j2"))
