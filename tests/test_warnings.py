"""Warnings: legal but likely wrong. They leave the exit code at 0 unless
`--strict` (or `-W error`), come with every command's output on stderr, are a
list of their own in JSON, and `# specc: ignore[code]` on a line silences one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli import main
from specc.pipeline import compile_text

HEADER = "specc: 1\nname: m\n"
UNUSED = HEADER + "params: {hidden: 4, dropout: 0.1}\nbody:\n  - var: w\n    shape: [$hidden]\n"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(UNUSED)
    return path


def test_a_warning_leaves_check_ok(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{spec}: ok: 1 variable,")
    assert f"{spec}:3:21: warning[unused-param]: param 'dropout' is never used" in err
    assert err.endswith("found 1 warning\n")


@pytest.mark.parametrize("flag", [["--strict"], ["-W", "error"]])
def test_strict_makes_warnings_fail(spec: Path, flag: list[str]) -> None:
    assert main(["check", str(spec), *flag]) == 1
    assert main(["table", str(spec), *flag]) == 1


def test_json_lists_warnings_apart(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(spec), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == []
    assert [w["code"] for w in out["warnings"]] == ["unused-param"]
    assert out["warnings"][0]["severity"] == "warning"
    assert main(["check", str(spec), "--json", "--strict"]) == 1


def test_warnings_do_not_block_other_commands(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", str(spec), "-o", str(tmp_path / "m.py")]) == 0
    assert "warning[unused-param]" in capsys.readouterr().err
    assert main(["table", str(spec), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "warning[unused-param]" in err
    assert json.loads(out)["name"] == "m"  # stdout stays clean JSON


def test_an_ignore_comment_silences_one_code_on_its_line() -> None:
    text = HEADER + (
        "params: {hidden: 4, dropout: 0.1}  # specc: ignore[unused-param]\n"
        "body:\n  - var: w\n    shape: [$hidden]\n"
    )
    assert compile_text(text).diagnostics == []
    other = text.replace("ignore[unused-param]", "ignore[constant-if]")
    assert [d.code for d in compile_text(other).diagnostics] == ["unused-param"]
    both = text.replace("ignore[unused-param]", "ignore[constant-if, unused-param]")
    assert compile_text(both).diagnostics == []


def test_an_error_cannot_be_ignored() -> None:
    text = (
        HEADER + "body:\n  - var: w\n    shape: [1]\n  - var: w  # specc: ignore[variable-exists]\n"
    )
    assert [d.code for d in compile_text(text).diagnostics] == ["variable-exists"]


def test_near_duplicate_only_where_a_default_name_was_made_unique() -> None:
    """`layer_${i}` names under `reuse: auto` are meant: no warning; a second
    default-name scope under it is the TF pitfall."""
    explicit = HEADER + (
        "body:\n  - scope: s\n    reuse: auto\n    body:\n"
        "      - repeat: 2\n        as: i\n        body:\n"
        "          - scope: layer_${i}\n            body:\n"
        "              - var: w\n                shape: [1]\n"
    )
    assert compile_text(explicit).diagnostics == []
    default = HEADER + (
        "body:\n  - scope: s\n    reuse: auto\n    body:\n"
        "      - repeat: 2\n        body:\n"
        "          - scope: null\n            default_name: layer\n            body:\n"
        "              - var: w\n                shape: [1]\n"
    )
    found = compile_text(default).diagnostics
    assert [d.code for d in found] == ["near-duplicate"]
    assert "'s/layer_1/w' beside 's/layer/w'" in found[0].message


def test_unused_partitioner_is_quiet_when_resolution_failed() -> None:
    text = HEADER + (
        "body:\n  - scope: s\n    partitioner: {min_max: {axis: 2}}\n    body:\n"
        "      - var: w\n        shape: [4, 4]\n"
    )
    assert [d.code for d in compile_text(text).diagnostics] == ["partition-invalid"]


def test_std_templates_never_warn() -> None:
    text = HEADER + "include: [std]\nbody:\n  - use: dense\n    with: {in_dim: 2, units: 3}\n"
    assert compile_text(text).diagnostics == []


NESTED = (
    HEADER
    + """body:
  - scope: a
    capture: ca
    body:
      - scope: inner
        capture: ci
        body:
          - var: w
            shape: [1]
            if: true
  - scope: b
    capture: cb
    body:
      - var: w
        shape: [1]
  - var: x
    shape: [1]
    if: false
"""
)


def test_warnings_of_one_check_come_in_source_order() -> None:
    found = [(d.code, d.span.line) for d in compile_text(NESTED).diagnostics if d.span]
    assert found == [
        ("unused-capture", 5),
        ("unused-capture", 8),
        ("unused-capture", 14),
        ("constant-if", 12),
        ("constant-if", 20),
    ]
