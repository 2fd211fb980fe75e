"""`specc-compile-check FILE...`: the pre-commit hook.

For every spec among the files given (YAML files whose top level declares
`specc: 1`) that has a generated module beside it (`SPEC` with `.py`), run
`specc compile SPEC --check`: a module that no longer matches its spec fails the
commit and says what changed. YAML files that are not specs, and specs without a
generated module, are skipped.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from specc.cli import main as cli_main
from specc.cli.common import ExitCode, Parser, UsageError

_SPEC_MARKER = re.compile(r"^specc:\s*1\s*(#.*)?$", re.MULTILINE)

_EPILOG = """\
Example (what pre-commit runs with the staged files):
  specc-compile-check examples/mlp.yaml examples/cnn.yaml config.yaml
"""


def build_parser() -> argparse.ArgumentParser:
    """The hook's argument parser: the files pre-commit passes."""
    parser = Parser(
        prog="specc-compile-check",
        description="Fail when a spec's generated module (SPEC with .py, beside it) is\n"
        "stale, and say what changed. Files that are not specs, and specs without\n"
        "a generated module, are skipped.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to look at")
    return parser


def is_spec(path: Path) -> bool:
    """Whether `path` looks like a spec (cheap: its text declares `specc: 1`).
    Only a regular file is read (a FIFO would block)."""
    try:
        if not path.is_file():
            return False
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _SPEC_MARKER.search(text) is not None


def main(argv: Sequence[str] | None = None) -> int:
    """Check every spec given; the exit code is the worst of them."""
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        sys.stderr.write(e.render())
        return ExitCode.USAGE
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else ExitCode.USAGE
    files: list[str] = args.files
    worst: int = ExitCode.OK
    for name in files:
        path = Path(name)
        if path.suffix not in (".yaml", ".yml") or not is_spec(path):
            continue
        if not path.with_suffix(".py").exists():
            continue
        # `--` keeps a file named like a flag (`-m.yaml`) a file
        worst = max(worst, cli_main(["compile", "--check", "--", str(path)]))
    return worst


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
