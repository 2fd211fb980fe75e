"""Definitions and references: every name a spec defines in one place and uses
in others, across the document and the files it includes (std included).

| symbol | defined by | used by |
| --- | --- | --- |
| template | its key under `templates` | `use: NAME` |
| template argument | its key under `args` | `with: {NAME: ...}`, `$NAME` in the body |
| param | its key under `params` | `$NAME` (and `${...}`) in values |
| loop variable | `as: NAME` of a `repeat` | `$NAME` in the repeat's body |
| captured scope | `capture: NAME` | `{ref: NAME}` in `scope`, `name_scope`, `use` |
| instance | its first `instance: NAME` | every `instance: NAME` |
| include | the file | its entry under `include` |

Names in expressions follow the language's lexical scoping: a loop variable
shadows a template argument, which shadows a param. The index is built from
the located trees the loader made, so it is there while the spec does not
validate; it is built when a request first needs it, not on every change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from specc.diagnostics.locate import token_end
from specc.lang.expr import ExprError, compile_value
from specc.lsp.analysis import Analysis
from specc.lsp.files import STD_PREFIX
from specc.lsp.tree import (
    PROSE_KEYS,
    Hit,
    Statement,
    statement_kind,
    template_of,
    templates_of,
    walk_statements,
)
from specc.source import LocDict, LocList, SourceFile
from specc.span import Span

Key = tuple[str, ...]

_DOLLAR_NAME: Final = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_INTERPOLATION: Final = re.compile(r"\$\{([^}]*)\}")
_BARE_NAME: Final = re.compile(r"(?<![\w$'\"])([A-Za-z_][A-Za-z0-9_]*)")
#: statement keys whose values are never expressions the index looks into
_SKIP: Final = frozenset({"body", *PROSE_KEYS})


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A name written at one place: `file:line`, columns `start` to `end`
    (1-based, end exclusive); `definition` when it defines the symbol."""

    key: Key
    file: str
    line: int
    start: int
    end: int
    definition: bool

    @property
    def span(self) -> Span:
        """Where the name is written."""
        return Span(self.file, self.line, self.start, self.line, self.end)


def expression_names(text: str) -> list[tuple[int, int, str]]:
    """The names an expression string refers to: (offset, length, name), the
    offset at the name itself (after any `$`). Only names the expression
    compiler finds are kept (a quoted `'i'` or `min` is not a name)."""
    try:
        known: frozenset[str] | None = compile_value(text).names
    except ExprError:
        known = None
    found: dict[int, tuple[int, int, str]] = {}
    for m in _DOLLAR_NAME.finditer(text):
        found[m.start(1)] = (m.start(1), len(m.group(1)), m.group(1))
    for region in _INTERPOLATION.finditer(text):
        for m in _BARE_NAME.finditer(region.group(1)):
            offset = region.start(1) + m.start(1)
            found.setdefault(offset, (offset, len(m.group(1)), m.group(1)))
    return [f for f in sorted(found.values()) if known is None or f[2] in known]


@dataclass
class _Scope:
    """What `$name` means where an expression is: name -> symbol key."""

    names: dict[str, Key] = field(default_factory=dict)

    def with_names(self, extra: Mapping[str, Key]) -> _Scope:
        """This scope with more names (shadowing the ones it has)."""
        return _Scope({**self.names, **extra})


@dataclass
class SymbolIndex:
    """Every occurrence of every symbol, by file and line and by symbol."""

    by_line: dict[tuple[str, int], list[Occurrence]] = field(default_factory=dict)
    by_key: dict[Key, list[Occurrence]] = field(default_factory=dict)
    #: include symbol -> the display paths of the files it names
    include_targets: dict[Key, list[str]] = field(default_factory=dict)
    #: instance name -> the template of its first `use`
    instance_templates: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ queries

    def at(self, file: str, line: int, column: int) -> Occurrence | None:
        """The occurrence under the cursor (its end included)."""
        for occ in self.by_line.get((file, line), ()):
            if occ.start <= column <= occ.end:
                return occ
        return None

    def definitions(self, key: Key) -> list[Occurrence]:
        """Where a symbol is defined (the first use, for an instance)."""
        occs = self.by_key.get(key, [])
        defs = [o for o in occs if o.definition]
        if not defs and key[0] == "instance" and occs:
            return occs[:1]
        return defs

    def references(self, key: Key, *, declarations: bool = True) -> list[Occurrence]:
        """Every place a symbol is written (its definitions too, if asked)."""
        return [o for o in self.by_key.get(key, []) if declarations or not o.definition]

    # ------------------------------------------------------------------ building

    def add(self, key: Key, span: Span | None, line_text: str, *, definition: bool) -> None:
        """Record the token written at `span` as an occurrence of `key`."""
        if span is None:
            return
        end = token_end(line_text, span.column)
        self.put(Occurrence(key, span.file, span.line, span.column, end, definition))

    def put(self, occ: Occurrence) -> None:
        """Record an occurrence."""
        self.by_line.setdefault((occ.file, occ.line), []).append(occ)
        self.by_key.setdefault(occ.key, []).append(occ)

    @classmethod
    def build(cls, analysis: Analysis) -> SymbolIndex:
        """The index of every file the analysis loaded."""
        index = cls()
        _Builder(index, analysis).run()
        return index


class _Builder:
    def __init__(self, index: SymbolIndex, analysis: Analysis) -> None:
        self.index = index
        self.analysis = analysis
        self.line = analysis.positions.line
        self.params = _Scope()

    def run(self) -> None:
        """Index every file: params, includes, the spec's body, then every template."""
        files = [f for f in self.analysis.files if f.document is not None]
        main = self.analysis.loaded.main
        if main is not None and main.document is not None:
            self.params = self.top_level(main.document)
        for f in files:
            self.includes(f)
        if main is not None and main.document is not None:
            self.body(main.document.get("body"), None, self.params)
        for f in files:
            self.templates(f)

    # ------------------------------------------------------------------ top level

    def top_level(self, doc: LocDict) -> _Scope:
        """Params (each seeing those before it) and `defaults`."""
        scope = _Scope()
        params = doc.get("params")
        if isinstance(params, LocDict):
            for name, span in params.key_spans.items():
                self.scan(params.get(name), params.value_span(name), scope)
                key = ("param", name)
                self.index.add(key, span, self.line(span.file, span.line), definition=True)
                scope = scope.with_names({name: key})
        self.scan_values(doc.get("defaults"), scope)
        return scope

    def includes(self, f: SourceFile) -> None:
        """The `include` entries of a file, each naming the files it brought in."""
        doc = f.document
        entries = doc.get("include") if doc is not None else None
        if not isinstance(entries, LocList):
            return
        here = os.path.dirname(f.path)
        loaded = {s.path for s in self.analysis.files}
        for i, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            if entry == "std":
                targets = sorted(p for p in loaded if p.startswith(STD_PREFIX))
            elif entry.startswith("std/"):
                targets = [f"{STD_PREFIX}{entry[4:]}.yaml"]
            else:
                targets = [os.path.normpath(os.path.join(here, entry))]
            key = ("include", *targets)
            self.index.include_targets[key] = [t for t in targets if t in loaded]
            span = entries.item_span(i)
            if span is not None:
                self.index.add(key, span, self.line(span.file, span.line), definition=False)

    def templates(self, f: SourceFile) -> None:
        """A file's template definitions, their arguments and their bodies."""
        for name, definition in templates_of(f.document).items():
            holder = f.document.get("templates") if f.document is not None else None
            span = holder.key_span(name) if isinstance(holder, LocDict) else None
            if span is not None:
                self.index.add(
                    ("template", name), span, self.line(f.path, span.line), definition=True
                )
            scope = self.params
            args = definition.get("args")
            if isinstance(args, LocDict):
                for arg, at in args.key_spans.items():
                    key = ("arg", name, arg)
                    self.index.add(key, at, self.line(at.file, at.line), definition=True)
                    spec = args.get(arg)
                    if isinstance(spec, LocDict):
                        self.scan(spec.get("default"), spec.value_span("default"), scope)
                    scope = scope.with_names({arg: key})
            self.body(definition.get("body"), name, scope)

    # ------------------------------------------------------------------ statements

    def body(self, body: Any, template: str | None, scope: _Scope) -> None:
        """The statements of a body, each with the names visible to it."""
        for st in walk_statements(body, template):
            loops = {
                n: ("loop", node.span.file, str(node.span.line), str(node.span.column))
                for n, node in st.loops.items()
            }
            here = scope.with_names(loops) if loops else scope
            self.statement(st, here)

    def statement(self, st: Statement, scope: _Scope) -> None:
        """The names one statement defines and uses."""
        node = st.node
        add = self.index.add
        for key, value in node.items():
            span = node.value_span(key)
            if span is None or key in _SKIP:
                continue
            text = self.line(span.file, span.line)
            if key == "use" and isinstance(value, str) and "$" not in value:
                add(("template", value), span, text, definition=False)
            elif key == "instance" and isinstance(value, str):
                add(("instance", value), span, text, definition=False)
                if isinstance(node.get("use"), str):
                    self.index.instance_templates.setdefault(value, node["use"])
            elif key == "capture" and isinstance(value, str):
                add(("capture", value), span, text, definition=True)
            elif key == "as" and st.kind == "repeat" and isinstance(value, str):
                at = node.span
                loop = ("loop", at.file, str(at.line), str(at.column))
                add(loop, span, text, definition=True)
            elif key in ("scope", "name_scope") and isinstance(value, LocDict) and "ref" in value:
                ref = value.get("ref")
                if isinstance(ref, str):
                    ref_at = value.value_span("ref")
                    ref_line = self.line(ref_at.file, ref_at.line) if ref_at else ""
                    add(("capture", ref), ref_at, ref_line, definition=False)
            elif key == "with" and isinstance(value, LocDict) and isinstance(node.get("use"), str):
                for arg, at in value.key_spans.items():
                    add(
                        ("arg", node["use"], arg), at, self.line(at.file, at.line), definition=False
                    )
                self.scan_values(value, scope)
            else:
                self.scan(value, span, scope)

    # ------------------------------------------------------------------ expressions

    def scan_values(self, node: Any, scope: _Scope) -> None:
        """Look for names in every string under a mapping or list."""
        for value, span in _children(node):
            self.scan(value, span, scope)

    def scan(self, value: Any, span: Span | None, scope: _Scope) -> None:
        """Record the names a value written at `span` refers to."""
        if isinstance(value, LocDict | LocList):
            self.scan_values(value, scope)
            return
        if not isinstance(value, str) or "$" not in value or span is None:
            return
        text = self.line(span.file, span.line)
        end = token_end(text, span.column)
        written = text[span.column - 1 : end - 1]
        for offset, length, name in expression_names(written):
            key = scope.names.get(name)
            if key is not None:
                start = span.column + offset
                occ = Occurrence(key, span.file, span.line, start, start + length, False)
                self.index.put(occ)


def local_key(analysis: Analysis, hit: Hit, name: str) -> Key | None:
    """What `$name` means where `hit` is, by the language's scoping: the loop
    variable of the innermost `repeat` whose body holds it, else an argument of
    the template it is in, else a param. Reads only the hit's path."""
    for step in reversed(hit.path):
        node = step.container
        if (
            step.key == "body"
            and isinstance(node, LocDict)
            and statement_kind(node) == "repeat"
            and node.get("as") == name
        ):
            at = node.span
            return ("loop", at.file, str(at.line), str(at.column))
    template = template_of(hit.path)
    if template is not None:
        definition = templates_of(hit.path[0].container).get(template)
        args = definition.get("args") if definition is not None else None
        if isinstance(args, LocDict) and name in args:
            return ("arg", template, name)
    main = analysis.loaded.main
    params = main.document.get("params") if main is not None and main.document else None
    if isinstance(params, LocDict) and name in params:
        return ("param", name)
    return None


def _children(node: Any) -> Iterator[tuple[Any, Span | None]]:
    if isinstance(node, LocDict):
        spans = node.value_spans
        for k, v in node.items():
            if k not in PROSE_KEYS:
                yield v, spans.get(k)
    elif isinstance(node, LocList):
        yield from zip(node, node.item_spans, strict=False)
