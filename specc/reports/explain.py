"""`specc explain SPEC NAME`: why a variable or op got its name and how it is shared.

The spec is compiled by the one pipeline with an `ExplainObserver` watching the
scope engine (`specc.engine.observer`). It records, for every decision TF's rules
make, where it was made: each variable scope opened (its reuse mode and where
that mode came from, the default name it asked for and which earlier scope made
it unique), each graph name that was made unique and who held the name before,
and every `var` statement that created or shared a variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specc.counts import counted
from specc.engine.observer import NameUsed, Observer, ScopeOpened, VariableGot
from specc.engine.scopes import Reuse, VariableScope
from specc.engine.store import Got, PartitionedVariable, VariableStore
from specc.lang.expr import Value
from specc.limits import DEFAULT_LIMITS, Limits
from specc.span import Span

#: how a `NameUsed.kind` is named in an explanation
_KIND_TEXT = {
    "variable": "a variable",
    "partition initializer": "a partitioned variable's initializer",
    "op": "an op",
    "name scope": "a name scope",
    "variable scope": "the name scope of a variable scope",
}


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


def _site(origin: object) -> Span | None:
    return origin if isinstance(origin, Span) else None


class ExplainObserver(Observer):
    """Records the provenance of every naming decision of one resolution."""

    def __init__(self) -> None:
        self.holders: dict[str, Holder] = {}
        self.renamed: dict[str, tuple[str, Holder | None]] = {}
        self.records: dict[int, ScopeRecord] = {}
        self.opens: dict[str, list[ScopeRecord]] = {}
        self.var_events: dict[str, list[VarEvent]] = {}
        self.op_sites: dict[str, Span | None] = {}

    def name_used(self, event: NameUsed) -> None:
        earlier = self.holders.get(event.wanted.lower())
        what = _KIND_TEXT.get(event.kind, event.kind)
        self.holders.setdefault(event.got.lower(), Holder(event.got, what, _site(event.origin)))
        if event.got != event.wanted:
            self.renamed[event.got.lower()] = (event.wanted, earlier)

    def scope_opened(self, event: ScopeOpened) -> None:
        scope, parent = event.scope, event.parent
        default: DefaultName | None = None
        if event.default_name is not None:
            default = self._default_name(event.default_name, parent.name, scope.name)
        rec = ScopeRecord(
            name=scope.name,
            site=_site(event.origin),
            requested=event.requested,
            effective=scope.reuse,
            parent=self.records.get(id(parent)),
            reentry=event.reentry,
            name_scope=event.name_scope,
            default=default,
            scope=scope,
        )
        self.records[id(scope)] = rec
        self.opens.setdefault(scope.name, []).append(rec)

    def _default_name(self, prefix: str, parent: str, full: str) -> DefaultName:
        """Which scopes opened before under `parent` made `prefix` unique."""
        base = f"{parent}/{prefix}" if parent else prefix
        got = full.rsplit("/", 1)[-1]
        earlier: list[ScopeRecord] = []
        if got != prefix:
            for name in [base] + [f"{base}_{i}" for i in range(1, 1000)]:
                if name == full:
                    break
                if self.opens.get(name):
                    earlier.append(self.opens[name][-1])
        return DefaultName(prefix, got, earlier)

    def reuse_set(self, scope: VariableScope, origin: object) -> None:
        rec = self.records.get(id(scope))
        if rec is not None:
            rec.reuse_set_at = _site(origin)

    def op_created(self, name: str, origin: object) -> None:
        self.op_sites[name] = _site(origin)

    def variable_got(self, event: VariableGot) -> None:
        action = "created" if event.created else "shared"
        scope = self.records.get(id(event.scope))
        self.var_events.setdefault(event.name, []).append(
            VarEvent(action, _site(event.origin), scope)
        )


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
    engine: ExplainObserver, graph_name: str, indent: str = "  ", *, whole_only: bool = False
) -> list[str]:
    """Why each component of a graph name got a `_N` suffix (only the whole name
    for a variable's tensor: it is named at the root from the full variable name)."""
    lines: list[str] = []
    parts = graph_name.split("/")
    for i in range(len(parts) if whole_only else 1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        info = engine.renamed.get(prefix.lower())
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


def _find_variable(store: VariableStore, name: str) -> Got | None:
    """The variable `name` names: by variable name, or by tensor name."""
    key = name.removesuffix(":0")
    var: Got | None = store.partitioned.get(key) or store.vars.get(key)
    if var is None:
        for v in store.vars.values():
            if v.tensor == name or v.tensor == name + ":0":
                return v
    return var


def _variable_lines(engine: ExplainObserver, var: Got) -> list[str]:
    if isinstance(var, PartitionedVariable):
        parts = f", {len(var.parts)} parts: " + ", ".join(p.name for p in var.parts)
        tensor = var.parts[0].tensor
    else:
        parts, tensor = "", var.tensor
    lines = [f"variable {var.name!r}: shape {list(var.shape)}, {var.dtype.name}{parts}"]
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
    return lines


def _scope_opens_lines(engine: ExplainObserver, name: str, recs: list[ScopeRecord]) -> list[str]:
    lines = [f"variable scope {name!r}, opened {counted(len(recs), 'time')}"]
    for rec in recs:
        ns = f"; name scope {rec.name_scope!r}" if rec.name_scope else ""
        lines.append(f"  at {_at(rec.site)}{ns}")
        lines.extend(_scope_lines(rec, "      "))
        if rec.name_scope:
            lines.extend(_rename_lines(engine, rec.name_scope.rstrip("/"), "      "))
    return lines


def explain_name(engine: ExplainObserver, store: VariableStore, name: str) -> str | None:
    """The explanation of `name` (a variable, tensor, op or scope), or None."""
    var = _find_variable(store, name)
    if var is not None:
        lines = _variable_lines(engine, var)
    elif name in engine.op_sites:
        lines = [f"op {name!r} at {_at(engine.op_sites[name])}"]
        lines.extend(_rename_lines(engine, name) or ["  no part of its name was made unique"])
    elif engine.opens.get(name):
        lines = _scope_opens_lines(engine, name, engine.opens[name])
    elif name.lower() in engine.holders:
        holder = engine.holders[name.lower()]
        lines = [f"graph name {holder.name!r}: {holder.what} at {_at(holder.site)}"]
        lines.extend(_rename_lines(engine, holder.name))
    else:
        return None
    return "\n".join(lines) + "\n"


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
    checkpoint_roots: Sequence[str] = (),
) -> Explanation:
    """Compile `path` through the pipeline with an `ExplainObserver` and explain
    `name`. Raises what `compile_file` raises (a missing file, an unknown param)."""
    from specc.pipeline import compile_file  # noqa: PLC0415 - the report itself is pure

    observer = ExplainObserver()
    comp = compile_file(path, params, limits, observer=observer, checkpoint_roots=checkpoint_roots)
    if comp.resolution is None:
        return Explanation(None, comp.diagnostics, comp.sources, [])
    engine = comp.resolution.engine
    text = explain_name(observer, engine.store, name)
    known = list(engine.store.vars) + list(engine.store.partitioned) + engine.ops
    return Explanation(text, comp.diagnostics, comp.sources, known)
