"""`specc explain SPEC NAME`: why a variable or op got its name and how it is shared.

The spec is resolved once more with a tracing engine, a subclass of the scope
engine that records, for every decision TF's rules make, where it was made: each
variable scope opened (its reuse mode and where that mode came from, the default
name it asked for and which earlier scope made it unique), each graph name that
was made unique and who held the name before, and every `var` statement that
created or shared a variable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from specc.engine.engine import Engine
from specc.engine.graph import Graph
from specc.engine.scopes import Reuse, ScopeOptions, VariableScope
from specc.engine.store import Got, PartitionedVariable
from specc.lang.expr import Value
from specc.lang.validate import validate
from specc.limits import DEFAULT_LIMITS, Limits
from specc.resolve.interpreter import Resolver
from specc.source import load_file
from specc.span import Span


@dataclass(frozen=True, slots=True)
class Holder:
    """Who took a graph name first."""

    name: str
    what: str
    site: Span | None


@dataclass(slots=True)
class DefaultName:
    prefix: str
    got: str
    earlier: list[ScopeRecord]


@dataclass(slots=True, eq=False)
class ScopeRecord:
    """One opening of a variable scope."""

    name: str
    site: Span | None
    requested: Reuse
    effective: Reuse
    parent: ScopeRecord | None
    reentry: bool
    name_scope: str | None
    default: DefaultName | None = None
    reuse_set_at: Span | None = None
    scope: VariableScope | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class VarEvent:
    action: str  # "created" or "shared"
    site: Span | None
    scope: ScopeRecord | None


class TracingGraph(Graph):
    """A graph that remembers who used each name and why names were renamed."""

    __slots__ = ("engine", "holders", "renamed")

    def __init__(self, engine: ExplainingEngine) -> None:
        super().__init__()
        self.engine = engine
        self.holders: dict[str, Holder] = {}
        self.renamed: dict[str, tuple[str, Holder | None]] = {}

    def unique_name(self, name: str, stack: str) -> str:
        wanted = f"{stack}/{name}" if stack else name
        earlier = self.holders.get(wanted.lower())
        got = super().unique_name(name, stack)
        self.holders.setdefault(got.lower(), Holder(got, self.engine.what, self.engine.site))
        if got != wanted:
            self.renamed[got.lower()] = (wanted, earlier)
        return got


class ExplainingEngine(Engine):
    """The scope engine, recording the provenance of every naming decision."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__(limits)
        self.tracing_graph = TracingGraph(self)
        self.graph = self.tracing_graph
        self.store.graph = self.tracing_graph
        self.what = "name"
        self.records: dict[int, ScopeRecord] = {}
        self.opens: dict[str, list[ScopeRecord]] = {}
        self.var_events: dict[str, list[VarEvent]] = {}
        self.op_sites: dict[str, Span | None] = {}
        self._pending_default: DefaultName | None = None

    def record_of(self, scope: VariableScope) -> ScopeRecord | None:
        return self.records.get(id(scope))

    @contextmanager
    def variable_scope(
        self, name_or_scope: str | VariableScope | None, **kw: Any
    ) -> Iterator[VariableScope]:
        self.what = "the name scope of a variable scope"
        with super().variable_scope(name_or_scope, **kw) as scope:
            yield scope

    def _unique_variable_scope(self, prefix: str) -> str:
        current = self.current_scope.name
        base = f"{current}/{prefix}" if current else prefix
        got = super()._unique_variable_scope(prefix)
        earlier: list[ScopeRecord] = []
        if got != prefix:
            for name in [base] + [f"{base}_{i}" for i in range(1, 1000)]:
                if name == (f"{current}/{got}" if current else got):
                    break
                if self.opens.get(name):
                    earlier.append(self.opens[name][-1])
        self._pending_default = DefaultName(prefix, got, earlier)
        return got

    @contextmanager
    def _pure_scope(
        self,
        name_or_scope: str | VariableScope,
        reuse: Reuse,
        options: ScopeOptions,
        old_name_scope: str | None,
        origin: object,
    ) -> Iterator[VariableScope]:
        parent = self.current_scope
        default, self._pending_default = self._pending_default, None
        with super()._pure_scope(name_or_scope, reuse, options, old_name_scope, origin) as scope:
            rec = ScopeRecord(
                name=scope.name,
                site=self.site,
                requested=reuse,
                effective=scope.reuse,
                parent=self.records.get(id(parent)),
                reentry=isinstance(name_or_scope, VariableScope),
                name_scope=old_name_scope,
                default=default,
                scope=scope,
            )
            self.records[id(scope)] = rec
            self.opens.setdefault(scope.name, []).append(rec)
            yield scope

    def reuse_variables(self) -> None:
        super().reuse_variables()
        rec = self.records.get(id(self.current_scope))
        if rec is not None:
            rec.reuse_set_at = self.site

    @contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        self.what = "a name scope"
        with super().name_scope(name) as got:
            yield got

    def op(self, name: str) -> str:
        self.what = "an op"
        got = super().op(name)
        self.op_sites[got] = self.site
        return got

    def get_variable(self, name: str, **kw: Any) -> Got:
        full = self.full_name(name)
        existed = full in self.store.vars or full in self.store.partitioned
        self.what = "a variable"
        got = super().get_variable(name, **kw)
        scope = self.records.get(id(self.current_scope))
        action = (
            "shared" if existed or (got.name != full and got.defined_at != self.site) else "created"
        )
        self.var_events.setdefault(got.name, []).append(VarEvent(action, self.site, scope))
        return got


# --------------------------------------------------------------------------- rendering


def _at(site: Span | None) -> str:
    return str(site) if site else "(unknown place)"


def _reuse_text(rec: ScopeRecord) -> str:
    mode = {Reuse.NO: "false", Reuse.YES: "true", Reuse.AUTO: "auto"}.get(rec.effective, "?")
    if rec.reuse_set_at is not None:
        return f"reuse {mode} (set by reuse_variables at {_at(rec.reuse_set_at)})"
    if rec.reentry:
        if rec.requested.truthy:
            return f"reuse {mode} (given on the re-entry)"
        return f"reuse {mode} (the captured scope's own; the surrounding reuse is not inherited)"
    if rec.requested.truthy:
        if rec.parent is not None and rec.parent.effective.truthy and rec.requested is Reuse.AUTO:
            return f"reuse {mode} (given here; `auto` relaxes the inherited true)"
        return f"reuse {mode} (given here)"
    parent = repr(rec.parent.name) if rec.parent and rec.parent.name else "the root scope"
    return f"reuse {mode} (inherited from {parent})"


def _chain(rec: ScopeRecord | None) -> list[ScopeRecord]:
    out: list[ScopeRecord] = []
    while rec is not None:
        if rec.name:
            out.append(rec)
        rec = rec.parent
    return list(reversed(out))


def _scope_lines(rec: ScopeRecord | None, indent: str = "    ") -> list[str]:
    lines: list[str] = []
    for r in _chain(rec):
        how = "re-entered" if r.reentry else "opened"
        lines.append(f"{indent}{r.name!r:34} {how} at {_at(r.site)}; {_reuse_text(r)}")
        if r.default is not None and r.default.got != r.default.prefix:
            taken = ", ".join(f"{e.name!r} at {_at(e.site)}" for e in r.default.earlier)
            lines.append(
                f"{indent}    default_name {r.default.prefix!r} became {r.default.got!r}: "
                f"already opened under this parent: {taken or 'earlier scopes'}"
            )
        elif r.default is not None:
            lines.append(f"{indent}    from default_name {r.default.prefix!r}")
    return lines


def _rename_lines(
    engine: ExplainingEngine, graph_name: str, indent: str = "  ", *, whole_only: bool = False
) -> list[str]:
    """Why each component of a graph name got a `_N` suffix (only the whole name
    for a variable's tensor: it is named at the root from the full variable name)."""
    lines: list[str] = []
    parts = graph_name.split("/")
    for i in range(len(parts) if whole_only else 1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        info = engine.tracing_graph.renamed.get(prefix.lower())
        if info is None:
            continue
        wanted, holder = info
        who = (
            f"{holder.what} {holder.name!r} at {_at(holder.site)}" if holder else "an earlier name"
        )
        lines.append(
            f"{indent}graph name {wanted!r} became {prefix!r}: names in a graph are unique "
            f"case-insensitively and {wanted!r} was taken by {who}"
        )
    return lines


def explain_name(engine: ExplainingEngine, name: str) -> str | None:
    """The explanation of `name` (a variable, tensor, op or scope), or None."""
    store = engine.store
    key = name.removesuffix(":0")
    lines: list[str] = []
    var: Got | None = store.partitioned.get(key) or store.vars.get(key)
    if var is None:
        for v in store.vars.values():
            if v.tensor == name or v.tensor == name + ":0":
                var = v
                break
    if var is not None:
        if isinstance(var, PartitionedVariable):
            head = var.parts[0]
            parts = f", {len(var.parts)} parts: " + ", ".join(p.name for p in var.parts)
            shape, dtype, tensor = var.shape, var.dtype.name, head.tensor
        else:
            parts = ""
            shape, dtype, tensor = var.shape, var.dtype.name, var.tensor
        lines.append(f"variable {var.name!r}: shape {list(shape)}, {dtype}{parts}")
        events = engine.var_events.get(var.name, [])
        for ev in events:
            where = ""
            if ev.scope is not None and ev.scope.name:
                where = f" in scope {ev.scope.name!r}"
                if ev.action == "shared":
                    where += f", {_reuse_text(ev.scope)}"
            lines.append(f"  {ev.action:7} at {_at(ev.site)}{where}")
        first = events[0].scope if events else None
        if first is not None:
            lines.append("  scope chain, outermost first:")
            lines.extend(_scope_lines(first))
        lines.append(f"  tensor {tensor!r}")
        renamed = _rename_lines(engine, tensor.rsplit(":", 1)[0], "    ", whole_only=True)
        lines.extend(renamed or ["    (the variable's full name, unique in the graph)"])
        if not events:
            lines.append("  (no statement of the spec touched it)")
        return "\n".join(lines) + "\n"
    if name in engine.op_sites:
        lines.append(f"op {name!r} at {_at(engine.op_sites[name])}")
        renames = _rename_lines(engine, name)
        lines.extend(renames or ["  no part of its name was made unique"])
        return "\n".join(lines) + "\n"
    recs = engine.opens.get(name)
    if recs:
        lines.append(f"variable scope {name!r}, opened {len(recs)} time(s)")
        for rec in recs:
            ns = f"; name scope {rec.name_scope!r}" if rec.name_scope else ""
            lines.append(f"  at {_at(rec.site)}{ns}")
            lines.extend(_scope_lines(rec, "      "))
            if rec.name_scope:
                lines.extend(_rename_lines(engine, rec.name_scope.rstrip("/"), "      "))
        return "\n".join(lines) + "\n"
    holder = engine.tracing_graph.holders.get(name.lower())
    if holder is not None:
        lines.append(f"graph name {holder.name!r}: {holder.what} at {_at(holder.site)}")
        lines.extend(_rename_lines(engine, holder.name))
        return "\n".join(lines) + "\n"
    return None


@dataclass
class Explanation:
    text: str | None
    diagnostics: list[Any]
    sources: dict[str, str]
    names: list[str]


def explain(
    path: str,
    name: str,
    params: Mapping[str, Value] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Explanation:
    """Resolve `path` with the tracing engine and explain `name`."""
    loaded = load_file(path, limits)
    spec, diags = validate(loaded)
    if spec is None:
        return Explanation(None, diags, dict(loaded.sources), [])
    resolver = Resolver(spec, dict(params or {}), limits, engine_factory=ExplainingEngine)
    res = resolver.run()
    engine = res.engine
    assert isinstance(engine, ExplainingEngine)
    text = explain_name(engine, name)
    known = list(engine.store.vars) + list(engine.store.partitioned) + engine.ops
    return Explanation(text, res.diagnostics, spec.sources, known)
