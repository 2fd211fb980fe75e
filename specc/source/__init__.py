"""YAML text -> located plain data: the loading stage (DESIGN sections 1, 5, 9).

The loader turns a spec file, and every file it includes, into plain Python data
(`dict`, `list`, `str`, `int`, `float`, `bool`, `None`) in which every mapping is a
`LocDict` and every sequence a `LocList`, so later stages can point at the key or
value an error is about without ever looking at YAML text again.

The tree is built from PyYAML's parse events rather than with its composer: the C
composer recurses in C (a deeply nested document can overflow the C stack), the
Python one hits `RecursionError`, and neither lets us count nodes while aliases
are expanded. Building from events keeps nesting on an explicit stack, counts
every node as it is (re)visited through an alias or a merge key, and stops as soon
as a limit is crossed, so a "billion laughs" document fails in microseconds.
Scalars are resolved with the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules.
"""

from __future__ import annotations

import gc
import importlib.resources
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.reader import ReaderError

from specc.diagnostics import Diagnostic, Note
from specc.limits import DEFAULT_LIMITS, Limits
from specc.span import Span

__all__ = [
    "LoadResult",
    "LocDict",
    "LocList",
    "SourceFile",
    "load_file",
    "load_text",
    "parse_yaml",
    "yaml_depth_limit",
    "yaml_scalar",
]

_WITH_LIBYAML: Final[bool] = bool(getattr(yaml, "__with_libyaml__", False))

if _WITH_LIBYAML:
    from yaml._yaml import CParser as _CParser


# The loader keeps each key's, value's and item's position packed in one int,
# `line << 32 | column` (both 0-based, as libyaml's marks), and makes a `Span`
# only when one is asked for: every node has a position, few are ever read.


def _unpack(file: str, pos: int) -> Span:
    """The 1-based `Span` of a packed position."""
    return Span(file, (pos >> 32) + 1, (pos & 0xFFFFFFFF) + 1)


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
        return _unpack(self._file, self._pos)

    @property
    def key_spans(self) -> dict[str, Span]:
        """The position of each key."""
        file = self._file
        return {k: _unpack(file, pos) for k, pos in self._key_pos.items()}

    @property
    def value_spans(self) -> dict[str, Span]:
        """The position of each value."""
        file = self._file
        return {k: _unpack(file, pos) for k, pos in self._value_pos.items()}


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
        return _unpack(self._file, self._pos)

    @property
    def item_spans(self) -> list[Span]:
        """The position of each item."""
        file = self._file
        return [_unpack(file, pos) for pos in self._item_pos]


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
    """

    main: SourceFile | None
    includes: list[SourceFile] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


# --------------------------------------------------------------------------
# Scalars: the YAML 1.2 core schema
# --------------------------------------------------------------------------

_WORDS: Final[dict[str, Any]] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NULL_WORDS: Final = frozenset(k for k, v in _WORDS.items() if v is None)
_BOOL_WORDS: Final = {k: v for k, v in _WORDS.items() if isinstance(v, bool)}

# One alternation, tried in the core schema's order; `lastgroup` names the kind.
_NUMBER: Final = re.compile(
    r"(?P<int>[-+]?[0-9]+)"
    r"|(?P<oct>0o[0-7]+)"
    r"|(?P<hex>0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<inf>[-+]?\.(?:inf|Inf|INF))"
    r"|(?P<nan>\.(?:nan|NaN|NAN))"
)
_NUMBER_START: Final = frozenset("0123456789+-.")


def _number(text: str) -> tuple[str, Any] | None:
    """(kind, value) when `text` is a core-schema number; ValueError if unrepresentable."""
    m = _NUMBER.fullmatch(text)
    if m is None:
        return None
    kind = m.lastgroup or ""
    if kind == "int":
        # Python refuses int() of more than 4300 digits; that ValueError is the caller's.
        return kind, int(text)
    if kind == "oct":
        return kind, int(text[2:], 8)
    if kind == "hex":
        return kind, int(text[2:], 16)
    if kind == "float":
        return kind, float(text)
    if kind == "inf":
        return kind, -math.inf if text[0] == "-" else math.inf
    return kind, math.nan


def _resolve_plain(text: str) -> Any:
    """A plain (unquoted, untagged) scalar under the core schema."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] in _NUMBER_START:
        num = _number(text)
        if num is not None:
            return num[1]
    return text


def yaml_scalar(text: str) -> Any:
    """Resolve `text` as one plain YAML scalar with the YAML 1.2 core schema.

    Used for `-D NAME=VALUE`: `16000` -> 16000, `1e-4` -> 0.0001, `true` -> True,
    `null` or the empty string -> None, `on` -> "on", anything else -> the text.
    The text is taken as is (no stripping, no quote removal). Never raises: an
    integer too long for Python to convert (over 4300 digits) stays text.
    """
    try:
        return _resolve_plain(text)
    except ValueError:
        return text


_CORE_PREFIX: Final = "tag:yaml.org,2002:"
_STR_TAG: Final = _CORE_PREFIX + "str"
_MAP_TAG: Final = _CORE_PREFIX + "map"
_SEQ_TAG: Final = _CORE_PREFIX + "seq"
_SCALAR_TAGS: Final = frozenset(
    _CORE_PREFIX + t for t in ("str", "int", "float", "bool", "null")
) | {"!"}
_STANDARD_TAGS: Final = "!!str, !!int, !!float, !!bool, !!null, !!map and !!seq"


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE_PREFIX) :] if tag.startswith(_CORE_PREFIX) else tag


def _bad_tag_message(tag: str) -> str:
    return (
        f"unsupported tag '{_show_tag(tag)}': only the standard tags {_STANDARD_TAGS} are allowed"
    )


def _tagged_scalar(tag: str, text: str) -> tuple[Any, str | None]:
    """Construct a scalar with an explicit tag: (value, error message or None)."""
    if tag in (_STR_TAG, "!"):
        return text, None
    name = tag[len(_CORE_PREFIX) :] if tag.startswith(_CORE_PREFIX) else ""
    try:
        num = _number(text) if text else None
    except ValueError:
        return None, f"the integer '{text[:20]}...' has too many digits"
    if name == "int" and num is not None and num[0] in ("int", "oct", "hex"):
        return num[1], None
    if name == "float" and num is not None:
        return float(num[1]), None
    if name == "bool" and text in _BOOL_WORDS:
        return _BOOL_WORDS[text], None
    if name == "null" and text in _NULL_WORDS:
        return None, None
    if name in ("int", "float", "bool", "null"):
        return None, f"'{text}' is not a valid !!{name}"
    if name in ("map", "seq"):
        return None, f"the tag !!{name} cannot be used on a scalar"
    return None, _bad_tag_message(tag)


# --------------------------------------------------------------------------
# Events -> located tree
# --------------------------------------------------------------------------


class _Budget:
    """YAML nodes counted so far in one load; shared by the top file and its includes."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0


class _FatalError(Exception):
    """Raised inside the builder to abandon the document after a fatal diagnostic."""


# Sentinels for the pending-key slot of an open mapping.
_NO_KEY: Final = object()  # the next node is a key
_BAD_KEY: Final = object()  # the key was rejected; drop the value that follows
_MERGE: Final = object()  # the key was `<<`
_MISSING: Final = object()


def yaml_depth_limit(limits: Limits) -> int:
    """How many YAML nesting levels a document may have under `limits`.

    A statement level takes two YAML levels (the item mapping and its `body`
    list) and its options a few more, so 4 per `max_depth` plus slack is ample.
    It stays below libyaml's own fixed limit of 1000 for the default
    `max_depth`, so a deep document is reported as a `limit` naming --max-depth.
    """
    return limits.max_depth * 4 + 50


def _event_source(text: str) -> tuple[Callable[[], Any], bool]:
    """A `get_event` function over `text`, and whether positions are UTF-8 byte offsets."""
    if _WITH_LIBYAML:
        return _CParser(text).get_event, True
    return yaml.SafeLoader(text).get_event, False


def _line_col(text: str, offset: int, *, in_bytes: bool) -> tuple[int, int]:
    """1-based line and column of a character (or UTF-8 byte) offset into `text`."""
    if in_bytes:
        data = text.encode("utf-8", "surrogatepass")
        prefix = data[:offset].decode("utf-8", "replace")
    else:
        prefix = text[:offset]
    line = prefix.count("\n") + 1
    return line, len(prefix) - (prefix.rfind("\n") + 1) + 1


_TAB_HINT: Final = "YAML does not allow tabs for indentation; use spaces"


def _syntax_diagnostic(
    exc: yaml.YAMLError, filename: str, text: str, in_bytes: bool, limits: Limits
) -> Diagnostic:
    if isinstance(exc, ReaderError):
        line, col = _line_col(text, exc.position, in_bytes=in_bytes)
        return Diagnostic(
            "yaml-syntax",
            f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})",
            Span(filename, line, col),
        )
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        span = Span(filename, mark.line + 1, mark.column + 1) if mark else None
        notes: tuple[Note, ...] = ()
        if exc.context and exc.problem and exc.context_mark is not None:
            cm = exc.context_mark
            notes = (Note(exc.context, Span(filename, cm.line + 1, cm.column + 1)),)
        if "maximum nesting depth" in problem:
            # libyaml's scanner looks ahead past our own depth check (a `[` may start
            # a key), so its fixed cap of 1000 levels can fire first: still a limit.
            flag = Limits.flag("max_depth")
            return Diagnostic(
                "limit",
                "the YAML nesting is deeper than the YAML parser allows (1000 levels);"
                f" specc allows {yaml_depth_limit(limits)} levels, set by {flag}",
                span,
            )
        at_tab = False
        if mark is not None:
            lines = text.split("\n", mark.line + 1)
            if mark.line < len(lines):
                at_tab = lines[mark.line][mark.column : mark.column + 1] == "\t"
        if at_tab or "\t" in problem or re.search(r"\btab\b", problem):
            problem = problem.replace("\t", "\\t") + f" ({_TAB_HINT})"
        return Diagnostic("yaml-syntax", problem, span, notes=notes)
    return Diagnostic("yaml-syntax", str(exc) or "invalid YAML", None)


def _tag_span(filename: str, text: str, ev: Any) -> Span:
    """The position of the tag itself (the event's mark is at its anchor, if any)."""
    m = ev.start_mark
    lines = text.split("\n", m.line + 1)
    col = m.column
    if m.line < len(lines):
        found = lines[m.line].find("!", m.column)
        if found >= 0:
            col = found
    return Span(filename, m.line + 1, col + 1)


def _compose(  # noqa: C901 - the hot loop is inlined on purpose
    text: str, filename: str, limits: Limits, budget: _Budget
) -> tuple[Any, Span | None, list[Diagnostic]]:
    """Build one document's located tree from parse events, without recursion.

    Returns the root value, where it starts (a scalar root has no `span` of its
    own) and the diagnostics.

    The loop keeps the innermost open collection in locals and the outer ones
    on `stack`; it is the hot path of the whole compiler, hence the inlining.
    """
    diags: list[Diagnostic] = []
    max_nodes = limits.max_nodes
    max_depth = yaml_depth_limit(limits)
    count = budget.used
    in_bytes = _WITH_LIBYAML

    # anchor -> (value, nodes it expands to, scalar text or None)
    anchors: dict[str, tuple[Any, int, str | None]] = {}
    open_anchors: set[str] = set()
    stack: list[tuple[Any, ...]] = []

    # The innermost open collection and its bookkeeping.
    cur: Any = None
    is_map = False
    key: Any = _NO_KEY
    # packed positions (see `_unpack`) of the open collection's keys, values, items
    key_pos: dict[str, int] = {}
    val_pos: dict[str, int] = {}
    item_pos: list[int] = []
    start_count = 0
    anchor: str | None = None
    merge: list[Any] | None = None  # [span of the `<<` key, mapping, mapping, ...]

    root: Any = None
    root_span: Span | None = None
    documents = 0
    sp: Span
    pos: int

    def at(pos: int) -> Span:
        return _unpack(filename, pos)

    # Hot-loop constants as locals; specs repeat their numbers (`512`, `0.02`)
    # a lot, so each distinct plain number text is resolved once.
    words = _WORDS
    number_start = _NUMBER_START
    numbers: dict[str, Any] = {}
    key_names: dict[str, str] = {}
    missing = _MISSING

    def too_many_nodes(at: Span) -> _FatalError:
        flag = Limits.flag("max_nodes")
        diags.append(
            Diagnostic(
                "limit",
                f"the spec expands to more than {max_nodes} YAML nodes (raise it with {flag})",
                at,
            )
        )
        return _FatalError()

    try:
        get_event, in_bytes = _event_source(text)
        while True:
            ev = get_event()
            cls = ev.__class__

            if cls is ScalarEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                count += 1
                if count > max_nodes:
                    raise too_many_nodes(at(pos))
                raw: str = ev.value
                tag: str | None = ev.tag
                if is_map and key is _NO_KEY:
                    if tag is not None and tag not in _SCALAR_TAGS:
                        diags.append(
                            Diagnostic(
                                "yaml-syntax",
                                _bad_tag_message(tag)
                                if tag not in (_MAP_TAG, _SEQ_TAG)
                                else f"the tag {_show_tag(tag)} cannot be used on a scalar",
                                _tag_span(filename, text, ev),
                            )
                        )
                    if raw == "<<" and tag is None and ev.implicit[0]:
                        if merge is not None:
                            diags.append(
                                Diagnostic(
                                    "yaml-syntax",
                                    "duplicate merge key '<<' in this mapping",
                                    at(pos),
                                    notes=(Note("first defined here", merge[0]),),
                                )
                            )
                            key = _BAD_KEY
                        else:
                            merge = [at(pos)]
                            key = _MERGE
                    elif raw in key_pos:
                        diags.append(
                            Diagnostic(
                                "yaml-syntax",
                                f"duplicate key '{raw}' in this mapping",
                                at(pos),
                                notes=(Note("first defined here", at(key_pos[raw])),),
                            )
                        )
                        key = _BAD_KEY
                    else:
                        # one string object per distinct key: a spec repeats its
                        # keys thousands of times, and later lookups compare them
                        key = key_names.setdefault(raw, raw)
                        key_pos[key] = pos
                    if ev.anchor is not None:
                        anchors[ev.anchor] = (_key_anchor_value(ev), 1, raw)
                    continue
                if tag is None:
                    if ev.implicit[0]:
                        if raw in words:
                            v: Any = words[raw]
                        elif raw[0] in number_start:
                            v = numbers.get(raw, missing)
                            if v is missing:
                                try:
                                    num = _number(raw)
                                except ValueError:
                                    num = None
                                    diags.append(
                                        Diagnostic(
                                            "yaml-syntax",
                                            f"the integer '{raw[:20]}...' has too many digits",
                                            at(pos),
                                        )
                                    )
                                v = numbers[raw] = raw if num is None else num[1]
                        else:
                            v = raw
                    else:
                        v = raw
                else:
                    v, problem = _tagged_scalar(tag, raw)
                    if problem is not None:
                        diags.append(
                            Diagnostic("yaml-syntax", problem, _tag_span(filename, text, ev))
                        )
                if ev.anchor is not None:
                    anchors[ev.anchor] = (v, 1, raw)

            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                count += 1
                if count > max_nodes:
                    raise too_many_nodes(at(pos))
                stack.append(
                    (cur, is_map, key, key_pos, val_pos, item_pos, start_count, anchor, merge)
                )
                if len(stack) > max_depth:
                    flag = Limits.flag("max_depth")
                    diags.append(
                        Diagnostic(
                            "limit",
                            f"the YAML nesting is deeper than {max_depth} levels"
                            f" (raise it with {flag})",
                            at(pos),
                        )
                    )
                    raise _FatalError
                tag = ev.tag
                is_map = cls is MappingStartEvent
                if tag is not None and tag not in ("!", _MAP_TAG if is_map else _SEQ_TAG):
                    diags.append(
                        Diagnostic(
                            "yaml-syntax",
                            _bad_tag_message(tag)
                            if tag not in _SCALAR_TAGS and tag not in (_MAP_TAG, _SEQ_TAG)
                            else f"the tag {_show_tag(tag)} cannot be used on a "
                            + ("mapping" if is_map else "sequence"),
                            _tag_span(filename, text, ev),
                        )
                    )
                if is_map:
                    cur = LocDict()
                    cur._pos = pos
                    cur._file = filename
                    cur._key_pos = key_pos = {}
                    cur._value_pos = val_pos = {}
                    key = _NO_KEY
                    merge = None
                else:
                    cur = LocList()
                    cur._pos = pos
                    cur._file = filename
                    cur._item_pos = item_pos = []
                start_count = count
                anchor = ev.anchor
                if anchor is not None:
                    open_anchors.add(anchor)
                continue

            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                v = cur
                pos = v._pos
                if merge is not None:
                    for source in merge[1:]:
                        # anchors are per document, so the positions are of this file
                        src_keys = source._key_pos
                        src_vals = source._value_pos
                        for k, mv in source.items():
                            if k not in v:
                                v[k] = mv
                                key_pos[k] = src_keys[k]
                                val_pos[k] = src_vals[k]
                if anchor is not None:
                    anchors[anchor] = (v, count - start_count + 1, None)
                    open_anchors.discard(anchor)
                (
                    cur,
                    is_map,
                    key,
                    key_pos,
                    val_pos,
                    item_pos,
                    start_count,
                    anchor,
                    merge,
                ) = stack.pop()

            elif cls is AliasEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                sp = _unpack(filename, pos)
                name: str = ev.anchor
                found = anchors.get(name)
                if found is None:
                    problem = (
                        f"the alias '*{name}' refers to a collection that contains it"
                        if name in open_anchors
                        else f"the alias '*{name}' refers to no anchor '&{name}' before it"
                    )
                    diags.append(Diagnostic("yaml-syntax", problem, sp))
                    v, size, alias_text = None, 1, None
                else:
                    v, size, alias_text = found
                count += size
                if count > max_nodes:
                    raise too_many_nodes(sp)
                if is_map and key is _NO_KEY:
                    if found is None:
                        key = _BAD_KEY
                    elif alias_text is None:
                        diags.append(
                            Diagnostic("yaml-syntax", "a mapping key must be a scalar", sp)
                        )
                        key = _BAD_KEY
                    else:
                        k = alias_text or ""
                        if k in key_pos:
                            diags.append(
                                Diagnostic(
                                    "yaml-syntax",
                                    f"duplicate key '{k}' in this mapping",
                                    sp,
                                    notes=(Note("first defined here", at(key_pos[k])),),
                                )
                            )
                            key = _BAD_KEY
                        else:
                            key_pos[k] = pos
                            key = k
                    continue

            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    m = ev.start_mark
                    diags.append(
                        Diagnostic(
                            "yaml-syntax",
                            "a spec file must hold exactly one YAML document; found a second one",
                            Span(filename, m.line + 1, m.column + 1),
                        )
                    )
                    raise _FatalError
                continue

            elif cls is StreamEndEvent or ev is None:
                break

            else:  # stream start, document end
                continue

            # Attach the finished node `v` (at `pos`) to the open collection.
            if cur is None:
                root, root_span = v, at(pos)
            elif not is_map:
                cur.append(v)
                item_pos.append(pos)
            elif key is _NO_KEY:
                # A collection used as a key (`? [a]: b`, `{[a]: b}`).
                diags.append(Diagnostic("yaml-syntax", "a mapping key must be a scalar", at(pos)))
                key = _BAD_KEY
            else:
                if key is _MERGE:
                    _add_merge(merge, v, at(pos), diags)
                elif key is not _BAD_KEY:
                    cur[key] = v
                    val_pos[key] = pos
                key = _NO_KEY

    except _FatalError:
        budget.used = count
        return None, None, diags
    except yaml.YAMLError as exc:
        budget.used = count
        diags.append(_syntax_diagnostic(exc, filename, text, in_bytes, limits))
        return None, None, diags
    except UnicodeEncodeError as exc:
        # A `str` with lone surrogates cannot be handed to libyaml.
        line, col = _line_col(text, exc.start, in_bytes=False)
        diags.append(
            Diagnostic(
                "yaml-syntax",
                "the text is not valid Unicode (a lone surrogate)",
                Span(filename, line, col),
            )
        )
        return None, None, diags
    budget.used = count
    return root, root_span, diags


def _key_anchor_value(ev: Any) -> Any:
    """The value an anchored mapping key stands for when it is aliased as a value."""
    raw: str = ev.value
    tag: str | None = ev.tag
    if tag is not None:
        return _tagged_scalar(tag, raw)[0]
    if not ev.implicit[0]:
        return raw
    try:
        return _resolve_plain(raw)
    except ValueError:
        return raw


def _add_merge(merge: list[Any] | None, value: Any, at: Span, diags: list[Diagnostic]) -> None:
    """Record the value of a `<<` key: a mapping, or a list of mappings."""
    assert merge is not None
    if isinstance(value, LocDict):
        merge.append(value)
        return
    if isinstance(value, LocList):
        # Blame the item if the list is written here, else the alias that brought it.
        inline = value.span == at
        for item, item_span in zip(value, value.item_spans, strict=True):
            if isinstance(item, LocDict):
                merge.append(item)
            else:
                diags.append(
                    Diagnostic(
                        "yaml-syntax",
                        "a merge key '<<' list may only hold mappings",
                        item_span if inline else at,
                    )
                )
        return
    diags.append(
        Diagnostic("yaml-syntax", "a merge key '<<' needs a mapping or a list of mappings", at)
    )


def _by_position(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))


def parse_yaml(
    text: str, filename: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[LocDict | LocList | Any, list[Diagnostic]]:
    """Parse one YAML document into located plain data; no include handling.

    Returns the root value (`None` for an empty stream or after a fatal error)
    and the diagnostics (`yaml-syntax` or `limit`), in source order. Never
    raises on any input.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        root, _, diags = _compose(text, filename, limits, _Budget())
    finally:
        if was_enabled:
            gc.enable()
    return root, _by_position(diags)


# --------------------------------------------------------------------------
# Files and includes
# --------------------------------------------------------------------------

_STD: Final = "std"
_STD_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_TOP_MESSAGE: Final = "the spec must be a mapping with keys specc, name, body"
_INCLUDED_MESSAGE: Final = "an included file must be a mapping (with `templates`)"


def _stdlib_root() -> Traversable | None:
    """The folder of bundled library files, or None when the package ships none."""
    try:
        root = importlib.resources.files("specc").joinpath("stdlib")
        if root.is_dir():
            return root
    except (ImportError, OSError, TypeError, ValueError):
        pass
    # An editable install of a namespace package can defeat importlib.resources.
    local = Path(__file__).resolve().parent.parent / "stdlib"
    return local if local.is_dir() else None


def _too_big(display: str, limit: int, at: Span | None) -> Diagnostic:
    flag = Limits.flag("max_file_bytes")
    return Diagnostic(
        "limit", f"'{display}' is larger than {limit} bytes (raise it with {flag})", at
    )


def _decode(data: bytes, display: str) -> tuple[str, Diagnostic | None]:
    """UTF-8 text of a file (BOM dropped); invalid bytes are replaced and reported."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        bad = data[exc.start : exc.start + 1].hex()
        diag = Diagnostic(
            "yaml-syntax",
            f"the file is not valid UTF-8 (byte 0x{bad} at offset {exc.start})",
            Span(display, line, col),
        )
        return data.decode("utf-8", "replace").removeprefix("\ufeff"), diag
    return text.removeprefix("\ufeff"), None


@dataclass
class _File:
    key: str  # identity for cycles and loading once: a real path or "<std>/NAME.yaml"
    display: str
    logical: str | None  # absolute, unresolved path; None for library files
    source: SourceFile
    diags: list[Diagnostic]


@dataclass
class _Target:
    at: Span
    key: str
    display: str
    logical: str | None
    read: Callable[[int], bytes]  # reads at most n bytes


def _read_path(path: str) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with open(path, "rb") as f:
            return f.read(n)

    return read


def _read_resource(res: Traversable) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with res.open("rb") as f:
            return f.read(n)

    return read


class _Loader:
    def __init__(self, limits: Limits, top_dir: str) -> None:
        self.limits = limits
        self.top_real = os.path.realpath(top_dir)
        self.budget = _Budget()
        self.sources: dict[str, str] = {}

    def parse(
        self, key: str, display: str, logical: str | None, data: bytes | str, *, top: bool
    ) -> _File:
        diags: list[Diagnostic] = []
        if isinstance(data, bytes):
            text, bad = _decode(data, display)
        else:
            text, bad = data.removeprefix("\ufeff"), None
        self.sources[display] = text
        document: LocDict | None = None
        if bad is not None:
            diags.append(bad)
        else:
            root, root_span, found = _compose(text, display, self.limits, self.budget)
            diags.extend(found)
            fatal = any(
                d.code == "limit" or (root is None and d.code == "yaml-syntax") for d in found
            )
            if isinstance(root, LocDict):
                document = root
            elif not fatal:
                span = root_span or Span(display, 1, 1)
                diags.append(Diagnostic("schema", _TOP_MESSAGE if top else _INCLUDED_MESSAGE, span))
        return _File(key, display, logical, SourceFile(display, text, document), diags)

    def targets(self, f: _File) -> Iterator[_Target]:
        """The files `f` includes, in order; bad entries become diagnostics on `f`."""
        doc = f.source.document
        if doc is None or "include" not in doc:
            return
        entries = doc["include"]
        if not isinstance(entries, LocList):
            f.diags.append(
                Diagnostic(
                    "schema", "`include` must be a list of file names", doc.value_spans["include"]
                )
            )
            return
        for entry, at in zip(entries, entries.item_spans, strict=True):
            if not isinstance(entry, str):
                shown = "null" if entry is None else type(entry).__name__
                f.diags.append(
                    Diagnostic("include", f"an include entry must be a file name, not {shown}", at)
                )
            elif entry == _STD or entry.startswith(_STD + "/"):
                yield from self._std_targets(f, entry, at)
            elif f.logical is None:
                f.diags.append(
                    Diagnostic(
                        "include", f"a library file can only include `std` names, not '{entry}'", at
                    )
                )
            else:
                target = self._path_target(f, entry, at)
                if target is not None:
                    yield target

    def _std_targets(self, f: _File, entry: str, at: Span) -> Iterator[_Target]:
        root = _stdlib_root()
        if entry == _STD:
            if root is None:
                return
            try:
                found = sorted(
                    (r for r in root.iterdir() if r.name.endswith(".yaml") and r.is_file()),
                    key=lambda r: r.name,
                )
            except OSError as exc:
                f.diags.append(Diagnostic("include", f"cannot list the library: {exc}", at))
                return
            for item in found:
                shown = "<std>/" + item.name
                yield _Target(at, shown, shown, None, _read_resource(item))
            return
        name = entry[len(_STD) + 1 :]
        if not _STD_NAME.fullmatch(name):
            f.diags.append(
                Diagnostic(
                    "include",
                    f"'{entry}' is not a standard library name",
                    at,
                    help="write `std/NAME` with NAME made of letters, digits, '_' and '-'",
                )
            )
            return
        try:
            res = root.joinpath(name + ".yaml") if root is not None else None
            exists = res is not None and res.is_file()
        except OSError:
            exists = False
        if res is None or not exists:
            f.diags.append(Diagnostic("include", f"the standard library has no '{entry}'", at))
            return
        display = f"<std>/{name}.yaml"
        yield _Target(at, display, display, None, _read_resource(res))

    def _path_target(self, f: _File, entry: str, at: Span) -> _Target | None:
        assert f.logical is not None
        if "\0" in entry:
            f.diags.append(Diagnostic("include", "an include path cannot contain a NUL", at))
            return None
        if os.path.isabs(entry):
            f.diags.append(
                Diagnostic(
                    "include",
                    f"the include path '{entry}' is absolute",
                    at,
                    help="write it relative to the including file's folder",
                )
            )
            return None
        try:
            logical = os.path.normpath(os.path.join(os.path.dirname(f.logical), entry))
            real = os.path.realpath(logical)
            inside = os.path.commonpath([self.top_real, real]) == self.top_real
            is_file = inside and os.path.isfile(real)
        except (OSError, ValueError) as exc:
            f.diags.append(Diagnostic("include", f"bad include path '{entry}': {exc}", at))
            return None
        if not inside:
            f.diags.append(
                Diagnostic(
                    "include",
                    f"the include '{entry}' leaves the spec's folder",
                    at,
                    help="includes must stay inside the folder of the top spec file",
                )
            )
            return None
        if not is_file:
            what = "is not a file" if os.path.isdir(real) else "was not found"
            f.diags.append(Diagnostic("include", f"the included file '{entry}' {what}", at))
            return None
        display = os.path.normpath(os.path.join(os.path.dirname(f.display), entry))
        return _Target(at, real, display, logical, _read_path(real))

    def load_includes(self, main: _File) -> list[_File]:
        """Follow includes depth-first with an explicit stack (no recursion)."""
        loaded: dict[str, _File] = {main.key: main}
        order: list[_File] = []
        stack: list[tuple[_File, Iterator[_Target]]] = [(main, self.targets(main))]
        on_stack = [main.key]
        limit = self.limits.max_file_bytes
        while stack:
            f, pending = stack[-1]
            t = next(pending, None)
            if t is None:
                stack.pop()
                on_stack.pop()
                continue
            if t.key in on_stack:
                chain = [loaded[k].display for k in on_stack[on_stack.index(t.key) :]]
                f.diags.append(
                    Diagnostic(
                        "include", "include cycle: " + " -> ".join([*chain, t.display]), t.at
                    )
                )
                continue
            if t.key in loaded:
                continue
            if self.budget.used > self.limits.max_nodes:
                break  # the node budget is spent; every further file would fail too
            try:
                data = t.read(limit + 1)
            except OSError as exc:
                f.diags.append(
                    Diagnostic(
                        "include",
                        f"cannot read the included file '{t.display}': {exc.strerror or exc}",
                        t.at,
                    )
                )
                continue
            if len(data) > limit:
                f.diags.append(_too_big(t.display, limit, t.at))
                continue
            child = self.parse(t.key, t.display, t.logical, data, top=False)
            loaded[t.key] = child
            order.append(child)
            stack.append((child, self.targets(child)))
            on_stack.append(t.key)
        return order


def _load(data: bytes | str, display: str, key: str, logical: str, limits: Limits) -> LoadResult:
    loader = _Loader(limits, os.path.dirname(logical))
    main = loader.parse(key, display, logical, data, top=True)
    includes = loader.load_includes(main)
    diags: list[Diagnostic] = []
    for f in (main, *includes):
        diags.extend(_by_position(f.diags))
    return LoadResult(
        main=main.source,
        includes=[f.source for f in includes],
        sources=loader.sources,
        diagnostics=diags,
    )


def _utf8_size(text: str, limit: int) -> int:
    """The UTF-8 size of `text`, computed only when it could exceed `limit`."""
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def load_text(
    text: str | bytes,
    filename: str = "<string>",
    limits: Limits = DEFAULT_LIMITS,
    *,
    base_dir: str | None = None,
) -> LoadResult:
    """Load a spec from text (and, transitively, the files it includes).

    `filename` is used for display only. Includes resolve against `base_dir`,
    by default the folder of `filename`, or the current directory when
    `filename` is a pseudo name like `<string>` or `<stdin>`. Never raises:
    every problem is a diagnostic in the result.
    """
    pseudo = filename.startswith("<") and filename.endswith(">")
    if base_dir is None:
        base_dir = os.getcwd() if pseudo else os.path.dirname(os.path.abspath(filename))
    logical = os.path.join(os.path.abspath(base_dir), os.path.basename(filename) or "spec")
    key = "<top>" if pseudo else os.path.realpath(logical)
    size = len(text) if isinstance(text, bytes) else _utf8_size(text, limits.max_file_bytes)
    if size > limits.max_file_bytes:
        return LoadResult(
            main=None,
            diagnostics=[_too_big(filename, limits.max_file_bytes, Span(filename, 1, 1))],
        )
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(text, filename, key, logical, limits)
    finally:
        if was_enabled:
            gc.enable()


def load_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Load the spec file at `path` and, transitively, the files it includes.

    Raises `FileNotFoundError` when `path` does not exist (the CLI's usage
    error). Any other failure, including an unreadable top file, is a
    diagnostic in the result; an unreadable or too large top file gives
    `main=None`.
    """
    display = os.fspath(path)
    try:
        with open(display, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        return LoadResult(
            main=None,
            diagnostics=[
                Diagnostic("yaml-syntax", f"cannot read '{display}': {exc.strerror or exc}", None)
            ],
        )
    if len(data) > limits.max_file_bytes:
        return LoadResult(
            main=None,
            diagnostics=[_too_big(display, limits.max_file_bytes, Span(display, 1, 1))],
        )
    logical = os.path.abspath(display)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(data, display, os.path.realpath(logical), logical, limits)
    finally:
        if was_enabled:
            gc.enable()
