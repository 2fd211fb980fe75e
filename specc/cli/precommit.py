"""`specc-compile-check FILE...`: the pre-commit hook.

For every spec among the files given (YAML files whose top level declares
`specc: 1`) that has a generated module beside it (`SPEC` with `.py`), run
`specc compile SPEC --check`: a module that no longer matches its spec fails the
commit and says what changed. YAML files that are not specs, and specs without a
generated module, are skipped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from specc.cli import EXIT_OK
from specc.cli import main as cli_main

_SPEC_MARKER = re.compile(r"^specc:\s*1\s*(#.*)?$", re.MULTILINE)


def is_spec(path: Path) -> bool:
    """Whether `path` looks like a spec (cheap: its text declares `specc: 1`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _SPEC_MARKER.search(text) is not None


def main(argv: Sequence[str] | None = None) -> int:
    """Check every spec given; the exit code is the worst of them."""
    files = list(sys.argv[1:] if argv is None else argv)
    worst = EXIT_OK
    for name in files:
        path = Path(name)
        if path.suffix not in (".yaml", ".yml") or not is_spec(path):
            continue
        if not path.with_suffix(".py").exists():
            continue
        worst = max(worst, cli_main(["compile", str(path), "--check"]))
    return worst


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
