"""The command line: exit codes, output forms, -D overrides, diagnostics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specc.cli import main

SPEC = """\
specc: 1
name: tiny
params: {hidden: 4, wide: $hidden * 2}
body:
  - scope: foo
    body:
      - var: v
        shape: [$hidden, $wide]
      - var: b
        shape: [$wide]
        initializer: zeros
"""

BAD = """\
specc: 1
name: bad
body:
  - scope: foo
    body:
      - var: v
        shape: [1]
  - scope: foo
    body:
      - var: v
        shape: [1]
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(SPEC)
    return p


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(BAD)
    return p


def test_check_json_success_counts(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(spec), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"errors": [], "variables": 2, "parameters": 4 * 8 + 8, "bytes": 160}


def test_define_overrides_a_param_and_dependents(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["table", str(spec), "--json", "-D", "hidden=16"]) == 0
    rows = json.loads(capsys.readouterr().out)["variables"]
    assert [r["shape"] for r in rows] == [[16, 32], [32]]


def test_unknown_define_missing_file_and_bad_flags_exit_2(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(spec), "-D", "nope=1"]) == 2
    assert "unknown param 'nope'" in capsys.readouterr().err
    assert main(["check", str(spec.parent / "missing.yaml")]) == 2
    assert main(["check", str(spec), "-D", "novalue"]) == 2
    assert main(["frobnicate"]) == 2


def test_error_json_is_located(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(bad), "--json"]) == 1
    (err,) = json.loads(capsys.readouterr().out)["errors"]
    assert (err["code"], err["line"], err["column"], err["variable"]) == (
        "variable-exists",
        10,
        9,
        "foo/v",
    )
    assert err["file"] == str(bad)
    assert {"end_line", "end_column"} <= err.keys()
    notes = [{k: n[k] for k in ("message", "at", "line", "column")} for n in err["notes"]]
    assert notes == [{"message": "first created here", "at": f"{bad}:6:9", "line": 6, "column": 9}]


def test_human_diagnostic_has_snippet_caret_note_and_help(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(bad), "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"{bad}:10:9: error[variable-exists]: Variable foo/v already exists, disallowed. "
        "Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?\n"
        "  10 |       - var: v\n"
        "     |         ^~~\n"
        f"  note: first created here at {bad}:6:9\n"
        "  help: set `reuse: true` or `reuse: auto` on the enclosing scope\n"
        "found 1 error\n"
    )


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv"])
def test_table_formats(spec: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table", str(spec), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "foo/v" in out and "foo/b" in out
    if fmt == "text":
        assert "foo" in out.split("scope", 1)[1] and "total" in out and "160 B" in out
    if fmt == "csv":
        assert out.splitlines()[1].startswith("foo/v,foo/v:0,4x8,float32,32,128,")


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    committed = Path(__file__).resolve().parents[1] / "schemas" / "specc.schema.json"
    assert capsys.readouterr().out == committed.read_text()


def test_explain_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", "variable-exists"]) == 0
    assert "The fix" in capsys.readouterr().out
    assert main(["explain-code", "no-such-code"]) == 2


def test_check_and_table_import_neither_numpy_nor_jinja2(spec: Path) -> None:
    code = (
        "import sys\n"
        "from specc.cli import main\n"
        f"assert main(['check', {str(spec)!r}]) == 0\n"
        f"assert main(['table', {str(spec)!r}]) == 0\n"
        "bad = [m for m in ('numpy', 'jinja2') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_python_dash_m_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "specc", "--version"], check=True, capture_output=True, text=True
    )
    assert out.stdout.startswith("specc ")


def test_written_files_get_the_usual_permissions(spec: Path) -> None:
    import os
    import stat

    out = spec.with_suffix(".py")
    assert main(["compile", str(spec), "-o", str(out)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    params = spec.parent / "p.npz"
    assert main(["init", str(spec), "-o", str(params)]) == 0
    assert stat.S_IMODE(params.stat().st_mode) == 0o666 & ~umask


def test_check_counts_equal_the_table_counts(tmp_path: Path) -> None:
    """`check` counts from the store without building rows: same figures."""
    from specc.pipeline import compile_text

    text = (
        "specc: 1\nname: c\nbody:\n"
        "  - var: emb\n    shape: [10, 3]\n    partitioner: {fixed_size: {num_shards: 3}}\n"
        "  - var: ids\n    initializer: {value: [1, 2]}\n"
        "  - var: w\n    shape: [2, 2]\n    dtype: float64\n"
    )
    comp = compile_text(text, str(tmp_path / "c.yaml"))
    assert comp.ok and comp.table is not None
    t = comp.table
    assert comp.summary() == (len(t.variables), t.parameters, t.bytes) == (3, 36, 160)


def test_check_imports_only_the_pipeline(tmp_path: Path) -> None:
    """`specc check` is on every save in an editor: it loads no other command's
    code, NumPy or jinja2 (start-up time)."""
    spec = tmp_path / "s.yaml"
    spec.write_text("specc: 1\nname: s\nbody:\n  - var: w\n    shape: [2]\n")
    code = (
        "import sys\nfrom specc.cli import main\n"
        f"assert main(['check', {str(spec)!r}]) == 0\n"
        "heavy = ('numpy', 'jinja2', 'specc.reports.diff', 'specc.emit', 'specc.reports.explain', "
        "'specc.lang.schema', 'specc.reports.tree', 'specc.reports.against')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_main_hands_what_it_built_to_the_caller(tmp_path: Path) -> None:
    """`keep` receives the compilation, so the executable can exit without
    freeing it object by object."""
    spec = tmp_path / "s.yaml"
    spec.write_text("specc: 1\nname: s\nbody:\n  - var: w\n    shape: [2]\n")
    keep: list[object] = []
    assert main(["check", str(spec)], keep=keep) == 0
    assert len(keep) == 1 and getattr(keep[0], "ok", False)
