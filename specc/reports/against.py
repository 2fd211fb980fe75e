"""Does a parameter file fit a spec's variable table? The report of
`specc check SPEC --against params.npz|params.safetensors|model.ckpt` (the command, which
reads the file, is `specc.cli.check`; this module only compares and renders).

The file is described by its keys, shapes and dtypes (`ArrayInfo`, read from its
headers by `specc.formats.params`, without NumPy). Keys are full variable names
without `:0`, and a partitioned variable is one whole array under its name
(DESIGN section 7), as the generated module's `save` writes them and its `check`
expects them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specc.counts import counted
from specc.formats.arrays import ArrayInfo
from specc.formats.params import params_format
from specc.shapes import shape_list

if TYPE_CHECKING:
    from specc.table import Row, VariableTable


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A variable the file holds with another shape and/or dtype."""

    row: Row
    found: ArrayInfo

    @property
    def shape_differs(self) -> bool:
        return self.row.shape != self.found.shape

    @property
    def dtype_differs(self) -> bool:
        return self.row.dtype != self.found.dtype


@dataclass(slots=True)
class Comparison:
    """How a parameter file disagrees with a table (all lists in a stable order:
    spec entries in creation order, file-only keys sorted by name)."""

    path: str
    keys: int
    missing: list[Row] = field(default_factory=list)
    unexpected: list[ArrayInfo] = field(default_factory=list)
    mismatched: list[Mismatch] = field(default_factory=list)
    #: for a missing partitioned variable whose parts the file holds by their own
    #: names (`v/part_0`, ...): variable name -> those keys
    parts_found: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)


def compare(table: VariableTable, arrays: list[ArrayInfo], path: str) -> Comparison:
    """Compare a table with the arrays of a file."""
    by_key = {a.name: a for a in arrays}
    out = Comparison(path, len(by_key))
    names = set()
    for row in table.variables:
        names.add(row.name)
        found = by_key.get(row.name)
        if found is None:
            out.missing.append(row)
            if row.partitions:
                parts = [p.name for p in row.partitions if p.name in by_key]
                if parts:
                    out.parts_found[row.name] = parts
        elif found.shape != row.shape or found.dtype != row.dtype:
            out.mismatched.append(Mismatch(row, found))
    out.unexpected = sorted(
        (a for a in by_key.values() if a.name not in names), key=lambda a: a.name
    )
    return out


def _where(row: Row, fallback: str) -> str:
    return str(row.defined_at) if row.defined_at else fallback


def render_lines(comp: Comparison, spec: str) -> list[str]:
    """The human report: one located line per disagreement, then a summary."""
    lines: list[str] = []
    for row in comp.missing:
        line = (
            f"{_where(row, spec)}: missing: {row.name} {shape_list(row.shape)} {row.dtype} "
            f"is not in {comp.path}"
        )
        parts = comp.parts_found.get(row.name)
        if parts:
            line += (
                f" (the file holds {len(parts)} of its {len(row.partitions or ())} parts "
                f"as separate keys, {parts[0]}, ...; specc expects one whole array under "
                "the variable's name)"
            )
        lines.append(line)
    for m in comp.mismatched:
        what = []
        if m.shape_differs:
            spec_shape, file_shape = shape_list(m.row.shape), shape_list(m.found.shape)
            what.append(f"shape {spec_shape} in the spec, {file_shape} in the file")
        if m.dtype_differs:
            what.append(f"dtype {m.row.dtype} in the spec, {m.found.dtype} in the file")
        kind = "shape" if m.shape_differs else "dtype"
        if m.shape_differs and m.dtype_differs:
            kind = "shape and dtype"
        lines.append(f"{_where(m.row, spec)}: {kind}: {m.row.name}: {'; '.join(what)}")
    for a in comp.unexpected:
        lines.append(
            f"{comp.path}: unexpected: {a.name} {shape_list(a.shape)} {a.dtype} is not a "
            f"variable of {spec}"
        )
    return lines


def summary(comp: Comparison, table: VariableTable, spec: str) -> str:
    """The last line of the human report: ok, or the disagreements counted."""
    if comp.ok:
        n = len(table.variables)
        every = "its variable" if n == 1 else f"all {counted(n, 'variable')}"
        return f"{spec}: ok: {comp.path} matches {every}"
    counts = [
        f"{len(comp.missing)} missing",
        f"{len(comp.mismatched)} mismatched",
        f"{len(comp.unexpected)} unexpected",
    ]
    n = len(comp.missing) + len(comp.mismatched) + len(comp.unexpected)
    return (
        f"{spec}: {comp.path} disagrees with the spec in {counted(n, 'place')} "
        f"({', '.join(counts)})"
    )


def to_json(comp: Comparison) -> dict[str, Any]:
    """The `against` member of `check --json`."""

    def at(row: Row) -> str | None:
        return str(row.defined_at) if row.defined_at else None

    return {
        "file": comp.path,
        "format": params_format(comp.path),
        "keys": comp.keys,
        "ok": comp.ok,
        "missing": [
            {
                "name": r.name,
                "shape": list(r.shape),
                "dtype": r.dtype,
                "defined_at": at(r),
                **(
                    {"parts_in_file": comp.parts_found[r.name]}
                    if r.name in comp.parts_found
                    else {}
                ),
            }
            for r in comp.missing
        ],
        "mismatched": [
            {
                "name": m.row.name,
                "defined_at": at(m.row),
                "spec": {"shape": list(m.row.shape), "dtype": m.row.dtype},
                "file": {"shape": list(m.found.shape), "dtype": m.found.dtype},
            }
            for m in comp.mismatched
        ],
        "unexpected": [
            {"name": a.name, "shape": list(a.shape), "dtype": a.dtype} for a in comp.unexpected
        ],
    }
