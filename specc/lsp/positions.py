"""Positions: specc's spans (1-based lines and code-point columns) and LSP's
positions (0-based lines, columns in the client's code units).

A client counts columns in UTF-16 code units unless it negotiated UTF-8 or
UTF-32 (`general.positionEncodings`); specc counts code points, as libyaml's
marks do. Lines are split exactly as libyaml splits them (`\\r\\n`, `\\r`, `\\n`,
and the YAML 1.1 breaks U+0085, U+2028, U+2029): a span's line number is
libyaml's. A client that does not treat those three characters as breaks
(LSP only names `\\n`, `\\r\\n` and `\\r`) sees later lines shifted; specs
practically never contain them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from lsprotocol import types

from specc.diagnostics.locate import SourceLines, token_end
from specc.span import Span

UTF8: Final = "utf-8"
UTF16: Final = "utf-16"
UTF32: Final = "utf-32"


def units(text: str, encoding: str) -> int:
    """How many code units of `encoding` `text` takes."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def column_of(line: str, count: int, encoding: str) -> int:
    """The 0-based code-point column of the position `count` code units into
    `line` (clamped to the line's end; inside a character, the character)."""
    if encoding == UTF32 or line.isascii():
        return max(0, min(count, len(line)))
    seen = 0
    for i, ch in enumerate(line):
        if seen >= count:
            return i
        seen += units(ch, encoding)
    return len(line)


class PositionMap:
    """Converts between spans and LSP positions for the files of one analysis
    (`sources`: display path -> text), in the client's `encoding`."""

    def __init__(self, sources: Mapping[str, str], encoding: str = UTF16) -> None:
        self.lines = SourceLines(sources)
        self.encoding = encoding

    def line(self, file: str, number: int) -> str:
        """Line `number` (1-based) of `file`, or "" when there is no such line."""
        return self.lines.line(file, number) or ""

    def position(self, file: str, line: int, column: int) -> types.Position:
        """The LSP position of 1-based `line:column` (a code-point column)."""
        text = self.line(file, line)
        col = min(max(column - 1, 0), len(text))
        return types.Position(line=max(line - 1, 0), character=units(text[:col], self.encoding))

    def cursor(self, file: str, pos: types.Position) -> tuple[int, int]:
        """The 1-based line and code-point column of an LSP position."""
        text = self.line(file, pos.line + 1)
        return pos.line + 1, column_of(text, pos.character, self.encoding) + 1

    def end_of(self, span: Span) -> tuple[int, int]:
        """Where `span` ends: its own end, else the end of the YAML token that
        starts there (as every specc renderer underlines it)."""
        if span.has_end:
            return span.end_line, span.end_column
        return span.line, token_end(self.line(span.file, span.line), span.column)

    def range(self, span: Span | None) -> types.Range:
        """The LSP range of `span` (the start of the file when there is none)."""
        if span is None:
            zero = types.Position(line=0, character=0)
            return types.Range(start=zero, end=zero)
        end_line, end_col = self.end_of(span)
        return types.Range(
            start=self.position(span.file, span.line, span.column),
            end=self.position(span.file, end_line, end_col),
        )

    def range_of(self, file: str, line: int, start: int, end: int) -> types.Range:
        """The LSP range of columns `start` to `end` (1-based, end exclusive) on one line."""
        return types.Range(
            start=self.position(file, line, start), end=self.position(file, line, end)
        )


def ranges_overlap(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (touching counts)."""
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a0 <= b1 and b0 <= a1


#: the line breaks libyaml counts (see the module docstring)
_BREAKS: Final = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The lines of `text` as libyaml numbers them (without their breaks)."""
    return _BREAKS.split(text)
