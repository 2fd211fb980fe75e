"""docs/checkpoints.md runs as written: tests/test_docs_commands.py runs its
`sh` blocks, in order, in a fresh folder holding the repository's examples,
each exiting 0 and printing what the plain block right after it shows. This
file checks what is particular to the page: that it has such blocks."""

from __future__ import annotations

from pathlib import Path

from test_docs_commands import Step, page_steps

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checkpoints.md"


def test_the_page_has_shell_blocks() -> None:
    steps = [s for s in page_steps(DOC.read_text(encoding="utf-8")) if isinstance(s, Step)]
    assert len(steps) >= 3
    assert any("--warm-start" in c.text for s in steps for c in s.commands)
    # the writing and the warm start show what they print
    assert sum(s.shown is not None for s in steps) >= 2


def test_the_readme_links_the_page() -> None:
    assert "docs/checkpoints.md" in (ROOT / "README.md").read_text(encoding="utf-8")
