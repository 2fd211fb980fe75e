"""The document outline (scopes, templates, variables) and inlay hints (each
`var`'s full name and shape, from the analysis's observer records)."""

from __future__ import annotations

from typing import Any, Final

from lsprotocol import types

from specc.diagnostics.locate import token_end
from specc.lsp.analysis import Analysis
from specc.lsp.docs import yaml_text
from specc.lsp.hover import MAX_LISTED, shape_text
from specc.lsp.tree import extent, hit_at, statement_kind, templates_of
from specc.source import LocDict, LocList
from specc.span import Span

S = types.SymbolKind
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
    """Builds the symbols of one document."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.line = analysis.line
        self.pos = analysis.positions

    def end_of(self, node: Any, at: Span | None) -> tuple[int, int]:
        if at is None:
            return (0, 0)
        return extent(node, self.line, at)

    def symbol(
        self,
        name: str,
        kind: types.SymbolKind,
        start: Span,
        end: tuple[int, int],
        *,
        selection: Span | None,
        detail: str = "",
        children: list[types.DocumentSymbol] | None = None,
    ) -> types.DocumentSymbol:
        path = self.analysis.path
        whole = types.Range(
            start=self.pos.position(path, start.line, start.column),
            end=self.pos.position(path, *end),
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

    def body(self, body: Any) -> tuple[list[types.DocumentSymbol], tuple[int, int]]:
        out: list[types.DocumentSymbol] = []
        last = (0, 0)
        if not isinstance(body, LocList):
            return out, last
        for item in body:
            kind = statement_kind(item)
            if kind is None:
                continue
            sym, end = self.statement(item, kind)
            out.append(sym)
            last = max(last, end)
        return out, last

    def statement(self, node: LocDict, kind: str) -> tuple[types.DocumentSymbol, tuple[int, int]]:
        own = max(
            (self.end_of(v, node.value_span(k)) for k, v in node.items() if k != "body"),
            default=(node.span.line, node.span.column),
        )
        children, inner = self.body(node.get("body"))
        end = max(own, inner)
        selection = node.value_span(kind) if not isinstance(node.get(kind), LocDict) else None
        sym = self.symbol(
            _name(node, kind),
            _KINDS.get(kind, S.Object),
            node.span,
            end,
            selection=selection or node.key_span(kind),
            detail=_detail(self.analysis, node, kind),
            children=children,
        )
        return sym, end

    def params(self, root: LocDict) -> types.DocumentSymbol | None:
        params = root.get("params")
        at = root.key_span("params")
        if not isinstance(params, LocDict) or at is None:
            return None
        res = self.analysis.compilation.resolution
        children = []
        for name, span in params.key_spans.items():
            value = res.params.get(name, params[name]) if res is not None else params[name]
            end = self.end_of(params[name], params.value_span(name))
            children.append(
                self.symbol(name, S.Constant, span, end, selection=span, detail=yaml_text(value))
            )
        return self.symbol(
            "params",
            S.Module,
            at,
            self.end_of(params, params.span),
            selection=at,
            children=children,
        )

    def templates(self, root: LocDict) -> types.DocumentSymbol | None:
        holder = root.get("templates")
        at = root.key_span("templates")
        if not isinstance(holder, LocDict) or at is None:
            return None
        children = []
        for name, definition in templates_of(root).items():
            key = holder.key_span(name)
            if key is None:
                continue
            body, inner = self.body(definition.get("body"))
            end = max(self.end_of(definition, definition.span), inner)
            doc = definition.get("doc")
            detail = doc.strip().split("\n")[0][:80] if isinstance(doc, str) else ""
            children.append(
                self.symbol(name, S.Class, key, end, selection=key, detail=detail, children=body)
            )
        return self.symbol(
            "templates",
            S.Module,
            at,
            self.end_of(holder, holder.span),
            selection=at,
            children=children,
        )


def _le(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def document_symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    """The outline: params, templates (with their bodies), then the body's statements."""
    root = analysis.root
    if root is None:
        return []
    o = _Outline(analysis)
    out = [s for s in (o.params(root), o.templates(root)) if s is not None]
    statements, _ = o.body(root.get("body"))
    return out + statements


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
