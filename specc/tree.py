"""`specc table SPEC --format tree`: the scope tree of a variable table, with the
variable count, parameters and bytes of every scope (subtotals at every level),
shared variables marked with the places that reuse them, and partitioned
variables with their part count. Like Keras's `model.summary()`, by scope.

Layout is `rich`'s table renderer; without `color` the output is plain text (no
escape codes), at most `width` (100) columns, and byte for byte the same for the
same table. Scopes are listed in the order their first variable was created; a
chain of scopes that hold nothing but one scope each is shown on one line
(`rnn/multi_rnn_cell/`), since its subtotals are all the same.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from specc.render import _fmt_bytes, _row_bytes
from specc.span import Span
from specc.table import Row, VariableTable

#: at most this many reuse sites are listed per variable; the rest are counted
MAX_SITES = 5


@dataclass(slots=True)
class _Scope:
    name: str
    items: list[_Scope | Row] = field(default_factory=list)
    scopes: dict[str, _Scope] = field(default_factory=dict)
    variables: int = 0
    parameters: int = 0
    bytes: int = 0

    def count(self, row: Row) -> None:
        self.variables += 1
        self.parameters += row.size
        self.bytes += _row_bytes(row)


def build_tree(table: VariableTable) -> _Scope:
    """The scope tree: every `/`-separated prefix of a variable name is a scope."""
    root = _Scope(table.name)
    for row in table.variables:
        node = root
        node.count(row)
        *scopes, _leaf = row.name.split("/")
        for part in scopes:
            child = node.scopes.get(part)
            if child is None:
                child = node.scopes[part] = _Scope(part)
                node.items.append(child)
            node = child
            node.count(row)
        node.items.append(row)
    return root


def _collapse(scope: _Scope) -> tuple[str, _Scope]:
    """A scope's shown name and the scope whose items are shown under it."""
    name = scope.name
    while len(scope.items) == 1 and isinstance(scope.items[0], _Scope):
        scope = scope.items[0]
        name += "/" + scope.name
    return name + "/", scope


def _sites(spans: tuple[Span, ...]) -> str:
    distinct = list(dict.fromkeys(str(s) for s in spans))
    shown = ", ".join(distinct[:MAX_SITES])
    if len(distinct) > MAX_SITES:
        shown += f", +{len(distinct) - MAX_SITES} more"
    return shown


def _notes(row: Row) -> str:
    notes = []
    if row.shared_at:
        notes.append(f"shared x{len(row.shared_at)}")
    if row.partitions:
        notes.append(f"{len(row.partitions)} parts")
    if not row.trainable and not row.local:
        notes.append("frozen")
    if row.local:
        notes.append("local")
    return ", ".join(notes)


def _count(n: int) -> str:
    return f"{n} var{'' if n == 1 else 's'}"


def _fold(first: str, rest: str, text: str, limit: int) -> list[tuple[str, str]]:
    """`text` as (guide, text) lines of at most `limit` columns where possible: the
    first line after guide `first`, the others after `rest`, broken after a `/`
    (or anywhere in a component too long for a line)."""
    pieces = [part + "/" for part in text.split("/")]
    pieces[-1] = pieces[-1][:-1]
    lines: list[tuple[str, str]] = []
    guide, current = first, ""
    for piece in pieces:
        chunk = piece
        room = max(limit - len(guide), 12)
        while len(current) + len(chunk) > room:
            if current:
                lines.append((guide, current))
                current = ""
            else:
                lines.append((guide, chunk[:room]))
                chunk = chunk[room:]
            guide = rest
            room = max(limit - len(guide), 12)
        current += chunk
    lines.append((guide, current))
    return lines


@dataclass(frozen=True, slots=True)
class _Line:
    label: list[tuple[str, str]]  # (guide, name) per printed line
    is_scope: bool
    cells: tuple[str, ...]


def _lines(root: _Scope, limit: int) -> list[_Line]:
    """The rows of the tree in order, labels folded to `limit` columns."""

    def scope_cells(scope: _Scope) -> tuple[str, ...]:
        return ("", "", f"{scope.parameters:,}", _fmt_bytes(scope.bytes), _count(scope.variables))

    out = [_Line(_fold("", "", root.name, limit), True, scope_cells(root))]

    def walk(scope: _Scope, prefix: str) -> None:
        for i, item in enumerate(scope.items):
            last = i == len(scope.items) - 1
            guide = prefix + ("└── " if last else "├── ")
            inner_prefix = prefix + ("    " if last else "│   ")
            if isinstance(item, _Scope):
                shown, inner = _collapse(item)
                out.append(
                    _Line(_fold(guide, inner_prefix, shown, limit), True, scope_cells(inner))
                )
                walk(inner, inner_prefix)
            else:
                cells = (
                    "[" + ", ".join(map(str, item.shape)) + "]",
                    item.dtype,
                    f"{item.size:,}",
                    _fmt_bytes(_row_bytes(item)),
                    _notes(item),
                )
                label = _fold(guide, inner_prefix, item.name.rpartition("/")[2], limit)
                out.append(_Line(label, False, cells))

    walk(root, "")
    return out


def render_tree(table: VariableTable, *, color: bool = False, width: int = 100) -> str:
    """The scope tree as text (see the module docstring)."""
    from rich import box  # noqa: PLC0415 - only this format needs rich
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    # labels longer than about half the width fold onto more lines, at a `/`,
    # rather than squeezing the numbers
    lines = _lines(build_tree(table), width // 2)
    label_width = max(len(g) + len(t) for line in lines for g, t in line.label)
    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, highlight=False)
    grid.add_column("scope / variable", no_wrap=True, min_width=label_width)
    grid.add_column("shape", no_wrap=True)
    grid.add_column("dtype", no_wrap=True)
    grid.add_column("params", justify="right", no_wrap=True)
    grid.add_column("bytes", justify="right", no_wrap=True)
    grid.add_column("notes", overflow="fold")
    scope_style = "bold" if color else ""
    guide_style = "dim" if color else ""
    for line in lines:
        label = Text()
        for i, (guide, name) in enumerate(line.label):
            if i:
                label.append("\n")
            label.append(guide, style=guide_style)
            label.append(name, style=scope_style if line.is_scope else "")
        grid.add_row(label, *line.cells)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        _environ={},
    )
    console.print(grid)
    shared = [r for r in table.variables if r.shared_at]
    if shared:
        console.print()
        console.print(Text("shared variables, and where they are reused:"))
        for r in shared:
            console.print(Text(f"  {r.name}: {_sites(r.shared_at)}"), overflow="fold")
    return "\n".join(text.rstrip() for text in buf.getvalue().splitlines()) + "\n"
