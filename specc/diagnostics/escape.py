"""Text safe to show: control, format and bidirectional characters escaped.

A spec is untrusted input, and its names and lines end up on a terminal. A raw
ANSI escape would recolour or rewrite the screen, and a bidirectional override
(U+202E ...) would show a line in another order than the one the compiler read
("Trojan Source", CVE-2021-42574). So everything rendered for people shows such
characters as escapes (`\\x1b`, `\\u202e`), and the JSON form writes them as
`\\uXXXX` escapes, which decode to the exact text.

The characters escaped are those of the Unicode categories Cc (controls,
ANSI's ESC among them), Cf (format: the bidi embeddings, overrides and
isolates U+202A-U+202E and U+2066-U+2069, the marks U+200E, U+200F and U+061C,
zero-width characters, the BOM), Cs (lone surrogates, which cannot even be
encoded), Zl and Zp (U+2028 and U+2029, line breaks to some readers).
"""

from __future__ import annotations

import unicodedata
from typing import Final

_UNSAFE: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT: Final = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
TAB_WIDTH: Final = 8


def is_unsafe(ch: str) -> bool:
    """Whether `ch` must not reach a terminal (or a JSON reader) raw."""
    return not ch.isprintable() and unicodedata.category(ch) in _UNSAFE


def escape_char(ch: str) -> str:
    """Python's escape for one character: `\\x1b`, `\\u202e`, `\\U000e0001`."""
    if ch in _SHORT:
        return _SHORT[ch]
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def escape_text(text: str) -> str:
    """`text` with every unsafe character escaped (backslashes are left alone:
    the point is what a terminal does, not a reversible encoding)."""
    if text.isprintable():  # the common case: nothing to look at
        return text
    return "".join(escape_char(c) if is_unsafe(c) else c for c in text)


def json_safe(text: str) -> str:
    """Serialized JSON with every unsafe character written as a `\\uXXXX` escape.

    `json.dumps(..., ensure_ascii=False)` escapes only U+0000-U+001F; DEL, the
    C1 controls, bidi characters, U+2028/U+2029 and lone surrogates would be
    written raw. Every character from DEL up is inside a string (outside them
    JSON holds only ASCII punctuation, digits, letters and whitespace), where
    its escape decodes to the same text; the characters below DEL are left as
    they are: in strings `json.dumps` escaped them, outside they are the
    layout's newlines and spaces."""
    if text.isascii() and "\x7f" not in text:
        return text
    return "".join(_json_escape(c) if c >= "\x7f" and is_unsafe(c) else c for c in text)


def _json_escape(ch: str) -> str:
    o = ord(ch)
    if o < 0x10000:
        return f"\\u{o:04x}"
    o -= 0x10000  # JSON spells astral characters as a surrogate pair
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"


def char_width(ch: str) -> int:
    """Terminal cells a (safe, non-tab) character takes: 2 for East Asian wide
    and full-width characters, 0 for combining marks, else 1."""
    if ch.isascii():
        return 1
    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_line(raw: str) -> tuple[str, list[int]]:
    """A source line as shown, and where each of its characters is shown.

    Tabs expand to the next multiple of 8 and unsafe characters become escapes.
    `cells[i]` is the terminal column (0-based) where `raw[i]` starts, and
    `cells[len(raw)]` the width of the whole line, so a marker under characters
    `i:j` spans `cells[i]:cells[j]` whatever was expanded before it.
    """
    parts: list[str] = []
    cells: list[int] = []
    col = 0
    for ch in raw:
        cells.append(col)
        if ch == "\t":
            shown = " " * (TAB_WIDTH - col % TAB_WIDTH)
            width = len(shown)
        elif is_unsafe(ch):
            shown = escape_char(ch)
            width = len(shown)
        else:
            shown, width = ch, char_width(ch)
        parts.append(shown)
        col += width
    cells.append(col)
    return "".join(parts), cells
