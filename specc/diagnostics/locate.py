"""Where a span ends, found in the source text when the span does not say.

The loader records where a key, value or statement starts (`line:column`), not
where it ends. `with_ends` fills the end from the source: the YAML token that
starts there. It works on one line only, so an end is never past the start's
line (a flow collection or quoted scalar continued on the next line ends at the
end of its first line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Final

from specc.diagnostics.model import Diagnostic, Note
from specc.span import Span

# libyaml counts these as line breaks (YAML 1.1), and its marks give the lines
# of every span, so the renderer must split the text the same way (Python's
# `splitlines` would also split at \v, \f and \x1c-\x1e)
_BREAK: Final = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: what `splitlines` splits at and libyaml does not
_NOT_YAML_BREAKS: Final = "\v\f\x1c\x1d\x1e"
_FLOW_INDICATORS: Final = ",[]{}"


def split_lines(text: str) -> list[str]:
    """The lines of `text` as libyaml counts them, without their breaks (a
    break at the very end does not start a line)."""
    if any(c in text for c in _NOT_YAML_BREAKS):
        lines = _BREAK.split(text)
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        return lines
    # the same lines, several times faster on a long file
    return text.splitlines() or [""]


_CLOSE: Final = {"[": "]", "{": "}"}


class SourceLines:
    """The lines of each source file, split once per file on first use."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._lines: dict[str, list[str]] = {}

    def line(self, file: str, number: int) -> str | None:
        """Line `number` (1-based) of `file`, without its break; None when the
        file is not known or has no such line (the end of a file that ends with
        a line break is not a line)."""
        lines = self._lines.get(file)
        if lines is None:
            text = self._sources.get(file)
            if text is None:
                return None
            lines = split_lines(text)
            self._lines[file] = lines
        return lines[number - 1] if 1 <= number <= len(lines) else None


def token_end(line: str, column: int) -> int:
    """The column just after the YAML token that starts at `column` of `line`.

    The token is a quoted scalar to its closing quote, a flow collection to its
    matching bracket, a plain scalar (a key stops before its `:`), an anchor,
    alias or tag to the next space; a blank is one character; anything else
    (`-`, `|`, `#`, ...) runs to the end of the line. Unterminated tokens stop
    at the end of the line, and trailing blanks are never part of a token.
    """
    i = column - 1
    if not 0 <= i < len(line):
        return column
    c = line[i]
    if c in " \t":
        end = i + 1
    elif c in "\"'":
        end = _quoted_end(line, i)
    elif c in _CLOSE:
        end = _flow_end(line, i)
    elif c in "&*!":
        end = _word_end(line, i)
    elif c in "#|>%@`,]}" or (c in "-?:" and _blank_at(line, i + 1)):
        end = len(line.rstrip(" \t"))
    else:
        end = _plain_end(line, i, flow=_in_flow(line, i))
    return max(end, i + 1) + 1


def _blank_at(line: str, i: int) -> bool:
    return i >= len(line) or line[i] in " \t"


def _quoted_end(line: str, i: int) -> int:
    """The index after the quote closing the scalar opened at `i`."""
    quote = line[i]
    j = i + 1
    while j < len(line):
        ch = line[j]
        if quote == '"' and ch == "\\":
            j += 2
            continue
        if ch == quote:
            if quote == "'" and line[j + 1 : j + 2] == "'":  # '' is a quote
                j += 2
                continue
            return j + 1
        j += 1
    return len(line.rstrip(" \t"))


def _flow_end(line: str, i: int) -> int:
    """The index after the bracket closing the flow collection opened at `i`."""
    stack: list[str] = []
    j = i
    while j < len(line):
        ch = line[j]
        if ch in "\"'":
            j = _quoted_end(line, j)
            continue
        if ch == "#" and line[j - 1] in " \t":
            break  # a comment: the collection continues on a later line
        if ch in _CLOSE:
            stack.append(_CLOSE[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return j + 1
        j += 1
    return len(line[:j].rstrip(" \t"))


def _in_flow(line: str, i: int) -> bool:
    """Whether position `i` is inside a flow collection opened earlier on the line."""
    depth = 0
    j = 0
    while j < i:
        ch = line[j]
        if ch in "\"'":
            j = _quoted_end(line, j)
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}" and depth:
            depth -= 1
        j += 1
    return depth > 0


def _word_end(line: str, i: int) -> int:
    j = i + 1
    while j < len(line) and line[j] not in " \t" and line[j] not in _FLOW_INDICATORS:
        j += 1
    return j


def _plain_end(line: str, i: int, *, flow: bool) -> int:
    """The end of a plain scalar: before `: `, ` #`, or (in flow) `,[]{}`."""
    j = i
    while j < len(line):
        ch = line[j]
        if ch == ":" and (_blank_at(line, j + 1) or (flow and line[j + 1] in _FLOW_INDICATORS)):
            break
        if ch == "#" and j > i and line[j - 1] in " \t":
            break
        if flow and ch in _FLOW_INDICATORS:
            break
        j += 1
    return len(line[:j].rstrip(" \t"))


def _fill(span: Span | None, lines: SourceLines) -> Span | None:
    if span is None or span.has_end:
        return span
    text = lines.line(span.file, span.line)
    if text is None:
        return span
    return Span(span.file, span.line, span.column, span.line, token_end(text, span.column))


def with_ends(diags: Iterable[Diagnostic], sources: Mapping[str, str]) -> list[Diagnostic]:
    """The diagnostics with the end of every span (notes' too) filled in from
    `sources` (file name -> text) where it was unknown.

    Spans whose file is not in `sources`, or whose line is not in the file,
    keep an unknown end. Diagnostics that need nothing are returned as they are.
    """
    return fill_ends(diags, SourceLines(sources))


def fill_ends(diags: Iterable[Diagnostic], lines: SourceLines) -> list[Diagnostic]:
    """`with_ends` over source lines already split (renderers reuse them)."""
    out: list[Diagnostic] = []
    for d in diags:
        span = _fill(d.span, lines)
        notes = tuple(
            n if (s := _fill(n.span, lines)) is n.span else Note(n.message, s) for n in d.notes
        )
        changed = span is not d.span or any(a is not b for a, b in zip(notes, d.notes, strict=True))
        out.append(replace(d, span=span, notes=notes) if changed else d)
    return out
