"""YAML text -> one document's located tree, built from parse events.

The tree is built from PyYAML's parse events rather than with its composer: the C
composer recurses in C (a deeply nested document can overflow the C stack), the
Python one hits `RecursionError`, and neither lets us count nodes while aliases
are expanded. Building from events keeps nesting on an explicit stack, counts
every node as it is (re)visited through an alias or a merge key, and stops as soon
as a limit is crossed, so a "billion laughs" document fails in microseconds.

`_build` is the loop over events and does only that; every rule about what is
wrong (tags, duplicate keys, aliases, merge keys, limits) lives in `_Problems`,
called on the rare paths only, and scalars are resolved by `specc.source.scalars`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

from specc.diagnostics import Diagnostic, Note, codes
from specc.limits import Limits
from specc.source.nodes import LocDict, LocList, unpack
from specc.source.scalars import (
    MAP_TAG,
    SCALAR_TAGS,
    SEQ_TAG,
    bad_tag_message,
    resolve_plain,
    show_tag,
    tagged_scalar,
)
from specc.span import Span

WITH_LIBYAML: Final[bool] = bool(getattr(yaml, "__with_libyaml__", False))

if WITH_LIBYAML:
    from yaml._yaml import CParser as _CParser


class Budget:
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
    if WITH_LIBYAML:
        return _CParser(text).get_event, True
    return yaml.SafeLoader(text).get_event, False


def line_col(text: str, offset: int, *, in_bytes: bool) -> tuple[int, int]:
    """1-based line and column of a character (or UTF-8 byte) offset into `text`."""
    if in_bytes:
        data = text.encode("utf-8", "surrogatepass")
        prefix = data[:offset].decode("utf-8", "replace")
    else:
        prefix = text[:offset]
    line = prefix.count("\n") + 1
    return line, len(prefix) - (prefix.rfind("\n") + 1) + 1


_TAB_HINT: Final = "YAML does not allow tabs for indentation; use spaces"


class _Problems:
    """The diagnostics of one document, and the rules that find them: every
    method is called from `_build`'s rare paths only."""

    def __init__(self, filename: str, text: str, limits: Limits) -> None:
        self.filename = filename
        self.text = text
        self.limits = limits
        self.diags: list[Diagnostic] = []

    def at(self, pos: int) -> Span:
        return unpack(self.filename, pos)

    def add(self, message: str, pos: int, *, notes: tuple[Note, ...] = ()) -> None:
        self.diags.append(Diagnostic(codes.YAML_SYNTAX, message, self.at(pos), notes=notes))

    def tag_span(self, ev: Any) -> Span:
        """The position of the tag itself (the event's mark is at its anchor, if any)."""
        m = ev.start_mark
        lines = self.text.split("\n", m.line + 1)
        col = m.column
        if m.line < len(lines):
            found = lines[m.line].find("!", m.column)
            if found >= 0:
                col = found
        return Span(self.filename, m.line + 1, col + 1)

    def key_tag(self, tag: str, ev: Any) -> None:
        message = (
            bad_tag_message(tag)
            if tag not in (MAP_TAG, SEQ_TAG)
            else f"the tag {show_tag(tag)} cannot be used on a scalar"
        )
        self.diags.append(Diagnostic(codes.YAML_SYNTAX, message, self.tag_span(ev)))

    def collection_tag(self, tag: str, is_map: bool, ev: Any) -> None:
        if tag not in SCALAR_TAGS and tag not in (MAP_TAG, SEQ_TAG):
            message = bad_tag_message(tag)
        else:
            what = "mapping" if is_map else "sequence"
            message = f"the tag {show_tag(tag)} cannot be used on a {what}"
        self.diags.append(Diagnostic(codes.YAML_SYNTAX, message, self.tag_span(ev)))

    def tagged(self, tag: str, raw: str, ev: Any) -> Any:
        value, problem = tagged_scalar(tag, raw)
        if problem is not None:
            self.diags.append(Diagnostic(codes.YAML_SYNTAX, problem, self.tag_span(ev)))
        return value

    def plain(self, raw: str, pos: int) -> Any:
        """A plain scalar's value; an integer too long to convert stays text."""
        try:
            return resolve_plain(raw)
        except ValueError:
            self.add(f"the integer '{raw[:20]}...' has too many digits", pos)
            return raw

    def duplicate_merge(self, pos: int, first: Span) -> None:
        self.add(
            "duplicate merge key '<<' in this mapping",
            pos,
            notes=(Note("first defined here", first),),
        )

    def duplicate_key(self, key: str, pos: int, first: int) -> None:
        self.add(
            f"duplicate key '{key}' in this mapping",
            pos,
            notes=(Note("first defined here", self.at(first)),),
        )

    def unknown_alias(self, name: str, *, open_: bool, pos: int) -> None:
        self.add(
            f"the alias '*{name}' refers to a collection that contains it"
            if open_
            else f"the alias '*{name}' refers to no anchor '&{name}' before it",
            pos,
        )

    def too_many_nodes(self, pos: int) -> _FatalError:
        self.diags.append(
            Diagnostic(
                codes.LIMIT,
                f"the spec expands to more than {self.limits.max_nodes} YAML nodes "
                f"({self.limits.advice('max_nodes')})",
                self.at(pos),
            )
        )
        return _FatalError()

    def too_deep(self, pos: int) -> _FatalError:
        self.diags.append(
            Diagnostic(
                codes.LIMIT,
                f"the YAML nesting is deeper than {yaml_depth_limit(self.limits)} levels"
                f" ({self.limits.advice('max_depth')})",
                self.at(pos),
            )
        )
        return _FatalError()

    def second_document(self, ev: Any) -> _FatalError:
        m = ev.start_mark
        self.diags.append(
            Diagnostic(
                codes.YAML_SYNTAX,
                "a spec file must hold exactly one YAML document; found a second one",
                Span(self.filename, m.line + 1, m.column + 1),
            )
        )
        return _FatalError()

    def merge(self, merge: list[Any], value: Any, pos: int) -> None:
        """Record the value of a `<<` key: a mapping, or a list of mappings."""
        if isinstance(value, LocDict):
            merge.append(value)
            return
        if not isinstance(value, LocList):
            self.add("a merge key '<<' needs a mapping or a list of mappings", pos)
            return
        # Blame the item if the list is written here, else the alias that brought it.
        inline = value._pos == pos
        for item, item_pos in zip(value, value._item_pos, strict=True):
            if isinstance(item, LocDict):
                merge.append(item)
            else:
                self.add(
                    "a merge key '<<' list may only hold mappings", item_pos if inline else pos
                )

    def syntax(self, exc: yaml.YAMLError, in_bytes: bool) -> None:
        self.diags.append(_syntax_diagnostic(exc, self.filename, self.text, in_bytes, self.limits))


def _syntax_diagnostic(
    exc: yaml.YAMLError, filename: str, text: str, in_bytes: bool, limits: Limits
) -> Diagnostic:
    if isinstance(exc, ReaderError):
        line, col = line_col(text, exc.position, in_bytes=in_bytes)
        return Diagnostic(
            codes.YAML_SYNTAX,
            f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})",
            Span(filename, line, col),
        )
    if not isinstance(exc, MarkedYAMLError):
        return Diagnostic(codes.YAML_SYNTAX, str(exc) or "invalid YAML", None)
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
            codes.LIMIT,
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
        return Diagnostic(codes.YAML_SYNTAX, problem, span, notes=notes)
    rewritten = _in_words(exc, text)
    if rewritten is not None:
        message, help_ = rewritten
        return Diagnostic(codes.YAML_SYNTAX, message, span, notes=notes, help=help_)
    return Diagnostic(codes.YAML_SYNTAX, problem, span, notes=notes)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _in_words(exc: MarkedYAMLError, text: str) -> tuple[str, str] | None:
    """libyaml's message about a misplaced `:`, an indentation that matches no
    block, an unclosed bracket or quote, said in one sentence with the fix."""
    problem, context = exc.problem or "", exc.context or ""
    mark, start = exc.problem_mark, exc.context_mark
    if mark is None:
        return None
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    if problem.startswith("mapping values are not allowed"):
        return _misplaced_colon(lines, mark.line, mark.column)
    block_ends = ("expected <block end>", "did not find expected key", "did not find expected '-'")
    if problem.startswith(block_ends) and start is not None:
        what = "list" if "collection" in context or "sequence" in context else "mapping"
        column = _indent(lines[start.line]) + 1 if start.line < len(lines) else start.column + 1
        return (
            f"this line is indented to column {_indent(line) + 1}, which matches no block "
            f"around it: the {what} that starts at line {start.line + 1} has its entries "
            f"at column {column}",
            f"indent the line to column {column}, or under a key that opens a block",
        )
    bracket = re.match(r"(?:did not find )?expected ',' or '([\]}])'", problem)
    if bracket and start is not None:
        opener = "[" if bracket.group(1) == "]" else "{"
        return (
            f"the `{opener}` opened at line {start.line + 1}, column {start.column + 1} "
            "is not closed where this line needs it",
            f"close it with `{bracket.group(1)}` (and separate its items with `,`)",
        )
    if "quoted scalar" in context and start is not None:
        return (
            f"the quoted string that starts at line {start.line + 1}, column "
            f"{start.column + 1} is never closed",
            'close the quote (a quote inside it is doubled in \'...\' or escaped as \\" in "...")',
        )
    return None


def _misplaced_colon(lines: list[str], row: int, column: int) -> tuple[str, str]:
    """`mapping values are not allowed here`: a `: ` inside a plain value, or a
    key indented deeper than the keys before it."""
    line = lines[row] if row < len(lines) else ""
    head = line[:column]
    if re.search(r":\s", head.lstrip(" -")):
        return (
            "a second `: ` in a plain value: YAML reads it as a nested mapping",
            'quote the value: key: "text: with a colon"',
        )
    above = next((lines[i] for i in range(row - 1, -1, -1) if lines[i].strip()), "")
    key_col = _indent(above) + (2 if above.lstrip().startswith("- ") else 0)
    return (
        f"this key is indented to column {_indent(line) + 1}, deeper than the key above it "
        f"(column {key_col + 1}): YAML reads it as part of that key's value",
        f"indent it to column {key_col + 1}, as the key above",
    )


def _key_anchor_value(ev: Any) -> Any:
    """The value an anchored mapping key stands for when it is aliased as a value."""
    raw: str = ev.value
    tag: str | None = ev.tag
    if tag is not None:
        return tagged_scalar(tag, raw)[0]
    if not ev.implicit[0]:
        return raw
    try:
        return resolve_plain(raw)
    except ValueError:
        return raw


def compose_document(
    text: str, filename: str, limits: Limits, budget: Budget
) -> tuple[Any, Span | None, list[Diagnostic]]:
    """Build one document's located tree. Returns the root value (None after a
    fatal error), where it starts (a scalar root has no `span` of its own) and
    the diagnostics in the order found. Never raises on any input."""
    problems = _Problems(filename, text, limits)
    in_bytes = WITH_LIBYAML
    try:
        get_event, in_bytes = _event_source(text)
        root, root_pos = _build(get_event, problems, budget)
    except _FatalError:
        return None, None, problems.diags
    except yaml.YAMLError as exc:
        problems.syntax(exc, in_bytes)
        return None, None, problems.diags
    except UnicodeEncodeError as exc:
        # A `str` with lone surrogates cannot be handed to libyaml.
        line, col = line_col(text, exc.start, in_bytes=False)
        problems.diags.append(
            Diagnostic(
                codes.YAML_SYNTAX,
                "the text is not valid Unicode (a lone surrogate)",
                Span(filename, line, col),
            )
        )
        return None, None, problems.diags
    return root, None if root_pos is None else unpack(filename, root_pos), problems.diags


def _build(  # noqa: C901 - the loop is inlined on purpose, see below
    get_event: Callable[[], Any], problems: _Problems, budget: Budget
) -> tuple[Any, int | None]:
    """The loop over parse events: builds the tree and counts nodes, nothing else.

    It keeps the innermost open collection in locals and the outer ones on
    `stack`. This is the hot path of the whole compiler (a 1.7 MB spec makes
    1.5 million events), hence one function: the same loop written as a class
    with one method per event kind (state on `self`, no anchor, merge or tag
    handling) took 467M instructions to load the 200-layer unrolled spec of
    `benchmarks/compile.py` against 427M for this one (callgrind, load stage as
    `benchmarks/instructions.py` counts it; 2026-12-03), 9% more for less work.
    """
    filename = problems.filename
    max_nodes = problems.limits.max_nodes
    max_depth = yaml_depth_limit(problems.limits)
    count = budget.used

    # anchor -> (value, nodes it expands to, scalar text or None)
    anchors: dict[str, tuple[Any, int, str | None]] = {}
    open_anchors: set[str] = set()
    stack: list[tuple[Any, ...]] = []

    # The innermost open collection and its bookkeeping; positions are packed.
    cur: Any = None
    is_map = False
    key: Any = _NO_KEY
    key_pos: dict[str, int] = {}
    val_pos: dict[str, int] = {}
    item_pos: list[int] = []
    start_count = 0
    anchor: str | None = None
    merge: list[Any] | None = None  # [span of the `<<` key, mapping, mapping, ...]

    root: Any = None
    root_pos: int | None = None
    documents = 0
    pos: int
    # Specs repeat their scalars a lot (`512`, `0.02`, `kernel`): each distinct
    # plain text is resolved once. Mapping keys get one string object each.
    plain: dict[str, Any] = {}
    key_names: dict[str, str] = {}
    missing = _MISSING

    try:
        while True:
            ev = get_event()
            cls = ev.__class__

            if cls is ScalarEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                count += 1
                if count > max_nodes:
                    raise problems.too_many_nodes(pos)
                raw: str = ev.value
                tag: str | None = ev.tag
                if is_map and key is _NO_KEY:
                    if tag is not None and tag not in SCALAR_TAGS:
                        problems.key_tag(tag, ev)
                    if raw == "<<" and tag is None and ev.implicit[0]:
                        if merge is not None:
                            problems.duplicate_merge(pos, merge[0])
                            key = _BAD_KEY
                        else:
                            merge = [unpack(filename, pos)]
                            key = _MERGE
                    elif raw in key_pos:
                        problems.duplicate_key(raw, pos, key_pos[raw])
                        key = _BAD_KEY
                    else:
                        key = key_names.setdefault(raw, raw)
                        key_pos[key] = pos
                    if ev.anchor is not None:
                        anchors[ev.anchor] = (_key_anchor_value(ev), 1, raw)
                    continue
                if tag is not None:
                    v: Any = problems.tagged(tag, raw, ev)
                elif ev.implicit[0]:
                    v = plain.get(raw, missing)
                    if v is missing:
                        v = plain[raw] = problems.plain(raw, pos)
                else:
                    v = raw
                if ev.anchor is not None:
                    anchors[ev.anchor] = (v, 1, raw)

            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                count += 1
                if count > max_nodes:
                    raise problems.too_many_nodes(pos)
                stack.append(
                    (cur, is_map, key, key_pos, val_pos, item_pos, start_count, anchor, merge)
                )
                if len(stack) > max_depth:
                    raise problems.too_deep(pos)
                is_map = cls is MappingStartEvent
                tag = ev.tag
                if tag is not None and tag not in ("!", MAP_TAG if is_map else SEQ_TAG):
                    problems.collection_tag(tag, is_map, ev)
                merge = None  # the parent's `<<` is on the stack, not this collection's
                if is_map:
                    cur = LocDict()
                    cur._key_pos = key_pos = {}
                    cur._value_pos = val_pos = {}
                    key = _NO_KEY
                else:
                    cur = LocList()
                    cur._item_pos = item_pos = []
                cur._file = filename
                cur._pos = pos
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
                (cur, is_map, key, key_pos, val_pos, item_pos, start_count, anchor, merge) = (
                    stack.pop()
                )

            elif cls is AliasEvent:
                m = ev.start_mark
                pos = m.line << 32 | m.column
                name: str = ev.anchor
                found = anchors.get(name)
                if found is None:
                    problems.unknown_alias(name, open_=name in open_anchors, pos=pos)
                    v, size, alias_text = None, 1, None
                else:
                    v, size, alias_text = found
                count += size
                if count > max_nodes:
                    raise problems.too_many_nodes(pos)
                if is_map and key is _NO_KEY:
                    if found is None:
                        key = _BAD_KEY
                    elif alias_text is None:
                        problems.add("a mapping key must be a scalar", pos)
                        key = _BAD_KEY
                    elif alias_text in key_pos:
                        problems.duplicate_key(alias_text, pos, key_pos[alias_text])
                        key = _BAD_KEY
                    else:
                        key_pos[alias_text] = pos
                        key = alias_text
                    continue

            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise problems.second_document(ev)
                continue

            elif cls is StreamEndEvent or ev is None:
                break

            else:  # stream start, document end
                continue

            # Attach the finished node `v` (at `pos`) to the open collection.
            if cur is None:
                root, root_pos = v, pos
            elif not is_map:
                cur.append(v)
                item_pos.append(pos)
            elif key is _NO_KEY:
                # A collection used as a key (`? [a]: b`, `{[a]: b}`).
                problems.add("a mapping key must be a scalar", pos)
                key = _BAD_KEY
            else:
                if key is _MERGE:
                    assert merge is not None
                    problems.merge(merge, v, pos)
                elif key is not _BAD_KEY:
                    cur[key] = v
                    val_pos[key] = pos
                key = _NO_KEY
    finally:
        budget.used = count
    return root, root_pos
