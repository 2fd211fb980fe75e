"""Source positions: every located value in specc carries a `Span` from birth."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a source file: 1-based line and column of its start, and of the
    character after its end (`end_line` 0 when the end is not known; renderers
    then find the token that starts at `line:column`)."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def has_end(self) -> bool:
        return self.end_line > 0
