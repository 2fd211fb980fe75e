"""Every diagnostic code has a minimal failing spec and a fix (specc/codes_doc.py),
they do what they claim, and docs/diagnostics.md is generated from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from specc.cli import main
from specc.diagnostics import CODES
from specc.diagnostics.examples import EXAMPLES, CodeExample, render_markdown
from specc.limits import DEFAULT_LIMITS
from specc.pipeline import Compilation, compile_text

DOCS = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"


def _compile(example: CodeExample, text: str, tmp_path: Path) -> Compilation:
    # the spec lives in its own folder, so `../x` really leaves it
    folder = tmp_path / "spec"
    folder.mkdir(exist_ok=True)
    for name, content in example.files:
        (folder / name).write_text(content, encoding="utf-8")
    return compile_text(
        text, "example.yaml", limits=example.limits or DEFAULT_LIMITS, base_dir=str(folder)
    )


def test_every_code_has_an_example() -> None:
    assert set(EXAMPLES) == set(CODES)
    assert list(EXAMPLES) == list(CODES)  # same order as the registry


@pytest.mark.parametrize("code", list(CODES))
def test_failing_spec_fails_with_its_code_first(code: str, tmp_path: Path) -> None:
    comp = _compile(EXAMPLES[code], EXAMPLES[code].failing, tmp_path)
    assert not comp.ok
    assert comp.diagnostics, "a failed compilation must say why"
    assert comp.diagnostics[0].code == code, [(d.code, d.message) for d in comp.diagnostics]


@pytest.mark.parametrize("code", list(CODES))
def test_fixed_spec_compiles(code: str, tmp_path: Path) -> None:
    comp = _compile(EXAMPLES[code], EXAMPLES[code].fixed, tmp_path)
    assert comp.ok, [(d.code, d.message) for d in comp.diagnostics]
    assert comp.table is not None
    assert comp.table.variables


@pytest.mark.parametrize("code", list(CODES))
def test_example_is_well_formed(code: str) -> None:
    ex = EXAMPLES[code]
    assert ex.failing != ex.fixed
    assert ex.failing.startswith("specc: 1\n") and ex.fixed.startswith("specc: 1\n")
    assert ex.failing.endswith("\n") and ex.fixed.endswith("\n")
    assert ex.explanation.strip()


def test_diagnostics_page_is_generated_from_the_examples() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/diagnostics.md is stale: regenerate it with "
        "python -c 'from specc.diagnostics.examples import render_markdown; "
        'print(render_markdown(), end="")\' > docs/diagnostics.md'
    )


def test_markdown_names_every_code_once_as_a_section() -> None:
    text = render_markdown()
    for code in CODES:
        assert text.count(f"\n## {code}\n") == 1


@pytest.mark.parametrize("code", ["variable-exists", "include", "limit"])
def test_explain_code_prints_the_example(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", code]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{code}: ")
    for line in EXAMPLES[code].failing.splitlines():
        assert "    " + line in out


def test_explain_code_unknown_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", "no-such-code"]) == 2
    assert "unknown code" in capsys.readouterr().err
