"""Which variables `specc init NEW.yaml --warm-start OLD [--rename OLD=NEW ...]`
copies from an old checkpoint, and the report it prints (the command, which
reads the files and writes the output, is `specc.cli.init`; this module only
decides and renders).

The rules are those of `tf.compat.v1.train.warm_start` with every variable in
`vars_to_warm_start` and the renames as `var_name_to_prev_var_name`: a
variable of the spec is copied from the checkpoint entry of its previous name
(the OLD of a `--rename OLD=NEW`, else its own name) when that entry has its
shape and dtype; an entry of another shape or dtype is skipped, and the
variable is initialized from the spec, as is every variable the checkpoint
does not hold. A partitioned variable is copied whole, whatever the
partitioning either side had. Where TF raises (a rename naming no variable of
the spec, or no entry of the checkpoint), this is a `WarmStartError` before
anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from specc.shapes import shape_list

if TYPE_CHECKING:
    from specc.formats.arrays import ArrayInfo
    from specc.table import Row


class WarmStartError(ValueError):
    """Renames that cannot be applied (one line)."""


@dataclass(frozen=True, slots=True)
class Copy:
    """A variable copied from the checkpoint entry `old` (== `new` unless renamed)."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Skip:
    """A variable whose checkpoint entry does not fit it: initialized fresh."""

    old: str
    new: str
    why: str


@dataclass(slots=True)
class WarmStart:
    """The plan, each list in the spec's creation order."""

    checkpoint: str
    copied: list[Copy] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)

    def sources(self) -> dict[str, str]:
        """Copied variable -> the checkpoint entry it is copied from."""
        return {c.new: c.old for c in self.copied}


def renames_from_json(text: str, where: str) -> dict[str, str]:
    """The renames of a JSON file: `specc diff --json`'s output (its `rename`
    member) or an object mapping old names to new ones."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise WarmStartError(f"{where}: not JSON ({e})") from None
    if isinstance(obj, dict) and isinstance(obj.get("rename"), dict):
        obj = obj["rename"]
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in obj.items()
    ):
        raise WarmStartError(
            f"{where}: expected an object of old name -> new name, or the output "
            "of `specc diff --json`"
        )
    return dict(obj)


def add_rename(renames: dict[str, str], old: str, new: str) -> None:
    """Record OLD=NEW, refusing an old or new name given twice."""
    if not old or not new:
        raise WarmStartError(f"--rename {old}={new}: expected OLD=NEW, both names")
    if renames.get(old, new) != new:
        raise WarmStartError(f"--rename: {old!r} renamed twice ({renames[old]!r}, {new!r})")
    taken = [o for o, n in renames.items() if n == new and o != old]
    if taken:
        raise WarmStartError(f"--rename: {new!r} is the new name of {taken[0]!r} and {old!r}")
    renames[old] = new


def plan(
    rows: Sequence[Row], checkpoint: str, arrays: Sequence[ArrayInfo], renames: Mapping[str, str]
) -> WarmStart:
    """Decide, for every variable of the spec, where its value comes from."""
    names = {r.name for r in rows}
    found = {a.name: a for a in arrays}
    for old, new in renames.items():
        if new not in names:
            raise WarmStartError(f"--rename {old}={new}: the spec has no variable {new!r}")
        if old not in found:
            raise WarmStartError(f"--rename {old}={new}: {checkpoint} holds no {old!r}")
    previous = {new: old for old, new in renames.items()}
    out = WarmStart(checkpoint)
    for r in rows:
        old = previous.get(r.name, r.name)
        a = found.get(old)
        if a is None:
            out.fresh.append(r.name)
        elif a.shape != r.shape:
            why = (
                f"shape {shape_list(a.shape)} in the checkpoint, {shape_list(r.shape)} in the spec"
            )
            out.skipped.append(Skip(old, r.name, why))
        elif a.dtype != r.dtype:
            why = f"dtype {a.dtype} in the checkpoint, {r.dtype} in the spec"
            out.skipped.append(Skip(old, r.name, why))
        else:
            out.copied.append(Copy(old, r.name))
    return out


def nothing_copied(ws: WarmStart) -> str | None:
    """The warning of a warm start that copies nothing (legal, but most likely
    the wrong checkpoint or missing renames), or None."""
    if ws.copied:
        return None
    return (
        f"warning: nothing was copied from {ws.checkpoint}: no variable of the spec has "
        "a name, shape and dtype there (`specc diff OLD NEW --json` gives renames "
        "for --rename)"
    )


def render_lines(ws: WarmStart) -> list[str]:
    """The report: a summary line, then each variable under its heading."""
    renamed = [c for c in ws.copied if c.old != c.new]
    same = [c for c in ws.copied if c.old == c.new]
    lines = [
        f"warm start from {ws.checkpoint}: {len(same)} copied, {len(renamed)} renamed, "
        f"{len(ws.skipped)} skipped, {len(ws.fresh)} not in the checkpoint; "
        f"{len(ws.skipped) + len(ws.fresh)} initialized fresh"
    ]
    sections = (
        ("copied", [c.new for c in same]),
        ("renamed", [f"{c.old} -> {c.new}" for c in renamed]),
        (
            "skipped (initialized fresh)",
            [
                (f"{s.old} -> {s.new}" if s.old != s.new else s.new) + f": {s.why}"
                for s in ws.skipped
            ],
        ),
        ("initialized fresh (not in the checkpoint)", ws.fresh),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {item}" for item in items)
    return lines
