"""The static checks of phase 1, on the whole validated document: templates and
captures that exist nowhere, template arguments, instance ownership, and names
an expression uses that no enclosing scope defines. They run before resolution,
in source order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from specc.catalog.dtypes import DType
from specc.diagnostics import Diagnostic, Note
from specc.lang.expr import Compiled
from specc.lang.models import (
    STATEMENT_KINDS,
    NameScopeStmt,
    Node,
    OpStmt,
    Ref,
    RepeatStmt,
    ScopeStmt,
    SpecDocument,
    StatementBase,
    ThreadStmt,
    UseStmt,
    VarStmt,
)
from specc.lang.options import CatalogRef
from specc.source import LocDict, LocList, std_names
from specc.span import Span

if TYPE_CHECKING:
    from specc.lang.validate import ValidatedSpec

_WITH_BODY = (ScopeStmt, NameScopeStmt, RepeatStmt, ThreadStmt)
_WithBody = ScopeStmt | NameScopeStmt | RepeatStmt | ThreadStmt


_PLAIN_TYPES = (type(None), str, int, bool, float)

#: field name -> YAML key of each statement class, without `body` (the static
#: check visits every statement): built once, read-only
_FIELD_ALIASES: Mapping[type[BaseModel], Mapping[str, str]] = MappingProxyType(
    {
        cls: MappingProxyType(
            {name: f.alias or name for name, f in cls.model_fields.items() if name != "body"}
        )
        for cls in STATEMENT_KINDS.values()
    }
)


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


def expressions_of(node: BaseModel) -> Iterator[Compiled]:
    """Every expression a statement's (or `defaults:`') own keys hold, its
    `body` aside. Only keys the spec wrote can hold one (defaults are plain)."""
    values = node.__dict__
    for fname in node.model_fields_set:
        value = values[fname]
        if fname != "body" and type(value) is not str and _may_hold_expression(value):
            yield from _expressions(value)


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
                yield from _located_expressions(v, items[i], items.item_span(i))
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(raw, LocDict) and k in raw:
                yield from _located_expressions(v, raw[k], raw.value_span(k) or span)
            else:
                yield from _located_expressions(v, None, span)
    elif isinstance(value, CatalogRef):
        inner: Any = None
        if isinstance(raw, LocDict) and len(raw) == 1:
            ((kind, inner),) = raw.items()
            span = raw.value_span(kind) or span
        yield from _located_expressions(dict(value.raw_args), inner, span)
    elif isinstance(value, Ref):
        if isinstance(raw, LocDict) and "ref" in raw:
            yield from _located_expressions(value.ref, raw["ref"], raw.value_span("ref"))
        else:
            yield from _located_expressions(value.ref, None, span)


class StaticChecker:
    """The whole-document checks of one validated spec."""

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
            for fname, alias in _FIELD_ALIASES[kind].items():  # in declaration order
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
            help_ = f"templates: {known}"
            if st.use in std_names():
                hint = f"; '{st.use}' is in the standard library, which the spec does not include"
                help_ = "add `include: [std]` (or `include: [std/" + st.use + "]`) to the spec"
            self.error(
                "unknown-ref", f"no template named {st.use!r}{hint}", st.key_span("use"), help=help_
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
        return params.value_span(name) or params.span
    return doc.span


def _key_span(st: Node, key: str, sub: str) -> Span | None:
    node = st.node.get(key) if isinstance(st.node, dict) else None
    if isinstance(node, LocDict):
        return node.key_span(sub) or node.span
    return st.key_span(key)


def _value_span(st: Node, key: str, sub: str) -> Span | None:
    node = st.node.get(key) if isinstance(st.node, dict) else None
    if isinstance(node, LocDict):
        return node.value_span(sub) or node.span
    return st.key_span(key)
