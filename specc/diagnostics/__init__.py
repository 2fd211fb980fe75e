"""Diagnostics: the data (`Diagnostic`), the code registry, and the renderers.

Three concerns are kept apart, as in mypy: a `Diagnostic` is plain data; a
`DiagnosticSink` collects them during one compilation; `render_human` and
`to_json` are pure functions of a diagnostic and the source text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from specc.span import Span


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One diagnostic code: its one-line description and a minimal failing spec."""

    code: str
    description: str
    example: str = ""
    fix: str = ""


def _c(code: str, description: str) -> CodeInfo:
    return CodeInfo(code, description)


CODES: Final[Mapping[str, CodeInfo]] = {
    c.code: c
    for c in (
        _c(
            "yaml-syntax",
            "the file is not valid YAML, uses a tab for indentation, a non-standard "
            "tag, or repeats a mapping key",
        ),
        _c(
            "schema",
            "the document does not match the spec language: a missing, unknown or "
            "ill-typed key, an unknown catalog kind or argument, a bad dtype or dimension",
        ),
        _c(
            "expression",
            "an expression names an unknown `$name`, mixes types, divides by zero or is malformed",
        ),
        _c(
            "variable-exists",
            "a `var` names a variable that already exists in a scope that "
            "does not reuse (TF: 'Variable X already exists, disallowed')",
        ),
        _c(
            "variable-missing",
            "a `var` in a reusing scope names a variable that does not exist "
            "(TF: 'Variable X does not exist'), or a template instance's later call creates a "
            "trainable variable",
        ),
        _c("shape-mismatch", "a shared variable is asked for with another shape"),
        _c(
            "dtype-mismatch",
            "a shared variable is asked for with another dtype, or a `value` "
            "literal disagrees with an explicit dtype",
        ),
        _c("shape-undefined", "a new variable has no shape and its initializer cannot supply one"),
        _c(
            "initializer-required",
            "a new variable of a dtype without a default initializer (complex) has no initializer",
        ),
        _c(
            "initializer-shape",
            "a literal `value` or `constant` does not fit the shape, or a "
            "`value` is given together with `shape`",
        ),
        _c(
            "initializer-dtype",
            "an initializer cannot produce the variable's dtype (a float "
            "sampler on an integer variable)",
        ),
        _c(
            "initializer-rank",
            "an initializer needs another rank (orthogonal needs at least "
            "2 dimensions, identity exactly 2)",
        ),
        _c(
            "checkpoint",
            "a `checkpoint` initializer's file cannot be used: it is missing, a folder, "
            "unreadable, not `.npz` or `.safetensors`, malformed, or lacks the array's key",
        ),
        _c(
            "reuse-without-name",
            "`reuse: true` or `reuse: auto` on a scope opened with "
            "`scope: null` and a `default_name`",
        ),
        _c("partition-mismatch", "a partitioned variable is reused with another partitioning"),
        _c("partition-clash", "partitioned and unpartitioned versions of one name meet"),
        _c(
            "partition-invalid",
            "a partitioner cannot split the variable (zero shards, an axis "
            "outside the rank, a non-positive size)",
        ),
        _c("unknown-ref", "a `{ref}`, `use`, `values` entry or `capture` names nothing"),
        _c("invalid-name", "a variable, scope, name scope or op name breaks TF's naming rules"),
        _c(
            "include",
            "an include is absolute, leaves the spec's folder, is missing or forms a cycle",
        ),
        _c("limit", "a resource limit was exceeded; the message names the flag that raises it"),
    )
}


@dataclass(frozen=True, slots=True)
class Note:
    """A secondary message, optionally located (first definition, `use` site, ...)."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error found in a spec."""

    code: str
    message: str
    span: Span | None
    variable: str | None = None
    notes: tuple[Note, ...] = ()
    help: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code!r}")


@dataclass(slots=True)
class DiagnosticSink:
    """Collects the diagnostics of one compilation, dropping exact repeats."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[tuple[str, str, Span | None]] = field(default_factory=set)

    def add(self, diag: Diagnostic) -> None:
        key = (diag.code, diag.message, diag.span)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


class SpecError(Exception):
    """Raised by the public API when a spec has errors; carries all of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(
            f"{first.span}: {first.message}"
            if first and first.span
            else (first.message if first else "spec error")
        )


def source_order(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Phase-1 ordering: by file, line and column (stable for ties)."""

    def key(d: Diagnostic) -> tuple[str, int, int]:
        s = d.span
        return (s.file, s.line, s.column) if s else ("", 0, 0)

    return sorted(diags, key=key)


def to_json(diag: Diagnostic) -> dict[str, Any]:
    """The JSON form of DESIGN section 4."""
    out: dict[str, Any] = {
        "code": diag.code,
        "message": diag.message,
        "file": diag.span.file if diag.span else None,
        "line": diag.span.line if diag.span else None,
        "column": diag.span.column if diag.span else None,
        "variable": diag.variable,
    }
    if diag.notes:
        out["notes"] = [
            {"message": n.message, **({"at": str(n.span)} if n.span else {})} for n in diag.notes
        ]
    if diag.help:
        out["help"] = diag.help
    return out


def errors_json(diags: Iterable[Diagnostic]) -> str:
    return json.dumps({"errors": [to_json(d) for d in diags]}, indent=2, ensure_ascii=False)


def _snippet(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None:
        return []
    lines = text.splitlines()
    if not 1 <= span.line <= len(lines):
        return []
    raw = lines[span.line - 1]
    shown = raw.expandtabs(8)
    # the caret column must follow the same tab expansion as the shown line
    col = len(raw[: max(span.column - 1, 0)].expandtabs(8)) + 1
    gutter = len(str(span.line))
    pad = " " * (gutter + 2)
    return [f"  {span.line} | {shown}", f"{pad} | {' ' * (col - 1)}^"]


def render_human(diag: Diagnostic, sources: Mapping[str, str], *, color: bool = False) -> str:
    """Render like a compiler: location, code, message, snippet, notes, help."""
    where = f"{diag.span}: " if diag.span else ""
    red, bold, cyan, reset = (
        ("\x1b[31m", "\x1b[1m", "\x1b[36m", "\x1b[0m") if color else ("", "", "", "")
    )
    lines = [f"{bold}{where}{red}error[{diag.code}]{reset}{bold}: {diag.message}{reset}"]
    if diag.span:
        lines.extend(_snippet(diag.span, sources))
    for note in diag.notes:
        at = f" at {note.span}" if note.span else ""
        lines.append(f"  {cyan}note{reset}: {note.message}{at}")
    if diag.help:
        lines.append(f"  {cyan}help{reset}: {diag.help}")
    return "\n".join(lines)


def render_all(
    diags: Iterable[Diagnostic], sources: Mapping[str, str], *, color: bool = False
) -> str:
    items = list(diags)
    body = "\n".join(render_human(d, sources, color=color) for d in items)
    n = len(items)
    return f"{body}\nfound {n} error{'s' if n != 1 else ''}\n"
