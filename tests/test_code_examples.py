"""Every diagnostic code has its documentation as data files
(specc/diagnostics/examples/<code>/): the failing spec fails with its code
first, the fix compiles, and docs/diagnostics.md is generated from them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from specc.cli import main
from specc.diagnostics import CODES, codes, render_all
from specc.diagnostics.codes import Code, Severity, lookup
from specc.diagnostics.explain import (
    DATA_FILES,
    CodeExample,
    examples_root,
    explain_code_text,
    limit_flags,
    load_example,
    render_markdown,
)
from specc.limits import DEFAULT_LIMITS, Limits
from specc.pipeline import Compilation, compile_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "diagnostics.md"
DATA = ROOT / "specc" / "diagnostics" / "examples"


def _compile(example: CodeExample, text: str, tmp_path: Path) -> Compilation:
    # the spec lives in its own folder, so `../x` really leaves it
    folder = tmp_path / "spec"
    folder.mkdir(exist_ok=True)
    for name, content in example.files:
        (folder / name).write_bytes(content)
    return compile_text(
        text, "example.yaml", limits=example.limits or DEFAULT_LIMITS, base_dir=str(folder)
    )


def test_registry_constants_are_the_registry() -> None:
    constants = [v for v in vars(codes).values() if isinstance(v, Code)]
    assert constants == list(CODES.values())
    warnings = [c.name for c in constants if c.severity is Severity.WARNING]
    assert warnings == [
        "unused-param",
        "unused-template",
        "unused-argument",
        "unused-capture",
        "near-duplicate",
        "local-not-trainable",
        "unused-partitioner",
        "constant-if",
    ]
    assert lookup(codes.SCHEMA) is codes.SCHEMA and lookup("schema") is codes.SCHEMA
    with pytest.raises(ValueError, match="unknown diagnostic code 'nope'"):
        lookup("nope")


def test_every_code_has_a_data_folder_and_nothing_else_does() -> None:
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == sorted(CODES)


@pytest.mark.parametrize("code", list(CODES))
def test_failing_spec_fails_with_its_code_first(code: str, tmp_path: Path) -> None:
    ex = load_example(code)
    comp = _compile(ex, ex.failing, tmp_path)
    # an error fails the compilation; a warning leaves it ok but is reported
    assert comp.ok == (CODES[code].severity == Severity.WARNING)
    assert comp.diagnostics, "a failed compilation must say why"
    assert comp.diagnostics[0].code == code, [(d.code, d.message) for d in comp.diagnostics]


@pytest.mark.parametrize("code", list(CODES))
def test_fixed_spec_compiles(code: str, tmp_path: Path) -> None:
    ex = load_example(code)
    comp = _compile(ex, ex.fixed, tmp_path)
    assert comp.ok, [(d.code, d.message) for d in comp.diagnostics]
    assert not comp.diagnostics, [(d.code, d.message) for d in comp.diagnostics]
    assert comp.table is not None
    assert comp.table.variables


@pytest.mark.parametrize("code", list(CODES))
def test_example_is_well_formed(code: str) -> None:
    folder = DATA / code
    names = {p.name for p in folder.iterdir()}
    assert names <= {*DATA_FILES, "files"}, names
    ex = load_example(code)
    assert ex.failing != ex.fixed
    assert ex.failing.startswith("specc: 1\n") and ex.fixed.startswith("specc: 1\n")
    assert ex.failing.endswith("\n") and ex.fixed.endswith("\n")
    assert ex.explanation.strip() and ex.explanation.endswith("\n")


def test_loader_reads_helper_files_and_limits(tmp_path: Path) -> None:
    folder = tmp_path / "limit"
    (folder / "files").mkdir(parents=True)
    (folder / "explanation.md").write_text("Too many.\n")
    (folder / "failing.yaml").write_text("specc: 1\n")
    (folder / "fixed.yaml").write_text("specc: 1\nname: m\n")
    (folder / "files" / "b.yaml").write_text("B\n")
    (folder / "files" / "a.yaml").write_text("A\n")
    (folder / "limits.toml").write_text("max_variables = 2\nmax_depth = 9\n")
    ex = load_example(codes.LIMIT, root=tmp_path)
    assert ex.code is codes.LIMIT
    assert ex.files == (("a.yaml", b"A\n"), ("b.yaml", b"B\n"))
    assert ex.limits == Limits(max_variables=2, max_depth=9)
    (folder / "limits.toml").write_text("max_vars = 2\n")
    with pytest.raises(ValueError, match="unknown limit 'max_vars'"):
        load_example("limit", root=tmp_path)


def test_diagnostics_page_is_generated_from_the_examples() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/diagnostics.md is stale: regenerate it with "
        "python -m specc.diagnostics.explain docs/diagnostics.md"
    )


def test_page_names_its_regeneration_command() -> None:
    head = DOCS.read_text(encoding="utf-8")[:400]
    assert "python -m specc.diagnostics.explain docs/diagnostics.md" in head


def test_markdown_names_every_code_once_as_a_section() -> None:
    text = render_markdown()
    for code in CODES:
        assert text.count(f"\n## {code}\n") == 1


def test_page_shows_what_the_renderer_prints() -> None:
    """The human form on the page is the variable-exists example, rendered."""
    ex = load_example(codes.VARIABLE_EXISTS)
    comp = compile_text(ex.failing, "model.yaml")
    shown = render_all(comp.diagnostics, comp.sources)
    page = DOCS.read_text(encoding="utf-8")
    block = re.search(r"## How errors are shown\n.*?```\n(.*?)```\n", page, re.DOTALL)
    assert block is not None
    assert block[1] == shown


@pytest.mark.parametrize("code", ["variable-exists", "include", "limit"])
def test_explain_code_prints_the_example(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", code]) == 0
    out = capsys.readouterr().out
    assert out == explain_code_text(code)
    assert out.startswith(f"{code}: {CODES[code].summary}\n")
    ex = load_example(code)
    for line in ex.failing.splitlines() + ex.fixed.splitlines():
        assert "    " + line in out
    for name, _ in ex.files:
        assert f"with {name} beside it:" in out
    assert ex.explanation.strip() in out


def test_explain_code_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(CODES)
    assert lines[3] == f"{'variable-exists':22} {codes.VARIABLE_EXISTS.summary}"


def test_explain_code_unknown_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", "no-such-code"]) == 2
    assert "unknown code" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown diagnostic code"):
        explain_code_text("no-such-code")


def test_limit_flags_name_the_limits_that_differ() -> None:
    assert limit_flags(Limits()) == ""
    assert limit_flags(Limits(max_depth=9, max_variables=2)) == "--max-depth 9 --max-variables 2"


def test_data_is_found_through_the_package() -> None:
    assert examples_root().joinpath("schema", "failing.yaml").is_file()


def test_data_files_are_declared_as_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"diagnostics/examples/*/*"' in pyproject
    assert '"diagnostics/examples/*/files/*"' in pyproject


def test_check_reads_no_code_documentation(tmp_path: Path) -> None:
    """The data files are for explain-code and docs: `specc check`, on a good spec
    and a bad one, imports neither the loader nor what it needs."""
    good = tmp_path / "good.yaml"
    good.write_text("specc: 1\nname: m\nbody:\n  - var: v\n    shape: [1]\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("specc: 1\nname: m\nbody:\n  - var: v\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from specc.cli import main\n"
        f"assert main(['check', {str(good)!r}]) == 0\n"
        f"assert main(['check', {str(bad)!r}]) == 1\n"
        f"assert main(['check', {str(bad)!r}, '--json']) == 1\n"
        "loaded = [m for m in ('specc.diagnostics.explain', 'tomllib') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
