"""Values in the spec language: the plain validators of keys that may hold an
expression, and their JSON Schemas.

A value is validated into a concrete value or a compiled `Expr`
(`specc.lang.expr.Compiled`). A rejected value raises pydantic's custom error
with the path from the value to the part at fault (`sub`), which
`specc.lang.errors` maps back to the located YAML.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from pydantic import PlainValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from specc.catalog.dtypes import DType, dtype_names, parse_dtype
from specc.lang.context import ValidationContext, context_of
from specc.lang.expr import Compiled, ExprError

Expr = Compiled


def fail(
    message: str, *, code: str = "schema", sub: tuple[str | int, ...] = (), at_key: bool = False
) -> NoReturn:
    """Reject a value. `sub` leads from the value to the part at fault; with
    `at_key` the diagnostic points at the last key of that path (an unknown
    catalog kind or argument), not at its value."""
    raise PydanticCustomError(code, message, {"sub": sub, "at_key": at_key})


def compile_expr(text: str, ctx: ValidationContext) -> Expr:
    """The compiled expression of `text`, or a located `expression` error."""
    try:
        return ctx.expression(text)
    except ExprError as e:
        return fail(f"in expression {text!r}: {e.message}", code="expression")


def _type_name(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def describe(v: object) -> str:
    if isinstance(v, (dict, list)):
        return _type_name(v)
    return f"{_type_name(v)} ({v!r})"


def _v_name(v: object, info: ValidationInfo) -> str | Expr:
    if isinstance(v, str):
        return compile_expr(v, context_of(info)) if "$" in v else v
    return fail(f"expected a name (a string), got {describe(v)}")


def _v_int(v: object, info: ValidationInfo) -> int | Expr:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and "$" in v:
        return compile_expr(v, context_of(info))
    return fail(f"expected an integer or an expression with $, got {describe(v)}")


def _v_dim(v: object, info: ValidationInfo) -> int | Expr:
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            return fail(f"Dimension {v} must be >= 0")
        return v
    if isinstance(v, str) and "$" in v:
        return compile_expr(v, context_of(info))
    return fail(f"a dimension must be a non-negative integer or an expression, got {describe(v)}")


def _v_bool(v: object, info: ValidationInfo) -> bool | Expr:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and "$" in v:
        return compile_expr(v, context_of(info))
    return fail(f"expected true or false, got {describe(v)}")


def _v_any_value(v: object, info: ValidationInfo) -> Any:
    """A param or template-argument value: a scalar, or an expression string."""
    if isinstance(v, bool | int | float):
        return v
    if isinstance(v, str):
        return compile_expr(v, context_of(info)) if "$" in v else v
    return fail(f"expected a number, boolean or string, got {describe(v)}")


def _v_dtype(v: object, info: ValidationInfo) -> DType | Expr:
    if isinstance(v, str):
        if "$" in v:
            return compile_expr(v, context_of(info))
        d = parse_dtype(v)
        if d is None:
            close = difflib.get_close_matches(v, dtype_names(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return fail(f"unknown dtype {v!r}{hint} (known: {', '.join(dtype_names())})")
        return d
    return fail(f"expected a dtype name, got {describe(v)}")


def _v_choice(*choices: str) -> Callable[[object, ValidationInfo], str | Expr]:
    def check(v: object, info: ValidationInfo) -> str | Expr:
        if isinstance(v, str):
            if "$" in v:
                return compile_expr(v, context_of(info))
            if v in choices:
                return v
        return fail(f"expected one of {', '.join(choices)}, got {describe(v)}")

    return check


def _v_reuse(v: object, info: ValidationInfo) -> bool | str | Expr | None:
    if v is None or isinstance(v, bool) or v == "auto":
        return v if not isinstance(v, str) else "auto"
    if isinstance(v, str) and "$" in v:
        return compile_expr(v, context_of(info))
    return fail(f"reuse must be true, auto, false or null, got {describe(v)}")


def _v_collections(v: object, info: ValidationInfo) -> tuple[str | Expr, ...]:
    if not isinstance(v, list):
        return fail(f"collections must be a list of strings, got {describe(v)}")
    out: list[str | Expr] = []
    for i, c in enumerate(v):
        if not isinstance(c, str):
            return fail(f"a collection key must be a string, got {describe(c)}", sub=(i,))
        out.append(compile_expr(c, context_of(info)) if "$" in c else c)
    return tuple(out)


def _v_names_list(v: object, info: ValidationInfo) -> tuple[str | Expr, ...]:
    if not isinstance(v, list):
        return fail(f"expected a list of names, got {describe(v)}")
    out: list[str | Expr] = []
    for i, c in enumerate(v):
        if not isinstance(c, str):
            return fail(f"expected a name, got {describe(c)}", sub=(i,))
        out.append(compile_expr(c, context_of(info)) if "$" in c else c)
    return tuple(out)


def _v_shape(v: object, info: ValidationInfo) -> tuple[int | Expr, ...]:
    if not isinstance(v, list):
        return fail(f"shape must be a list of dimensions, got {describe(v)}")
    dims = tuple(v)
    for d in dims:
        if type(d) is not int or d < 0:
            break
    else:
        return dims  # the common case: plain non-negative integers
    out: list[int | Expr] = []
    for i, d in enumerate(v):
        try:
            out.append(_v_dim(d, info))
        except PydanticCustomError as e:
            raise PydanticCustomError(e.type, e.message(), {"sub": (i,)}) from None
    return tuple(out)


EXPR_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"\$",
    "description": "An expression: `$name`, `${...}` interpolation or arithmetic such as "
    "`4 * $hidden`.",
}


def or_expr(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, EXPR_SCHEMA]}


NameValue = Annotated[
    str | Expr,
    PlainValidator(_v_name),
    WithJsonSchema({"type": "string"}),
]
IntValue = Annotated[
    int | Expr, PlainValidator(_v_int), WithJsonSchema(or_expr({"type": "integer"}))
]
BoolValue = Annotated[
    bool | Expr, PlainValidator(_v_bool), WithJsonSchema(or_expr({"type": "boolean"}))
]
DTypeValue = Annotated[
    DType | Expr,
    PlainValidator(_v_dtype),
    WithJsonSchema(or_expr({"enum": list(dtype_names())})),
]
ShapeValue = Annotated[
    tuple[int | Expr, ...],
    PlainValidator(_v_shape),
    WithJsonSchema(
        {
            "type": "array",
            "items": or_expr({"type": "integer", "minimum": 0}),
            "description": "Dimensions: non-negative integers or expressions.",
        }
    ),
]
CollectionsValue = Annotated[
    tuple[str | Expr, ...],
    PlainValidator(_v_collections),
    WithJsonSchema({"type": "array", "items": {"type": "string"}}),
]
NamesValue = Annotated[
    tuple[str | Expr, ...],
    PlainValidator(_v_names_list),
    WithJsonSchema({"type": "array", "items": {"type": "string"}}),
]
ScalarValue = Annotated[
    Any,
    PlainValidator(_v_any_value),
    WithJsonSchema({"type": ["integer", "number", "boolean", "string"]}),
]
ReuseValue = Annotated[
    bool | str | Expr | None,
    PlainValidator(_v_reuse),
    WithJsonSchema(
        {
            "anyOf": [{"type": "boolean"}, {"const": "auto"}, {"type": "null"}, EXPR_SCHEMA],
            "description": "true: share only; auto: create or share; false/null: inherit "
            "the enclosing scope's reuse.",
        }
    ),
]
SYNC_MODES = ("auto", "none", "on_write", "on_read")
AGG_MODES = ("none", "sum", "mean", "only_first_replica")
SyncValue = Annotated[
    str | Expr,
    PlainValidator(_v_choice(*SYNC_MODES)),
    WithJsonSchema(or_expr({"enum": list(SYNC_MODES)})),
]
AggValue = Annotated[
    str | Expr,
    PlainValidator(_v_choice(*AGG_MODES)),
    WithJsonSchema(or_expr({"enum": list(AGG_MODES)})),
]
