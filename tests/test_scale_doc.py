"""docs/scale-out.md runs as written: its model (the first `yaml` block, as
`model.yaml`) and its `sh` blocks, in order, in a fresh folder, each exiting
0 and printing what the plain block right after it shows (when there is one):
shard folders, `check --against` a folder, and a Dask LocalCluster writing
the same bytes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "scale-out.md"

#: a fenced block: its info string and its text
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[str, str, str | None]]:
    """(info, body, the plain block right after it or None) of each block."""
    found = [(m.group(1).strip(), m.group(2), m.start(), m.end()) for m in _FENCE.finditer(text)]
    out = []
    for i, (info, body, _, end) in enumerate(found):
        shown = None
        if i + 1 < len(found):
            next_info, next_body, next_start, _ = found[i + 1]
            if next_info == "" and not text[end:next_start].strip():
                shown = next_body
        out.append((info, body, shown))
    return out


def test_the_page_runs_as_written(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    text = DOC.read_text(encoding="utf-8")
    model = next(body for info, body, _ in blocks(text) if info == "yaml")
    (tmp_path / "model.yaml").write_text(model)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "specc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m specc "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    shell = [(body, shown) for info, body, shown in blocks(text) if info == "sh"]
    assert len(shell) >= 3
    assert any("--executor dask" in body for body, _ in shell)
    for body, shown in shell:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", body],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"{body}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        if shown is not None:
            assert done.stdout == shown, body


def test_the_python_recipes_use_the_module_api() -> None:
    text = DOC.read_text(encoding="utf-8")
    python = [body for info, body, _ in blocks(text) if info == "python"]
    assert any("init_tasks" in b and "run_task" in b and "finish_init" in b for b in python)
    assert any("SLURMCluster" in b for b in python)
    for body in python:
        compile(body, "scale-out.md", "exec")  # at least valid Python


def test_the_readme_links_the_page() -> None:
    assert "docs/scale-out.md" in (ROOT / "README.md").read_text(encoding="utf-8")
