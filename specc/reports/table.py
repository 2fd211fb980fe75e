"""Human renderings of the variable table: text (with per-scope parameter counts),
markdown and csv. JSON is the table's own `dumps`."""

from __future__ import annotations

import csv
import io

from specc.counts import counted
from specc.shapes import shape_list
from specc.table import Counts, Row, Summary, VariableTable


def format_bytes(n: int) -> str:
    """A byte count for people: `160 B`, `2.0 KiB`, `62.5 MiB`."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _columns(r: Row) -> list[str]:
    flags = []
    if not r.trainable:
        flags.append("frozen")
    if r.local:
        flags.append("local")
    if r.partitions:
        flags.append(f"{len(r.partitions)} parts")
    if r.shared_at:
        flags.append(f"shared x{len(r.shared_at)}")
    return [
        r.name,
        shape_list(r.shape),
        r.dtype,
        f"{r.size:,}",
        r.initializer.text(),
        " ".join(flags),
    ]


HEADER = ["name", "shape", "dtype", "params", "initializer", "notes"]


def _counts(c: Counts) -> str:
    return f"{c.parameters:,} ({format_bytes(c.bytes)})"


def summary_lines(summary: Summary) -> list[str]:
    """Per top-level scope and overall: variables, trainable, non-trainable and
    total parameters and bytes, then the totals as a Keras summary gives them."""
    head = ["scope", "vars", "trainable", "non-trainable", "params", "bytes"]
    rows = [
        [
            name,
            f"{s.total.variables:,}",
            f"{s.trainable.parameters:,}",
            f"{s.non_trainable.parameters:,}",
            f"{s.total.parameters:,}",
            format_bytes(s.total.bytes),
        ]
        for name, s in (*summary.scopes, ("total", summary.total))
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    total = summary.total
    local = f", of which local: {_counts(total.local)}" if total.local.variables else ""
    return [
        line(head),
        *(line(r) for r in rows),
        "",
        f"Total params: {_counts(total.total)}",
        f"Trainable params: {_counts(total.trainable)}",
        f"Non-trainable params: {_counts(total.non_trainable)}{local}",
    ]


def render_text(table: VariableTable) -> str:
    rows = [_columns(r) for r in table.variables]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(HEADER)]
    right = {3}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    out = [line(HEADER), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    out.append("")
    out.extend(summary_lines(table.summary()))
    if table.ops:
        out.append("")
        out.append("ops: " + ", ".join(table.ops))
    return "\n".join(out) + "\n"


def render_markdown(table: VariableTable) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in table.variables:
        cells = [c.replace("|", "\\|") for c in _columns(r)]
        cells[0] = f"`{cells[0]}`"
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    summary = table.summary()
    out.append("| scope | vars | trainable | non-trainable | params | bytes |")
    out.append("|---|--:|--:|--:|--:|--:|")
    for name, s in (*summary.scopes, ("**total**", summary.total)):
        out.append(
            f"| {name} | {s.total.variables:,} | {s.trainable.parameters:,} | "
            f"{s.non_trainable.parameters:,} | {s.total.parameters:,} | "
            f"{format_bytes(s.total.bytes)} |"
        )
    total = summary.total
    out.append("")
    out.append(
        f"**{counted(len(table.variables), 'variable')}; total params {_counts(total.total)}; "
        f"trainable {_counts(total.trainable)}; non-trainable {_counts(total.non_trainable)}**"
    )
    return "\n".join(out) + "\n"


def render_csv(table: VariableTable) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "name",
            "tensor",
            "shape",
            "dtype",
            "parameters",
            "bytes",
            "trainable",
            "local",
            "initializer",
            "partitions",
            "collections",
        ]
    )
    for r in table.variables:
        w.writerow(
            [
                r.name,
                r.tensor,
                shape_list(r.shape),
                r.dtype,
                r.size,
                r.nbytes,
                str(r.trainable).lower(),
                str(r.local).lower(),
                r.initializer.text(),
                len(r.partitions) if r.partitions else 0,
                " ".join(r.collections),
            ]
        )
    return buf.getvalue()


def render_table(table: VariableTable, fmt: str) -> str:
    """The table in `fmt`: json, text, markdown or csv."""
    if fmt == "json":
        return table.dumps()
    if fmt == "markdown":
        return render_markdown(table)
    if fmt == "csv":
        return render_csv(table)
    return render_text(table)
