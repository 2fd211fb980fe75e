"""Warnings found in the document itself, before resolution: what is legal but
likely not what was meant (docs/diagnostics.md lists each code).

- `unused-param`: a param no expression uses;
- `unused-template`: a template of the spec or of an included file of the
  user's (the standard library's are there to pick from) that no `use` names;
- `unused-argument`: a template argument its body never uses;
- `unused-capture`: a `capture:` no `{ref}` names, or an `instance:` written
  once and run once (it shares nothing);
- `constant-if`: an `if:` whose condition names nothing, so is always or never
  true.

Each is located at the key it is about. Names given by expressions (a `use:`
or `{ref}` computed from a param) make the matching checks stand down: what a
computed name reaches is not known before resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from specc.diagnostics import Diagnostic, codes
from specc.diagnostics.codes import Code
from specc.lang.expr import Compiled
from specc.lang.models import (
    NameScopeStmt,
    Ref,
    RepeatStmt,
    ScopeStmt,
    StatementBase,
    ThreadStmt,
    UseStmt,
)
from specc.lang.static import expressions_of
from specc.lang.validate import ValidatedSpec
from specc.source import LocDict
from specc.span import Span

_STD_PREFIX = "<std>/"


class _Site(NamedTuple):
    """A statement and what encloses it (a tuple: one is made per statement)."""

    stmt: StatementBase
    #: under a `repeat` (it may run many times)
    repeated: bool
    #: the template whose body holds it, or None for the spec's body
    template: str | None


#: the statements with a body that runs once per run of the statement
_ONCE_BODY = frozenset({ScopeStmt, NameScopeStmt, ThreadStmt})


def _walk(body: list[Any], repeated: bool, template: str | None) -> list[_Site]:
    """Every statement of `body`, nested ones included, in source order."""
    sites: list[_Site] = []
    stack = [(iter(body), repeated)]
    while stack:
        items, rep = stack[-1]
        st = next(items, None)
        if st is None:
            stack.pop()
            continue
        sites.append(_Site(st, rep, template))
        kind = type(st)  # not isinstance: see docs/design.md, "Performance"
        if kind in _ONCE_BODY:
            stack.append((iter(st.body), rep))
        elif kind is RepeatStmt:
            stack.append((iter(st.body), True))
    return sites


@dataclass
class _Uses:
    """What the document's statements name."""

    names: set[str] = field(default_factory=set)
    templates: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    instances: dict[str, list[_Site]] = field(default_factory=dict)
    dynamic_use: bool = False
    dynamic_ref: bool = False


def _add_ref(uses: _Uses, target: object) -> None:
    """Note the capture a `{ref}` names (or that one is computed)."""
    if type(target) is Ref:
        if isinstance(target.ref, str):
            uses.refs.add(target.ref)
        else:
            uses.dynamic_ref = True


def _collect(spec: ValidatedSpec) -> tuple[_Uses, list[_Site]]:
    uses = _Uses()
    sites = _walk(spec.document.body, False, None)
    for tname, tmpl in spec.templates.items():
        sites.extend(_walk(tmpl.body, False, tname))
    for site in sites:
        st = site.stmt
        for ex in expressions_of(st):
            uses.names.update(ex.names)
        # type() and not isinstance: see docs/design.md, "Performance"
        if type(st) is ScopeStmt:
            _add_ref(uses, st.scope)
            if st.values is not None:
                uses.refs.update(v for v in st.values if isinstance(v, str))
        elif type(st) is NameScopeStmt:
            _add_ref(uses, st.name_scope)
        elif type(st) is UseStmt:
            if isinstance(st.use, str):
                uses.templates.add(st.use)
            else:
                uses.dynamic_use = True
            if isinstance(st.instance, str):
                uses.instances.setdefault(st.instance, []).append(site)
    return uses, sites


def _key_span(node: Any, key: str, fallback: Span | None) -> Span | None:
    found: Span | None = node.key_span(key) if isinstance(node, LocDict) else None
    return found or fallback


class _Linter:
    def __init__(self, spec: ValidatedSpec) -> None:
        self.spec = spec
        self.out: list[Diagnostic] = []

    def warn(self, code: Code, message: str, span: Span | None, help_: str) -> None:
        self.out.append(Diagnostic(code, message, span, help=help_))

    def user_file(self, path: str | None) -> bool:
        return path is not None and not path.startswith(_STD_PREFIX)

    def params(self, uses: _Uses) -> None:
        doc = self.spec.document
        raw = doc.node.get("params") if isinstance(doc.node, dict) else None
        used = set(uses.names)
        if doc.defaults is not None:
            for ex in expressions_of(doc.defaults):
                used.update(ex.names)
        for value in doc.params.values():
            if isinstance(value, Compiled):
                used.update(value.names)
        for tmpl in self.spec.templates.values():
            for arg in tmpl.args.values():
                if isinstance(arg.default, Compiled):
                    used.update(arg.default.names)
        for name in doc.params:
            if name not in used:
                self.warn(
                    codes.UNUSED_PARAM,
                    f"param {name!r} is never used",
                    _key_span(raw, name, doc.span),
                    "use it as `$" + name + "`, or remove it",
                )

    def templates(self, uses: _Uses) -> None:
        if uses.dynamic_use:
            return
        for tname, tmpl in self.spec.templates.items():
            if tname in uses.templates or not self.user_file(self.spec.template_files.get(tname)):
                continue
            self.warn(
                codes.UNUSED_TEMPLATE,
                f"template {tname!r} is never used",
                self.spec.template_keys.get(tname) or tmpl.span,
                f"instantiate it with `use: {tname}`, or remove it",
            )

    def arguments(self) -> None:
        for tname, tmpl in self.spec.templates.items():
            if not self.user_file(self.spec.template_files.get(tname)):
                continue
            used: set[str] = set()
            for site in _walk(tmpl.body, False, tname):
                for ex in expressions_of(site.stmt):
                    used.update(ex.names)
            for value in (tmpl.default_name, *(a.default for a in tmpl.args.values())):
                if isinstance(value, Compiled):
                    used.update(value.names)
            raw = tmpl.node.get("args") if isinstance(tmpl.node, dict) else None
            for arg in tmpl.args:
                if arg not in used:
                    self.warn(
                        codes.UNUSED_ARGUMENT,
                        f"argument {arg!r} of template {tname!r} is never used",
                        _key_span(raw, arg, tmpl.span),
                        f"use it in the body as `${arg}`, or remove it",
                    )

    def captures(self, uses: _Uses, sites: list[_Site]) -> None:
        for site in sites:
            st = site.stmt
            if (
                type(st) is ScopeStmt
                and isinstance(st.capture, str)
                and not uses.dynamic_ref
                and st.capture not in uses.refs
            ):
                self.warn(
                    codes.UNUSED_CAPTURE,
                    f"scope captured as {st.capture!r} is never re-entered",
                    st.key_span("capture"),
                    f"re-enter it with `scope: {{ref: {st.capture}}}`, or drop `capture:`",
                )
        for name, found in uses.instances.items():
            (only,) = found if len(found) == 1 else (None,)
            if only is not None and not only.repeated and only.template is None:
                self.warn(
                    codes.UNUSED_CAPTURE,
                    f"instance {name!r} is used once: it shares its variables with nothing",
                    only.stmt.key_span("instance"),
                    "use the same `instance:` again where the variables are to be shared, "
                    "or drop `instance:`",
                )

    def constant_ifs(self, sites: list[_Site]) -> None:
        for site in sites:
            cond = site.stmt.if_
            if cond is None or (isinstance(cond, Compiled) and cond.names):
                continue
            self.warn(
                codes.CONSTANT_IF,
                "this `if:` names no param or argument: the statement always or never runs",
                site.stmt.key_span("if"),
                "use a param (`if: $use_bias`), or drop the `if:` or the statement",
            )


def lint(spec: ValidatedSpec) -> list[Diagnostic]:
    """The document's warnings, in source order within each check."""
    linter = _Linter(spec)
    uses, sites = _collect(spec)
    linter.params(uses)
    linter.templates(uses)
    linter.arguments()
    linter.captures(uses, sites)
    linter.constant_ifs(sites)
    return linter.out
