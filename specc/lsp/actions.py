"""Code actions: quick fixes for the diagnostics under the cursor.

- "did you mean": a diagnostic whose message says `did you mean 'x'?` (an
  unknown key, template, argument, capture, kind, dtype or `$name`) gets an
  action that replaces the misspelt word, found on the diagnostic's line;
- a template of the standard library used without `include: [std]` gets an
  action that adds it;
- `variable-exists` gets actions that set `reuse: true` (or `auto`) on the
  `scope` statement enclosing the `var`, as its help says.

The compiler words these fixes in its messages; they are read from there (the
words are stable: tests pin them), not recomputed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from lsprotocol import types

from specc.diagnostics import Diagnostic, codes
from specc.diagnostics.locate import token_end
from specc.lang.models import ALL_STATEMENT_KEYS
from specc.lsp.analysis import Analysis
from specc.lsp.diagnostics import Published
from specc.lsp.positions import ranges_overlap
from specc.lsp.tree import Hit, Step, hit_at, statement_kind
from specc.source import LocDict, LocList
from specc.span import Span

_PAIRS: Final = re.compile(r"'([^']+)' -> '([^']+)'")
_MEAN: Final = re.compile(r"did you mean (\$?)'?([A-Za-z0-9_./<>\-]+)'?\?")
_QUOTED: Final = re.compile(r"'([^']+)'")
_DOLLAR: Final = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NO_TEMPLATE: Final = re.compile(r"no template named '([^']+)'")
#: every key some statement takes
_OPTION_KEYS: Final = frozenset().union(*ALL_STATEMENT_KEYS.values())


def suggestions(message: str) -> list[tuple[str, str]]:
    """(misspelt word, replacement) candidates a message offers, best first.

    The compiler writes `did you mean 'x'?` after the quoted word it does not
    know, `did you mean $x?` after an unknown `$name`, and `'a' -> 'b'` pairs
    for keys that look like statement kinds (keys that are valid options of
    some statement are left alone: `shape` is no misspelt `scope`)."""
    pairs = _PAIRS.findall(message)
    if pairs:
        return [(a, b) for a, b in pairs if a not in _OPTION_KEYS]
    m = _MEAN.search(message)
    if m is None:
        return []
    dollar, right = m.group(1), m.group(1) + m.group(2)
    before = message[: m.start()]
    if dollar:
        return [("$" + w, right) for w in _DOLLAR.findall(before)]
    # the unknown word is quoted just before the suggestion: nearest first
    return [(w, right) for w in reversed(_QUOTED.findall(before)) if w != right]


def _find_word(line: str, word: str, start: int) -> int | None:
    """The 0-based column of `word` as a whole word on `line`, from `start` on
    (before it, if it is not found after)."""
    pattern = re.compile(r"(?<![\w$])" + re.escape(word) + r"(?![\w])")
    m = pattern.search(line, start) or pattern.search(line)
    return m.start() if m is not None else None


def _edit(analysis: Analysis, line: int, col0: int, col1: int, text: str) -> types.TextEdit:
    """A text edit of one line's 0-based code-point columns `col0` to `col1`."""
    rng = analysis.positions.range_of(analysis.path, line, col0 + 1, col1 + 1)
    return types.TextEdit(range=rng, new_text=text)


def _action(
    title: str,
    analysis: Analysis,
    edits: list[types.TextEdit],
    diag: types.Diagnostic,
    *,
    preferred: bool,
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=preferred,
        edit=types.WorkspaceEdit(changes={analysis.uri: edits}),
    )


def did_you_mean(analysis: Analysis, p: Published) -> list[types.CodeAction]:
    """Replace the misspelt word with what the diagnostic suggests."""
    span = p.diagnostic.span
    if span is None or span.file != analysis.path:
        return []
    line = analysis.line(span.line)
    for wrong, right in suggestions(p.diagnostic.message + "\n" + (p.diagnostic.help or "")):
        col = _find_word(line, wrong, span.column - 1)
        if col is not None:
            edit = _edit(analysis, span.line, col, col + len(wrong), right)
            return [
                _action(f"Change '{wrong}' to '{right}'", analysis, [edit], p.lsp, preferred=True)
            ]
    return []


# --------------------------------------------------------------------------- include: [std]


def include_std_edits(analysis: Analysis) -> list[types.TextEdit] | None:
    """The edit adding `std` to the document's includes (None: it has it, or
    the document is not a mapping)."""
    root = analysis.root
    if root is None:
        return None
    entries = root.get("include")
    if isinstance(entries, LocList):
        if "std" in entries:
            return None
        return _append_to_list(analysis, root, entries)
    if "include" in root:
        return None  # `include:` with something odd: leave it to its diagnostic
    for key in ("defaults", "templates", "body"):
        at = root.key_span(key)
        if at is not None:
            return [_edit(analysis, at.line, 0, 0, "include: [std]\n")]
    return None


def _append_to_list(analysis: Analysis, root: LocDict, entries: LocList) -> list[types.TextEdit]:
    at = root.value_span("include")
    assert at is not None
    text = analysis.line(at.line)
    if text[at.column - 1 : at.column] == "[":  # a flow list: insert before its `]`
        close = text.find("]", at.column - 1)
        if close >= 0:
            inner = text[at.column : close].strip()
            return [_edit(analysis, at.line, close, close, ", std" if inner else "std")]
    last = entries.item_span(len(entries) - 1) if entries else None
    if last is None:
        return [_edit(analysis, at.line, at.column - 1, at.column - 1, "[std] ")]
    item_line = analysis.line(last.line)
    prefix = item_line[: last.column - 1]
    return [_edit(analysis, last.line, len(item_line), len(item_line), "\n" + prefix + "std")]


def add_include_std(analysis: Analysis, p: Published, std: Iterable[str]) -> list[types.CodeAction]:
    """`include: [std]` for a use of a standard library template."""
    d = p.diagnostic
    m = _NO_TEMPLATE.search(d.message)
    if d.code != codes.UNKNOWN_REF.name or m is None or m.group(1) not in set(std):
        return []
    edits = include_std_edits(analysis)
    if not edits:
        return []
    return [_action("Add `include: [std]`", analysis, edits, p.lsp, preferred=True)]


# --------------------------------------------------------------------------- reuse


def _statements_around(hit: Hit) -> list[LocDict]:
    """The statements enclosing a hit, innermost first (itself included)."""
    steps: list[Step] = [*hit.path, Step(hit.container, hit.key if hit.key is not None else -1)]
    out = []
    for i in range(len(steps) - 1, 1, -1):
        node = steps[i].container
        if (
            isinstance(node, LocDict)
            and isinstance(steps[i - 1].key, int)
            and steps[i - 2].key == "body"
            and statement_kind(node) is not None
        ):
            out.append(node)
    return out


def _scope_for(analysis: Analysis, span: Span) -> LocDict | None:
    root = analysis.root
    if root is None or span.file != analysis.path:
        return None
    around = _statements_around(hit_at(root, analysis.line, span.line, span.column))
    for stmt in around[1:]:
        kind = statement_kind(stmt)
        if kind == "scope":
            return stmt
        if kind == "use":
            return None  # the scope comes from a template: `reuse:` cannot be set there
    return None


def _reuse_edit(analysis: Analysis, scope: LocDict, value: str) -> types.TextEdit | None:
    """Set the scope's `reuse:` to `value`: replace the one written, or add a
    line before its `body:` (a scope written on one line is left alone)."""
    at = scope.value_span("reuse")
    if at is not None:
        end = token_end(analysis.line(at.line), at.column)
        return _edit(analysis, at.line, at.column - 1, end - 1, value)
    first, body = scope.key_span("scope"), scope.key_span("body")
    if first is None or body is None or body.line == first.line:
        return None
    return _edit(analysis, body.line, 0, 0, " " * (body.column - 1) + f"reuse: {value}\n")


def set_reuse(analysis: Analysis, p: Published) -> list[types.CodeAction]:
    """`reuse: true` / `reuse: auto` on the scope enclosing a `variable-exists`."""
    d: Diagnostic = p.diagnostic
    if d.code != codes.VARIABLE_EXISTS.name or d.span is None:
        return []
    scope = _scope_for(analysis, d.span)
    if scope is None:
        return []
    name = scope.get("scope")
    out = []
    for value, preferred in (("true", True), ("auto", False)):
        edit = _reuse_edit(analysis, scope, value)
        if edit is not None:
            title = f"Set `reuse: {value}` on scope '{name}'"
            out.append(_action(title, analysis, [edit], p.lsp, preferred=preferred))
    return out


def code_actions(
    analysis: Analysis, published: list[Published], at: types.Range, std: Iterable[str]
) -> list[types.CodeAction]:
    """Every quick fix for the diagnostics overlapping `at`."""
    std = list(std)
    out: list[types.CodeAction] = []
    for p in published:
        if not ranges_overlap(p.lsp.range, at):
            continue
        out += did_you_mean(analysis, p)
        out += add_include_std(analysis, p, std)
        out += set_reuse(analysis, p)
    return out
