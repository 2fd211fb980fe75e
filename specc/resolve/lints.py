"""Warnings only resolution can find: what the TF program does that is legal but
likely not what was meant.

- `near-duplicate`: under `reuse: auto`, a scope whose default name was made
  unique (`dense_1`) created a variable whose name differs from an existing one
  only by `_N` suffixes (`s/dense_1/kernel` beside `s/dense/kernel`: TF makes
  default names unique even under AUTO_REUSE, so a second call of a layer
  creates where sharing was meant);
- `local-not-trainable`: `local: true` beside `trainable: true` (TF's
  `get_local_variable` forces trainable false);
- `unused-partitioner`: a partitioner that partitioned nothing, on a scope
  (each run of it, with every scope below it that sets none of its own) or on
  a variable (a scalar is never partitioned).

The resolver reports what it does; `finish` gives the warnings, each once per
statement, in the order they were found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from specc.diagnostics import Diagnostic, Note, codes
from specc.engine.scopes import Reuse, VariableScope
from specc.engine.store import Got, PartitionedVariable
from specc.lang.models import Node, VarStmt
from specc.span import Span

#: a `_N` suffix of a name component, as default names and unique names add them
_SUFFIX = re.compile(r"_\d+(?=/|$)")


def _stripped(name: str) -> str:
    return _SUFFIX.sub("", name)


@dataclass(slots=True)
class _Partitioner:
    """A scope statement that set a partitioner, and whether any run of it
    partitioned a variable."""

    stmt: Node
    used: bool = False


@dataclass
class ResolutionLints:
    """What the resolver tells about the program it runs, turned into warnings."""

    found: list[Diagnostic] = field(default_factory=list)
    _warned: set[tuple[str, int]] = field(default_factory=set)
    #: stripped name -> the first variable of that name (built on first need)
    _stripped: dict[str, str] | None = None
    _created: list[tuple[str, Span | None]] = field(default_factory=list)
    _open: list[_Partitioner | None] = field(default_factory=list)
    _partitioners: dict[int, _Partitioner] = field(default_factory=dict)

    def _warn(self, key: tuple[str, int], diag: Diagnostic) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.found.append(diag)

    # ------------------------------------------------------------ scopes

    def scope_entered(self, stmt: Node, sets_partitioner: bool) -> None:
        """A scope opens; `sets_partitioner` when it gives one of its own."""
        record = None
        if sets_partitioner:
            record = self._partitioners.setdefault(id(stmt), _Partitioner(stmt))
        self._open.append(record)

    def scope_left(self) -> None:
        self._open.pop()

    # ------------------------------------------------------------ variables

    def variable(
        self, stmt: VarStmt, kw: dict[str, Any], got: Got, *, created: bool, scope: VariableScope
    ) -> None:
        """`stmt` got `got` (`created` by this call) in `scope`."""
        if kw.get("local") is True and stmt.trainable is not None and kw.get("trainable") is True:
            self._warn(
                ("local", id(stmt)),
                Diagnostic(
                    codes.LOCAL_NOT_TRAINABLE,
                    f"{got.name!r} is local, and a local variable is never trainable",
                    stmt.key_span("trainable"),
                    help="drop `trainable: true` (or `local: true` if it should train)",
                ),
            )
        if not created:
            return
        self._partitioned(stmt, kw, got)
        if scope.reuse is Reuse.AUTO and scope.made_unique:
            self._near_duplicate(stmt, got)
        if self._stripped is not None:
            self._stripped.setdefault(_stripped(got.name), got.name)
        else:
            self._created.append((got.name, got.defined_at))

    def _partitioned(self, stmt: VarStmt, kw: dict[str, Any], got: Got) -> None:
        own = kw.get("partitioner") is not None
        if isinstance(got, PartitionedVariable):
            if not own:
                for record in reversed(self._open):
                    if record is not None:
                        record.used = True
                        break
            return
        if own:
            self._warn(
                ("partitioner", id(stmt)),
                Diagnostic(
                    codes.UNUSED_PARTITIONER,
                    f"the partitioner of {got.name!r} partitions nothing: a scalar is "
                    "never partitioned",
                    stmt.key_span("partitioner"),
                    help="drop `partitioner:`",
                ),
            )

    def _near_duplicate(self, stmt: VarStmt, got: Got) -> None:
        if self._stripped is None:
            self._stripped = {}
            for name, _ in self._created:
                self._stripped.setdefault(_stripped(name), name)
        twin = self._stripped.get(_stripped(got.name))
        if twin is None or twin == got.name:
            return
        self._warn(
            ("near", id(stmt)),
            Diagnostic(
                codes.NEAR_DUPLICATE,
                f"`reuse: auto` created {got.name!r} beside {twin!r}: a default name was "
                "made unique where sharing may have been meant",
                stmt.span,
                notes=(Note(f"{twin!r} is the variable it may have meant to share"),),
                help="re-enter the scope that holds it (`scope: {ref: ...}` or the "
                "template's `instance:`) instead of opening a new default-name scope",
            ),
        )

    # ------------------------------------------------------------ the end

    def finish(self, *, failed: bool) -> list[Diagnostic]:
        """Every warning, in the order found; scope partitioners last, and only
        when resolution did not `fail` (a variable that failed may be the one
        the partitioner was for)."""
        for record in () if failed else self._partitioners.values():
            if not record.used:
                self._warn(
                    ("scope-partitioner", id(record.stmt)),
                    Diagnostic(
                        codes.UNUSED_PARTITIONER,
                        "this partitioner partitions no variable: every variable created "
                        "under it is a scalar, shared, or has a partitioner of its own",
                        record.stmt.key_span("partitioner"),
                        help="drop `partitioner:`, or give it where the variables to split "
                        "are created",
                    ),
                )
        return self.found
