"""Hover: what a statement, a name or a catalog kind under the cursor means.

- on a `var`: every variable the statement made or shared (one per `use` of
  its template, per turn of its `repeat`) with full name, shape, dtype,
  initializer, partitions, parameter count and the scope TF creates it in;
- on a `use` (or `instance`): the template's doc and arguments and the scopes
  this statement opened;
- on a `scope`: the scopes it opened; on an `op`: the names it got;
- on `$name`: the param's value, the template argument or the loop variable;
- on a catalog kind or one of its arguments: its documentation;
- on a template's or a param's definition, or an `include` entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from specc.counts import counted
from specc.engine.observer import VariableGot
from specc.engine.store import PartitionedVariable, Variable
from specc.lsp.analysis import Analysis
from specc.lsp.docs import (
    catalog_entry,
    kind_args,
    kind_markdown,
    template_args,
    template_markdown,
    yaml_text,
)
from specc.lsp.files import std_names
from specc.lsp.index import Key, expression_names, local_key
from specc.lsp.tree import (
    CATALOG_KEYS,
    Hit,
    enclosing_statement,
    hit_at,
    statement_kind,
    templates_of,
)
from specc.source import LocDict
from specc.span import Span

#: at most this many variables are listed for one statement
MAX_LISTED: Final = 20
#: a scope's reuse mode as a spec writes it
_REUSE_TEXT: Final = {"YES": "true", "AUTO": "auto", "NO": "false", "INHERIT": "false"}


def shape_text(shape: tuple[int, ...] | list[int]) -> str:
    """`[784, 256]`."""
    return "[" + ", ".join(map(str, shape)) + "]"


def option_text(option: Any) -> str:
    """An option as it would be written: `truncated_normal(mean=0.0, stddev=0.02)`."""
    if option is None:
        return "none"
    data = option.to_json()
    if data["kind"] == "value":
        return "a value literal"
    args = ", ".join(f"{k}={yaml_text(v)}" for k, v in data["args"].items())
    return f"{data['kind']}({args})" if args else data["kind"]


def _size(count: int, itemsize: int) -> str:
    size = float(count * itemsize)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover - the loop always returns


def where(span: Span | None) -> str:
    """`file:line` of a span, the file as the loader names it."""
    return f"{span.file}:{span.line}" if span is not None else "an unknown place"


def _first_part(var: Variable | PartitionedVariable) -> Variable:
    return var.parts[0] if isinstance(var, PartitionedVariable) else var


def variable_markdown(event: VariableGot) -> list[str]:
    """The details of one variable a `var` statement got."""
    var = event.variable
    first = _first_part(var)
    count = math.prod(var.shape)
    head = f"**`{var.name}`** `{shape_text(var.shape)}` {var.dtype.name}"
    lines = [head, ""]
    lines.append(f"- {counted(count, 'parameter')}, {_size(count, var.dtype.itemsize)}")
    lines.append(f"- initializer: `{option_text(first.initializer)}`")
    if first.regularizer is not None:
        lines.append(f"- regularizer: `{option_text(first.regularizer)}`")
    if first.constraint is not None:
        lines.append(f"- constraint: `{option_text(first.constraint)}`")
    flags = "trainable" if first.trainable else "not trainable"
    lines.append(f"- {flags}; collections: {', '.join(sorted(first.collections))}")
    if isinstance(var, PartitionedVariable):
        parts = ", ".join(f"`{p.name}` {shape_text(p.shape)}" for p in var.parts[:8])
        more = f" and {len(var.parts) - 8} more" if len(var.parts) > 8 else ""
        lines.append(f"- {len(var.parts)} partitions: {parts}{more}")
    scope = event.scope.name
    call = f"`get_variable({var.name.rsplit('/', 1)[-1]!r})`"
    in_scope = f"in `variable_scope({scope!r})`" if scope else "at the root scope"
    if event.created:
        lines.append(f"- created here: TF's {call} {in_scope}; tensor `{first.tensor}`")
    else:
        lines.append(
            f"- shared here ({call} {in_scope}, reusing); created at {where(var.defined_at)}"
        )
    return lines


def _variable_row(event: VariableGot) -> str:
    var = event.variable
    count = math.prod(var.shape)
    how = "created" if event.created else "shared"
    init = option_text(_first_part(var).initializer)
    return (
        f"- `{var.name}` `{shape_text(var.shape)}` {var.dtype.name}, "
        f"{counted(count, 'parameter')}, `{init}`, {how}"
    )


def _not_run(analysis: Analysis) -> str:
    if analysis.compilation.resolution is None:
        return "The spec has errors before resolution: names appear once it validates."
    return (
        "This statement made no variable: it did not run (a false `if:`, a template "
        "never used) or it failed."
    )


def var_hover(analysis: Analysis, stmt: LocDict) -> str:
    """The variables a `var` statement made or shared."""
    events = analysis.recorder.vars.get(stmt.span, [])
    if not events:
        return f"`var: {stmt.get('var')}`\n\n{_not_run(analysis)}"
    if len(events) == 1:
        return "\n".join(variable_markdown(events[0]))
    total = sum(math.prod(e.variable.shape) for e in events if e.created)
    out = [
        f"**{counted(len(events), 'variable')}** from this statement "
        f"({counted(total, 'parameter')} created):",
        "",
    ]
    out += [_variable_row(e) for e in events[:MAX_LISTED]]
    if len(events) > MAX_LISTED:
        out.append(f"- ... and {len(events) - MAX_LISTED} more")
    return "\n".join(out)


def find_template(analysis: Analysis, name: str) -> tuple[LocDict, str] | None:
    """A template's definition among the loaded files, with its file."""
    for f in analysis.files:
        found = templates_of(f.document).get(name)
        if found is not None:
            return found, f.path
    return None


def use_hover(analysis: Analysis, stmt: LocDict) -> str:
    """A `use`: the template and the scopes this statement opened."""
    name = stmt.get("use")
    found = find_template(analysis, name) if isinstance(name, str) else None
    if found is None:
        hint = " (in the standard library: add `include: [std]`)" if name in std_names() else ""
        return f"`use: {name}`: no template of that name is loaded{hint}."
    out = [template_markdown(str(name), found[0], found[1])]
    entered = analysis.recorder.templates.get(stmt.span, [])
    if entered:
        scopes = list(dict.fromkeys(e.scope.name for e in entered))
        shown = ", ".join(f"`{s}`" for s in scopes[:MAX_LISTED])
        more = f" and {len(scopes) - MAX_LISTED} more" if len(scopes) > MAX_LISTED else ""
        out += ["", f"This `use` opened: {shown}{more}"]
        inst = entered[0].instance
        if inst is not None:
            first = any(e.first for e in entered)
            role = "creates its variables" if first else "re-enters its scope with reuse"
            out.append(f"(instance `{inst}`: this call {role})")
    else:
        out += ["", _not_run(analysis)]
    return "\n".join(out)


def scope_hover(analysis: Analysis, stmt: LocDict) -> str:
    """The scopes a `scope` statement opened."""
    events = analysis.recorder.scopes.get(stmt.span, [])
    if not events:
        return f"`scope: {yaml_text(stmt.get('scope'))}`\n\n{_not_run(analysis)}"
    names = list(dict.fromkeys(e.scope.name for e in events))
    first = events[0]
    reuse = _REUSE_TEXT.get(first.scope.reuse.name, "false")
    out = [f"**variable scope** `{names[0]}` (reuse: {reuse})"]
    if first.name_scope:
        out.append(f"- name scope `{first.name_scope}`")
    if first.reentry:
        out.append("- re-enters a captured scope (absolute name, its own defaults)")
    if len(names) > 1:
        out.append(f"- opened as {len(names)} scopes: " + ", ".join(f"`{n}`" for n in names[:10]))
    return "\n".join(out)


def _param_hover(analysis: Analysis, name: str) -> str:
    res = analysis.compilation.resolution
    root = analysis.loaded.main.document if analysis.loaded.main is not None else None
    params = root.get("params") if isinstance(root, LocDict) else None
    written = params.get(name) if isinstance(params, LocDict) else None
    text = f"**param `{name}`**"
    if res is not None and name in res.params:
        text += f" = `{yaml_text(res.params[name])}`"
    if written is not None and (
        res is None or yaml_text(written) != yaml_text(res.params.get(name))
    ):
        text += f"\n\nwritten `{yaml_text(written)}`"
    return text


def _loop_hover(analysis: Analysis, key: Key, name: str) -> str:
    _, _, line, column = key
    stmt = _statement_at(analysis, int(line), int(column))
    count = yaml_text(stmt.get("repeat")) if stmt is not None else "?"
    return f"**loop variable `{name}`** of `repeat: {count}`: 0, 1, ... up to {count} - 1"


def _statement_at(analysis: Analysis, line: int, column: int) -> LocDict | None:
    root = analysis.root
    if root is None:
        return None
    found = enclosing_statement(hit_at(root, analysis.line, line, column))
    return found[0] if found is not None else None


def name_hover(analysis: Analysis, key: Key) -> str | None:
    """A param, a template argument or a loop variable, by symbol key."""
    kind, *rest = key
    if kind == "param":
        return _param_hover(analysis, rest[0])
    if kind == "arg":
        template, arg = rest
        found = find_template(analysis, template)
        for a in template_args(found[0]) if found is not None else []:
            if a.name == arg:
                return f"**argument of template `{template}`**\n\n{a.line()}"
        return None
    if kind == "loop":
        stmt = _statement_at(analysis, int(rest[1]), int(rest[2]))
        loop = stmt.get("as") if stmt is not None else None
        return _loop_hover(analysis, key, str(loop))
    return None


def _name_under(analysis: Analysis, hit: Hit, column: int) -> Key | None:
    """The symbol of the `$name` under the cursor in a value (resolved where
    it is written: no index of the whole document is needed)."""
    if hit.role != "value" or not isinstance(hit.value, str) or "$" not in hit.value:
        return None
    written = analysis.line(hit.line)[hit.start - 1 : hit.end - 1]
    for offset, length, name in expression_names(written):
        if hit.start + offset <= column <= hit.start + offset + length:
            return local_key(analysis, hit, name)
    return None


def _with_key(analysis: Analysis, hit: Hit) -> Key | None:
    """The template argument a `with:` key names."""
    if hit.role != "key" or hit.parent_key != "with" or len(hit.path) < 1:
        return None
    stmt = hit.path[-1].container
    template = stmt.get("use") if isinstance(stmt, LocDict) else None
    return ("arg", template, str(hit.key)) if isinstance(template, str) else None


def _catalog_hover(hit: Hit) -> str | None:
    """A catalog kind (`initializer: zeros`, `{truncated_normal: ...}`) or argument."""
    keys = hit.keys()
    if hit.role == "value" and keys and keys[-1] in CATALOG_KEYS and isinstance(hit.value, str):
        entry = catalog_entry(str(keys[-1]), hit.value)
        return kind_markdown(str(keys[-1]), entry) if entry is not None else None
    if hit.role == "key" and len(keys) >= 2 and keys[-2] in CATALOG_KEYS:
        entry = catalog_entry(str(keys[-2]), str(keys[-1]))
        return kind_markdown(str(keys[-2]), entry) if entry is not None else None
    if hit.role == "key" and len(keys) >= 3 and keys[-3] in CATALOG_KEYS:
        entry = catalog_entry(str(keys[-3]), str(keys[-2]))
        if entry is not None:
            for a in kind_args(entry):
                if a.name == keys[-1]:
                    return f"argument of **{entry.kind}**\n\n{a.line()}"
    return None


def _definition_hover(analysis: Analysis, hit: Hit) -> str | None:
    """A template's or param's definition, or an include entry."""
    keys = hit.keys()
    if hit.role == "key" and len(keys) == 2 and keys[0] == "templates":
        found = find_template(analysis, str(keys[1]))
        if found is not None:
            uses = analysis.index().references(("template", str(keys[1])), declarations=False)
            return (
                template_markdown(str(keys[1]), *found) + f"\n\nUsed {counted(len(uses), 'time')}."
            )
    if hit.role == "key" and len(keys) == 2 and keys[0] == "params":
        return _param_hover(analysis, str(keys[1]))
    if hit.role == "value" and len(keys) == 2 and keys[0] == "include":
        occ = analysis.index().at(analysis.path, hit.line, hit.start)
        targets = analysis.index().include_targets.get(occ.key, []) if occ else []
        names = [n for f in analysis.files if f.path in targets for n in templates_of(f.document)]
        files = ", ".join(f"`{t}`" for t in targets) or "nothing that could be loaded"
        return f"**include** {files}\n\ntemplates: {', '.join(names) or 'none'}"
    return None


_STATEMENT_HOVERS: Final[dict[str, Callable[[Analysis, LocDict], str]]] = {
    "var": var_hover,
    "use": use_hover,
    "instance": use_hover,
    "scope": scope_hover,
    "default_name": scope_hover,
}


def _statement_hover(analysis: Analysis, hit: Hit) -> str | None:
    found = enclosing_statement(hit)
    if found is None or hit.role == "inside" or found[0] is not hit.container:
        return None
    stmt, kind = found[0], statement_kind(found[0])
    if kind == "op" and hit.key == "op":
        names = analysis.recorder.ops.get(stmt.span, [])
        return "**op** " + (", ".join(f"`{n}`" for n in names) or _not_run(analysis))
    handler = _STATEMENT_HOVERS.get(str(hit.key))
    if handler is None or (hit.key in ("scope", "default_name") and kind != "scope"):
        return None
    if hit.key == "scope" and kind == "use":
        return use_hover(analysis, stmt)
    return handler(analysis, stmt)


def hover_markdown(analysis: Analysis, line: int, column: int) -> tuple[str, Hit | None] | None:
    """The hover text at 1-based `line:column` of the document, and what it is about."""
    root = analysis.root
    if root is None:
        return None
    hit = hit_at(root, analysis.line, line, column)
    key = _name_under(analysis, hit, column) or _with_key(analysis, hit)
    if key is not None:
        text = name_hover(analysis, key)
        if text is not None:
            return text, None
    for finder in (_statement_hover, _definition_hover):
        text = finder(analysis, hit)
        if text is not None:
            return text, hit
    text = _catalog_hover(hit)
    return (text, hit) if text is not None else None
