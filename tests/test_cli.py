"""The command line: exit codes, output forms, -D overrides, diagnostics, help
texts, and the package's shape (one command per module, imported by no one)."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import specc.cli
from specc.cli import COMMAND_NAMES, ExitCode, build_parser, load_command, main
from specc.limits import Limits

ROOT = Path(__file__).resolve().parents[1]

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
    assert out == {
        "errors": [],
        "warnings": [],
        "variables": 2,
        "parameters": 4 * 8 + 8,
        "bytes": 160,
    }


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
        assert out.splitlines()[1].startswith('foo/v,foo/v:0,"[4, 8]",float32,32,128,')


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    committed = Path(__file__).resolve().parents[1] / "specc" / "schemas" / "specc.schema.json"
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
        "'specc.lang.schema', 'specc.reports.tree', 'specc.reports.against', "
        "'specc.reports.table', 'specc.formats.params', 'specc.formats.npz', "
        "'specc.formats.safetensors', 'specc.runtime.api', "
        "'specc.cli.table', 'specc.cli.diff', 'specc.cli.compile', 'specc.cli.init', "
        "'specc.cli.schema', 'specc.cli.explain', 'specc.cli.explain_code')\n"
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


# ------------------------------------------------------------------ exit codes


def test_exit_codes_are_defined_once() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("ERRORS", 1),
        ("USAGE", 2),
        ("INTERRUPTED", 130),
        ("HANGUP", 129),
        ("TERMINATED", 143),
    ]


def test_exit_codes_of_check(spec: Path, bad: Path) -> None:
    assert main(["check", str(spec)]) == ExitCode.OK
    assert main(["check", str(bad), "--color", "never"]) == ExitCode.ERRORS
    assert main(["check", str(spec), "--no-such-flag"]) == ExitCode.USAGE
    assert main(["check"]) == ExitCode.USAGE
    assert main([]) == ExitCode.USAGE


def test_interrupt_exits_130(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(opts: object, keep: list[object]) -> ExitCode:
        raise KeyboardInterrupt

    module = importlib.import_module("specc.cli.check")
    monkeypatch.setattr(module, "COMMAND", dataclasses.replace(module.COMMAND, run=interrupted))
    assert main(["check", str(spec)]) == 130
    assert capsys.readouterr().err == "specc: interrupted; nothing was written\n"


# ------------------------------------------------------------------ did you mean


def test_mistyped_command_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chek", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert err == "specc: error: unknown command 'chek'; did you mean 'check'?\n"
    assert main(["explain_code"]) == 2
    assert "did you mean 'explain-code'?" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert capsys.readouterr().err == "specc: error: unknown command 'frobnicate'\n"


def test_a_mistyped_option_gets_the_command_usage_and_did_you_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "examples/mlp.yaml", "--jsn"]) == 2
    assert capsys.readouterr().err == (
        "usage: specc check [options] SPEC\n"
        "specc check: error: unrecognized arguments: --jsn; did you mean '--json'?\n"
    )
    assert main(["explain", "examples/mlp.yaml", "mlp/dense/kernel", "--json", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: specc explain ")
    assert err.endswith("specc explain: error: unrecognized arguments: --json x\n")
    # a typo of the required -o/--output: named, not "-o is required"
    assert main(["init", "examples/mlp.yaml", "--ouput", "x.npz"]) == 2
    assert capsys.readouterr().err.endswith(
        "specc init: error: unrecognized arguments: --ouput; did you mean '--output'?\n"
    )
    assert main(["init", "examples/mlp.yaml"]) == 2
    assert capsys.readouterr().err.endswith(
        "specc init: error: the following arguments are required: -o/--output\n"
    )


def test_a_folder_given_as_the_spec_is_named_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["check"], ["table"], ["compile"], ["init", "-o", "p.npz"]):
        assert main([*command, str(tmp_path)]) == 2
        assert capsys.readouterr().err == (
            f"specc: error: {tmp_path} is a folder: give the spec file (a .yaml file in it)\n"
        )


def test_usage_errors_are_one_line_whatever_they_quote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path or an argument with a newline or a terminal escape is shown
    escaped; an empty argument is shown quoted."""
    assert main(["check", "no\nx\x1b[2J.yaml"]) == 2
    assert capsys.readouterr().err == "specc: error: no such spec file: no\\nx\\x1b[2J.yaml\n"
    assert main(["check", "examples/mlp.yaml", ""]) == 2
    assert capsys.readouterr().err.endswith("specc check: error: unrecognized arguments: ''\n")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert main(["check", str(loop)]) == 2
    assert "is a symbolic link to nothing (or a loop of links)" in capsys.readouterr().err


def test_unknown_code_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-code", "variable-exist"]) == 2
    assert capsys.readouterr().err == (
        "specc: error: unknown code 'variable-exist'; did you mean 'variable-exists'?\n"
    )
    assert main(["explain-code", "zzzz"]) == 2
    assert "run `specc explain-code` to list them all" in capsys.readouterr().err


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_help_has_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: specc {name} ")
    example = out.split("\nExample:\n", 1)[1]
    assert example.strip().startswith(f"specc {name}")


def test_top_level_help_lists_every_command_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMAND_NAMES:
        assert f"\n    {name}" in out
    assert "\nExamples:\n  specc check " in out


def _compiling_commands() -> list[str]:
    """The commands that compile a spec: those with -D."""
    return [n for n in COMMAND_NAMES if "-D" in _subparser(n)._option_string_actions]


def _subparser(name: str) -> argparse.ArgumentParser:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            parser: argparse.ArgumentParser = action.choices[name]
            return parser
    raise AssertionError("no subcommands")


def test_limits_sit_in_their_own_group_not_the_usage_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = _compiling_commands()
    assert set(names) == {"check", "table", "diff", "compile", "init", "explain"}
    flags = {Limits.flag(n) for n in Limits.field_names()}
    for name in names:
        groups = {g.title: g for g in _subparser(name)._action_groups}
        in_group = {s for a in groups["limits"]._group_actions for s in a.option_strings}
        assert in_group == flags, name
        assert main([name, "--help"]) == 0
        usage = capsys.readouterr().out.split("\n\n", 1)[0]
        assert "--max" not in usage and "[options]" in usage, usage
    assert main(["check", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: specc check [options] SPEC\n")


def test_compiling_commands_share_their_pipeline_options() -> None:
    """-D, --color and the limits come from one helper: same flags, same types."""
    reference = _subparser("check")._option_string_actions
    shared = ["-D", "--color", *(Limits.flag(n) for n in Limits.field_names())]
    for name in _compiling_commands():
        actions = _subparser(name)._option_string_actions
        for flag in shared:
            a, b = actions[flag], reference[flag]
            assert (a.dest, a.type, a.choices, a.default) == (b.dest, b.type, b.choices, b.default)


# ------------------------------------------------------------------ -D and limits everywhere


def _argv(name: str, spec: Path) -> list[str]:
    """A command line of `name` that would compile `spec` successfully."""
    out = spec.parent
    return {
        "check": ["check", str(spec)],
        "table": ["table", str(spec)],
        "diff": ["diff", str(spec), str(spec)],
        "compile": ["compile", str(spec), "-o", str(out / "m.py")],
        "init": ["init", str(spec), "-o", str(out / "p.npz")],
        "explain": ["explain", str(spec), "foo/v"],
    }[name]


@pytest.mark.parametrize("name", ["check", "table", "diff", "compile", "init", "explain"])
def test_undeclared_define_is_a_usage_error_in_every_command(
    name: str, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_argv(name, spec), "-D", "nope=1"]) == 2
    captured = capsys.readouterr()
    assert "unknown param 'nope'; declared params: hidden, wide" in captured.err
    assert captured.out == ""
    assert not (spec.parent / "m.py").exists() and not (spec.parent / "p.npz").exists()


@pytest.mark.parametrize("name", ["check", "table", "diff", "compile", "init", "explain"])
def test_limits_and_bad_defines_are_refused_alike(
    name: str, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_argv(name, spec), "--max-nodes", "0"]) == 2
    assert "argument --max-nodes: expected a positive integer, got 0" in capsys.readouterr().err
    assert main([*_argv(name, spec), "-D", "hidden"]) == 2
    assert "argument -D: expected NAME=VALUE, got 'hidden'" in capsys.readouterr().err
    assert main([*_argv(name, spec), "--max-statements", "1", "--color", "never"]) == 1
    if name != "explain":  # explain only notes that the spec has errors
        assert "--max-statements" in capsys.readouterr().err


def test_define_values_are_yaml_scalars(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table", str(spec), "--json", "-D", "hidden=0x10"]) == 0
    rows = json.loads(capsys.readouterr().out)["variables"]
    assert rows[0]["shape"] == [16, 32]
    assert main(["check", str(spec), "-D", "hidden=", "--json"]) == 2
    assert "is not a number, boolean or string" in capsys.readouterr().err


# ------------------------------------------------------------------ contradictory flags


@pytest.mark.parametrize("fmt", ["tree", "markdown", "csv", "text"])
def test_json_contradicts_another_format(
    spec: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["table", str(spec), "--json", "--format", fmt]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"specc: error: --json contradicts --format {fmt}; pass one of them\n"


def test_json_with_format_json_is_the_same_request(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["table", str(spec), "--json", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "tiny"


# ------------------------------------------------------------------ the package's shape


def test_every_command_module_defines_its_command() -> None:
    for name in COMMAND_NAMES:
        command = load_command(name)
        assert command.name == name
        assert command.__class__.__module__ == "specc.cli.common"
    modules = {p.stem for p in (ROOT / "specc" / "cli").glob("*.py")}
    assert {n.replace("-", "_") for n in COMMAND_NAMES} <= modules


def test_help_and_explain_code_load_no_pipeline() -> None:
    """Building the parser imports no command's implementation."""
    code = (
        "import sys, contextlib, io\nfrom specc.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
        "    for name in ('check', 'table', 'diff', 'compile', 'init', 'explain'):\n"
        "        assert main([name, '--help']) == 0\n"
        "    assert main(['explain-code']) == 0\n"
        "heavy = ('specc.pipeline', 'pydantic', 'yaml', 'numpy', 'jinja2')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "script", sorted(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
)
def test_every_console_script_answers_help(script: str) -> None:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"][script]
    module, _, func = target.partition(":")
    assert module.startswith("specc.cli.")
    code = f"import sys; sys.argv = [{script!r}, '--help']; from {module} import {func}; {func}()"
    r = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: {script} ")
    assert "Example" in r.stdout


def test_cli_package_is_the_only_home_of_the_commands() -> None:
    assert not hasattr(importlib.import_module("specc.reports.against"), "cmd_against")
    diff = importlib.import_module("specc.reports.diff")
    assert not hasattr(diff, "cmd_diff") and not hasattr(diff, "_compile_one")
    assert specc.cli.__all__


def _specc(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_check_table_and_diff_read_a_spec_from_stdin() -> None:
    """`-` is the spec on standard input, named <stdin> (what editors' linters
    hand over); includes resolve from the current folder."""
    mlp = (ROOT / "examples" / "mlp.yaml").read_text()
    r = _specc(["check", "-"], mlp)
    assert (r.returncode, r.stdout) == (
        0,
        "<stdin>: ok: 6 variables, 269,322 parameters, 1,077,288 bytes\n",
    )
    assert _specc(["table", "-", "--json"], mlp).stdout == _specc(
        ["table", "examples/mlp.yaml", "--json"], ""
    ).stdout.replace('"examples/mlp.yaml', '"<stdin>')
    wide = mlp.replace("hidden: 256", "hidden: 512")
    r = _specc(["diff", "examples/mlp.yaml", "-"], wide)
    assert r.returncode == 1 and "would not restore <stdin>" in r.stdout
    bad = "specc: 1\nname: x\nbody:\n  - {var: v, shape: [2]}\n  - {var: v, shape: [3]}\n"
    r = _specc(["check", "-"], bad)
    assert r.returncode == 1 and r.stderr.startswith("<stdin>:5:5: error[variable-exists]")


def test_stdin_is_refused_where_a_file_is_needed(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["diff", "-", "-"], ["compile", "-"], ["explain", "-", "v"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("specc: error: ") and ("standard input" in err or "`-` is for" in err)
