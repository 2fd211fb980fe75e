"""`specc completion SHELL`: scripts generated from the parser by shtab."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SPECC = str(Path(sys.executable).parent / "specc")


def script(shell: str) -> str:
    return subprocess.run(
        [SPECC, "completion", shell], capture_output=True, text=True, check=True
    ).stdout


def complete_in_bash(*words: str) -> list[str]:
    """What the bash script offers for `specc WORDS...` (the last word partial)."""
    words_text = " ".join(words)
    code = (
        f"source /dev/stdin; COMP_WORDS=(specc {words_text}); "
        f"COMP_CWORD={len(words)}; _shtab_specc; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    out = subprocess.run(
        ["bash", "-c", code], input=script("bash"), capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_bash_completes_commands_and_their_flags() -> None:
    assert complete_in_bash("ch") == ["check"]
    assert "explain-code" in complete_in_bash("ex")
    assert complete_in_bash("check", "--st") == ["--strict"]
    assert "--max-depth" in complete_in_bash("table", "--max-d")


def test_bash_completes_the_codes_of_explain_code() -> None:
    assert complete_in_bash("explain-code", "variable-e") == ["variable-exists"]
    assert "near-duplicate" in complete_in_bash("explain-code", "")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command(shell: str) -> None:
    from specc.cli import COMMAND_NAMES

    text = script(shell)
    for name in COMMAND_NAMES:
        assert name in text
    checker = shutil.which(shell)
    if checker is not None:  # the shell itself, where installed, parses the script
        args = [checker, "-n"] if shell == "zsh" else [checker, "--no-execute"]
        subprocess.run([*args, "/dev/stdin"], input=text, text=True, check=True)


def test_an_unknown_shell_is_a_usage_error() -> None:
    r = subprocess.run([SPECC, "completion", "csh"], capture_output=True, text=True, check=False)
    assert r.returncode == 2
