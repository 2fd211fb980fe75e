"""Located plain data: what the loader hands to later stages.

Every YAML mapping becomes a `LocDict` and every sequence a `LocList`, plain
`dict`/`list` subclasses that also know where each key, value and item is
written, so later stages can point at the key or value an error is about
without ever looking at YAML text again.

Positions are kept packed in one int each, `line << 32 | column` (both 0-based,
as libyaml's marks), and a `Span` is made only when one is asked for: every
node has a position, few are ever read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specc.diagnostics import Diagnostic
from specc.span import Span


def unpack(file: str, pos: int) -> Span:
    """The 1-based `Span` of a packed position."""
    return Span(file, (pos >> 32) + 1, (pos & 0xFFFFFFFF) + 1)


def pack(line: int, column: int) -> int:
    """The packed position of a 0-based line and column."""
    return line << 32 | column


class LocDict(dict[str, Any]):
    """A YAML mapping; keys are always `str`.

    Every instance made by the loader has:

    - `span`: where the mapping starts; for a block mapping that is a sequence
      item (`- var: v`), the position of its first key (`var`).
    - `key_spans`: the position of each key.
    - `value_spans`: the position of each value (a scalar, the start of a
      collection, or the `*alias` that stands for it).

    (The two maps are built on access from packed positions.) Keys brought in by
    a merge key (`<<`) keep the spans of the mapping they came from. A `LocDict`
    reached through an alias is the same object as the anchored one, so
    consumers must treat the tree as read-only.
    """

    __slots__ = ("_file", "_key_pos", "_pos", "_value_pos")
    _file: str
    _pos: int
    _key_pos: dict[str, int]
    _value_pos: dict[str, int]

    @property
    def span(self) -> Span:
        """Where the mapping starts."""
        return unpack(self._file, self._pos)

    def key_span(self, key: str) -> Span | None:
        """Where `key` is written, or None when the mapping has no such key."""
        pos = self._key_pos.get(key)
        return None if pos is None else unpack(self._file, pos)

    def value_span(self, key: str) -> Span | None:
        """Where the value of `key` is written, or None when there is no such key."""
        pos = self._value_pos.get(key)
        return None if pos is None else unpack(self._file, pos)

    @property
    def key_spans(self) -> dict[str, Span]:
        """The position of each key."""
        file = self._file
        return {k: unpack(file, pos) for k, pos in self._key_pos.items()}

    @property
    def value_spans(self) -> dict[str, Span]:
        """The position of each value."""
        file = self._file
        return {k: unpack(file, pos) for k, pos in self._value_pos.items()}


class LocList(list[Any]):
    """A YAML sequence: `span` (where it starts) and `item_spans` (built on
    access, as `LocDict`'s)."""

    __slots__ = ("_file", "_item_pos", "_pos")
    _file: str
    _pos: int
    _item_pos: list[int]

    @property
    def span(self) -> Span:
        """Where the sequence starts."""
        return unpack(self._file, self._pos)

    def item_span(self, index: int) -> Span | None:
        """Where item `index` is written, or None when there is no such item."""
        if 0 <= index < len(self._item_pos):
            return unpack(self._file, self._item_pos[index])
        return None

    @property
    def item_spans(self) -> list[Span]:
        """The position of each item."""
        file = self._file
        return [unpack(file, pos) for pos in self._item_pos]


@dataclass(frozen=True)
class SourceFile:
    """One loaded file.

    `path` is the display path: the top file's path as given; for an include,
    the including file's folder joined with the include entry, normalized
    (`specs/blocks.yaml`); `<std>/NAME.yaml` for the bundled library.
    `document` is `None` when the file is not valid YAML or not a mapping.
    """

    path: str
    text: str
    document: LocDict | None


@dataclass
class LoadResult:
    """The outcome of loading a spec and, transitively, its includes.

    - `main`: the top file, or `None` when it could not be read or is too large.
    - `includes`: every included file once, in first-include (depth-first) order.
    - `sources`: display path -> text of every file read, for rendering snippets.
    - `diagnostics`: phase-1 errors, in source order within each file; files in
      load order (the top file first).
    - `folder`: the absolute folder the top file's relative paths (includes,
      checkpoints) resolve against.
    """

    main: SourceFile | None
    includes: list[SourceFile] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    folder: str = ""
