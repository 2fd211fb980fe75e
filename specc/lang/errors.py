"""Pydantic's errors, located and worded for people.

Every error pydantic reports is mapped back, through its `loc`, to the key or
value of the located YAML that caused it; unknown keys get "did you mean" and
the list of valid keys; pydantic's own wording never reaches the user.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from specc.diagnostics import Diagnostic
from specc.lang.models import (
    ALL_STATEMENT_KEYS,
    STATEMENT_KINDS,
    TAG_SUFFIX,
    TOP_KEYS,
    ArgSpec,
    Defaults,
    Ref,
    SpecDocument,
    TemplateDef,
)
from specc.source import LocDict, LocList
from specc.span import Span

_GENERIC_KEYS = frozenset(
    {"args", "body", "default_name", "doc", "type", "default", "description", "ref"}
    | TOP_KEYS
    | {k for keys in ALL_STATEMENT_KEYS.values() for k in keys}
)

# Models that appear as a branch of a union (pydantic labels its errors by class name).
_UNION_MODELS = frozenset({Ref.__name__})

_TYPE_PHRASES = {
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "none_required": "null",
}


def _span_of(node: Any) -> Span | None:
    s = getattr(node, "span", None)
    return s if isinstance(s, Span) else None


def _child_span(container: Any, key: Any) -> Span | None:
    if isinstance(container, LocDict):
        return container.value_span(key) or container.span
    if isinstance(container, LocList) and isinstance(key, int):
        return container.item_span(key) or container.span
    return _span_of(container)


def _walk(root: Any, loc: Iterable[Any]) -> tuple[Any, Any, Any]:
    """Follow a pydantic `loc` through the raw tree: (parent, key, node)."""
    parent: Any = None
    key: Any = None
    cur = root
    for part in loc:
        if isinstance(part, str) and part.endswith(TAG_SUFFIX):
            continue
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            parent, key, cur = cur, part, cur[part]
        else:
            break
    return parent, key, cur


def _model_keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(f.alias or n for n, f in model.model_fields.items())


def _allowed_keys(
    mapping: Any, loc: tuple[Any, ...], top: type[BaseModel] = SpecDocument
) -> frozenset[str]:
    """The keys a mapping at `loc` (its path, tags included) may have."""
    path = [p for p in loc if isinstance(p, str) and not p.endswith(TAG_SUFFIX)]
    if path and path[-1] in ("scope", "name_scope"):
        return _model_keys(Ref)
    if isinstance(mapping, dict):
        kinds = [k for k in STATEMENT_KINDS if k in mapping]
        if "use" in kinds:
            kinds = ["use"]
        if len(kinds) == 1:
            return ALL_STATEMENT_KEYS[kinds[0]] | {"if"}
    if not loc:
        return _model_keys(top)
    if path == ["defaults"] and len(loc) == 1:
        return _model_keys(Defaults)
    if path and path[0] == "templates" and len(loc) == 2:
        return _model_keys(TemplateDef)
    if path and path[0] == "templates" and len(loc) == 4 and path[2] == "args":
        return _model_keys(ArgSpec)
    return _GENERIC_KEYS


def _drop_union_branch(root: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Pydantic reports each branch of a union such as `NameValue | Ref | None`
    under its own label (`function-plain[_v_name()]`, `Ref`). Keep only the
    branch that fits what is written (a mapping is a `{ref}`, anything else a
    name): (loc without the label, whether to keep the error)."""
    cur = root
    out: list[Any] = []
    for part in loc:
        if isinstance(part, str) and part.endswith(TAG_SUFFIX):
            out.append(part)
        elif (isinstance(cur, dict) and part in cur) or (
            isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        ):
            out.append(part)
            cur = cur[part]
        elif isinstance(part, str) and part.startswith("function-"):
            if isinstance(cur, dict):
                return loc, False
        elif isinstance(part, str) and part in _UNION_MODELS:
            if not isinstance(cur, dict):
                return loc, False
        else:
            out.append(part)
            cur = None
    return tuple(out), True


def _describe_statement_problem(item: Any) -> str:
    if not isinstance(item, dict):
        return f"a statement must be a mapping such as `- var: NAME`, got {_kind_of(item)}"
    kinds = [k for k in STATEMENT_KINDS if k in item]
    if len(kinds) > 1:
        return (
            f"two statement kinds in one item: {' and '.join(kinds)}; write each as its own "
            "list item"
        )
    keys = [str(k) for k in item]
    guesses = []
    for k in keys:
        close = difflib.get_close_matches(k, list(STATEMENT_KINDS), n=1)
        if close:
            guesses.append(f"{k!r} -> {close[0]!r}")
    hint = f"; did you mean {', '.join(guesses)}?" if guesses else ""
    return (
        f"a statement needs exactly one of {', '.join(STATEMENT_KINDS)}; got keys "
        f"{', '.join(map(repr, keys)) or 'none'}{hint}"
    )


def _kind_of(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int | float):
        return f"a number ({v!r})"
    if isinstance(v, str):
        return f"a string ({v!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def translate_errors(
    err: ValidationError, root: Any, file: str, model: type[BaseModel] = SpecDocument
) -> list[Diagnostic]:
    """Map pydantic errors to located, readable diagnostics (one per location)."""
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for e in err.errors(include_url=False):
        loc, keep = _drop_union_branch(root, tuple(e["loc"]))
        if not keep:
            continue
        etype = e["type"]
        ctx = e.get("ctx") or {}
        sub = tuple(ctx.get("sub", ()))
        full = loc + sub
        code = "expression" if etype == "expression" else "schema"
        if etype == "extra_forbidden":
            parent, key, _ = _walk(root, loc)
            span = parent.key_span(key) if isinstance(parent, LocDict) else None
            allowed = _allowed_keys(parent, loc[:-1], model)
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown key {key!r}{hint}"
            help_ = f"valid keys here: {', '.join(sorted(allowed))}"
        elif etype == "missing":
            parent, key, node = _walk(root, loc[:-1])
            span = _span_of(node) or _child_span(parent, key)
            message = f"missing required key {loc[-1]!r}"
            help_ = None
        elif etype in ("union_tag_not_found", "union_tag_invalid"):
            parent, key, node = _walk(root, loc)
            span = _span_of(node) or _child_span(parent, key)
            message = _describe_statement_problem(node)
            help_ = None
        else:
            parent, key, node = _walk(root, full)
            if ctx.get("at_key") and sub and key == sub[-1] and isinstance(parent, LocDict):
                span = parent.key_span(key)
            else:
                if sub and node is None:
                    parent, key, node = _walk(root, loc)
                span = _child_span(parent, key) if parent is not None else _span_of(root)
            if etype in ("schema", "expression"):
                message = e["msg"]
            elif etype == "literal_error":
                message = (
                    f"expected {ctx.get('expected', 'one of the allowed values')}, got "
                    f"{_kind_of(e.get('input'))}"
                )
                if loc and loc[-1] == "specc":
                    message = (
                        f"unsupported language version {e.get('input')!r}; this specc "
                        "reads `specc: 1`"
                    )
            elif etype in _TYPE_PHRASES:
                message = f"expected {_TYPE_PHRASES[etype]}, got {_kind_of(e.get('input'))}"
            elif etype in ("greater_than_equal", "less_than", "greater_than", "less_than_equal"):
                bound = next(iter(ctx.values()), "")
                rel = {
                    "greater_than": ">",
                    "greater_than_equal": ">=",
                    "less_than": "<",
                    "less_than_equal": "<=",
                }[etype]
                message = f"must be {rel} {bound}, got {_kind_of(e.get('input'))}"
            else:
                message = f"invalid value {_kind_of(e.get('input'))} ({etype.replace('_', ' ')})"
            where = _loc_text(full)
            if where and etype not in ("schema", "expression"):
                message = f"{where}: {message}"
            help_ = None
        key_t = (span, message)
        if key_t in seen:
            continue
        seen.add(key_t)
        out.append(Diagnostic(code, message, span or Span(file, 1, 1), help=help_))
    return out


def _loc_text(loc: tuple[Any, ...]) -> str:
    parts = [
        p
        for p in loc
        if not (isinstance(p, str) and p.endswith(TAG_SUFFIX)) and not isinstance(p, int)
    ]
    return str(parts[-1]) if parts else ""
