"""What the located YAML tree holds at a cursor, and walks over its statements.

The loader's tree (`LocDict`/`LocList`) knows where every key, value and item
starts; a token's end comes from the line's text (`token_end`, as diagnostics
find theirs). `hit_at` descends from the root to the deepest node that starts
at or before the cursor: a binary search in lists (bodies of thousands of
statements), a scan of the few keys of a mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from specc.diagnostics.locate import token_end
from specc.lang.models import STATEMENT_KINDS
from specc.source import LocDict, LocList
from specc.span import Span

#: the keys whose value is a catalog option (a kind, or {kind: {args}})
CATALOG_KEYS: Final = frozenset(
    {"initializer", "regularizer", "partitioner", "constraint", "custom_getter"}
)
#: keys whose string value is prose, never an expression
PROSE_KEYS: Final = frozenset({"doc", "description"})

Role = Literal["key", "value", "inside"]
Line = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Step:
    """One level of a path from the root: `container[key]`."""

    container: LocDict | LocList
    key: str | int


@dataclass(frozen=True, slots=True)
class Hit:
    """What the cursor points at.

    `container[key]` is the node: with role `key`, the cursor is on a mapping
    key; with `value`, on a scalar value or list item; with `inside`, on
    neither (blank space or a comment inside `container`; `key` is the entry
    before the cursor, if any). `path` leads from the root to `container`;
    `line`, `start` and `end` are the token's place (1-based columns, `end`
    exclusive; zeros for `inside`)."""

    path: tuple[Step, ...]
    container: LocDict | LocList
    key: str | int | None
    role: Role
    line: int = 0
    start: int = 0
    end: int = 0

    @property
    def value(self) -> Any:
        """The node the hit names (None when there is none)."""
        if self.key is None:
            return None
        if isinstance(self.container, LocDict):
            return self.container.get(str(self.key))
        assert isinstance(self.key, int)
        return self.container[self.key]

    @property
    def parent_key(self) -> str | int | None:
        """The key under which `container` sits in its parent."""
        return self.path[-1].key if self.path else None

    def keys(self) -> list[str | int]:
        """The keys from the root down to the hit (list indexes as ints)."""
        out = [s.key for s in self.path]
        if self.key is not None:
            out.append(self.key)
        return out


def _pos(span: Span) -> tuple[int, int]:
    return span.line, span.column


def _on_token(span: Span | None, line_of: Line, cur: tuple[int, int]) -> tuple[int, int] | None:
    """The token's (start, end) columns when the cursor is on it (its end included)."""
    if span is None or span.line != cur[0]:
        return None
    end = token_end(line_of(span.line), span.column)
    return (span.column, end) if span.column <= cur[1] <= end else None


def _last_key_before(node: LocDict, cur: tuple[int, int]) -> tuple[str, Span] | None:
    best: tuple[str, Span] | None = None
    for key, span in node.key_spans.items():
        if _pos(span) <= cur and (best is None or _pos(span) > _pos(best[1])):
            best = (key, span)
    return best


def _last_item_before(node: LocList, cur: tuple[int, int]) -> int | None:
    lo, hi = 0, len(node)
    while lo < hi:  # the first item starting after the cursor
        mid = (lo + hi) // 2
        span = node.item_span(mid)
        if span is not None and _pos(span) <= cur:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1 if lo > 0 else None


def _descends(child: Any, at: Span | None, cur: tuple[int, int]) -> bool:
    """Whether to go down into `child`, written at `at`: a collection starting at
    or before the cursor. A collection that starts before the place it is written
    is an alias of an earlier anchor: its positions are elsewhere."""
    if not isinstance(child, LocDict | LocList) or at is None:
        return False
    start = _pos(child.span)
    return start <= cur and start >= _pos(at) and child.span.file == at.file


def hit_at(root: LocDict | LocList, line_of: Line, line: int, column: int) -> Hit:
    """What the cursor at 1-based `line:column` points at in the tree under `root`
    (`line_of(n)` gives line n of the tree's file)."""
    cur = (line, column)
    node: LocDict | LocList = root
    path: list[Step] = []
    while True:
        if isinstance(node, LocDict):
            found = _last_key_before(node, cur)
            if found is None:
                return Hit(tuple(path), node, None, "inside")
            name, key_span = found
            on = _on_token(key_span, line_of, cur)
            if on is not None:
                return Hit(tuple(path), node, name, "key", line, *on)
            key: str | int = name
            child, at = node[name], node.value_span(name)
        else:
            index = _last_item_before(node, cur)
            if index is None:
                return Hit(tuple(path), node, None, "inside")
            key, child, at = index, node[index], node.item_span(index)
        if _descends(child, at, cur):
            path.append(Step(node, key))
            node = child
            continue
        on = None if isinstance(child, LocDict | LocList) else _on_token(at, line_of, cur)
        if on is not None:
            return Hit(tuple(path), node, key, "value", line, *on)
        return Hit(tuple(path), node, key, "inside")


# --------------------------------------------------------------------------- statements


def statement_kind(node: Any) -> str | None:
    """The statement kind of a mapping (`use` wins, as it may carry `scope:`)."""
    if not isinstance(node, dict):
        return None
    if "use" in node:
        return "use"
    for key in node:
        if key in STATEMENT_KINDS:
            return str(key)
    return None


def is_body(path: tuple[Step, ...] | list[Step]) -> bool:
    """Whether the container reached by `path` is a body (a list under `body`)."""
    return bool(path) and path[-1].key == "body"


def enclosing_statement(hit: Hit) -> tuple[LocDict, tuple[Step, ...]] | None:
    """The innermost statement mapping holding the hit, and the path to it."""
    steps = [*hit.path, Step(hit.container, hit.key if hit.key is not None else -1)]
    for i in range(len(steps) - 1, 0, -1):
        node = steps[i].container
        if (
            isinstance(node, LocDict)
            and isinstance(steps[i - 1].key, int)
            and is_body(steps[: i - 1])
            and statement_kind(node) is not None
        ):
            return node, tuple(steps[:i])
    return None


def template_of(keys: list[str | int] | tuple[Step, ...]) -> str | None:
    """The template whose definition a path is in (`templates: NAME: ...`)."""
    ks = [s.key if isinstance(s, Step) else s for s in keys]
    if len(ks) >= 2 and ks[0] == "templates" and isinstance(ks[1], str):
        return ks[1]
    return None


@dataclass(slots=True)
class Statement:
    """One statement met by `walk_statements`, with its lexical context."""

    node: LocDict
    kind: str
    #: the template whose body holds it (None: the spec's own body)
    template: str | None
    #: the loop variables of the enclosing repeats: name -> the `as:` mapping
    loops: dict[str, LocDict] = field(default_factory=dict)
    depth: int = 0


def walk_statements(
    body: Any, template: str | None = None, loops: dict[str, LocDict] | None = None, depth: int = 0
) -> Iterator[Statement]:
    """Every statement of `body` and the bodies nested in it, in source order."""
    if not isinstance(body, LocList):
        return
    stack: list[tuple[Iterator[Any], dict[str, LocDict], int]] = [
        (iter(body), dict(loops or {}), depth)
    ]
    while stack:
        items, env, level = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        kind = statement_kind(item)
        if kind is None:
            continue
        yield Statement(item, kind, template, env, level)
        inner = item.get("body")
        if isinstance(inner, LocList):
            as_ = item.get("as") if kind == "repeat" else None
            child_env = {**env, as_: item} if isinstance(as_, str) else env
            stack.append((iter(inner), child_env, level + 1))


def templates_of(document: Any) -> dict[str, LocDict]:
    """The template definitions of a document (name -> mapping)."""
    found = document.get("templates") if isinstance(document, LocDict) else None
    if not isinstance(found, LocDict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, LocDict)}
