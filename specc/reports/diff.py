"""How two variable tables differ, and whether a checkpoint written from OLD would
restore NEW: the report of `specc diff OLD.yaml NEW.yaml [--json]` (the command
is `specc.cli.diff`; this module only computes and renders).

Variables are matched by full name (TF's Saver restores by name):

- **added**: only NEW has the name; **removed**: only OLD has it.
- **reshaped** / **retyped**: both have it, with another shape / dtype.
- **renamed** (likely): a removed and an added variable with the same shape and
  dtype, paired by two rules, applied in order, each to the variables no earlier
  pairing took:

  1. *scope*: the same parent scope (the name up to its last `/`). Each removed
     variable, in OLD's creation order, pairs with the first added variable, in
     NEW's creation order, under the same parent with the same shape and dtype
     (`dense/w` -> `dense/kernel`).
  2. *position*: the same place in creation order. A variable's *anchor* is the
     nearest variable before it, in its own table, whose name both tables have
     (none at the start). Each removed variable, in OLD's order, pairs with the
     first added variable, in NEW's order, with the same anchor, shape and dtype
     that also either differs from it in exactly one name component
     (`enc/kernel` -> `encoder/kernel`, `layer_0/attn/kernel` ->
     `block_0/attn/kernel`), or is the only added variable of that shape and
     dtype with that anchor while it is the only removed one. Variables added
     beside a renamed one do not hide it; unrelated variables that merely share a
     shape in a long run of changes are not paired.

  A renamed pair is listed only under `renamed`, not under added and removed.
- **changed** (informational): the initializer, trainability or partitioning of a
  variable both have. These do not affect restoring: TF restores a partitioned
  variable whole, whatever the parts.

`--json` also gives the renames as one object, `"rename": {"OLD": "NEW", ...}`,
which `specc init NEW.yaml --warm-start CHECKPOINT --rename @diff.json` reads
(the pairs are guesses: review them, or edit the file, before warm-starting).

A checkpoint written from OLD restores NEW unless NEW has a variable OLD lacks
(added, or the new name of a rename) or one with another shape or dtype; variables
only OLD has are ignored, as TF's Saver ignores them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specc.counts import counted
from specc.shapes import shape_list

if TYPE_CHECKING:
    from specc.table import Row, VariableTable


@dataclass(frozen=True, slots=True)
class Pair:
    """A variable present in both tables (or a renamed pair): OLD's row, NEW's row."""

    old: Row
    new: Row


@dataclass(frozen=True, slots=True)
class Renamed:
    old: Row
    new: Row
    rule: str  # "scope" or "position"


@dataclass(frozen=True, slots=True)
class Change:
    """An informational difference of a variable both tables have."""

    pair: Pair
    key: str  # "initializer", "trainable" or "partitions"
    old: str
    new: str


@dataclass(slots=True)
class TableDiff:
    """The differences of two tables, each list in creation order (NEW's where the
    variable is in NEW, else OLD's)."""

    added: list[Row] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)
    reshaped: list[Pair] = field(default_factory=list)
    retyped: list[Pair] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    @property
    def restorable(self) -> bool:
        """Would a checkpoint written from OLD restore every variable of NEW?"""
        return not (self.added or self.renamed or self.reshaped or self.retyped)

    @property
    def identical(self) -> bool:
        return self.restorable and not (self.removed or self.changed)


def parent(name: str) -> str:
    """The scope a variable is in: its name up to the last `/` ('' at the root)."""
    return name.rpartition("/")[0]


def _same_kind(a: Row, b: Row) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


def _one_component_apart(a: str, b: str) -> bool:
    """Do two names differ in exactly one `/`-separated component?"""
    pa, pb = a.split("/"), b.split("/")
    return len(pa) == len(pb) and sum(x != y for x, y in zip(pa, pb, strict=True)) == 1


def _anchors(rows: tuple[Row, ...], common: set[str]) -> dict[str, str | None]:
    """Each row's anchor: the nearest earlier row whose name both tables have."""
    out: dict[str, str | None] = {}
    last: str | None = None
    for r in rows:
        out[r.name] = last
        if r.name in common:
            last = r.name
    return out


def _pair_renames(
    old: VariableTable, new: VariableTable, removed: list[Row], added: list[Row]
) -> list[Renamed]:
    taken_old: set[str] = set()
    taken_new: set[str] = set()
    pairs: list[Renamed] = []
    # rule 1: same parent scope
    for r in removed:
        for a in added:
            if a.name not in taken_new and parent(a.name) == parent(r.name) and _same_kind(r, a):
                pairs.append(Renamed(r, a, "scope"))
                taken_old.add(r.name)
                taken_new.add(a.name)
                break
    # rule 2: same position in creation order (the same anchor)
    common = {r.name for r in old.variables} & {r.name for r in new.variables}
    old_anchor, new_anchor = _anchors(old.variables, common), _anchors(new.variables, common)
    gaps_old: dict[str | None, list[Row]] = {}
    gaps_new: dict[str | None, list[Row]] = {}
    for r in removed:
        if r.name not in taken_old:
            gaps_old.setdefault(old_anchor[r.name], []).append(r)
    for a in added:
        if a.name not in taken_new:
            gaps_new.setdefault(new_anchor[a.name], []).append(a)
    for anchor, rs in gaps_old.items():
        candidates = gaps_new.get(anchor, [])
        old_kinds = Counter((r.shape, r.dtype) for r in rs)
        new_kinds = Counter((a.shape, a.dtype) for a in candidates)
        for r in rs:
            kind = (r.shape, r.dtype)
            alone = old_kinds[kind] == 1 and new_kinds[kind] == 1
            for j, a in enumerate(candidates):
                if _same_kind(r, a) and (alone or _one_component_apart(r.name, a.name)):
                    pairs.append(Renamed(r, a, "position"))
                    del candidates[j]
                    break
    order = {r.name: i for i, r in enumerate(new.variables)}
    pairs.sort(key=lambda p: order[p.new.name])
    return pairs


def _parts_text(r: Row) -> str:
    if not r.partitions:
        return "none"
    return f"{len(r.partitions)} parts " + " ".join(shape_list(p.shape) for p in r.partitions)


def diff_tables(old: VariableTable, new: VariableTable) -> TableDiff:
    """Compare two tables (see the module docstring for the rules)."""
    out = TableDiff()
    old_by = {r.name: r for r in old.variables}
    new_by = {r.name: r for r in new.variables}
    removed = [r for r in old.variables if r.name not in new_by]
    added = [r for r in new.variables if r.name not in old_by]
    out.renamed = _pair_renames(old, new, removed, added)
    gone = {p.old.name for p in out.renamed}
    came = {p.new.name for p in out.renamed}
    out.removed = [r for r in removed if r.name not in gone]
    out.added = [r for r in added if r.name not in came]
    for n in new.variables:
        o = old_by.get(n.name)
        if o is None:
            continue
        pair = Pair(o, n)
        if o.shape != n.shape:
            out.reshaped.append(pair)
        if o.dtype != n.dtype:
            out.retyped.append(pair)
        if o.initializer != n.initializer:
            out.changed.append(
                Change(pair, "initializer", o.initializer.text(), n.initializer.text())
            )
        if o.trainable != n.trainable:
            out.changed.append(
                Change(pair, "trainable", str(o.trainable).lower(), str(n.trainable).lower())
            )
        if o.partitions != n.partitions:
            out.changed.append(Change(pair, "partitions", _parts_text(o), _parts_text(n)))
    return out


# ------------------------------------------------------------------ rendering


def _at(row: Row) -> str:
    return str(row.defined_at) if row.defined_at else "?"


def _both(old: Row, new: Row) -> str:
    return f"{_at(old)} -> {_at(new)}"


def _aligned(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows of cells as lines, each column padded to its widest cell."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]


def verdict(d: TableDiff, old_path: str, new_path: str) -> str:
    if d.restorable:
        extra = (
            f" ({counted(len(d.removed), 'variable')} only {old_path} has "
            f"{'is' if len(d.removed) == 1 else 'are'} ignored)"
            if d.removed
            else ""
        )
        return f"restorable: a checkpoint written from {old_path} restores {new_path}{extra}"
    why = []
    if d.added:
        why.append(f"{len(d.added)} added")
    if d.renamed:
        why.append(f"{len(d.renamed)} renamed")
    if d.reshaped:
        why.append(f"{len(d.reshaped)} reshaped")
    if d.retyped:
        why.append(f"{len(d.retyped)} retyped")
    return (
        f"not restorable: a checkpoint written from {old_path} would not restore "
        f"{new_path} ({', '.join(why)})"
    )


def render_human(
    d: TableDiff, old: VariableTable, new: VariableTable, old_path: str, new_path: str
) -> str:
    """The aligned human summary: one section per kind of difference, each entry
    with its spec location(s), then the verdict."""
    head = [
        [
            "old:",
            old_path,
            f"{counted(len(old.variables), 'variable')},",
            counted(old.parameters, "parameter"),
        ],
        [
            "new:",
            new_path,
            f"{counted(len(new.variables), 'variable')},",
            counted(new.parameters, "parameter"),
        ],
    ]
    lines = _aligned(head, indent="")
    lines.append("")

    def section(title: str, rows: list[list[str]]) -> None:
        if rows:
            lines.append(title)
            lines.extend(_aligned(rows))

    section(
        f"added ({len(d.added)}):",
        [[r.name, shape_list(r.shape), r.dtype, _at(r)] for r in d.added],
    )
    section(
        f"removed ({len(d.removed)}, ignored when restoring):",
        [[r.name, shape_list(r.shape), r.dtype, _at(r)] for r in d.removed],
    )
    section(
        f"renamed ({len(d.renamed)}, likely; restore them with a name map):",
        [
            [
                f"{p.old.name} -> {p.new.name}",
                shape_list(p.new.shape),
                p.new.dtype,
                "same scope" if p.rule == "scope" else "same position",
                _both(p.old, p.new),
            ]
            for p in d.renamed
        ],
    )
    section(
        f"reshaped ({len(d.reshaped)}):",
        [
            [
                p.new.name,
                f"{shape_list(p.old.shape)} -> {shape_list(p.new.shape)}",
                _both(p.old, p.new),
            ]
            for p in d.reshaped
        ],
    )
    section(
        f"retyped ({len(d.retyped)}):",
        [[p.new.name, f"{p.old.dtype} -> {p.new.dtype}", _both(p.old, p.new)] for p in d.retyped],
    )
    section(
        f"changed ({len(d.changed)}, informational):",
        [
            [c.pair.new.name, c.key, f"{c.old} -> {c.new}", _both(c.pair.old, c.pair.new)]
            for c in d.changed
        ],
    )
    if d.identical:
        lines.append("no differences in the variables")
    if lines[-1] != "":
        lines.append("")
    lines.append(verdict(d, old_path, new_path))
    return "\n".join(lines) + "\n"


def _span(row: Row) -> str | None:
    return str(row.defined_at) if row.defined_at else None


def to_json(d: TableDiff) -> dict[str, Any]:
    """The `--json` form."""

    def one(r: Row) -> dict[str, Any]:
        return {"name": r.name, "shape": list(r.shape), "dtype": r.dtype, "defined_at": _span(r)}

    return {
        "added": [one(r) for r in d.added],
        "removed": [one(r) for r in d.removed],
        "reshaped": [
            {
                "name": p.new.name,
                "old_shape": list(p.old.shape),
                "new_shape": list(p.new.shape),
                "old_at": _span(p.old),
                "new_at": _span(p.new),
            }
            for p in d.reshaped
        ],
        "retyped": [
            {
                "name": p.new.name,
                "old_dtype": p.old.dtype,
                "new_dtype": p.new.dtype,
                "old_at": _span(p.old),
                "new_at": _span(p.new),
            }
            for p in d.retyped
        ],
        "renamed": [
            {
                "old_name": p.old.name,
                "new_name": p.new.name,
                "shape": list(p.new.shape),
                "dtype": p.new.dtype,
                "rule": p.rule,
                "old_at": _span(p.old),
                "new_at": _span(p.new),
            }
            for p in d.renamed
        ],
        "changed": [
            {
                "name": c.pair.new.name,
                "field": c.key,
                "old": c.old,
                "new": c.new,
                "old_at": _span(c.pair.old),
                "new_at": _span(c.pair.new),
            }
            for c in d.changed
        ],
        # the renames as `specc init --warm-start OLD --rename @FILE` reads them
        "rename": {p.old.name: p.new.name for p in d.renamed},
        "restorable": d.restorable,
    }


def dumps(obj: dict[str, Any]) -> str:
    """JSON text with one line per entry: easy to read and to diff."""
    lines = ["{"]
    for i, (key, value) in enumerate(obj.items()):
        comma = "," if i < len(obj) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"  {json.dumps(key)}: [")
            lines.extend(
                "    " + json.dumps(v, ensure_ascii=False) + ("," if j < len(value) - 1 else "")
                for j, v in enumerate(value)
            )
            lines.append("  ]" + comma)
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
