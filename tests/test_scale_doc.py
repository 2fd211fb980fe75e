"""docs/scale-out.md runs as written: tests/test_docs_commands.py writes its
model (the `yaml title="model.yaml"` block) and runs its `sh` blocks, in
order, in a fresh folder, each exiting 0 and printing what the plain block
right after it shows: shard folders, `check --against` a folder, and a Dask
LocalCluster writing the same bytes. This file checks what is particular to
the page."""

from __future__ import annotations

import re
from pathlib import Path

from test_docs_commands import Step, WriteFile, page_steps

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "scale-out.md"

#: a fenced block: its info string and its text
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def test_the_page_runs_its_model_and_a_dask_cluster() -> None:
    steps = page_steps(DOC.read_text(encoding="utf-8"))
    assert isinstance(steps[0], WriteFile) and steps[0].path == "model.yaml"
    shell = [s for s in steps if isinstance(s, Step)]
    assert len(shell) >= 3
    assert any("--executor dask" in c.text for s in shell for c in s.commands)


def test_the_python_recipes_use_the_module_api() -> None:
    text = DOC.read_text(encoding="utf-8")
    python = [m.group(2) for m in _FENCE.finditer(text) if m.group(1).strip() == "python"]
    assert any("init_tasks" in b and "run_task" in b and "finish_init" in b for b in python)
    assert any("SLURMCluster" in b for b in python)
    for body in python:
        compile(body, "scale-out.md", "exec")  # at least valid Python


def test_the_readme_links_the_page() -> None:
    assert "docs/scale-out.md" in (ROOT / "README.md").read_text(encoding="utf-8")
