"""Catalog options: an option value names a catalog kind (`glorot_uniform`, or
`{variance_scaling: {scale: 2.0}}`), validated into a `CatalogRef`.

Specs repeat the same option on thousands of variables, so an option written
with plain arguments is validated once per compilation and the (immutable)
result shared: the interning table lives in the compilation's `ValidationContext`,
passed to pydantic as the validation context.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError, ValidationInfo
from pydantic_core import core_schema

from specc.catalog import Args, Entry, default_catalogs
from specc.lang.context import INTERN_LIMIT, ValidationContext, context_of
from specc.lang.expr import Compiled, ExprError
from specc.lang.values import compile_expr, describe, fail, or_expr


@dataclass(frozen=True, slots=True)
class CatalogRef:
    """An option value naming a catalog kind: the entry, its arguments as written
    (values may be `Expr`), and `args`, the validated arguments when none is an
    expression (else None: they are validated when evaluated)."""

    catalog: str
    entry: Entry | None  # None for the `value` pseudo-initializer
    raw_args: Mapping[str, Any]
    args: Args | None
    literal: Any = None  # the `value` literal


def _contains_expr(v: object) -> bool:
    if isinstance(v, str):
        return "$" in v
    if isinstance(v, list):
        return any(_contains_expr(x) for x in v)
    return False


def _compile_arg(v: object, sub: tuple[str | int, ...], ctx: ValidationContext) -> Any:
    if isinstance(v, str) and "$" in v:
        try:
            return ctx.expression(v)
        except ExprError as e:
            return fail(f"in expression {v!r}: {e.message}", code="expression", sub=sub)
    return v


def args_error_message(entry: Entry, err: ValidationError) -> tuple[str, tuple[str | int, ...]]:
    """One readable message for the first problem in an argument model's errors."""
    e = err.errors()[0]
    loc = tuple(e["loc"])
    field = str(loc[0]) if loc else ""
    fields = list(entry.args.model_fields)
    if e["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        valid = ", ".join(fields) or "none"
        return (f"{entry.kind} has no argument {field!r}{hint} (arguments: {valid})", loc[:1])
    if e["type"] == "missing":
        return (f"{entry.kind} needs argument {field!r}", ())
    info = entry.args.model_fields.get(field)
    expected = _describe_annotation(info.annotation) if info is not None else "a valid value"
    got = e.get("input")
    if e["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = e.get("ctx") or {}
        bound = next(iter(ctx.values()), "")
        rel = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[e["type"]]
        return (f"{entry.kind} argument {field!r} must be {rel} {bound}, got {got!r}", loc[:1])
    return (f"{entry.kind} argument {field!r} expects {expected}, got {describe(got)}", loc[:1])


def _describe_annotation(ann: object) -> str:
    text = str(ann).replace("typing.", "")
    if "Literal[" in text:
        inner = text[text.index("Literal[") + 8 : text.index("]")]
        return "one of " + inner.replace("'", "")
    parts = []
    for name, phrase in (
        ("bool", "a boolean"),
        ("int", "an integer"),
        ("float", "a number"),
        ("str", "a string"),
        ("list", "a list"),
        ("None", "null"),
    ):
        if name in text:
            parts.append(phrase)
    return " or ".join(dict.fromkeys(parts)) or "a valid value"


def validate_args(entry: Entry, raw: Mapping[str, Any]) -> Args:
    """Validate evaluated arguments; raises ValidationError."""
    return entry.args.model_validate(dict(raw))


_SCALAR_TYPES = frozenset((int, float, bool, type(None)))


def _interning_key(v: object) -> tuple[Any, ...] | None:
    """A hashable key for an option written with scalar arguments only (types
    included: `0` and `0.0` differ for an integer variable), else None."""
    if isinstance(v, str):
        return (v,) if "$" not in v else None
    if isinstance(v, dict) and len(v) == 1:
        ((kind, args),) = v.items()
        if args is None:
            return (kind,)
        if not isinstance(args, dict):
            return None
        key: list[Any] = [kind]
        for name, a in args.items():
            t = type(a)
            if t is str:
                if "$" in a:
                    return None
            elif t not in _SCALAR_TYPES:
                return None
            key.append((name, t, a))
        return tuple(key)
    return None


def validate_interned(ctx: ValidationContext, catalog: str, v: object) -> CatalogRef:
    """An option of `catalog`, validated once per compilation per distinct plain
    spelling (specs repeat the same option on many variables; sharing the
    immutable result shares its evaluation too)."""
    key = _interning_key(v)
    if key is None:
        return validate_option(ctx, catalog, v)
    key = (catalog, *key)
    found = ctx.options.get(key)
    if found is None:
        found = validate_option(ctx, catalog, v)
        if len(ctx.options) < INTERN_LIMIT:
            ctx.options[key] = found
    return found


def _split_option(catalog: str, v: object, ctx: ValidationContext) -> tuple[str, Any]:
    """(kind, arguments as written) of an option value, or a schema error."""
    if isinstance(v, str):
        return v, {}
    if isinstance(v, dict) and len(v) == 1:
        ((kind, args),) = v.items()
        return kind, {} if args is None else args
    kinds = ", ".join(ctx.catalogs.registry(catalog).kinds())
    return fail(
        f"an {catalog} is a kind name or a one-key mapping {{kind: {{args}}}}; "
        f"got {describe(v)} (kinds: {kinds})"
    )


def _value_literal(args: object) -> CatalogRef:
    if _contains_expr(args):
        return fail("a value literal cannot contain expressions", sub=("value",))
    if isinstance(args, dict):
        return fail("a value literal is a number, boolean, string or nested list", sub=("value",))
    return CatalogRef("initializer", None, {}, None, literal=args)


def _unknown_kind(catalog: str, kind: str, v: object, ctx: ValidationContext) -> CatalogRef:
    known = ctx.known_kinds(catalog)
    close = difflib.get_close_matches(kind, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    extra = ", value" if catalog == "initializer" else ""
    return fail(
        f"unknown {catalog} {kind!r}{hint} (kinds: {', '.join(known)}{extra})",
        sub=(kind,) if isinstance(v, dict) else (),
        at_key=True,
    )


def _check_arg_names(entry: Entry, kind: str, args: Mapping[str, Any]) -> None:
    unknown = [k for k in args if k not in entry.args.model_fields]
    if unknown:
        fields = list(entry.args.model_fields)
        close = difflib.get_close_matches(unknown[0], fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        fail(
            f"{kind} has no argument {unknown[0]!r}{hint} "
            f"(arguments: {', '.join(fields) or 'none'})",
            sub=(kind, unknown[0]),
            at_key=True,
        )


def validate_option(ctx: ValidationContext, catalog: str, v: object) -> CatalogRef:
    """Validate one option value of `catalog` (no interning)."""
    if isinstance(v, str) and "$" in v:
        # a kind given by a template argument: resolved when evaluated
        return CatalogRef(catalog, None, {"$kind": compile_expr(v, ctx)}, None)
    kind, args = _split_option(catalog, v, ctx)
    if catalog == "initializer" and kind == "value":
        return _value_literal(args)
    entry = ctx.lookup(catalog, kind)
    if entry is None:
        return _unknown_kind(catalog, kind, v, ctx)
    if not isinstance(args, dict):
        return fail(f"{kind}: arguments must be a mapping, got {describe(args)}", sub=(kind,))
    compiled = {k: _compile_arg(a, (kind, k), ctx) for k, a in args.items()}
    _check_arg_names(entry, kind, compiled)
    if any(isinstance(a, Compiled) for a in compiled.values()):
        return CatalogRef(catalog, entry, compiled, None)
    try:
        validated = validate_args(entry, compiled)
    except ValidationError as err:
        msg, loc = args_error_message(entry, err)
        return fail(msg, sub=(kind, *loc))
    return CatalogRef(catalog, entry, compiled, validated)


def _catalog_validator(catalog: str) -> core_schema.WithInfoValidatorFunction:
    def check(v: object, info: ValidationInfo) -> CatalogRef:
        return validate_interned(context_of(info), catalog, v)

    return check


def _arg_annotations(prop: dict[str, Any]) -> dict[str, Any]:
    """Description and default of a catalog argument, lifted beside its `anyOf`."""
    out: dict[str, Any] = {"description": prop.get("description", "")}
    if "default" in prop:
        out["default"] = prop["default"]
    return out


def _catalog_schema(catalog: str) -> dict[str, Any]:
    registry = default_catalogs().registry(catalog)
    forms: list[dict[str, Any]] = []
    kinds = list(registry.kinds())
    forms.append({"enum": kinds + (["value"] if catalog == "initializer" else [])})
    props: dict[str, Any] = {}
    for kind in kinds:
        entry = registry[kind]
        schema = entry.args.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        schema["properties"] = {
            k: or_expr(p) | _arg_annotations(p) for k, p in schema.get("properties", {}).items()
        }
        schema["description"] = f"{entry.doc} (TF: {entry.tf_api})"
        if not schema["properties"]:
            schema = {
                "type": ["object", "null"],
                "maxProperties": 0,
                "description": schema["description"],
            }
        props[kind] = schema
    if catalog == "initializer":
        props["value"] = {
            "description": "A literal (number, boolean, string or nested list): the variable's "
            "value, shape and dtype (ints make int32, floats float32); no `shape:` beside it.",
        }
    forms.append(
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": props,
            "additionalProperties": False,
        }
    )
    return {"anyOf": forms, "description": f"An {catalog}: a kind name or {{kind: {{args}}}}."}


class CatalogOption:
    """The pydantic type of a catalog option: a plain validator, and a JSON Schema
    built from the registry only when a schema is asked for (not at import)."""

    def __init__(self, catalog: str) -> None:
        self.catalog = catalog

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(_catalog_validator(self.catalog))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return _catalog_schema(self.catalog)


InitializerValue = Annotated[CatalogRef, CatalogOption("initializer")]

RegularizerValue = Annotated[CatalogRef, CatalogOption("regularizer")]

PartitionerValue = Annotated[CatalogRef, CatalogOption("partitioner")]

ConstraintValue = Annotated[CatalogRef, CatalogOption("constraint")]

CustomGetterValue = Annotated[CatalogRef, CatalogOption("custom_getter")]
