"""The document outline (scopes, templates, variables) and inlay hints (each
`var`'s full name and shape, from the analysis's observer records)."""

from __future__ import annotations

from typing import Any, Final

from lsprotocol import types

from specc.diagnostics.locate import token_end
from specc.lsp.analysis import Analysis
from specc.lsp.docs import yaml_text
from specc.lsp.hover import MAX_LISTED, shape_text
from specc.lsp.tree import hit_at, statement_kind, templates_of
from specc.source import LocDict, LocList
from specc.span import Span

S = types.SymbolKind
#: an outline stops after this many symbols: a spec that writes out thousands
#: of statements would otherwise cost the editor (and the server, which answers
#: one request at a time) seconds per change for a list nobody scrolls
MAX_SYMBOLS: Final = 5000
_KINDS: Final = {
    "var": S.Variable,
    "scope": S.Namespace,
    "name_scope": S.Package,
    "use": S.Object,
    "repeat": S.Array,
    "op": S.Function,
    "thread": S.Event,
    "reuse_variables": S.Key,
}


def _name(node: LocDict, kind: str) -> str:
    value = node.get(kind)
    if kind == "scope" and value is None:
        return f"{yaml_text(node.get('default_name'))} (default name)"
    if isinstance(value, LocDict) and "ref" in value:
        return f"{{ref: {yaml_text(value['ref'])}}}"
    if kind == "use":
        return f"use {yaml_text(value)}"
    if kind == "repeat":
        loop = node.get("as")
        return f"repeat {yaml_text(value)}" + (f" as {loop}" if isinstance(loop, str) else "")
    return yaml_text(value) if value is not None else kind


def _detail(analysis: Analysis, node: LocDict, kind: str) -> str:
    rec = analysis.recorder
    if kind == "var":
        events = rec.vars.get(node.span, [])
        if events:
            v = events[0].variable
            more = f" (+{len(events) - 1})" if len(events) > 1 else ""
            return f"{v.name} {shape_text(v.shape)}{more}"
        shape = node.get("shape")
        return f"shape {yaml_text(shape)}" if shape is not None else ""
    if kind == "scope":
        scopes = rec.scopes.get(node.span, [])
        return scopes[0].scope.name if scopes else ""
    if kind == "use":
        entered = rec.templates.get(node.span, [])
        return entered[0].scope.name if entered else ""
    return ""


class _Outline:
    """Builds the symbols of one document.

    A statement's range runs from its first key to the last line before the
    next statement of its body (blank and comment lines left out); the last
    statement of a body ends where its parent does. Reading ends from the
    lines rather than from every token keeps the outline of a spec with
    thousands of statements cheap: editors ask for it after every change."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.line = analysis.line
        self.pos = analysis.positions
        self.path = analysis.path
        self.budget = MAX_SYMBOLS

    def trim(self, stop: int, start: int) -> int:
        """The last line at or before `stop` (and after `start`) with content."""
        while stop > start:
            text = self.line(stop).strip()
            if text and not text.startswith("#"):
                break
            stop -= 1
        return stop

    def symbol(
        self,
        name: str,
        kind: types.SymbolKind,
        start: Span,
        stop: int,
        *,
        selection: Span | None,
        detail: str = "",
        children: list[types.DocumentSymbol] | None = None,
    ) -> types.DocumentSymbol:
        """A symbol from `start` to the end of line `stop`, selecting `selection`."""
        end_line = max(stop, start.line)
        whole = types.Range(
            start=self.pos.position(self.path, start.line, start.column),
            end=self.pos.position(self.path, end_line, len(self.line(end_line)) + 1),
        )
        sel = self.pos.range(selection) if selection is not None else whole
        if not (_le(whole.start, sel.start) and _le(sel.end, whole.end)):
            sel = types.Range(start=whole.start, end=whole.start)
        return types.DocumentSymbol(
            name=name or "?",
            kind=kind,
            range=whole,
            selection_range=sel,
            detail=detail or None,
            children=children or None,
        )

    def body(self, body: Any, stop: int) -> list[types.DocumentSymbol]:
        """The symbols of a body's statements; the body's text ends at line `stop`."""
        if not isinstance(body, LocList):
            return []
        out: list[types.DocumentSymbol] = []
        starts = body.item_spans
        for i, item in enumerate(body):
            kind = statement_kind(item)
            if kind is None:
                continue
            if self.budget <= 0:
                break
            self.budget -= 1
            nxt = starts[i + 1].line - 1 if i + 1 < len(starts) else stop
            out.append(self.statement(item, kind, self.trim(nxt, starts[i].line)))
        return out

    def statement(self, node: LocDict, kind: str, stop: int) -> types.DocumentSymbol:
        """A statement's symbol, its nested body as children, ending at line `stop`."""
        value = node.get(kind)
        selection = node.value_span(kind) if not isinstance(value, LocDict) else None
        return self.symbol(
            _name(node, kind),
            _KINDS.get(kind, S.Object),
            node.span,
            stop,
            selection=selection or node.key_span(kind),
            detail=_detail(self.analysis, node, kind),
            children=self.body(node.get("body"), stop),
        )

    def section_end(self, root: LocDict, key: str) -> int:
        """The last line of a top-level section: before the next top-level key."""
        here = root.key_span(key)
        assert here is not None
        later = [s.line for s in root.key_spans.values() if s.line > here.line]
        last = min(later) - 1 if later else self.analysis.text.count("\n") + 1
        return self.trim(last, here.line)

    def params(self, root: LocDict) -> types.DocumentSymbol | None:
        """The `params` section, each param with its value."""
        params = root.get("params")
        at = root.key_span("params")
        if not isinstance(params, LocDict) or at is None:
            return None
        res = self.analysis.compilation.resolution
        children = []
        for name, span in params.key_spans.items():
            value = res.params.get(name, params[name]) if res is not None else params[name]
            children.append(
                self.symbol(
                    name, S.Constant, span, span.line, selection=span, detail=yaml_text(value)
                )
            )
        stop = self.section_end(root, "params")
        return self.symbol("params", S.Module, at, stop, selection=at, children=children)

    def templates(self, root: LocDict) -> types.DocumentSymbol | None:
        """The `templates` section, each template with its body."""
        holder = root.get("templates")
        at = root.key_span("templates")
        if not isinstance(holder, LocDict) or at is None:
            return None
        stop = self.section_end(root, "templates")
        keys = holder.key_spans
        lines = sorted(k.line for k in keys.values())
        children = []
        for name, definition in templates_of(root).items():
            key = keys.get(name)
            if key is None:
                continue
            later = [n for n in lines if n > key.line]
            end = self.trim(later[0] - 1, key.line) if later else stop
            doc = definition.get("doc")
            detail = doc.strip().split("\n")[0][:80] if isinstance(doc, str) else ""
            body = self.body(definition.get("body"), end)
            children.append(
                self.symbol(name, S.Class, key, end, selection=key, detail=detail, children=body)
            )
        return self.symbol("templates", S.Module, at, stop, selection=at, children=children)


def _le(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def document_symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    """The outline: params, templates (with their bodies), then the body's statements."""
    root = analysis.root
    if root is None:
        return []
    o = _Outline(analysis)
    out = [s for s in (o.params(root), o.templates(root)) if s is not None]
    if root.key_span("body") is not None:
        out += o.body(root.get("body"), o.section_end(root, "body"))
    if o.budget <= 0:
        at = root.span
        note = f"(the outline stops after {MAX_SYMBOLS} statements)"
        out.append(o.symbol(note, S.Null, at, at.line, selection=None))
    return out


def inlay_hints(analysis: Analysis, at: types.Range) -> list[types.InlayHint]:
    """After each `var` in `at`: the full name and shape of what it made (the
    first, and how many more, when it ran several times)."""
    root = analysis.root
    if root is None:
        return []
    first, last = at.start.line + 1, at.end.line + 1
    out = []
    for span, events in analysis.recorder.vars.items():
        if span.file != analysis.path or not first <= span.line <= last:
            continue
        hit = hit_at(root, analysis.line, span.line, span.column)
        stmt = hit.container
        value_at = stmt.value_span("var") if isinstance(stmt, LocDict) else None
        if value_at is None:
            continue
        end = token_end(analysis.line(value_at.line), value_at.column)
        var = events[0].variable
        label = f"{var.name} {shape_text(var.shape)}"
        if len(events) > 1:
            label += f" (+{len(events) - 1} more)"
        tooltip = "\n".join(
            f"{e.variable.name} {shape_text(e.variable.shape)} {e.variable.dtype.name}"
            for e in events[:MAX_LISTED]
        )
        out.append(
            types.InlayHint(
                position=analysis.positions.position(analysis.path, value_at.line, end),
                label=label,
                kind=types.InlayHintKind.Type,
                padding_left=True,
                tooltip=tooltip,
            )
        )
    return out
