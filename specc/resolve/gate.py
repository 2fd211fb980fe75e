"""The gate: what `init` and `compile` would refuse, found by every command.

Resolution follows TF, which accepts variables the generated module cannot
hold (more than 64 dimensions) and never looks at a
checkpoint file before it is restored. The gate runs after resolution, on the
variables it made, in creation order, so `specc check` refuses in the same run
what `specc init` and `specc compile` would refuse later:

- a rank the generated module cannot hold (`unsupported`), located at the
  variable's `shape:` (every dtype specc knows can be held: see docs/module.md);
- an initializer whose check of the outside world fails: a `checkpoint` file
  that is missing, outside the folders it may read, unreadable, malformed,
  lacks the key, or holds another shape or dtype (`checkpoint`,
  `initializer-shape`, `initializer-dtype`), located at its `initializer:`.

A checkpoint path resolves relative to the spec's folder and, like `include`,
may not leave it, unless a `--checkpoint-root` grants another folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from specc.catalog.dtypes import MAX_MODULE_RANK
from specc.catalog.initializers import ExternalContext, InitializerEntry
from specc.diagnostics import Diagnostic, codes
from specc.engine.options import Option
from specc.engine.store import PartitionedVariable, Variable
from specc.lang.models import VarStmt
from specc.resolve.interpreter import Resolution
from specc.span import Span


@dataclass(frozen=True, slots=True)
class ReadRoots:
    """The folders a spec may read files from: its own, and those granted."""

    spec_dir: str
    granted: tuple[str, ...] = ()

    def allows(self, path: str) -> bool:
        """Whether `path` (absolute) lies inside one of the folders."""
        real = os.path.realpath(path)
        for root in (self.spec_dir, *self.granted):
            top = os.path.realpath(root)
            if os.path.commonpath([top, real]) == top:
                return True
        return False


def _variables(res: Resolution) -> Iterator[Variable | PartitionedVariable]:
    """Each variable once (a partitioned one as a whole), in creation order."""
    store = res.engine.store
    for var in store.vars.values():
        if var.part_of is None:
            yield var
        else:
            pv = store.partitioned.get(var.part_of)
            if pv is not None and pv.parts[0] is var:
                yield pv


def _at(stmt: VarStmt | None, key: str, fallback: Span | None) -> Span | None:
    if stmt is None:
        return fallback
    node = stmt.node
    written = getattr(node, "value_span", None)
    found: Span | None = written(key) if written is not None else None
    return found or stmt.span or fallback


def _unsupported(var: Variable | PartitionedVariable, stmt: VarStmt | None) -> Diagnostic | None:
    if len(var.shape) <= MAX_MODULE_RANK:
        return None
    return Diagnostic(
        codes.UNSUPPORTED,
        f"variable {var.name!r}: rank {len(var.shape)} is more than the "
        f"{MAX_MODULE_RANK} dimensions NumPy allows",
        _at(stmt, "shape", var.defined_at),
        variable=var.name,
        help="TensorFlow accepts it, but a generated module cannot hold it: "
        f"reshape the variable to at most {MAX_MODULE_RANK} dimensions",
    )


def _outside_roots(path: str, roots: ReadRoots) -> str | None:
    full = os.path.join(roots.spec_dir, path)
    if roots.allows(full):
        return None
    return (
        f"the checkpoint path {path!r} leaves the spec's folder; pass "
        "--checkpoint-root FOLDER to allow reading from another folder"
    )


def _external(
    var: Variable | PartitionedVariable, stmt: VarStmt | None, roots: ReadRoots
) -> Diagnostic | None:
    first = var.parts[0] if isinstance(var, PartitionedVariable) else var
    init = first.initializer
    if not isinstance(init, Option) or not isinstance(init.entry, InitializerEntry):
        return None
    check = init.entry.check_external
    if check is None:
        return None
    at = _at(stmt, "initializer", var.defined_at)
    path = getattr(init.args, "path", None)
    if isinstance(path, str):
        leaves = _outside_roots(path, roots)
        if leaves is not None:
            return Diagnostic(codes.CHECKPOINT, leaves, at, variable=var.name)
    problem = check(init.args, ExternalContext(roots.spec_dir, var.name, var.shape, var.dtype))
    if problem is None:
        return None
    return Diagnostic(
        codes.lookup(problem.code), problem.message, at, variable=var.name, help=problem.help
    )


def gate(res: Resolution, roots: ReadRoots) -> list[Diagnostic]:
    """What `init` or `compile` would refuse among the variables `res` made."""
    out: list[Diagnostic] = []
    for var in _variables(res):
        stmt = res.created_by.get(var.name)
        found = _unsupported(var, stmt) or _external(var, stmt, roots)
        if found is not None:
            out.append(found)
    return out


def spec_folder(path: str | None, base_dir: str | None) -> str:
    """The folder a spec's relative paths resolve against."""
    if base_dir is not None:
        return os.path.abspath(base_dir)
    if path is None or (path.startswith("<") and path.endswith(">")):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(path))


def read_roots(spec_dir: str, granted: Sequence[str] = ()) -> ReadRoots:
    """The folders a spec in `spec_dir` may read (`--checkpoint-root` grants more)."""
    return ReadRoots(spec_dir, tuple(os.path.abspath(g) for g in granted))
