"""Every shell command the docs show runs, as shown, through the installed specc.

One mechanism for every page of docs/ and README.md. A page is read top to
bottom, its fenced blocks in order, in a fresh folder holding a copy of the
repository's `examples/` (and `home/`, the `~` of its commands):

- A block with a title (```` ```yaml title="model.yaml" ````, which the site
  shows as the file's name) is that file: it is written before the commands
  after it run, so a page creates what its commands read.
- A ```` ```sh ```` block is commands, one a line (a line ending in `\\` goes on),
  each run by bash (`-u`: an unset variable is an error) in the page's folder
  (a `cd` lasts for its line): each exits 0, or N when its last comment is
  `# exit N` (`# exit 1: ...`).
  A plain block right after it (nothing but blank lines between) is what the
  block prints.
- A plain block whose lines start with `$ `, one of them `$ specc ...`, is a
  terminal session: each `$ COMMAND` prints the lines below it (up to the next
  `$ `), and exits as a following `$ echo $?` shows, else as its `# exit N`
  comment says, else 1 when the output shows an `error[...]` line, 2 when it
  starts `specc: error:` (a usage error), and 0 otherwise. (A session without
  specc, such as a benchmark's timings, is not run.)

Output is stdout and stderr together, as a terminal shows them, compared line
by line with trailing spaces dropped: a line `...` (indented or not) stands for
any lines (none included), and `...` inside a line for any text. The work
folder's absolute path reads as `/tmp/work`. A block of another kind that
shows a command fails the guard test: show it runnable, or as a
```` ```text ```` synopsis (a command that needs what no test has: a cluster,
an editor, the network).

Pages run side by side (most of their time is specc starting up), each in its
own folder; a page's commands run in order, as a reader would type them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]

#: Commands shown but not run, by page and the command's first characters, each
#: with its reason. Keep it short; every entry is reviewed.
NOT_RUN: dict[tuple[str, str], str] = {
    ("README.md", "python3 -m venv .venv && .venv/bin/pip install -q -e . &&"): (
        "installs specc into a new venv from the package index; the environment "
        "this test runs in is made by the same commands (.ci/run), and the "
        "README's fresh-clone check runs them as written"
    ),
    ("README.md", "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' &&"): (
        "installs the development tools and runs this very test suite"
    ),
}

#: a fenced block: its info string and its text
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*\n", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'\btitle="([^"]+)"')
_EXIT = re.compile(r"#\s*exit\s+(\d+)\b[^#]*$")
#: a session line that runs specc (a session without one, such as a benchmark's
#: timings, is not run)
_SHOWS_SPECC = re.compile(r"^\$ specc", re.MULTILINE)
#: a line that shows a specc command, with or without a prompt
_SHOWS_COMMAND = re.compile(r"^(\$ |specc(-compile-check)? )", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    lang: str  # the info string's first word, "" for a plain block
    title: str | None
    body: str
    line: int  # of the opening fence, 1-based
    after_previous: bool  # only blank lines between this block and the one before


@dataclass
class Command:
    text: str
    exit: int


@dataclass
class Step:
    """Commands run in order, then their output compared with `shown`."""

    line: int
    commands: list[Command] = field(default_factory=list)
    shown: list[str] | None = None


@dataclass(frozen=True)
class WriteFile:
    line: int
    path: str
    text: str


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    end = 0
    for m in _FENCE.finditer(text):
        info = m.group(1).strip()
        title = _TITLE.search(info)
        out.append(
            Block(
                lang=info.split()[0] if info else "",
                title=title.group(1) if title else None,
                body=m.group(2),
                line=text.count("\n", 0, m.start()) + 1,
                after_previous=bool(out) and not text[end : m.start()].strip(),
            )
        )
        end = m.end()
    return out


def _is_session(block: Block) -> bool:
    return block.lang == "" and block.body.startswith("$ ")


def _logical_lines(body: str) -> list[str]:
    """The commands of a sh block: `\\`-continued lines joined, comments and
    blank lines dropped."""
    out: list[str] = []
    pending = ""
    for raw in body.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = (pending + raw).strip()
        pending = ""
        if line and not line.startswith("#"):
            out.append(line)
    assert not pending, f"a command ends in `\\`: {body!r}"
    return out


def _marked_exit(command: str) -> int | None:
    m = _EXIT.search(command)
    return int(m.group(1)) if m else None


def _inferred_exit(shown: list[str]) -> int:
    if any("error[" in line for line in shown):
        return 1
    if shown and shown[0].startswith("specc: error:"):
        return 2
    return 0


def _session_steps(block: Block) -> list[Step]:
    shown_by: list[tuple[int, str, list[str]]] = []  # line, command, the lines below it
    for offset, line in enumerate(block.body.splitlines()):
        if line.startswith("$ "):
            shown_by.append((block.line + 1 + offset, line[2:], []))
        else:
            shown_by[-1][2].append(line)
    steps: list[Step] = []
    for line_no, command, shown in shown_by:
        if command.strip() == "echo $?":
            assert steps, f"line {line_no}: `echo $?` follows no command"
            steps[-1].commands[-1].exit = int(shown[0])
            continue
        marked = _marked_exit(command)
        code = marked if marked is not None else _inferred_exit(shown)
        steps.append(Step(line=line_no, commands=[Command(command, code)], shown=shown))
    return steps


def page_steps(text: str) -> list[Step | WriteFile]:
    """What running the page means: files to write and commands to run, in order."""
    found = blocks(text)
    steps: list[Step | WriteFile] = []
    for i, block in enumerate(found):
        if block.title is not None:
            steps.append(WriteFile(block.line, block.title, block.body))
        elif block.lang == "sh":
            step = Step(
                line=block.line,
                commands=[Command(c, _marked_exit(c) or 0) for c in _logical_lines(block.body)],
            )
            following = found[i + 1] if i + 1 < len(found) else None
            if (
                following
                and following.after_previous
                and following.lang == ""
                and not _is_session(following)
            ):
                step.shown = following.body.splitlines()
            steps.append(step)
        elif _is_session(block) and _SHOWS_SPECC.search(block.body):
            steps.extend(_session_steps(block))
    return steps


def _not_run(page: str, command: str) -> bool:
    return any(page == p and command.startswith(prefix) for p, prefix in NOT_RUN)


def _line_matches(pattern: str, line: str) -> bool:
    if "..." not in pattern:
        return pattern == line
    regex = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(regex, line) is not None


def output_matches(shown: list[str], printed: list[str]) -> bool:
    """`shown` (with `...` lines and `...` in lines) against what was printed."""
    if not shown:
        return not printed
    head, rest = shown[0], shown[1:]
    if head.strip() == "...":
        return any(output_matches(rest, printed[k:]) for k in range(len(printed) + 1))
    return bool(printed) and _line_matches(head, printed[0]) and output_matches(rest, printed[1:])


def _clean(lines: list[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def _environment(work: Path) -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "specc").exists(), f"specc is not installed beside {sys.executable}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "CLICOLOR_FORCE", "NO_COLOR"}
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(work / "home"),
        COLUMNS="80",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_page(page: Path, work: Path) -> list[str]:
    """Run a page's steps in `work`; return what disagreed with the page."""
    shutil.copytree(ROOT / "examples", work / "examples")
    (work / "home").mkdir()
    env = _environment(work)
    name = page.relative_to(ROOT).as_posix()
    problems: list[str] = []
    for step in page_steps(page.read_text(encoding="utf-8")):
        if isinstance(step, WriteFile):
            target = work / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        commands = [c for c in step.commands if not _not_run(page.name, c.text)]
        printed: list[str] = []
        for command in commands:
            done = subprocess.run(
                ["bash", "-u", "-c", command.text],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
                check=False,
            )
            out = done.stdout.replace(str(work.resolve()), "/tmp/work")
            out = out.replace(str(work), "/tmp/work")
            where = f"{name}:{step.line}: `{command.text}`"
            if "Traceback" in out:
                problems.append(f"{where} crashed:\n{out}")
            elif done.returncode != command.exit:
                problems.append(
                    f"{where} exited {done.returncode}, the page says {command.exit}:\n{out}"
                )
            printed.extend(out.splitlines())
        if commands and step.shown is not None:
            shown, got = _clean(step.shown), _clean(printed)
            if not output_matches(shown, got):
                problems.append(
                    f"{name}:{step.line}: the page shows\n"
                    + "\n".join(shown)
                    + "\nbut the commands printed\n"
                    + "\n".join(got)
                )
    return problems


@pytest.fixture(scope="module")
def page_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[Path, Future[list[str]]]:
    """The selected pages, run side by side: each is a chain of commands that
    wait for one another, and most of their time is specc starting up."""
    selected = {
        item.callspec.params["page"]
        for item in request.session.items
        if item.originalname == "test_page_commands_run_as_shown"
    }
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1))
    request.addfinalizer(pool.shutdown)
    return {
        page: pool.submit(run_page, page, tmp_path_factory.mktemp(page.stem))
        for page in sorted(selected, key=lambda p: p.name != "cli.md")  # the longest first
    }


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_commands_run_as_shown(page: Path, page_runs: dict[Path, Future[list[str]]]) -> None:
    problems = page_runs[page].result()
    assert not problems, "\n\n".join(problems)


def test_pages_show_commands_only_where_they_run() -> None:
    """A command shown in a block of another kind would escape the test."""
    for page in PAGES:
        for block in blocks(page.read_text(encoding="utf-8")):
            if block.lang in {"sh", "text"} or _is_session(block) or block.title:
                continue
            hit = _SHOWS_COMMAND.search(block.body)
            assert hit is None, (
                f"{page.name}:{block.line}: a command in a block that does not run: "
                "make it a `sh` block or a `$ ` session, or a ```text synopsis"
            )


def test_every_not_run_entry_is_shown_somewhere() -> None:
    for page_name, prefix in NOT_RUN:
        page = ROOT / page_name if page_name == "README.md" else DOCS / page_name
        commands = [
            c.text
            for step in page_steps(page.read_text(encoding="utf-8"))
            if isinstance(step, Step)
            for c in step.commands
        ]
        assert any(c.startswith(prefix) for c in commands), (page_name, prefix)


def test_the_pages_run_commands() -> None:
    for name in ("tutorial.md", "cli.md", "checkpoints.md"):
        steps = page_steps((DOCS / name).read_text(encoding="utf-8"))
        assert sum(len(s.commands) for s in steps if isinstance(s, Step)) >= 3, name


def test_output_matching() -> None:
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert output_matches(["a", "...", "b"], ["a", "b"])
    assert output_matches(["x: ... bytes"], ["x: 12 bytes"])
    assert not output_matches(["a"], ["a", "b"])
    assert not output_matches(["a", "...", "d"], ["a", "b"])


def test_session_exit_codes() -> None:
    text = (
        "```\n$ specc chek x\nspecc: error: unknown command\n"
        "$ specc check bad.yaml\nbad.yaml:1:1: error[schema]: no\n"
        "$ specc explain m.yaml nope\nspecc: no variable\n$ echo $?\n1\n"
        "$ specc table m.yaml   # exit 3\n"
        "$ specc check m.yaml\nok\n```\n"
    )
    steps = [s for s in page_steps(text) if isinstance(s, Step)]
    assert [s.commands[0].exit for s in steps] == [2, 1, 1, 3, 0]
    assert steps[2].shown == ["specc: no variable"]


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def test_every_page_is_in_the_site_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_pages(config["nav"])
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    missing = [p for p in pages if p not in nav]
    assert not missing, f"add {missing} to the nav of mkdocs.yml"
    assert sorted(nav) == pages, "the nav names a page that docs/ does not have"


def test_the_command_reference_names_every_command_and_option() -> None:
    """docs/cli.md has a section per command and names each of its long
    options; docs/language.md's table lists every command."""
    from specc.cli import COMMAND_NAMES, build_parser

    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    language = (DOCS / "language.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(COMMAND_NAMES)
    for name, parser in sub.choices.items():
        assert f"\n## `specc {name}" in cli, f"docs/cli.md has no section for `specc {name}`"
        assert f"| `specc {name}" in language, f"docs/language.md's table lacks `specc {name}`"
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--"):
                    assert option in cli, f"docs/cli.md does not name `specc {name} {option}`"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """Broken links and anchors, and pages missing from the nav, fail the
    build (.ci/run builds it too)."""
    pytest.importorskip("mkdocs")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_pages_name_no_machine_paths_nor_unpublished_documents() -> None:
    """A reader has none of this machine's folders, and no design reference
    outside the repository: a rule is cited by the page that states it."""
    machine = re.compile(r"(?<![\w.])/(work|root|home|tmp)/")
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            assert not machine.search(line), f"{page.name}:{number}: {line}"
            assert not re.search(r"\bDESIGN\b", line), f"{page.name}:{number}: {line}"
