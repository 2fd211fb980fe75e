"""The runtime a generated module embeds, assembled from real Python files.

The runtime lives in `specc/runtime/` as ordinary modules (importable, linted,
type-checked, unit-tested). A generated module must stand alone, so the
emitter copies their source: each file is parsed with `ast`, and its module
docstring, `from __future__` line, imports, `if TYPE_CHECKING:` blocks and
`__all__` are dropped; everything else (comments included) is kept verbatim.
The module template holds the one import block that serves them all
(`tests/test_emit.py` checks that it covers every import of every file).

The files are read as text, never imported: the emitter runs without NumPy.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Final

#: The `specc` package folder; embedded files are named relative to it.
PACKAGE: Final = Path(__file__).resolve().parent.parent

#: The runtime's files, in the order the module holds them (a file may use
#: names of a later one inside its functions, never at import time).
RUNTIME_FILES: Final = (
    "runtime/prelude.py",
    "runtime/table.py",
    "runtime/streams.py",
    "runtime/samplers.py",
    "runtime/values.py",
    "runtime/api.py",
    "runtime/losses.py",
    "runtime/files.py",
    "runtime/init_file.py",
    "runtime/load.py",
)

#: Three or more blank lines (left where a dropped statement stood) become two.
_BLANK_RUN = re.compile(r"\n{4,}")


class EmbedError(Exception):
    """A runtime file cannot be embedded (an import the module would lack)."""


def _is_type_checking(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _is_all(node: ast.stmt) -> bool:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def dropped(tree: ast.Module) -> list[ast.stmt]:
    """The top-level statements of a file that its embedded copy leaves out."""
    out: list[ast.stmt] = []
    for i, node in enumerate(tree.body):
        if (
            (i == 0 and _is_docstring(node))
            or isinstance(node, ast.Import | ast.ImportFrom)
            or _is_type_checking(node)
            or _is_all(node)
        ):
            out.append(node)
    return out


def embeddable(source: str, name: str) -> str:
    """`source` without the statements `dropped` names, the rest verbatim, with
    no leading or trailing blank lines."""
    tree = ast.parse(source, name)
    gone: set[int] = set()
    for node in dropped(tree):
        end = node.end_lineno if node.end_lineno is not None else node.lineno
        gone.update(range(node.lineno, end + 1))
    lines = source.splitlines(keepends=True)
    text = "".join(line for no, line in enumerate(lines, 1) if no not in gone)
    text = _BLANK_RUN.sub("\n\n\n", text).strip("\n")
    for inner in ast.walk(ast.parse(text, name)):
        if isinstance(inner, ast.Import | ast.ImportFrom):
            raise EmbedError(f"{name}:{inner.lineno}: an import the generated module would lack")
    return text


def read(relative: str) -> str:
    """The text of a file of the `specc` package."""
    return (PACKAGE / relative).read_text(encoding="utf-8")


def runtime_source() -> str:
    """The runtime as the generated module holds it: every runtime file's
    embeddable text, two blank lines apart."""
    return "\n\n\n".join(embeddable(read(f), f) for f in RUNTIME_FILES)
