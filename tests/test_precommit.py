"""The pre-commit hook: stale generated modules fail, other YAML is skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from specc.cli import main as cli_main
from specc.cli.precommit import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = "specc: 1\nname: m\nbody:\n  - var: w\n    shape: [2, 3]\n"


def test_hook_definition_runs_the_console_script() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "specc-compile-check"
    assert hook["entry"] == "specc-compile-check"
    assert "specc-compile-check" in (ROOT / "pyproject.toml").read_text()


def test_stale_module_fails_and_fresh_one_passes(tmp_path: Path) -> None:
    spec = tmp_path / "m.yaml"
    spec.write_text(SPEC)
    other = tmp_path / "config.yaml"
    other.write_text("just: yaml\n")
    assert main([str(spec), str(other)]) == 0  # no module yet: nothing to keep fresh
    assert cli_main(["compile", str(spec)]) == 0
    assert main([str(spec), str(other)]) == 0
    spec.write_text(SPEC.replace("[2, 3]", "[2, 4]"))
    assert main([str(spec)]) == 1
    assert cli_main(["compile", str(spec)]) == 0
    assert main([str(spec)]) == 0


def test_help_and_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: specc-compile-check [-h] [FILE ...]")
    assert "\nExample" in out
    assert main(["--frobnicate"]) == 2
    assert "specc-compile-check: error: unrecognized arguments: --frobnicate" in (
        capsys.readouterr().err
    )


def test_files_after_double_dash_may_look_like_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("-m.yaml").write_text(SPEC)
    assert cli_main(["compile", "--", "-m.yaml"]) == 0
    assert main(["--", "-m.yaml"]) == 0
    Path("-m.yaml").write_text(SPEC.replace("[2, 3]", "[2, 4]"))
    assert main(["--", "-m.yaml"]) == 1


def test_a_fifo_among_the_files_is_skipped_unread(tmp_path: Path) -> None:
    """pre-commit passes file names; a FIFO among them must not block the hook."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert main([str(fifo)]) == 0
