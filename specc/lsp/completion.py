"""Completion: keys, catalog kinds and their arguments, templates and their
`with:` arguments, `$names`, dtypes and other enumerations, includes.

Where the cursor is comes from `specc.lsp.outline` (the text, which is often
incomplete YAML while typing); what exists (templates, params, captures) from
`Knowledge`, gathered from the last analysis whose document loaded. Every item
has a plain label, a one-line detail and Markdown documentation, and replaces
exactly the word typed so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from lsprotocol import types
from pydantic import BaseModel

from specc.catalog.dtypes import dtype_names
from specc.lang.models import (
    STATEMENT_KINDS,
    ArgSpec,
    ScopeOptionsModel,
    SpecDocument,
    TemplateDef,
)
from specc.lang.values import AGG_MODES, SYNC_MODES
from specc.lsp.docs import (
    catalog_entry,
    catalog_kinds,
    kind_args,
    kind_markdown,
    template_args,
    template_markdown,
    yaml_text,
)
from specc.lsp.index import SymbolIndex
from specc.lsp.outline import ITEM, Outline
from specc.lsp.positions import units
from specc.lsp.tree import CATALOG_KEYS
from specc.source import LocDict

_BLOCK_KEYS: Final = frozenset({"body", "params", "templates", "defaults", "args"})
_BOOL_KEYS: Final = frozenset(
    {"trainable", "local", "validate_shape", "use_resource", "auxiliary_name_scope"}
)
_ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "reuse": ("true", "auto", "false"),
    "synchronization": SYNC_MODES,
    "aggregation": AGG_MODES,
    "reuse_variables": ("true", "false"),
    "type": ("int", "float", "bool", "str"),
}
_COLLECTIONS: Final = ("variables", "trainable_variables", "local_variables", "model_variables")
K = types.CompletionItemKind


@dataclass
class Knowledge:
    """What a spec defines, for completion: templates (the loaded ones and the
    standard library's), params with their values, captures and instances."""

    templates: dict[str, tuple[LocDict, str]] = field(default_factory=dict)
    std: dict[str, tuple[LocDict, str]] = field(default_factory=dict)
    #: the edit that adds `std` to the spec's includes (None: already there)
    include_std: list[types.TextEdit] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: spec files an `include` may name, relative to the document's folder
    files: list[str] = field(default_factory=list)
    #: the index of the document's names, built only when a completion needs
    #: captures or instances (a walk of the whole document)
    index: Callable[[], SymbolIndex] | None = None

    def captures(self) -> list[str]:
        """The names given with `capture:`."""
        index = self.index() if self.index is not None else None
        return sorted(k[1] for k in index.by_key if k[0] == "capture") if index else []

    def instances(self) -> dict[str, str]:
        """Instance name -> the template of its first use."""
        return dict(self.index().instance_templates) if self.index is not None else {}


@dataclass
class _Items:
    """Collects items that replace the typed word on the cursor's line."""

    outline: Outline
    line: str
    row: int
    column: int
    encoding: str
    items: list[types.CompletionItem] = field(default_factory=list)

    def add(
        self,
        label: str,
        kind: types.CompletionItemKind,
        detail: str,
        doc: str | None = None,
        *,
        insert: str | None = None,
        extra: list[types.TextEdit] | None = None,
    ) -> None:
        """Add an item that replaces the typed word with `insert` (default: the label)."""
        start = types.Position(self.row, units(self.line[: self.outline.start], self.encoding))
        end = types.Position(self.row, units(self.line[: self.column], self.encoding))
        self.items.append(
            types.CompletionItem(
                label=label,
                kind=kind,
                detail=detail,
                documentation=(
                    types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc) if doc else None
                ),
                sort_text=f"{len(self.items):04d}",
                filter_text=label,
                text_edit=types.TextEdit(
                    range=types.Range(start=start, end=end), new_text=insert or label
                ),
                additional_text_edits=extra,
            )
        )


def _model_keys(model: type[BaseModel]) -> list[tuple[str, str]]:
    """(key as written, description) of a model's fields, in declaration order."""
    return [(f.alias or n, f.description or "") for n, f in model.model_fields.items()]


def _keys(out: _Items, keys: Iterable[tuple[str, str]], present: Iterable[str], what: str) -> None:
    taken = set(present)
    for key, description in keys:
        if key not in taken:
            insert = f"{key}:" if key in _BLOCK_KEYS else f"{key}: "
            out.add(key, K.Property, what, description or None, insert=insert)


def _statement_keys(out: _Items) -> None:
    siblings = out.outline.siblings
    kind = "use" if "use" in siblings else next((k for k in siblings if k in STATEMENT_KINDS), None)
    if kind is None:
        for name, model in STATEMENT_KINDS.items():
            out.add(name, K.Keyword, "statement", model.__doc__, insert=f"{name}: ")
        return
    _keys(out, _model_keys(STATEMENT_KINDS[kind]), siblings, f"{kind} option")


def _kinds(out: _Items, catalog: str, *, as_key: bool) -> None:
    for entry in catalog_kinds(catalog):
        insert = f"{entry.kind}: " if as_key else entry.kind
        out.add(
            entry.kind,
            K.EnumMember,
            catalog.replace("_", " "),
            kind_markdown(catalog, entry),
            insert=insert,
        )


def _kind_args(out: _Items, catalog: str, kind: str, present: Iterable[str]) -> None:
    entry = catalog_entry(catalog, kind)
    if entry is None:
        return
    taken = set(present)
    for a in kind_args(entry):
        if a.name not in taken:
            detail = f"{a.type}" + (f" = {a.default}" if a.default is not None else "")
            out.add(a.name, K.Field, detail, a.line(), insert=f"{a.name}: ")


def _templates(out: _Items, k: Knowledge) -> None:
    for name, (definition, where) in sorted(k.templates.items()):
        out.add(name, K.Class, f"template ({where})", template_markdown(name, definition, where))
    if k.include_std is None:
        return
    for name, (definition, where) in sorted(k.std.items()):
        if name not in k.templates:
            doc = template_markdown(name, definition, where)
            out.add(name, K.Class, "std template (adds include: [std])", doc, extra=k.include_std)


def _with_args(out: _Items, k: Knowledge, template: str | None, present: Iterable[str]) -> None:
    found = k.templates.get(template or "") or k.std.get(template or "")
    if found is None:
        return
    taken = set(present)
    for a in template_args(found[0]):
        if a.name not in taken:
            detail = a.type + (f" = {a.default}" if a.default is not None else "")
            out.add(a.name, K.Field, detail, a.line(), insert=f"{a.name}: ")


def _names(out: _Items, k: Knowledge) -> None:
    """`$names` visible at the cursor: loop variables, template arguments, params."""
    o = out.outline
    seen: set[str] = set()
    for mapping in reversed(o.enclosing):
        loop = mapping.get("as")
        if "repeat" in mapping and loop and loop not in seen:
            seen.add(loop)
            out.add(loop, K.Variable, f"loop variable of repeat: {mapping['repeat']}")
    if len(o.path) >= 2 and o.path[0] == "templates":
        found = k.templates.get(o.path[1])
        for a in template_args(found[0]) if found else []:
            if a.name not in seen:
                seen.add(a.name)
                out.add(a.name, K.Field, f"argument ({a.type})", a.line())
    for name, value in k.params.items():
        if name not in seen:
            out.add(name, K.Constant, f"param = {yaml_text(value)}")


def _includes(out: _Items, k: Knowledge) -> None:
    out.add("std", K.Module, "the standard library (every template)")
    for name in sorted(k.std):
        out.add(f"std/{name}", K.Module, "standard library file")
    for path in k.files:
        out.add(path, K.File, "spec file")


def _simple(out: _Items, values: Iterable[str], what: str) -> None:
    for v in values:
        out.add(v, K.EnumMember if what != "boolean" else K.Value, what)


def _key_items(out: _Items, k: Knowledge) -> None:
    o = out.outline
    path, siblings = o.path, o.siblings
    if not path:
        _keys(out, _model_keys(SpecDocument), siblings, "top-level key")
    elif path == ["defaults"]:
        _keys(out, _model_keys(ScopeOptionsModel), siblings, "root scope option")
    elif path[-1] == ITEM and len(path) >= 2 and path[-2] == "body":
        _statement_keys(out)
    elif path[-1] == ITEM and path[-2:] == ["include", ITEM]:
        _includes(out, k)
    elif len(path) == 2 and path[0] == "templates":
        _keys(out, _model_keys(TemplateDef), siblings, "template key")
    elif len(path) == 4 and path[0] == "templates" and path[2] == "args":
        _keys(out, _model_keys(ArgSpec), siblings, "argument key")
    elif path[-1] in CATALOG_KEYS:
        _kinds(out, path[-1], as_key=True)
    elif len(path) >= 2 and path[-2] in CATALOG_KEYS:
        _kind_args(out, path[-2], path[-1], siblings)
    elif path[-1] == "with":
        _with_args(out, k, o.mapping(len(path) - 1).get("use"), siblings)
    elif path[-1] in ("scope", "name_scope"):
        out.add("ref", K.Property, "re-enter a captured scope", insert="ref: ")


def _value_items(out: _Items, k: Knowledge) -> None:
    o = out.outline
    name, path = o.value_of, o.path
    if name is None:
        if path and path[-1] == "include":
            _includes(out, k)
        elif path and path[-1] == "collections":
            _simple(out, _COLLECTIONS, "collection")
    elif name in CATALOG_KEYS:
        _kinds(out, name, as_key=False)
    elif name == "use":
        _templates(out, k)
    elif name == "dtype":
        _simple(out, dtype_names(), "dtype")
    elif name in _ENUMS:
        _simple(out, _ENUMS[name], name)
    elif name in _BOOL_KEYS:
        _simple(out, ("true", "false"), "boolean")
    elif name == "ref":
        _simple(out, k.captures(), "captured scope")
    elif name == "instance":
        use = o.siblings.get("use")
        _simple(out, [i for i, t in k.instances().items() if use in (None, t)], "instance")
    elif len(path) == 3 and path[0] == "templates" and path[2] == "args":
        _simple(out, _ENUMS["type"], "type")
    elif len(path) >= 2 and path[-2] in CATALOG_KEYS:
        _literal_choices(out, path[-2], path[-1], name)


def _literal_choices(out: _Items, catalog: str, kind: str, arg: str) -> None:
    entry = catalog_entry(catalog, kind)
    for a in kind_args(entry) if entry is not None else []:
        if a.name == arg and "`" in a.type:
            _simple(out, [v.strip(" `") for v in a.type.split("|")], f"{kind} {arg}")


def complete(
    outline: Outline, knowledge: Knowledge, line: str, *, row: int, column: int, encoding: str
) -> list[types.CompletionItem]:
    """The completion items at 0-based `row:column` of a document whose cursor
    line is `line`."""
    out = _Items(outline, line, row, column, encoding)
    if outline.dollar:
        _names(out, knowledge)
    elif outline.mode == "key":
        _key_items(out, knowledge)
    else:
        _value_items(out, knowledge)
    return out.items
