"""Collecting the diagnostics of one compilation: de-duplication and ordering."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from specc.diagnostics.codes import Severity
from specc.diagnostics.escape import escape_text
from specc.diagnostics.locate import SourceLines
from specc.diagnostics.model import Diagnostic
from specc.span import Span


@dataclass(slots=True)
class DiagnosticSink:
    """Collects the diagnostics of one compilation, dropping exact repeats."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[tuple[str, str, Span | None]] = field(default_factory=set)

    def add(self, diag: Diagnostic) -> None:
        """Keep `diag` unless one with its code, message and span was kept already."""
        key = (diag.code, diag.message, diag.span)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        """`add` each of `diags`, in order."""
        for d in diags:
            self.add(d)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


class SpecError(Exception):
    """Raised by the public API when a spec has errors; carries all of them.

    Its text is the first diagnostic's location and message, escaped like the
    human form (a traceback is read on a terminal too)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        if first is None:
            text = "spec error"
        elif first.span:
            text = f"{first.span}: {first.message}"
        else:
            text = first.message
        super().__init__(escape_text(text))


def source_order(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Phase-1 ordering: by file, line and column (stable for ties)."""

    def key(d: Diagnostic) -> tuple[str, int, int]:
        s = d.span
        return (s.file, s.line, s.column) if s else ("", 0, 0)

    return sorted(diags, key=key)


#: `# specc: ignore[code]` or `# specc: ignore[code, code]` in a line's comment
_IGNORE = re.compile(r"#\s*specc:\s*ignore\[([a-z0-9, -]+)\]")


def without_ignored(diags: Iterable[Diagnostic], sources: Mapping[str, str]) -> list[Diagnostic]:
    """`diags` less the warnings silenced by a `# specc: ignore[code]` comment on
    the line they point at (errors cannot be silenced)."""
    lines = SourceLines(sources)
    out: list[Diagnostic] = []
    for d in diags:
        if d.severity == Severity.WARNING and d.span is not None:
            text = lines.line(d.span.file, d.span.line) or ""
            found = _IGNORE.search(text)
            if found and d.code in {c.strip() for c in found.group(1).split(",")}:
                continue
        out.append(d)
    return out
