"""Malformed specs in `tests/bad/`: each must fail cleanly, at the right place.

Every `tests/bad/*.yaml` file opens with comment lines that state what
`specc check FILE --json` must report (helper files such as included ones live
in subfolders and are not cases themselves):

    # expect: CODE LINE:COL    the first diagnostic; repeat to pin later ones too;
                               # CODE FILE:LINE:COL when it is in another file
                               # (FILE relative to tests/bad, e.g. an include)
    # flags: --max-nodes 50    extra command-line flags (shell-quoted)
    # exit: 2                  a usage error: exit 2, nothing on stdout
    # message: TEXT            TEXT occurs in the first diagnostic's message or help
    # note: LINE:COL           the first diagnostic has a note located there
    # stderr: TEXT             (with exit 2) TEXT occurs in the usage error
    # snippet: none            the human form shows no source line (nothing to show)

Lines and columns count the comment lines too: they are the file's own.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from specc.cli import main

BAD = Path(__file__).parent / "bad"
CASES = sorted(p for p in BAD.glob("*.yaml") if p.is_file())

_DIRECTIVE = re.compile(r"#\s*(expect|flags|exit|message|note|stderr|snippet):\s*(.*?)\s*$")
_EXPECT = re.compile(r"([a-z-]+)\s+(?:(\S+):)?(\d+):(\d+)")
_AT = re.compile(r"(\d+):(\d+)")


@dataclass
class Case:
    path: Path
    expect: list[tuple[str, int, int]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    exit: int = 1
    messages: list[str] = field(default_factory=list)
    notes: list[tuple[int, int]] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    snippet: bool = True

    @property
    def argv(self) -> list[str]:
        return [str(self.path), *self.flags]


def read_case(path: Path) -> Case:
    """Parse the leading comment lines of a case file (which may not be UTF-8)."""
    case = Case(path)
    for raw in path.read_bytes().decode("latin-1").splitlines():
        if not raw.startswith("#"):
            break
        m = _DIRECTIVE.match(raw)
        if m is None:
            continue
        kind, arg = m.groups()
        if kind == "expect":
            e = _EXPECT.fullmatch(arg)
            assert e, f"{path.name}: bad expect line {raw!r}"
            case.expect.append((e[1], int(e[3]), int(e[4])))
            case.files.append(BAD / e[2] if e[2] else path)
        elif kind == "flags":
            case.flags.extend(shlex.split(arg))
        elif kind == "exit":
            case.exit = int(arg)
        elif kind == "message":
            case.messages.append(arg)
        elif kind == "note":
            a = _AT.fullmatch(arg)
            assert a, f"{path.name}: bad note line {raw!r}"
            case.notes.append((int(a[1]), int(a[2])))
        elif kind == "stderr":
            case.stderr.append(arg)
        elif kind == "snippet":
            case.snippet = arg.split()[0] != "none"
    assert case.expect or case.exit == 2, f"{path.name}: no `# expect:` line"
    return case


def run_json(case: Case, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(["check", *case.argv, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    payload = json.loads(out) if out.strip() else {}
    return code, payload, err


def test_enough_cases() -> None:
    assert len(CASES) >= 45


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_bad_input(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = read_case(path)
    code, payload, err = run_json(case, capsys)
    assert code == case.exit, (code, payload, err)
    if case.exit == 2:
        assert not payload
        assert "error: " in err
        for text in case.stderr:
            assert text in err
        return
    errors = payload["errors"]
    assert errors, "exit 1 without any error"
    got = [(e["code"], e["line"], e["column"]) for e in errors[: len(case.expect)]]
    assert got == case.expect, json.dumps(errors[: len(case.expect) + 1], indent=2)
    for e, want in zip(errors, case.files, strict=False):
        assert Path(e["file"]).resolve() == want.resolve(), e
    first = errors[0]
    for text in case.messages:
        assert text in first["message"] + "\n" + first.get("help", ""), first
    for line, col in case.notes:
        wanted = f":{line}:{col}"
        assert any(n.get("at", "").endswith(wanted) for n in first.get("notes", [])), first


SPEC_ERROR_CASES = [p for p in CASES if read_case(p).exit != 2]


@pytest.mark.parametrize("path", SPEC_ERROR_CASES, ids=lambda p: p.stem)
def test_diagnostics_are_located(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = read_case(path)
    _, payload, _ = run_json(case, capsys)
    for e in payload["errors"]:
        assert e["message"].strip(), e
        assert e["file"], e
        assert isinstance(e["line"], int) and e["line"] >= 1, e
        assert isinstance(e["column"], int) and e["column"] >= 1, e
        for note in e.get("notes", []):
            assert note["message"].strip(), e


@pytest.mark.parametrize("path", SPEC_ERROR_CASES, ids=lambda p: p.stem)
def test_human_rendering(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`specc check FILE` prints `file:line:col: error[code]: ...`, the source line
    and an underline (`^~~`) starting under the column."""
    case = read_case(path)
    code = main(["check", *case.argv, "--color", "never"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    want_code, line, col = case.expect[0]
    lines = err.splitlines()
    head = f":{line}:{col}: error[{want_code}]: "
    assert head in lines[0], lines[0]
    assert re.fullmatch(r"found \d+ errors?", lines[-1]), lines[-1]
    if not case.snippet:
        return
    text = case.files[0].read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    src = text.splitlines()[line - 1]
    shown = f"  {line} | {src.expandtabs(8)}"
    assert lines[1] == shown, lines[:3]
    caret = lines[2]
    gutter = len(f"  {line} | ")
    assert re.search(r"\^~*$", caret) and caret[: gutter - 2].strip() == ""
    assert caret[gutter - 2] == "|"
    want = gutter + len(src[: col - 1].expandtabs(8))
    assert caret.index("^") == want, lines[:3]
