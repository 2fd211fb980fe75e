"""Where the cursor is in a YAML document that is being typed.

Completion runs while the text is incomplete (`- va`, `shape` without its
colon), which is often not YAML at all, so it cannot ask the loader. This
module reads the block structure from indentation instead: it walks up from
the cursor's line collecting the keys and list items that enclose it (a line
whose first token sits left of the cursor's column opens the enclosing
collection), the sibling keys of each enclosing mapping, and, on the cursor's
line, an unclosed flow collection (`{truncated_normal: {std`). It recognises
the block style specs are written in (keys with plain names, indented lists);
it never decides what is valid — the compiler does that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

#: `- - key: value`: indentation, list dashes, a plain key and the rest
_LINE: Final = re.compile(r"^(\s*)((?:-(?:\s+|$))*)(.*)$")
_KEY: Final = re.compile(r"^([A-Za-z0-9_$.<>/\-]+)\s*:(?:\s+(.*)|\s*$)")
#: what a word being typed may hold (a key, a kind, a name after `$`)
_WORD: Final = re.compile(r"[A-Za-z0-9_.\-/]*$")
ITEM: Final = "[]"


@dataclass(frozen=True, slots=True)
class Token:
    """A list dash or a key on a line: its column (0-based), and for a key its
    name and the text after its colon."""

    column: int
    key: str | None
    value: str = ""


def tokens(line: str) -> list[Token]:
    """The structure tokens of one line, left to right (none for a blank line,
    a comment or a continuation of a flow collection)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return []
    m = _LINE.match(line)
    assert m is not None
    indent, dashes, rest = m.groups()
    out: list[Token] = []
    col = len(indent)
    for part in re.findall(r"-\s*", dashes):
        out.append(Token(col, None))
        col += len(part)
    k = _KEY.match(rest)
    if k is not None:
        out.append(Token(col, k.group(1), _strip_comment(k.group(2) or "")))
    elif rest and not out:
        return [Token(col, "", rest)]  # a scalar line: a flow continuation, a plain item
    return out


def _strip_comment(value: str) -> str:
    return re.split(r"\s#", value, maxsplit=1)[0].strip()


@dataclass
class Outline:
    """The cursor's place.

    `path` leads from the root to the collection being written in: mapping
    keys, and `ITEM` for a list item. `siblings` are the other keys of the
    cursor's mapping with their values as written, and `enclosing` those of
    every mapping around it, outermost first (`enclosing[-1]` is `siblings`).
    `mode` is `key` when a key (or a list item) is being typed, `value` when
    the value of key `value_of` is; `prefix` is the word typed so far, starting at
    column `start` (0-based); `dollar` is set when it follows `$` or `${`.
    """

    path: list[str]
    siblings: dict[str, str]
    mode: str
    value_of: str | None
    prefix: str
    start: int
    enclosing: list[dict[str, str]] = field(default_factory=list)
    dollar: bool = False
    #: the text of the value typed so far (value mode)
    value: str = ""
    #: the cursor's line starts a new list item (`- `)
    new_item: bool = False

    def mapping(self, depth: int) -> dict[str, str]:
        """The keys of the mapping that `path[:depth]` leads to ({} for a list, or
        past the block collections the outline read)."""
        return self.enclosing[depth] if 0 <= depth < len(self.enclosing) else {}


def _flow(text: str) -> tuple[list[str], str, str | None, bool]:
    """Read an unclosed flow collection: the keys leading into the innermost
    open one, the mode there (`key` or `value`), the key whose value is typed,
    and whether the innermost collection is a sequence."""
    stack: list[tuple[str, str | None]] = []  # (kind, key that holds it)
    key: str | None = None
    mode = "value"
    word = ""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
            continue
        if ch in "'\"" or (ch == "{" and text[i - 1 : i] == "$"):
            quote = "}" if ch == "{" else ch  # a string, or a `${...}` interpolation
            word += ch
        elif ch in "{[":
            stack.append(("map" if ch == "{" else "seq", key))
            key, mode, word = None, "key" if ch == "{" else "value", ""
        elif ch in "}]" and stack:
            _, key = stack.pop()
            mode, word = "value", ""
        elif ch == "," and stack:
            mode = "key" if stack[-1][0] == "map" else "value"
            key, word = None, ""
        elif ch == ":" and stack and stack[-1][0] == "map":
            key, mode, word = word.strip(), "value", ""
        else:
            word += ch
    keys = [k for _, k in stack[1:] if k is not None]
    if stack and stack[0][1] is not None:
        keys.insert(0, stack[0][1])
    return keys, mode, key, bool(stack) and stack[-1][0] == "seq"


def _walk_up(lines: list[str], row: int, column: int) -> tuple[list[str], list[dict[str, str]]]:
    """The collections enclosing one at `column` that starts below `row`: the keys
    from the root down to it (`ITEM` for a list item), and the keys of each
    collection's mapping (`{}` for a list), outermost first, its own last."""
    path: list[str] = []
    maps: list[dict[str, str]] = [{}]
    col = column
    for r in range(min(row, len(lines) - 1), -1, -1):
        toks = tokens(lines[r])
        if not toks or toks[0].column > col:
            continue
        for tok in reversed(toks):
            if tok.column > col:
                continue
            if tok.column == col:
                if tok.key:
                    maps[-1].setdefault(tok.key, tok.value)
                continue  # a dash at `col`: an earlier item of the same list
            # left of `col`: this token holds the collection at `col`
            path.append(ITEM if tok.key is None else tok.key)
            maps.append({} if tok.key is None else {tok.key: tok.value})
            col = tok.column
    path.reverse()
    maps.reverse()
    return path, maps


def _scan_down(lines: list[str], row: int, column: int, siblings: dict[str, str]) -> None:
    """Add the keys at `column` below the cursor that belong to its mapping."""
    for r in range(row + 1, len(lines)):
        toks = tokens(lines[r])
        if not toks:
            continue
        if toks[0].column < column:
            return
        for tok in toks:
            if tok.column == column:
                if tok.key is None:
                    return  # the next item of the enclosing list
                siblings.setdefault(tok.key, tok.value)


def outline(lines: list[str], row: int, column: int) -> Outline:
    """The cursor's place at 0-based `row:column` (a code-point column)."""
    line = lines[row] if row < len(lines) else ""
    before = line[:column]
    m = _LINE.match(before)
    assert m is not None
    indent, dashes, rest = m.groups()
    col = len(indent) + len(dashes)
    if dashes:
        # a new item of the list at the first dash's column
        path, maps = _walk_up(lines, row - 1, len(indent))
        path.append(ITEM)
        maps.append({})
    else:
        path, maps = _walk_up(lines, row - 1, col)
    siblings = maps[-1]
    _scan_down(lines, row, col, siblings)
    word = _WORD.search(before)
    prefix = word.group(0) if word else ""
    start = column - len(prefix)
    dollar = before[:start].endswith(("$", "${"))
    key_m = _KEY.match(rest)
    if key_m is None:
        return Outline(path, siblings, "key", None, prefix, start, maps, dollar, "", bool(dashes))
    name, value = key_m.group(1), key_m.group(2) or ""
    siblings.pop(name, None)
    keys, mode, inner, in_seq = _flow(value)
    if keys or mode == "key" or inner is not None or in_seq:
        field_ = inner if mode == "value" else None
        flow_mode = "value" if in_seq else mode
        return Outline(
            [*path, name, *keys], {}, flow_mode, field_, prefix, start, maps, dollar, value
        )
    return Outline(path, siblings, "value", name, prefix, start, maps, dollar, value, bool(dashes))
