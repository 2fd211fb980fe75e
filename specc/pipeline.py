"""The pipeline, one call per stage: load -> validate -> resolve -> table.

`compile_file` is what the CLI and the public API run; each stage is its own
module and hands the next one plain data.
"""

from __future__ import annotations

import difflib
import gc
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from specc.diagnostics import Diagnostic, Severity, without_ignored
from specc.engine.observer import Observer
from specc.lang.expr import Value, to_text
from specc.lang.lints import lint
from specc.lang.validate import ValidatedSpec, validate
from specc.limits import DEFAULT_LIMITS, Limits
from specc.resolve.gate import gate, read_roots
from specc.resolve.interpreter import Resolution, resolve
from specc.resolve.lower import build_table, table_counts
from specc.source import LoadResult, load_file, load_text
from specc.table import VariableTable


class ParamError(Exception):
    """A `-D NAME=VALUE` the spec cannot take (a usage error)."""


class UnknownParamError(ParamError):
    """A `-D NAME=VALUE` names no declared param."""

    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        super().__init__(
            f"unknown param {name!r}; {hint}declared params: {', '.join(known) or 'none'}"
        )
        self.name = name


#: a param's value type, as people name it
_TYPE_NAMES: Final = {
    bool: "a boolean",
    int: "an integer",
    # "a float": an integer is a number too, and is taken for a float param
    float: "a float",
    str: "a string",
}


def _checked_overrides(spec: ValidatedSpec, params: Mapping[str, Value]) -> dict[str, Value]:
    """The `-D` values, each of a declared param and of the type its declared
    value has (an int is taken for a float param, as a number, and any value for
    a string param, as the text written); a param whose value is an expression
    has no declared type and takes any value."""
    declared = spec.document.params
    out: dict[str, Value] = {}
    for name, value in params.items():
        if name not in declared:
            raise UnknownParamError(name, list(declared))
        default = declared[name]
        want = type(default)
        if want not in _TYPE_NAMES or type(value) is want:
            out[name] = value
        elif want is float and type(value) is int:
            out[name] = float(value)
        elif want is str:
            # `-D act=7` for a string param means the text 7, as written
            out[name] = to_text(value)
        else:
            raise ParamError(
                f"param {name!r} is {_TYPE_NAMES[want]} ({default!r}); -D gave "
                f"{_TYPE_NAMES.get(type(value), type(value).__name__)} ({value!r})"
            )
    return out


@dataclass
class Compilation:
    """Everything one compilation produced: the table on success, else errors.

    The table's rows are built on first access: `specc check` only needs the
    counts (`summary`), which come straight from the variable store."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)
    spec: ValidatedSpec | None = None
    resolution: Resolution | None = None
    _table: VariableTable | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Resolved without errors (warnings may stand)."""
        return self.resolution is not None and not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.WARNING]

    @property
    def table(self) -> VariableTable | None:
        """The variable table (None when the spec has errors)."""
        if self._table is None and self.ok:
            assert self.resolution is not None and self.spec is not None
            self._table = build_table(
                self.resolution.engine, self.spec.document.name, self.resolution.seed
            )
        return self._table

    def summary(self) -> tuple[int, int, int]:
        """(variables, parameters, bytes) of a successful compilation, as the table
        would count them (a partitioned variable once)."""
        assert self.ok and self.resolution is not None
        return table_counts(self.resolution.engine)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector: compilation allocates many small, acyclic
    objects, and collection passes over them cost several times the work."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compile_loaded(
    loaded: LoadResult,
    params: Mapping[str, Value] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    observer: Observer | None = None,
    checkpoint_roots: Sequence[str] = (),
) -> Compilation:
    """Validate, resolve and gate an already loaded spec: `observer` watches
    resolution; `checkpoint_roots` are folders besides the spec's own that a
    `checkpoint` initializer may read."""
    spec, diags = validate(loaded)
    if spec is None:
        return Compilation(diags, dict(loaded.sources))
    overrides = _checked_overrides(spec, params or {})
    warnings = lint(spec)
    res = resolve(spec, overrides, limits, observer)
    # what `init` and `compile` would refuse, found here for every command
    res.diagnostics.extend(gate(res, read_roots(loaded.folder or os.getcwd(), checkpoint_roots)))
    found = without_ignored([*warnings, *res.diagnostics], spec.sources)
    return Compilation(found, spec.sources, spec, res)


def compile_file(
    path: str | os.PathLike[str],
    params: Mapping[str, Value] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    observer: Observer | None = None,
    checkpoint_roots: Sequence[str] = (),
) -> Compilation:
    """Load, validate and resolve the spec at `path`. Raises FileNotFoundError for a
    missing file and UnknownParamError for an undeclared `params` override."""
    with gc_paused():
        loaded = load_file(path, limits)
        return compile_loaded(loaded, params, limits, observer, checkpoint_roots)


def compile_text(
    text: str | bytes,
    filename: str = "<string>",
    params: Mapping[str, Value] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    base_dir: str | None = None,
    observer: Observer | None = None,
    checkpoint_roots: Sequence[str] = (),
) -> Compilation:
    """Like `compile_file`, for spec text held in memory (bytes are decoded as
    a file's are)."""
    with gc_paused():
        loaded = load_text(text, filename, limits, base_dir=base_dir)
        return compile_loaded(loaded, params, limits, observer, checkpoint_roots)
