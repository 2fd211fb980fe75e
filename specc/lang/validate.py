"""Validation: located YAML documents -> a checked spec AST, or diagnostics.

Phase 1 of a compilation (DESIGN section 5): pydantic validation of the top
file and every include, with each error located and worded by
`specc.lang.errors`, then the whole-document checks of `specc.lang.static`.
Errors come out in source order; resolution does not run on an invalid
document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from specc.diagnostics import Diagnostic, Note, codes, source_order
from specc.lang.context import ValidationContext
from specc.lang.errors import translate_errors
from specc.lang.models import (
    IncludedDocument,
    NameScopeStmt,
    Ref,
    RepeatStmt,
    ScopeStmt,
    SpecDocument,
    StatementBase,
    TemplateDef,
    ThreadStmt,
    UseStmt,
    VarStmt,
)
from specc.lang.static import StaticChecker
from specc.source import LoadResult, LocDict
from specc.span import Span


@dataclass
class ValidatedSpec:
    """A spec that passed phase 1: the document and every template by name."""

    document: SpecDocument
    templates: dict[str, TemplateDef]
    sources: dict[str, str]
    path: str
    #: template name -> the file it came from (for notes)
    template_files: dict[str, str] = field(default_factory=dict)
    #: template name -> where its name is written under `templates:`
    template_keys: dict[str, Span | None] = field(default_factory=dict)
    #: the catalogs and interned options this compilation validated with; the
    #: resolver looks up kinds chosen by expressions in the same catalogs
    options: ValidationContext = field(default_factory=ValidationContext)


# --------------------------------------------------------------------------- attaching nodes


def _attach_body(body: list[Any], raw: Any) -> None:
    if not isinstance(raw, list):
        return
    for stmt, node in zip(body, raw, strict=False):
        _attach_stmt(stmt, node)


def _attach_stmt(stmt: StatementBase, node: Any) -> None:
    stmt.set_node(node)
    if not isinstance(node, dict) or isinstance(stmt, VarStmt):
        return
    if isinstance(stmt, ScopeStmt | UseStmt) and isinstance(stmt.scope, Ref):
        stmt.scope.set_node(node.get("scope"))
    elif isinstance(stmt, NameScopeStmt) and isinstance(stmt.name_scope, Ref):
        stmt.name_scope.set_node(node.get("name_scope"))
    if isinstance(stmt, ScopeStmt | NameScopeStmt | RepeatStmt | ThreadStmt):
        _attach_body(stmt.body, node.get("body"))


def _attach_document(doc: SpecDocument | IncludedDocument, raw: LocDict) -> None:
    doc.set_node(raw)
    if isinstance(doc, SpecDocument):
        _attach_body(doc.body, raw.get("body"))
        if doc.defaults is not None:
            doc.defaults.set_node(raw.get("defaults"))
    raw_templates = raw.get("templates")
    for name, tmpl in doc.templates.items():
        node = raw_templates.get(name) if isinstance(raw_templates, dict) else None
        tmpl.set_node(node)
        _attach_body(tmpl.body, node.get("body") if isinstance(node, dict) else None)


# --------------------------------------------------------------------------- entry point


def _validate_model(
    model: type[BaseModel], raw: LocDict, file: str, ctx: ValidationContext
) -> tuple[Any, list[Diagnostic]]:
    try:
        return model.model_validate(raw, context=ctx), []
    except ValidationError as err:
        return None, translate_errors(err, raw, file, model)


def _new(found: list[Diagnostic], known: list[Diagnostic]) -> list[Diagnostic]:
    """`found` without what the loader already reported at the same place (a
    non-list `include:` is both its error and the model's)."""
    at = {(d.code, d.span) for d in known}
    return [d for d in found if (d.code, d.span) not in at]


def validate(
    loaded: LoadResult, options: ValidationContext | None = None
) -> tuple[ValidatedSpec | None, list[Diagnostic]]:
    """Phase 1 after loading: the validated spec, or its errors in source order.
    `options` holds the catalogs to validate against (the built-in ones by default)."""
    ctx = options if options is not None else ValidationContext()
    diags: list[Diagnostic] = list(loaded.diagnostics)
    main = loaded.main
    if main is None or main.document is None:
        return None, source_order(diags)
    doc, errs = _validate_model(SpecDocument, main.document, main.path, ctx)
    diags.extend(_new(errs, diags))
    templates: dict[str, TemplateDef] = {}
    template_files: dict[str, str] = {}
    first_site: dict[str, Span | None] = {}
    if doc is not None:
        _attach_document(doc, main.document)
        for name, tmpl in doc.templates.items():
            templates[name] = tmpl
            template_files[name] = main.path
            first_site[name] = _template_key_span(main.document, name)
    for inc in loaded.includes:
        if inc.document is None:
            continue
        idoc, errs = _validate_model(IncludedDocument, inc.document, inc.path, ctx)
        diags.extend(_new(errs, diags))
        if idoc is None:
            continue
        _attach_document(idoc, inc.document)
        for name, tmpl in idoc.templates.items():
            site = _template_key_span(inc.document, name)
            if name in templates:
                diags.append(
                    Diagnostic(
                        codes.SCHEMA,
                        f"template {name!r} is defined twice",
                        site or Span(inc.path, 1, 1),
                        notes=(Note("first defined here", first_site.get(name)),),
                        help="rename one of them",
                    )
                )
                continue
            templates[name] = tmpl
            template_files[name] = inc.path
            first_site[name] = site
    if doc is None or diags:
        return None, source_order(diags)
    spec = ValidatedSpec(
        doc, templates, dict(loaded.sources), main.path, template_files, first_site, ctx
    )
    diags.extend(StaticChecker(spec).run())
    if diags:
        return None, source_order(diags)
    return spec, []


def _template_key_span(raw: LocDict, name: str) -> Span | None:
    t = raw.get("templates")
    if isinstance(t, LocDict):
        return t.key_span(name) or t.span
    return raw.span
