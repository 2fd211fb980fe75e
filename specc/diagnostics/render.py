"""Renderers: pure functions of diagnostics and the source text.

The human form, like mypy's and miette's:

    model.yaml:12:5: error[variable-exists]: variable 'foo/v' already exists, ...
      12 |   - var: v
         |     ^~~
      note: first created here at model.yaml:9:5
      help: set `reuse: true` or `reuse: auto` on scope 'foo'

The marker underlines the span (`^` under its first character, `~` under the
rest); a span that ends on a later line is underlined to the end of its first.
Every span's end is filled from the source first (`with_ends`), so the JSON
form gives the same range as the underline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from specc.counts import counted
from specc.diagnostics.codes import Severity
from specc.diagnostics.escape import display_line, escape_text, json_safe
from specc.diagnostics.locate import SourceLines, fill_ends, with_ends
from specc.diagnostics.model import Diagnostic
from specc.span import Span

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_CYAN = "\x1b[36m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m"}


def _span_json(span: Span | None) -> dict[str, Any]:
    return {
        "file": span.file if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span and span.has_end else None,
        "end_column": span.end_column if span and span.has_end else None,
    }


def to_json(diag: Diagnostic) -> dict[str, Any]:
    """The JSON form of one diagnostic (DESIGN section 4, plus the span's end).

    `end_line`/`end_column` (1-based, the character after the span) are null
    when the end is unknown; pass the diagnostics through `with_ends` first to
    fill them from the source. Strings are exact: escaping happens when the
    whole document is serialized (`errors_json`)."""
    out: dict[str, Any] = {
        "code": diag.code,
        "severity": str(diag.severity),
        "message": diag.message,
        **_span_json(diag.span),
        "variable": diag.variable,
    }
    if diag.notes:
        out["notes"] = [
            {"message": n.message, **({"at": str(n.span), **_span_json(n.span)} if n.span else {})}
            for n in diag.notes
        ]
    if diag.help:
        out["help"] = diag.help
    return out


def errors_json(diags: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> str:
    """`{"errors": [...], "warnings": [...]}`, indented; with `sources`, every
    span's end is filled.

    Non-ASCII text is written as is, except control, format (bidi) and line
    separator characters, which are `\\uXXXX` escapes (see `escape.json_safe`):
    a reader decodes the exact text, and a terminal showing the raw JSON is
    not driven by it."""
    items = with_ends(diags, sources) if sources is not None else list(diags)
    doc = {
        "errors": [to_json(d) for d in items if d.severity == Severity.ERROR],
        "warnings": [to_json(d) for d in items if d.severity == Severity.WARNING],
    }
    return json_safe(json.dumps(doc, indent=2, ensure_ascii=False))


def _snippet(span: Span, lines: SourceLines, color: str, reset: str) -> list[str]:
    raw = lines.line(span.file, span.line)
    if raw is None:
        return []
    shown, cells = display_line(raw)
    start = min(max(span.column - 1, 0), len(raw))
    # an end on a later line (or unknown) underlines to the end of this line
    stop = span.end_column - 1 if span.has_end and span.end_line == span.line else len(raw)
    stop = min(max(stop, start), len(raw))
    width = max(cells[stop] - cells[start], 1)
    gutter = str(span.line)
    pad = " " * (len(gutter) + 2)
    marker = "^" + "~" * (width - 1)
    return [f"  {gutter} | {shown}", f"{pad} | {' ' * cells[start]}{color}{marker}{reset}"]


def _render(diag: Diagnostic, lines: SourceLines, color: bool) -> str:
    red, bold, cyan, reset = (
        (_SEVERITY_COLOR[diag.severity], _BOLD, _CYAN, _RESET) if color else ("", "", "", "")
    )
    where = f"{escape_text(str(diag.span))}: " if diag.span else ""
    head = f"{diag.severity}[{diag.code}]"
    out = [f"{bold}{where}{red}{head}{reset}{bold}: {escape_text(diag.message)}{reset}"]
    if diag.span:
        out.extend(_snippet(diag.span, lines, red, reset))
    for note in diag.notes:
        at = f" at {escape_text(str(note.span))}" if note.span else ""
        out.append(f"  {cyan}note{reset}: {escape_text(note.message)}{at}")
    if diag.help:
        out.append(f"  {cyan}help{reset}: {escape_text(diag.help)}")
    return "\n".join(out)


def render_human(diag: Diagnostic, sources: Mapping[str, str], *, color: bool = False) -> str:
    """Render like a compiler: location, severity and code, message, the source
    line with the span underlined, notes, help. Control and bidi characters in
    any of it are shown escaped, and the underline follows the escapes."""
    lines = SourceLines(sources)
    (filled,) = fill_ends([diag], lines)
    return _render(filled, lines, color)


def render_all(
    diags: Iterable[Diagnostic], sources: Mapping[str, str], *, color: bool = False
) -> str:
    """Every diagnostic in the human form, then a count (`found 2 errors`)."""
    lines = SourceLines(sources)
    items = fill_ends(diags, lines)
    body = "\n".join(_render(d, lines, color) for d in items)
    return f"{body}\n{count_line(items)}\n"


def count_line(diags: Iterable[Diagnostic]) -> str:
    """`found 2 errors`, `found 1 error and 3 warnings`, `found 1 warning`."""
    items = list(diags)
    errors = sum(1 for d in items if d.severity == Severity.ERROR)
    warnings = len(items) - errors
    parts = [counted(errors, "error")] if errors or not warnings else []
    if warnings:
        parts.append(counted(warnings, "warning"))
    return "found " + " and ".join(parts)
