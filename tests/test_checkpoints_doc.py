"""docs/checkpoints.md runs as written: its `sh` blocks, in order, in a fresh
folder holding the repository's examples, each exiting 0 and printing what the
plain block right after it shows (when there is one)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checkpoints.md"

#: a fenced block: its info string and its text
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def shell_blocks(text: str) -> list[tuple[str, str | None]]:
    """(commands, the output shown after them or None) of each `sh` block."""
    blocks = [(m.group(1).strip(), m.group(2), m.start(), m.end()) for m in _FENCE.finditer(text)]
    out = []
    for i, (info, body, _, end) in enumerate(blocks):
        if info != "sh":
            continue
        shown = None
        if i + 1 < len(blocks):
            next_info, next_body, next_start, _ = blocks[i + 1]
            if next_info == "" and not text[end:next_start].strip():
                shown = next_body
        out.append((body, shown))
    return out


def test_the_page_has_shell_blocks() -> None:
    blocks = shell_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    assert any("--warm-start" in body for body, _ in blocks)


def test_shell_blocks_run_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "specc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m specc "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for body, shown in shell_blocks(DOC.read_text(encoding="utf-8")):
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


def test_the_readme_links_the_page() -> None:
    assert "docs/checkpoints.md" in (ROOT / "README.md").read_text(encoding="utf-8")
