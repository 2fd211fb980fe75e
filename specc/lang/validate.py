"""Validation: located YAML documents -> a checked spec AST, or diagnostics.

Phase 1 of a compilation (DESIGN section 5): pydantic validation with every
error mapped back to the key or value that caused it and worded for people,
then the static checks that need the whole document (templates and captures
that exist nowhere, instance ownership, template arguments, names an expression
uses that no scope defines). Errors come out in source order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from specc.catalog.dtypes import DType
from specc.diagnostics import Diagnostic, Note, source_order
from specc.lang.expr import Compiled
from specc.lang.models import (
    ALL_STATEMENT_KEYS,
    STATEMENT_KINDS,
    TAG_SUFFIX,
    TOP_KEYS,
    ArgSpec,
    CatalogRef,
    Defaults,
    IncludedDocument,
    NameScopeStmt,
    Node,
    OpStmt,
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
from specc.source import LoadResult, LocDict, LocList
from specc.span import Span

_GENERIC_KEYS = frozenset(
    {"args", "body", "default_name", "doc", "type", "default", "description", "ref"}
    | TOP_KEYS
    | {k for keys in ALL_STATEMENT_KEYS.values() for k in keys}
)

# Models that appear as a branch of a union (pydantic labels its errors by class name).
_UNION_MODELS = frozenset({Ref.__name__})

_TYPE_PHRASES = {
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "none_required": "null",
}


@dataclass
class ValidatedSpec:
    """A spec that passed phase 1: the document and every template by name."""

    document: SpecDocument
    templates: dict[str, TemplateDef]
    sources: dict[str, str]
    path: str
    #: template name -> the file it came from (for notes)
    template_files: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- locating


def _span_of(node: Any) -> Span | None:
    s = getattr(node, "span", None)
    return s if isinstance(s, Span) else None


def _child_span(container: Any, key: Any) -> Span | None:
    if isinstance(container, LocDict):
        return container.value_spans.get(key, container.span)
    if isinstance(container, LocList) and isinstance(key, int) and key < len(container.item_spans):
        return container.item_spans[key]
    return _span_of(container)


def _walk(root: Any, loc: Iterable[Any]) -> tuple[Any, Any, Any]:
    """Follow a pydantic `loc` through the raw tree: (parent, key, node)."""
    parent: Any = None
    key: Any = None
    cur = root
    for part in loc:
        if isinstance(part, str) and part.endswith(TAG_SUFFIX):
            continue
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            parent, key, cur = cur, part, cur[part]
        else:
            break
    return parent, key, cur


def _model_keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(f.alias or n for n, f in model.model_fields.items())


def _allowed_keys(
    mapping: Any, loc: tuple[Any, ...], top: type[BaseModel] = SpecDocument
) -> frozenset[str]:
    """The keys a mapping at `loc` (its path, tags included) may have."""
    path = [p for p in loc if isinstance(p, str) and not p.endswith(TAG_SUFFIX)]
    if path and path[-1] in ("scope", "name_scope"):
        return _model_keys(Ref)
    if isinstance(mapping, dict):
        kinds = [k for k in STATEMENT_KINDS if k in mapping]
        if "use" in kinds:
            kinds = ["use"]
        if len(kinds) == 1:
            return ALL_STATEMENT_KEYS[kinds[0]] | {"if"}
    if not loc:
        return _model_keys(top)
    if path == ["defaults"] and len(loc) == 1:
        return _model_keys(Defaults)
    if path and path[0] == "templates" and len(loc) == 2:
        return _model_keys(TemplateDef)
    if path and path[0] == "templates" and len(loc) == 4 and path[2] == "args":
        return _model_keys(ArgSpec)
    return _GENERIC_KEYS


def _drop_union_branch(root: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Pydantic reports each branch of a union such as `NameValue | Ref | None`
    under its own label (`function-plain[_v_name()]`, `Ref`). Keep only the
    branch that fits what is written (a mapping is a `{ref}`, anything else a
    name): (loc without the label, whether to keep the error)."""
    cur = root
    out: list[Any] = []
    for part in loc:
        if isinstance(part, str) and part.endswith(TAG_SUFFIX):
            out.append(part)
        elif (isinstance(cur, dict) and part in cur) or (
            isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        ):
            out.append(part)
            cur = cur[part]
        elif isinstance(part, str) and part.startswith("function-"):
            if isinstance(cur, dict):
                return loc, False
        elif isinstance(part, str) and part in _UNION_MODELS:
            if not isinstance(cur, dict):
                return loc, False
        else:
            out.append(part)
            cur = None
    return tuple(out), True


def _describe_statement_problem(item: Any) -> str:
    if not isinstance(item, dict):
        return f"a statement must be a mapping such as `- var: NAME`, got {_kind_of(item)}"
    kinds = [k for k in STATEMENT_KINDS if k in item]
    if len(kinds) > 1:
        return (
            f"two statement kinds in one item: {' and '.join(kinds)}; write each as its own "
            "list item"
        )
    keys = [str(k) for k in item]
    guesses = []
    for k in keys:
        close = difflib.get_close_matches(k, list(STATEMENT_KINDS), n=1)
        if close:
            guesses.append(f"{k!r} -> {close[0]!r}")
    hint = f"; did you mean {', '.join(guesses)}?" if guesses else ""
    return (
        f"a statement needs exactly one of {', '.join(STATEMENT_KINDS)}; got keys "
        f"{', '.join(map(repr, keys)) or 'none'}{hint}"
    )


def _kind_of(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int | float):
        return f"a number ({v!r})"
    if isinstance(v, str):
        return f"a string ({v!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def translate_errors(
    err: ValidationError, root: Any, file: str, model: type[BaseModel] = SpecDocument
) -> list[Diagnostic]:
    """Map pydantic errors to located, readable diagnostics (one per location)."""
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for e in err.errors(include_url=False):
        loc, keep = _drop_union_branch(root, tuple(e["loc"]))
        if not keep:
            continue
        etype = e["type"]
        ctx = e.get("ctx") or {}
        sub = tuple(ctx.get("sub", ()))
        full = loc + sub
        code = "expression" if etype == "expression" else "schema"
        if etype == "extra_forbidden":
            parent, key, _ = _walk(root, loc)
            span = parent.key_spans.get(key) if isinstance(parent, LocDict) else None
            allowed = _allowed_keys(parent, loc[:-1], model)
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown key {key!r}{hint}"
            help_ = f"valid keys here: {', '.join(sorted(allowed))}"
        elif etype == "missing":
            parent, key, node = _walk(root, loc[:-1])
            span = _span_of(node) or _child_span(parent, key)
            message = f"missing required key {loc[-1]!r}"
            help_ = None
        elif etype in ("union_tag_not_found", "union_tag_invalid"):
            parent, key, node = _walk(root, loc)
            span = _span_of(node) or _child_span(parent, key)
            message = _describe_statement_problem(node)
            help_ = None
        else:
            parent, key, node = _walk(root, full)
            if ctx.get("at_key") and sub and key == sub[-1] and isinstance(parent, LocDict):
                span = parent.key_spans.get(key)
            else:
                if sub and node is None:
                    parent, key, node = _walk(root, loc)
                span = _child_span(parent, key) if parent is not None else _span_of(root)
            if etype in ("schema", "expression"):
                message = e["msg"]
            elif etype == "literal_error":
                message = (
                    f"expected {ctx.get('expected', 'one of the allowed values')}, got "
                    f"{_kind_of(e.get('input'))}"
                )
                if loc and loc[-1] == "specc":
                    message = (
                        f"unsupported language version {e.get('input')!r}; this specc "
                        "reads `specc: 1`"
                    )
            elif etype in _TYPE_PHRASES:
                message = f"expected {_TYPE_PHRASES[etype]}, got {_kind_of(e.get('input'))}"
            elif etype in ("greater_than_equal", "less_than", "greater_than", "less_than_equal"):
                bound = next(iter(ctx.values()), "")
                rel = {
                    "greater_than": ">",
                    "greater_than_equal": ">=",
                    "less_than": "<",
                    "less_than_equal": "<=",
                }[etype]
                message = f"must be {rel} {bound}, got {_kind_of(e.get('input'))}"
            else:
                message = f"invalid value {_kind_of(e.get('input'))} ({etype.replace('_', ' ')})"
            where = _loc_text(full)
            if where and etype not in ("schema", "expression"):
                message = f"{where}: {message}"
            help_ = None
        key_t = (span, message)
        if key_t in seen:
            continue
        seen.add(key_t)
        out.append(Diagnostic(code, message, span or Span(file, 1, 1), help=help_))
    return out


def _loc_text(loc: tuple[Any, ...]) -> str:
    parts = [
        p
        for p in loc
        if not (isinstance(p, str) and p.endswith(TAG_SUFFIX)) and not isinstance(p, int)
    ]
    return str(parts[-1]) if parts else ""


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


# --------------------------------------------------------------------------- static checks


_WITH_BODY = (ScopeStmt, NameScopeStmt, RepeatStmt, ThreadStmt)
_WithBody = ScopeStmt | NameScopeStmt | RepeatStmt | ThreadStmt


_FIELD_ALIASES: dict[type[BaseModel], dict[str, str]] = {}
_PLAIN_TYPES = (type(None), str, int, bool, float)


def _field_aliases(cls: type[BaseModel]) -> dict[str, str]:
    """Field name -> YAML key of a statement class, without `body` (cached: the
    static check visits every statement)."""
    found = _FIELD_ALIASES.get(cls)
    if found is None:
        found = {name: f.alias or name for name, f in cls.model_fields.items() if name != "body"}
        _FIELD_ALIASES[cls] = found
    return found


def _may_hold_expression(value: Any) -> bool:
    """A fast filter before `_expressions`: plain values and fully validated catalog
    options hold none."""
    t = type(value)
    if t in _PLAIN_TYPES:
        return False
    if t is tuple:
        return any(type(v) is not int for v in value)
    if t is CatalogRef:
        return value.args is None and bool(value.raw_args)
    return t is not DType


def _expressions(value: Any) -> Iterator[Compiled]:
    if isinstance(value, Compiled):
        if not value.is_literal:
            yield value
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _expressions(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _expressions(v)
    elif isinstance(value, CatalogRef):
        yield from _expressions(dict(value.raw_args))
    elif isinstance(value, Ref):
        yield from _expressions(value.ref)


def _located_expressions(
    value: Any, raw: Any, span: Span | None
) -> Iterator[tuple[Compiled, Span | None]]:
    """`_expressions` with where each one is written: `raw` is the located YAML the
    value was validated from and `span` its position, so an expression inside a
    list or a mapping (`shape: [3, $hiden]`) is blamed on its own item."""
    if isinstance(value, Compiled):
        if not value.is_literal:
            yield value, span
    elif isinstance(value, tuple | list):
        items = raw if isinstance(raw, LocList) and len(raw) == len(value) else None
        for i, v in enumerate(value):
            if items is None:
                yield from _located_expressions(v, None, span)
            else:
                yield from _located_expressions(v, items[i], items.item_spans[i])
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(raw, LocDict) and k in raw:
                yield from _located_expressions(v, raw[k], raw.value_spans.get(k, span))
            else:
                yield from _located_expressions(v, None, span)
    elif isinstance(value, CatalogRef):
        inner: Any = None
        if isinstance(raw, LocDict) and len(raw) == 1:
            ((kind, inner),) = raw.items()
            span = raw.value_spans.get(kind, span)
        yield from _located_expressions(dict(value.raw_args), inner, span)
    elif isinstance(value, Ref):
        if isinstance(raw, LocDict) and "ref" in raw:
            yield from _located_expressions(value.ref, raw["ref"], raw.value_spans["ref"])
        else:
            yield from _located_expressions(value.ref, None, span)


class _StaticChecker:
    def __init__(self, spec: ValidatedSpec) -> None:
        self.spec = spec
        self.diags: list[Diagnostic] = []
        doc = spec.document
        self.captures: set[str] = set()
        self.instances: dict[str, tuple[str, Span | None]] = {}
        self.dynamic_captures = False
        self.plain = False  # of the body being checked: see `_plain`
        # captures are on scopes, which are never leaves: walk the bodies only
        bodies: list[list[Any]] = [doc.body] + [t.body for t in spec.templates.values()]
        while bodies:
            for st in bodies.pop():
                # `type(..) in` rather than isinstance: a miss on a pydantic model
                # class goes through its metaclass's Python-level __instancecheck__
                if type(st) in _WITH_BODY:
                    bodies.append(cast(_WithBody, st).body)
                    if type(st) is ScopeStmt and st.capture is not None:
                        if isinstance(st.capture, str):
                            self.captures.add(st.capture)
                        elif isinstance(st.capture, Compiled):
                            self.dynamic_captures = True

    def error(self, code: str, message: str, span: Span | None, **kw: Any) -> None:
        self.diags.append(Diagnostic(code, message, span or Span(self.spec.path, 1, 1), **kw))

    def run(self) -> list[Diagnostic]:
        doc = self.spec.document
        if not doc.name.isidentifier():
            self.error(
                "schema",
                f"model name {doc.name!r} is not a Python identifier",
                doc.key_span("name"),
                help="use letters, digits and _, not starting with a digit",
            )
        params: set[str] = set()
        raw_params = doc.params
        for pname, value in raw_params.items():
            for ex in _expressions(value):
                self.check_names(ex, params, _param_span(doc, pname))
            params.add(pname)
        for tname, tmpl in self.spec.templates.items():
            env = set(params)
            for aname, aspec in tmpl.args.items():
                if aspec.has_default:
                    default = aspec.default
                    at = aspec.key_span("default") or tmpl.span
                    for ex in _expressions(default):
                        self.check_names(ex, env, at)
                    if not isinstance(default, Compiled) and not arg_type_ok(aspec.type, default):
                        self.error(
                            "schema",
                            f"the default of argument {aname!r} of template {tname!r} is "
                            f"{default!r}, not of its type {aspec.type}",
                            at,
                        )
                env.add(aname)
            self.plain = self._plain(self.spec.template_files.get(tname))
            self.body(tmpl.body, frozenset(env), f"template {tname!r}")
        self.plain = self._plain(self.spec.path)
        self.body(doc.body, frozenset(params), None)
        return self.diags

    def check_names(self, ex: Compiled, env: Iterable[str], span: Span | None) -> None:
        env_set = set(env)
        missing = sorted(n for n in ex.names if n not in env_set)
        if missing:
            name = missing[0]
            close = difflib.get_close_matches(name, sorted(env_set), n=1)
            hint = f"; did you mean ${close[0]}?" if close else ""
            known = ", ".join(f"${n}" for n in sorted(env_set)) or "none"
            self.error(
                "expression",
                f"unknown name ${name} in {ex.source!r}{hint}",
                span,
                help=f"names in scope here: {known}",
            )

    def _plain(self, path: str | None) -> bool:
        """Whether the file holds no `$` at all, and so no expression: its
        statements' values need no look for names."""
        text = self.spec.sources.get(path) if path is not None else None
        return text is not None and "$" not in text

    def body(self, body: list[Any], env: frozenset[str], where: str | None) -> None:
        leaf = (VarStmt, OpStmt)
        for st in body:
            # in a file with no expression, a `var` or `op` has nothing to check
            if not (self.plain and type(st) in leaf):
                self.stmt(st, env, where)

    def stmt(self, st: StatementBase, env: frozenset[str], where: str | None) -> None:
        values = st.__dict__
        # only the keys the spec wrote can hold an expression (defaults are
        # plain); visited in declaration order, so errors come out in one order
        kind = type(st)
        if not self.plain:
            written = st.model_fields_set
            for fname, alias in _field_aliases(kind).items():  # in declaration order
                value = values[fname]
                if fname in written and type(value) is not str and _may_hold_expression(value):
                    raw = st.node.get(alias) if isinstance(st.node, dict) else None
                    for ex, at in _located_expressions(value, raw, st.key_span(alias)):
                        self.check_names(ex, env, at)
        if kind is VarStmt or kind is OpStmt:
            return
        if isinstance(st, ScopeStmt):
            if st.scope is None and st.default_name is None:
                self.error(
                    "schema",
                    "If default_name is None then name_or_scope is required: "
                    "`scope: null` needs a `default_name`",
                    st.span,
                )
            self.ref(st.scope, st)
        elif isinstance(st, NameScopeStmt):
            self.ref(st.name_scope, st)
        elif isinstance(st, UseStmt):
            self.use(st)
            self.ref(st.scope, st)
        if isinstance(st, RepeatStmt):
            inner = env | {st.as_} if isinstance(st.as_, str) else env
            self.body(st.body, inner, where)
        elif isinstance(st, ScopeStmt | NameScopeStmt | ThreadStmt):
            self.body(st.body, env, where)

    def ref(self, target: Any, st: StatementBase) -> None:
        if (
            isinstance(target, Ref)
            and isinstance(target.ref, str)
            and target.ref not in self.captures
            and not self.dynamic_captures
        ):
            close = difflib.get_close_matches(target.ref, sorted(self.captures), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.error(
                "unknown-ref",
                f"no scope is captured as {target.ref!r}{hint}",
                target.span or st.span,
                help="capture a scope with `capture: NAME` on a `scope` statement",
            )

    def use(self, st: UseStmt) -> None:
        if not isinstance(st.use, str):
            return
        tmpl = self.spec.templates.get(st.use)
        if tmpl is None:
            close = difflib.get_close_matches(st.use, sorted(self.spec.templates), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self.spec.templates)) or "none"
            self.error(
                "unknown-ref",
                f"no template named {st.use!r}{hint}",
                st.key_span("use"),
                help=f"templates: {known}",
            )
            return
        if isinstance(st.instance, str):
            first = self.instances.setdefault(st.instance, (st.use, st.span))
            if first[0] != st.use:
                self.error(
                    "schema",
                    f"instance {st.instance!r} belongs to template {first[0]!r}, not {st.use!r}",
                    st.key_span("instance"),
                    notes=(Note("first used here", first[1]),),
                )
        for key, value in st.with_.items():
            spec = tmpl.args.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, list(tmpl.args), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.error(
                    "schema",
                    f"template {st.use!r} has no argument {key!r}{hint}",
                    _key_span(st, "with", key),
                    help=f"arguments: {', '.join(tmpl.args) or 'none'}",
                )
                continue
            if not isinstance(value, Compiled) and not arg_type_ok(spec.type, value):
                self.error(
                    "schema",
                    f"template {st.use!r} argument {key!r} expects {spec.type}, got {value!r}",
                    _value_span(st, "with", key),
                )
        for key, spec in tmpl.args.items():
            if key not in st.with_ and not spec.has_default:
                self.error(
                    "schema",
                    f"template {st.use!r} needs argument {key!r}",
                    st.key_span("with") if "with" in (st.node or {}) else st.span,
                )


def arg_type_ok(typ: str, value: Any) -> bool:
    """Whether an evaluated argument value fits the declared template argument type."""
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def _param_span(doc: SpecDocument, name: str) -> Span | None:
    params = doc.node.get("params") if isinstance(doc.node, dict) else None
    if isinstance(params, LocDict):
        return params.value_spans.get(name, params.span)
    return doc.span


def _key_span(st: Node, key: str, sub: str) -> Span | None:
    node = st.node.get(key) if isinstance(st.node, dict) else None
    if isinstance(node, LocDict):
        return node.key_spans.get(sub, node.span)
    return st.key_span(key)


def _value_span(st: Node, key: str, sub: str) -> Span | None:
    node = st.node.get(key) if isinstance(st.node, dict) else None
    if isinstance(node, LocDict):
        return node.value_spans.get(sub, node.span)
    return st.key_span(key)


# --------------------------------------------------------------------------- entry point


def _validate_model(
    model: type[BaseModel], raw: LocDict, file: str
) -> tuple[Any, list[Diagnostic]]:
    try:
        return model.model_validate(raw), []
    except ValidationError as err:
        return None, translate_errors(err, raw, file, model)


def _new(found: list[Diagnostic], known: list[Diagnostic]) -> list[Diagnostic]:
    """`found` without what the loader already reported at the same place (a
    non-list `include:` is both its error and the model's)."""
    at = {(d.code, d.span) for d in known}
    return [d for d in found if (d.code, d.span) not in at]


def validate(loaded: LoadResult) -> tuple[ValidatedSpec | None, list[Diagnostic]]:
    """Phase 1 after loading: the validated spec, or its errors in source order."""
    diags: list[Diagnostic] = list(loaded.diagnostics)
    main = loaded.main
    if main is None or main.document is None:
        return None, source_order(diags)
    doc, errs = _validate_model(SpecDocument, main.document, main.path)
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
        idoc, errs = _validate_model(IncludedDocument, inc.document, inc.path)
        diags.extend(_new(errs, diags))
        if idoc is None:
            continue
        _attach_document(idoc, inc.document)
        for name, tmpl in idoc.templates.items():
            site = _template_key_span(inc.document, name)
            if name in templates:
                diags.append(
                    Diagnostic(
                        "schema",
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
    spec = ValidatedSpec(doc, templates, dict(loaded.sources), main.path, template_files)
    diags.extend(_StaticChecker(spec).run())
    if diags:
        return None, source_order(diags)
    return spec, []


def _template_key_span(raw: LocDict, name: str) -> Span | None:
    t = raw.get("templates")
    if isinstance(t, LocDict):
        return t.key_spans.get(name, t.span)
    return raw.span
