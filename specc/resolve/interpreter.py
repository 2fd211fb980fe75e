"""Resolution: run a validated spec against the scope engine (phase 2).

The resolver is an interpreter over the AST: it evaluates expressions as
execution meets them, turns options into catalog values, and calls the engine
exactly as the TF program the spec stands for would. It reports errors in
execution order (template bodies at their `use`), so the first is TF's, and
goes on where it can: a statement that failed is skipped, a scope that failed
to open skips its body, and a variable that failed to be created is not
reported again at its later uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from pydantic import ValidationError

from specc.catalog import Entry
from specc.catalog.dtypes import DType, parse_dtype
from specc.diagnostics import Diagnostic, Note, codes
from specc.diagnostics.codes import Code
from specc.engine.engine import Engine, Template
from specc.engine.errors import EngineError
from specc.engine.observer import Observer
from specc.engine.options import LiteralValue, Option
from specc.engine.scopes import InitOption, Reuse, ScopeOptions, VariableScope
from specc.lang.expr import Compiled, ExprError, Value
from specc.lang.models import (
    NameScopeStmt,
    Node,
    OpStmt,
    Ref,
    RepeatStmt,
    ReuseVariablesStmt,
    ScopeOptionsModel,
    ScopeStmt,
    StatementBase,
    TemplateDef,
    ThreadStmt,
    UseStmt,
    VarStmt,
)
from specc.lang.options import CatalogRef, args_error_message, validate_args
from specc.lang.static import arg_type_ok
from specc.lang.validate import ValidatedSpec
from specc.lang.values import AGG_MODES, SYNC_MODES
from specc.limits import DEFAULT_LIMITS, Limits
from specc.resolve.lints import ResolutionLints
from specc.source import LocDict, LocList
from specc.span import Span

Env = Mapping[str, Value]


class StmtError(Exception):
    """A located error found while executing one statement."""

    def __init__(
        self,
        code: Code,
        message: str,
        span: Span | None,
        *,
        variable: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.span = code, message, span
        self.variable, self.hint = variable, hint


class AbortError(Exception):
    """A limit was hit: stop the whole resolution."""


#: distinct errors of one code shown at one line; the rest are counted in a
#: note on the first (a failing line in a repeat of 100,000 turns)
SHOWN_PER_PLACE: Final = 100


@dataclass(frozen=True, slots=True)
class Frame:
    """Where execution is: the template `use` sites above, and nesting depth."""

    uses: tuple[tuple[str, Span | None], ...] = ()
    depth: int = 0

    def inner(self) -> Frame:
        return Frame(self.uses, self.depth + 1)

    def in_template(self, name: str, site: Span | None) -> Frame:
        return Frame((*self.uses, (name, site)), self.depth + 1)


@dataclass
class Resolution:
    """The outcome of phase 2: the engine's final state and the errors found."""

    engine: Engine
    diagnostics: list[Diagnostic]
    params: dict[str, Value]
    seed: int = 0
    spec: ValidatedSpec | None = None
    #: variable (or partitioned variable) name -> the `var` statement that made it
    created_by: dict[str, VarStmt] = field(default_factory=dict)


@dataclass
class Resolver:
    spec: ValidatedSpec
    overrides: Mapping[str, Value] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS
    #: watches the engine's decisions (`specc explain`, the language server)
    observer: Observer | None = None

    def __post_init__(self) -> None:
        self.engine = Engine(self.limits, self.observer)
        self.diags: list[Diagnostic] = []
        self.params: dict[str, Value] = {}
        self.captures: dict[str, VariableScope] = {}
        self.instances: dict[str, tuple[str, Template]] = {}
        self.failed: set[str] = set()
        self.failed_instances: set[str] = set()
        #: each error reported, by (code, message, place): its index in `diags`
        self._reported: dict[tuple[Code, str, Span | None], int] = {}
        #: index in `diags` -> how many times the same error came again
        self._again: dict[int, int] = {}
        #: (code, place) -> the index in `diags` of the first error reported
        #: there, and how many are shown there
        self._at_place: dict[tuple[Code, Span | None], tuple[int, int]] = {}
        self.executed = 0
        self._options: dict[int, Any] = {}
        self._static_vars: dict[int, dict[str, Any]] = {}
        self._ran_once: set[int] = set()
        self.created_by: dict[str, VarStmt] = {}
        #: the template uses a variable was created under (only those made in a
        #: template body): an error at a later use of the same body line names
        #: the use that made it
        self.created_under: dict[str, tuple[tuple[str, Span | None], ...]] = {}
        self.lints = ResolutionLints()
        #: id of a body -> `least_statements` of it
        self._least: dict[int, int] = {}

    # ------------------------------------------------------------------ driver

    def run(self) -> Resolution:
        doc = self.spec.document
        try:
            self._eval_params()
            if not self.diags:
                root = Frame()
                if doc.defaults is not None:
                    try:
                        opts = self.scope_options(doc.defaults, self.params, at_key=True)
                        cm = self.engine.variable_scope(
                            self.engine.current_scope, auxiliary_name_scope=False, options=opts
                        )
                    except StmtError as e:
                        self.report(e, root)
                    else:
                        with cm:
                            self.lints.scope_entered(doc.defaults, opts.partitioner is not None)
                            self.body(doc.body, self.params, root)
                else:
                    self.body(doc.body, self.params, root)
        except AbortError:
            pass
        for index, times in self._again.items():
            d = self.diags[index]
            again = Note(
                f"and {times:,} more from this line (other turns of a repeat or uses of a template)"
            )
            self.diags[index] = dataclasses.replace(d, notes=(*d.notes, again))
        self.diags.extend(self.lints.finish(failed=bool(self.diags)))
        return Resolution(
            self.engine, self.diags, self.params, doc.seed or 0, self.spec, self.created_by
        )

    def _eval_params(self) -> None:
        doc = self.spec.document
        env: dict[str, Value] = {}
        raw = doc.node.get("params") if isinstance(doc.node, dict) else None
        for name, value in doc.params.items():
            if name in self.overrides:
                env[name] = self.overrides[name]
                continue
            if isinstance(value, Compiled):
                span = (raw.value_span(name) if isinstance(raw, LocDict) else None) or doc.span
                try:
                    env[name] = value.evaluate(env)
                except ExprError as e:
                    self.diags.append(
                        Diagnostic(
                            codes.EXPRESSION,
                            f"param {name!r}: {e.message}",
                            span,
                        )
                    )
                    continue
            else:
                env[name] = value
        self.params = env

    # ------------------------------------------------------------------ reporting

    def report(self, e: StmtError | EngineError, frame: Frame, span: Span | None = None) -> None:
        notes: list[Note] = []
        if isinstance(e, EngineError):
            code, message, variable, hint = e.code, e.message, e.variable, e.hint
            if e.related is not None:
                notes.append(Note("first created here", e.related))
                notes.extend(self._creating_use(e.variable, frame))
        else:
            code, message, variable, hint = e.code, e.message, e.variable, e.hint
            span = e.span or span
        span, use_notes = self._user_site(span, frame)
        notes.extend(use_notes)
        key = (code, message, span)
        first = self._reported.get(key)
        place_first, shown = self._at_place.get((code, span), (len(self.diags), 0))
        if first is None and shown >= SHOWN_PER_PLACE:
            # the hundred-and-first error of a kind at one line (a repeat of
            # thousands of turns): counted on the first, not printed
            first = place_first
        if first is not None:
            # the same error again (another turn of a repeat, another use of
            # a template): reported once, counted in a note
            self._again[first] = self._again.get(first, 0) + 1
            return
        self._reported[key] = len(self.diags)
        self._at_place[(code, span)] = (place_first, shown + 1)
        self.diags.append(
            Diagnostic(
                code,
                message,
                span or Span(self.spec.path, 1, 1),
                variable=variable,
                notes=tuple(notes),
                help=hint,
            )
        )

    def _creating_use(self, variable: str | None, frame: Frame) -> list[Note]:
        """The `use` that created `variable` in a template body, when it is not
        the one running now: the body line alone cannot tell two uses apart."""
        made_under = self.created_under.get(variable) if variable is not None else None
        if not made_under:
            return []
        for depth, (template, site) in enumerate(made_under):
            now = frame.uses[depth] if depth < len(frame.uses) else None
            if site is not None and now != (template, site):
                return [Note(f"first created by template {template!r}, used here", site)]
        return []

    def _user_site(self, span: Span | None, frame: Frame) -> tuple[Span | None, list[Note]]:
        """Where to report an error at `span` under `frame`'s template uses, and
        the notes naming the uses (innermost first). An error inside a template
        of another file (an include, the standard library) is reported at the
        innermost `use:` written in the spec itself, with the template's own line
        as a note: that `use:` is the line the author can change."""
        uses = list(reversed(frame.uses))
        notes = [Note(f"in template {t!r}, used here", s) for t, s in uses]
        if span is None or span.file == self.spec.path:
            return span, notes
        for _, site in uses:
            if site is not None and site.file == self.spec.path:
                inner = uses[0][0]
                here = Note(f"the statement of template {inner!r} that fails is here", span)
                return site, [here, *(n for n in notes if n.span != site)]
        return span, notes

    # ------------------------------------------------------------------ execution

    def body(self, body: list[Any], env: Env, frame: Frame) -> None:
        if frame.depth > self.limits.max_depth:
            self.report(
                StmtError(
                    codes.LIMIT,
                    f"statements nest more than {self.limits.max_depth} deep (a template that uses "
                    f"itself?); {self.limits.advice('max_depth')}",
                    body[0].span if body else None,
                ),
                _outermost_uses(frame),
            )
            raise AbortError
        for st in body:
            # counted inline: a statement's span is made only when it is over
            self.executed += 1
            if self.executed > self.limits.max_statements:
                self.too_many_statements(st.span)
            try:
                if st.if_ is not None and not self.ev_bool(st.if_, env, st, "if"):
                    continue
                self.stmt(st, env, frame)
            except (StmtError, EngineError) as e:
                if e.code is codes.LIMIT:
                    self.report(e, frame, st.span)
                    raise AbortError from None
                self.report(e, frame, st.span)

    def count_statements(self, n: int, span: Span | None, *, ahead: str = "") -> None:
        """Count `n` statements executed (or, with `ahead`, about to be) toward
        --max-statements; stop the resolution when they go past it."""
        self.executed += n
        if self.executed > self.limits.max_statements:
            self.too_many_statements(span, ahead=ahead)

    def too_many_statements(self, span: Span | None, *, ahead: str = "") -> NoReturn:
        """Stop the resolution: --max-statements is exceeded at `span`."""
        self.diags.append(
            Diagnostic(
                codes.LIMIT,
                f"more than {self.limits.max_statements} statements executed (after "
                f"repeat and use){ahead}; {self.limits.advice('max_statements')}",
                span,
            )
        )
        raise AbortError

    def least_statements(self, body: list[Any]) -> int:
        """A lower bound on the statements running `body` executes: those without
        an `if:`, with repeats of a literal count and uses of a literal template
        expanded (a template using itself counts once). Lets a fan-out that must
        exceed --max-statements fail before it runs, in any memory."""
        key = id(body)
        found = self._least.get(key)
        if found is None:
            self._least[key] = 0  # a body reached again while it is measured: 0
            found = self._least[key] = sum(self._least_of(st) for st in body if st.if_ is None)
        return found

    def _least_of(self, st: StatementBase) -> int:
        if isinstance(st, RepeatStmt):
            count = st.repeat if type(st.repeat) is int else 0
            return 1 + count * (1 + self.least_statements(st.body))
        if isinstance(st, ScopeStmt | NameScopeStmt | ThreadStmt):
            return 1 + self.least_statements(st.body)
        if isinstance(st, UseStmt) and isinstance(st.use, str):
            tmpl = self.spec.templates.get(st.use)
            return 1 + (self.least_statements(tmpl.body) if tmpl is not None else 0)
        return 1

    def stmt(self, st: StatementBase, env: Env, frame: Frame) -> None:
        if isinstance(st, VarStmt):
            self.do_var(st, env, frame)
        elif isinstance(st, ScopeStmt):
            self.do_scope(st, env, frame)
        elif isinstance(st, UseStmt):
            self.do_use(st, env, frame)
        elif isinstance(st, RepeatStmt):
            self.do_repeat(st, env, frame)
        elif isinstance(st, NameScopeStmt):
            self.do_name_scope(st, env, frame)
        elif isinstance(st, OpStmt):
            self.engine.op(self.ev_name(st.op, env, st, "op"), origin=st.span)
        elif isinstance(st, ReuseVariablesStmt):
            if self.ev_bool(st.reuse_variables, env, st, "reuse_variables"):
                self.engine.reuse_variables(origin=st.span)
        elif isinstance(st, ThreadStmt):
            with self.engine.thread():
                self.body(st.body, env, frame.inner())

    # ------------------------------------------------------------------ statements

    def do_var(self, st: VarStmt, env: Env, frame: Frame) -> None:
        name = self.ev_name(st.var, env, st, "var")
        if self.failed and self.engine.full_name(name) in self.failed:
            return
        kw = self._static_vars.get(id(st))
        if kw is None:
            try:
                kw = self.var_kwargs(st, env)
            except StmtError as e:
                # TF raises it inside this get_variable call (a partitioner it
                # rejects as it is built, ...): the error is about this variable
                if e.variable is None:
                    e.variable = self.engine.full_name(name)
                raise
            # options with no expression evaluate the same on every run of the
            # statement (repeat bodies, templates): from its second run on, reuse
            # them (a statement that runs once is not worth the check)
            if id(st) in self._ran_once:
                if _is_static(st):
                    self._static_vars[id(st)] = kw
            else:
                self._ran_once.add(id(st))
        try:
            got = self.engine.get_variable(name, site=st.span, **kw)
        except EngineError as e:
            if e.code is not codes.LIMIT:
                self.failed.add(e.variable or self.engine.full_name(name))
            raise
        created = got.name not in self.created_by
        if created:
            self.created_by[got.name] = st
            if frame.uses:
                self.created_under[got.name] = frame.uses
        self.lints.variable(st, kw, got, created=created, scope=self.engine.current_scope)

    def var_kwargs(self, st: VarStmt, env: Env) -> dict[str, Any]:
        """The keyword arguments of `get_variable`, evaluated in TF's order."""
        kw: dict[str, Any] = {}
        if st.shape is not None:
            kw["shape"] = self.ev_shape(st, env)
        if st.dtype is not None:
            kw["dtype"] = self.ev_dtype(st.dtype, env, st, "dtype")
        if st.initializer is not None:
            kw["initializer"] = self.init_option(st.initializer, env, st, "initializer")
        if st.regularizer is not None:
            kw["regularizer"] = self.option(st.regularizer, env, st, "regularizer")
        if st.constraint is not None:
            kw["constraint"] = self.option(st.constraint, env, st, "constraint")
        if st.partitioner is not None:
            kw["partitioner"] = self.option(st.partitioner, env, st, "partitioner")
        if st.trainable is not None:
            kw["trainable"] = self.ev_bool(st.trainable, env, st, "trainable")
        if st.collections is not None:
            kw["collections"] = tuple(
                self.ev_name(c, env, st, "collections") for c in st.collections
            )
        if st.caching_device is not None:
            kw["caching_device"] = self.ev_name(st.caching_device, env, st, "caching_device")
        if st.use_resource is not None:
            kw["use_resource"] = self.ev_bool(st.use_resource, env, st, "use_resource")
        if st.synchronization is not None:
            kw["synchronization"] = self.ev_choice(
                st.synchronization, SYNC_MODES, env, st, "synchronization"
            )
        if st.aggregation is not None:
            kw["aggregation"] = self.ev_choice(st.aggregation, AGG_MODES, env, st, "aggregation")
        if st.validate_shape is not None:
            kw["validate_shape"] = self.ev_bool(st.validate_shape, env, st, "validate_shape")
        if st.local is not None:
            kw["local"] = self.ev_bool(st.local, env, st, "local")
        return kw

    def do_scope(self, st: ScopeStmt, env: Env, frame: Frame) -> None:
        options = self.scope_options(st, env)
        target: str | VariableScope | None
        default_name = None
        if isinstance(st.scope, Ref):
            target = self.captured(st.scope, env, st)
        elif st.scope is None:
            target = None
            if st.default_name is not None:
                default_name = self.ev_name(st.default_name, env, st, "default_name")
        else:
            target = self.ev_name(st.scope, env, st, "scope")
        aux = (
            self.ev_bool(st.auxiliary_name_scope, env, st, "auxiliary_name_scope")
            if st.auxiliary_name_scope is not None
            else True
        )
        reuse = self.ev_reuse(st, env)
        if st.values is not None:
            for i, v in enumerate(st.values):
                ref = self.ev_name(v, env, st, "values")
                if not self.engine.exists(ref):
                    raise StmtError(
                        codes.UNKNOWN_REF,
                        f"`values` entry {ref!r} names no variable or op created so far",
                        _span(st, "values", i),
                    )
        with self.engine.variable_scope(
            target,
            default_name=default_name,
            reuse=reuse,
            auxiliary_name_scope=aux,
            options=options,
            origin=st.span,
        ) as scope:
            if st.capture is not None:
                self.captures[self.ev_name(st.capture, env, st, "capture")] = scope
            self.lints.scope_entered(st, options.partitioner is not None)
            try:
                self.body(st.body, env, frame.inner())
            finally:
                self.lints.scope_left()

    def do_name_scope(self, st: NameScopeStmt, env: Env, frame: Frame) -> None:
        target = st.name_scope
        if isinstance(target, Ref):
            name: str | None = self.captured(target, env, st).original_name_scope
        elif target is None:
            name = None
        else:
            name = self.ev_name(target, env, st, "name_scope")
        with self.engine.name_scope(name, origin=st.span):
            self.body(st.body, env, frame.inner())

    def do_repeat(self, st: RepeatStmt, env: Env, frame: Frame) -> None:
        n = self.ev_int(st.repeat, env, st, "repeat")
        if n < 0:
            raise StmtError(
                codes.SCHEMA, f"repeat count must be >= 0, got {n}", st.key_span("repeat")
            )
        var = self.ev_name(st.as_, env, st, "as") if st.as_ is not None else None
        inner = frame.inner()
        each = 1 + self.least_statements(st.body)
        if self.executed + n * each > self.limits.max_statements:
            # every iteration counts, an empty one too: refuse before looping
            self.count_statements(
                n * each, st.span, ahead=f": {n} iterations of at least {each} statements each"
            )
        for i in range(n):
            self.count_statements(1, st.span)
            if var is not None:
                loop_env = dict(env)
                loop_env[var] = i
                self.body(st.body, loop_env, inner)
            else:
                self.body(st.body, env, inner)

    def do_use(self, st: UseStmt, env: Env, frame: Frame) -> None:
        tname = self.ev_name(st.use, env, st, "use")
        tmpl = self.spec.templates.get(tname)
        if tmpl is None:
            raise StmtError(codes.UNKNOWN_REF, f"no template named {tname!r}", st.key_span("use"))
        least = self.least_statements(tmpl.body)
        if self.executed + least > self.limits.max_statements:
            self.count_statements(
                least, st.span, ahead=f": template {tname!r} runs at least {least} statements"
            )
        args = self.bind_args(tname, tmpl, st, env)
        tenv: dict[str, Value] = dict(self.params)
        tenv.update(args)
        scope_target: str | VariableScope | None = None
        if isinstance(st.scope, Ref):
            scope_target = self.captured(st.scope, env, st)
        elif st.scope is not None:
            scope_target = self.ev_name(st.scope, env, st, "scope")
        base = tname
        if tmpl.default_name is not None:
            base = self.ev_name(tmpl.default_name, self.params, tmpl, "default_name")
        inner = frame.in_template(tname, st.span)
        if st.instance is not None:
            inst = self.ev_name(st.instance, env, st, "instance")
            if inst not in self.instances:
                self.instances[inst] = (tname, self.engine.make_template(base, scope_target))
            owner, obj = self.instances[inst]
            if owner != tname:
                raise StmtError(
                    codes.SCHEMA,
                    f"instance {inst!r} belongs to template {owner!r}, not {tname!r}",
                    st.key_span("instance"),
                )
            if inst in self.failed_instances:
                return  # its first call failed: later calls would only repeat that
            before = len(self.diags)
            try:
                with self.engine.call_template(obj, instance=inst, origin=st.span):
                    self.body(tmpl.body, tenv, inner)
            finally:
                if len(self.diags) > before or not obj.variables_created:
                    self.failed_instances.add(inst)
            return
        with self.engine.use_template(tname, scope_target, default_name=base, origin=st.span):
            self.body(tmpl.body, tenv, inner)

    def bind_args(self, tname: str, tmpl: TemplateDef, st: UseStmt, env: Env) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for key in st.with_:
            if key not in tmpl.args:
                raise StmtError(
                    codes.SCHEMA, f"template {tname!r} has no argument {key!r}", st.key_span("with")
                )
        for key, spec in tmpl.args.items():
            if key in st.with_:
                raw, where = st.with_[key], env
            elif spec.has_default:
                raw, where = spec.default, {**self.params, **out}
            else:
                raise StmtError(codes.SCHEMA, f"template {tname!r} needs argument {key!r}", st.span)
            value = raw.evaluate(where) if isinstance(raw, Compiled) else raw
            if not arg_type_ok(spec.type, value):
                raise StmtError(
                    codes.SCHEMA,
                    f"template {tname!r} argument {key!r} expects {spec.type}, got {value!r}",
                    st.key_span("with"),
                )
            out[key] = value
        return out

    def captured(self, ref: Ref, env: Env, st: Node) -> VariableScope:
        name = self.ev_name(ref.ref, env, st, "scope")
        scope = self.captures.get(name)
        if scope is None:
            raise StmtError(
                codes.UNKNOWN_REF,
                f"scope {name!r} has not been captured yet at this point of execution",
                ref.span or st.span,
                hint="a `capture:` must run before its `{ref}`",
            )
        return scope

    # ------------------------------------------------------------------ options

    def scope_options(
        self, st: ScopeOptionsModel, env: Env, *, at_key: bool = False
    ) -> ScopeOptions:
        initializer = self.init_option(st.initializer, env, st, "initializer", at_key=at_key)
        regularizer = self.option(st.regularizer, env, st, "regularizer", at_key=at_key)
        partitioner = self.option(st.partitioner, env, st, "partitioner", at_key=at_key)
        constraint = self.option(st.constraint, env, st, "constraint", at_key=at_key)
        getter = self.option(st.custom_getter, env, st, "custom_getter", at_key=at_key)
        dtype = self.ev_dtype(st.dtype, env, st, "dtype") if st.dtype is not None else None
        caching = (
            self.ev_name(st.caching_device, env, st, "caching_device")
            if st.caching_device is not None
            else None
        )
        use_resource = (
            self.ev_bool(st.use_resource, env, st, "use_resource")
            if st.use_resource is not None
            else None
        )
        return ScopeOptions(
            initializer, regularizer, partitioner, constraint, getter, dtype, caching, use_resource
        )

    def init_option(
        self, ref: CatalogRef | None, env: Env, st: Node, key: str, *, at_key: bool = False
    ) -> InitOption | None:
        if ref is None:
            return None
        if ref.entry is None and "$kind" not in ref.raw_args:
            cached = self._options.get(id(ref))
            if cached is None:
                try:
                    cached = LiteralValue.infer(ref.literal)
                except EngineError as e:
                    raise StmtError(e.code, e.message, st.key_span(key)) from None
                self._options[id(ref)] = cached
            assert isinstance(cached, LiteralValue)
            return cached
        opt: InitOption = self.option(ref, env, st, key, at_key=at_key)
        return opt

    def option(
        self, ref: CatalogRef | None, env: Env, st: Node, key: str, *, at_key: bool = False
    ) -> Any:
        if ref is None:
            return None
        cached = self._options.get(id(ref))
        if cached is not None:
            return cached
        span = st.key_span(key)
        entry: Entry | None = ref.entry
        if entry is None:  # the kind itself came from an expression
            kind = self.ev(ref.raw_args["$kind"], env, st, key)
            if not isinstance(kind, str):
                raise StmtError(codes.SCHEMA, f"{key} kind must be a string, got {kind!r}", span)
            entry = self.spec.options.lookup(ref.catalog, kind)
            if entry is None:
                known = ", ".join(self.spec.options.known_kinds(ref.catalog))
                raise StmtError(
                    codes.SCHEMA, f"unknown {ref.catalog} {kind!r} (kinds: {known})", span
                )
            args = entry.args()
            dynamic = True
        elif ref.args is not None:
            args = ref.args
            dynamic = False
        else:
            raw = {k: self.ev(v, env, st, key) for k, v in ref.raw_args.items()}
            try:
                args = validate_args(entry, raw)
            except ValidationError as err:
                msg, _ = args_error_message(entry, err)
                raise StmtError(codes.SCHEMA, msg, span) from None
            dynamic = True
        opt = Option(entry, args)
        check = getattr(entry, "validate", None)
        if check is not None:
            problem = check(args)
            if problem:
                raise StmtError(codes.PARTITION_INVALID, problem, st.span if not at_key else span)
        if not dynamic:
            self._options[id(ref)] = opt
        return opt

    # ------------------------------------------------------------------ values

    def ev(self, v: Any, env: Env, st: Node, key: str, index: int | None = None) -> Any:
        if isinstance(v, Compiled):
            try:
                return v.evaluate(env)
            except ExprError as e:
                raise StmtError(
                    codes.EXPRESSION, f"in {v.source!r}: {e.message}", _span(st, key, index)
                ) from None
        return v

    def _type_error(
        self, st: Node, key: str, what: str, got: object, index: int | None = None
    ) -> NoReturn:
        raise StmtError(codes.SCHEMA, f"{key}: expected {what}, got {got!r}", _span(st, key, index))

    def ev_name(self, v: Any, env: Env, st: Node, key: str) -> str:
        if isinstance(v, str):
            return v
        r = self.ev(v, env, st, key)
        if not isinstance(r, str):
            self._type_error(st, key, "a string", r)
        return r

    def ev_int(self, v: Any, env: Env, st: Node, key: str) -> int:
        if type(v) is int:
            return v
        r = self.ev(v, env, st, key)
        if not isinstance(r, int) or isinstance(r, bool):
            self._type_error(st, key, "an integer", r)
        return r

    def ev_bool(self, v: Any, env: Env, st: Node, key: str) -> bool:
        if v is True or v is False:
            return bool(v)
        r = self.ev(v, env, st, key)
        if not isinstance(r, bool):
            self._type_error(st, key, "true or false", r)
        return r

    def ev_choice(self, v: Any, choices: tuple[str, ...], env: Env, st: Node, key: str) -> str:
        r = self.ev_name(v, env, st, key)
        if r not in choices:
            self._type_error(st, key, "one of " + ", ".join(choices), r)
        return r

    def ev_dtype(self, v: Any, env: Env, st: Node, key: str) -> DType:
        if isinstance(v, DType):
            return v
        r = self.ev_name(v, env, st, key)
        d = parse_dtype(r)
        if d is None:
            raise StmtError(
                codes.SCHEMA, f"Cannot convert {r!r} to a TensorFlow DType", st.key_span(key)
            )
        return d

    def ev_shape(self, st: VarStmt, env: Env) -> tuple[int, ...]:
        assert st.shape is not None
        for d in st.shape:
            if type(d) is not int:
                break
        else:
            return st.shape  # type: ignore[return-value]  # all plain integers
        dims: list[int] = []
        for i, d in enumerate(st.shape):
            if type(d) is int:
                dims.append(d)
                continue
            r = self.ev(d, env, st, "shape", i)
            if not isinstance(r, int) or isinstance(r, bool):
                self._type_error(st, "shape", "integer dimensions", r, i)
            if r < 0:
                raise StmtError(codes.SCHEMA, f"Dimension {r} must be >= 0", _span(st, "shape", i))
            dims.append(r)
        return tuple(dims)

    def ev_reuse(self, st: ScopeStmt, env: Env) -> Reuse:
        r = self.ev(st.reuse, env, st, "reuse")
        if r is True:
            return Reuse.YES
        if r == "auto":
            return Reuse.AUTO
        if r is False or r is None:
            return Reuse.INHERIT
        self._type_error(st, "reuse", "true, auto, false or null", r)


def _outermost_uses(frame: Frame, keep: int = 3) -> Frame:
    """A frame with only the first `keep` template uses: a runaway recursion would
    otherwise note a hundred identical `use` sites."""
    return Frame(frame.uses[:keep], frame.depth)


def _span(st: Node, key: str, index: int | None) -> Span | None:
    """Where `key` (or its `index`-th list item) is written in the statement."""
    if index is not None:
        node = st.node.get(key) if isinstance(st.node, dict) else None
        found = node.item_span(index) if isinstance(node, LocList) else None
        if found is not None:
            return found
    return st.key_span(key)


_VAR_OPTION_FIELDS = tuple(n for n in VarStmt.model_fields if n not in ("var", "if_"))


def _is_static(st: VarStmt) -> bool:
    """Whether none of a `var` statement's options (its name aside) is an expression."""
    values = st.__dict__
    for name in _VAR_OPTION_FIELDS:
        v = values[name]
        if isinstance(v, Compiled):
            return False
        if isinstance(v, tuple) and any(isinstance(x, Compiled) for x in v):
            return False
        if isinstance(v, CatalogRef) and v.args is None and v.raw_args:
            return False
    return True


def resolve(
    spec: ValidatedSpec,
    overrides: Mapping[str, Value] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    observer: Observer | None = None,
) -> Resolution:
    """Run phase 2 on a validated spec; `observer` watches the engine."""
    return Resolver(spec, overrides or {}, limits, observer).run()
