"""Renderers: pure functions of diagnostics and the source text.

The human form, like mypy's:

    model.yaml:12:5: error[variable-exists]: variable 'foo/v' already exists, ...
      12 |   - var: v
         |     ^
      note: first created here at model.yaml:9:5
      help: set `reuse: true` or `reuse: auto` on scope 'foo'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from specc.diagnostics.codes import Severity
from specc.diagnostics.model import Diagnostic
from specc.span import Span

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_CYAN = "\x1b[36m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m"}


def to_json(diag: Diagnostic) -> dict[str, Any]:
    """The JSON form of one diagnostic (DESIGN section 4)."""
    out: dict[str, Any] = {
        "code": diag.code,
        "message": diag.message,
        "file": diag.span.file if diag.span else None,
        "line": diag.span.line if diag.span else None,
        "column": diag.span.column if diag.span else None,
        "variable": diag.variable,
    }
    if diag.notes:
        out["notes"] = [
            {"message": n.message, **({"at": str(n.span)} if n.span else {})} for n in diag.notes
        ]
    if diag.help:
        out["help"] = diag.help
    return out


def errors_json(diags: Iterable[Diagnostic]) -> str:
    """`{"errors": [...]}`, indented."""
    return json.dumps({"errors": [to_json(d) for d in diags]}, indent=2, ensure_ascii=False)


def _snippet(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None:
        return []
    lines = text.splitlines()
    if not 1 <= span.line <= len(lines):
        return []
    raw = lines[span.line - 1]
    shown = raw.expandtabs(8)
    # the caret column must follow the same tab expansion as the shown line
    col = len(raw[: max(span.column - 1, 0)].expandtabs(8)) + 1
    gutter = len(str(span.line))
    pad = " " * (gutter + 2)
    return [f"  {span.line} | {shown}", f"{pad} | {' ' * (col - 1)}^"]


def render_human(diag: Diagnostic, sources: Mapping[str, str], *, color: bool = False) -> str:
    """Render like a compiler: location, severity and code, message, snippet,
    notes, help."""
    where = f"{diag.span}: " if diag.span else ""
    red, bold, cyan, reset = (
        (_SEVERITY_COLOR[diag.severity], _BOLD, _CYAN, _RESET) if color else ("", "", "", "")
    )
    head = f"{diag.severity}[{diag.code}]"
    lines = [f"{bold}{where}{red}{head}{reset}{bold}: {diag.message}{reset}"]
    if diag.span:
        lines.extend(_snippet(diag.span, sources))
    for note in diag.notes:
        at = f" at {note.span}" if note.span else ""
        lines.append(f"  {cyan}note{reset}: {note.message}{at}")
    if diag.help:
        lines.append(f"  {cyan}help{reset}: {diag.help}")
    return "\n".join(lines)


def render_all(
    diags: Iterable[Diagnostic], sources: Mapping[str, str], *, color: bool = False
) -> str:
    """Every diagnostic in the human form, then a count (`found 2 errors`)."""
    items = list(diags)
    body = "\n".join(render_human(d, sources, color=color) for d in items)
    n = len(items)
    return f"{body}\nfound {n} error{'s' if n != 1 else ''}\n"
