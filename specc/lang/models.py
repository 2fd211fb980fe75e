"""The spec language, version 1, as pydantic models: the AST of a spec.

Values that may be expressions are validated by small plain validators into
either a concrete value or a compiled `Expr` (`specc.expr.Compiled`); catalog
options into a `CatalogRef`. Every model carries, after validation, the located
YAML mapping it came from (`node`), so later stages can point at a statement or
at one of its keys without ever reading YAML.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    Tag,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError, core_schema

from specc.catalog import (
    CATALOG_NAMES,
    Args,
    Catalogs,
    Entry,
    default_catalogs,
    known_kinds,
    lookup,
)
from specc.catalog.dtypes import DType, dtype_names, parse_dtype
from specc.lang.expr import Compiled, ExprError, compile_value
from specc.span import Span

Expr = Compiled

# --------------------------------------------------------------------------- value validators


def _fail(
    message: str, *, code: str = "schema", sub: tuple[str | int, ...] = (), at_key: bool = False
) -> NoReturn:
    """Reject a value. `sub` leads from the value to the part at fault; with
    `at_key` the diagnostic points at the last key of that path (an unknown
    catalog kind or argument), not at its value."""
    raise PydanticCustomError(code, message, {"sub": sub, "at_key": at_key})


def _expr(text: str) -> Expr:
    try:
        return compile_value(text)
    except ExprError as e:
        return _fail(f"in expression {text!r}: {e.message}", code="expression")


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


def _got(v: object) -> str:
    if isinstance(v, (dict, list)):
        return _type_name(v)
    return f"{_type_name(v)} ({v!r})"


def _v_name(v: object) -> str | Expr:
    if isinstance(v, str):
        return _expr(v) if "$" in v else v
    return _fail(f"expected a name (a string), got {_got(v)}")


def _v_int(v: object) -> int | Expr:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and "$" in v:
        return _expr(v)
    return _fail(f"expected an integer or an expression with $, got {_got(v)}")


def _v_dim(v: object) -> int | Expr:
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            return _fail(f"Dimension {v} must be >= 0")
        return v
    if isinstance(v, str) and "$" in v:
        return _expr(v)
    return _fail(f"a dimension must be a non-negative integer or an expression, got {_got(v)}")


def _v_bool(v: object) -> bool | Expr:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and "$" in v:
        return _expr(v)
    return _fail(f"expected true or false, got {_got(v)}")


def _v_any_value(v: object) -> Any:
    """A param or template-argument value: a scalar, or an expression string."""
    if isinstance(v, bool | int | float):
        return v
    if isinstance(v, str):
        return _expr(v) if "$" in v else v
    return _fail(f"expected a number, boolean or string, got {_got(v)}")


def _v_dtype(v: object) -> DType | Expr:
    if isinstance(v, str):
        if "$" in v:
            return _expr(v)
        d = parse_dtype(v)
        if d is None:
            close = difflib.get_close_matches(v, dtype_names(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return _fail(f"unknown dtype {v!r}{hint} (known: {', '.join(dtype_names())})")
        return d
    return _fail(f"expected a dtype name, got {_got(v)}")


def _v_choice(*choices: str) -> Callable[[object], str | Expr]:
    def check(v: object) -> str | Expr:
        if isinstance(v, str):
            if "$" in v:
                return _expr(v)
            if v in choices:
                return v
        return _fail(f"expected one of {', '.join(choices)}, got {_got(v)}")

    return check


def _v_reuse(v: object) -> bool | str | Expr | None:
    if v is None or isinstance(v, bool) or v == "auto":
        return v if not isinstance(v, str) else "auto"
    if isinstance(v, str) and "$" in v:
        return _expr(v)
    return _fail(f"reuse must be true, auto, false or null, got {_got(v)}")


def _v_collections(v: object) -> tuple[str | Expr, ...]:
    if not isinstance(v, list):
        return _fail(f"collections must be a list of strings, got {_got(v)}")
    out: list[str | Expr] = []
    for i, c in enumerate(v):
        if not isinstance(c, str):
            return _fail(f"a collection key must be a string, got {_got(c)}", sub=(i,))
        out.append(_expr(c) if "$" in c else c)
    return tuple(out)


def _v_names_list(v: object) -> tuple[str | Expr, ...]:
    if not isinstance(v, list):
        return _fail(f"expected a list of names, got {_got(v)}")
    out: list[str | Expr] = []
    for i, c in enumerate(v):
        if not isinstance(c, str):
            return _fail(f"expected a name, got {_got(c)}", sub=(i,))
        out.append(_expr(c) if "$" in c else c)
    return tuple(out)


def _v_shape(v: object) -> tuple[int | Expr, ...]:
    if not isinstance(v, list):
        return _fail(f"shape must be a list of dimensions, got {_got(v)}")
    dims = tuple(v)
    for d in dims:
        if type(d) is not int or d < 0:
            break
    else:
        return dims  # the common case: plain non-negative integers
    out: list[int | Expr] = []
    for i, d in enumerate(v):
        try:
            out.append(_v_dim(d))
        except PydanticCustomError as e:
            raise PydanticCustomError(e.type, e.message(), {"sub": (i,)}) from None
    return tuple(out)


_EXPR_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"\$",
    "description": "An expression: `$name`, `${...}` interpolation or arithmetic such as "
    "`4 * $hidden`.",
}


def _or_expr(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _EXPR_SCHEMA]}


NameValue = Annotated[
    str | Expr,
    PlainValidator(_v_name),
    WithJsonSchema({"type": "string"}),
]
IntValue = Annotated[
    int | Expr, PlainValidator(_v_int), WithJsonSchema(_or_expr({"type": "integer"}))
]
BoolValue = Annotated[
    bool | Expr, PlainValidator(_v_bool), WithJsonSchema(_or_expr({"type": "boolean"}))
]
DTypeValue = Annotated[
    DType | Expr,
    PlainValidator(_v_dtype),
    WithJsonSchema(_or_expr({"enum": list(dtype_names())})),
]
ShapeValue = Annotated[
    tuple[int | Expr, ...],
    PlainValidator(_v_shape),
    WithJsonSchema(
        {
            "type": "array",
            "items": _or_expr({"type": "integer", "minimum": 0}),
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
            "anyOf": [{"type": "boolean"}, {"const": "auto"}, {"type": "null"}, _EXPR_SCHEMA],
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
    WithJsonSchema(_or_expr({"enum": list(SYNC_MODES)})),
]
AggValue = Annotated[
    str | Expr,
    PlainValidator(_v_choice(*AGG_MODES)),
    WithJsonSchema(_or_expr({"enum": list(AGG_MODES)})),
]

# --------------------------------------------------------------------------- catalog options


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


def _compile_arg(v: object, sub: tuple[str | int, ...]) -> Any:
    if isinstance(v, str) and "$" in v:
        try:
            return compile_value(v)
        except ExprError as e:
            return _fail(f"in expression {v!r}: {e.message}", code="expression", sub=sub)
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
    return (f"{entry.kind} argument {field!r} expects {expected}, got {_got(got)}", loc[:1])


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


#: options validated per catalog and key, shared: bounded, and only ever
#: holding immutable results of a pure function (like an lru_cache)
_INTERN_LIMIT = 4096


def _catalog_validator(catalog: str) -> Callable[[object], CatalogRef]:
    interned: dict[tuple[Any, ...], CatalogRef] = {}

    def check(v: object) -> CatalogRef:
        # specs repeat the same option on many variables: validate it once and
        # share the (immutable) result, so its evaluation is shared too
        key = _interning_key(v)
        if key is None:
            return validate_option(v)
        found = interned.get(key)
        if found is None:
            found = validate_option(v)
            if len(interned) < _INTERN_LIMIT:
                interned[key] = found
        return found

    def validate_option(v: object) -> CatalogRef:
        registry = default_catalogs().registry(catalog)
        args: Any
        if isinstance(v, str):
            if "$" in v:
                # a kind given by a template argument: resolved when evaluated
                return CatalogRef(catalog, None, {"$kind": _expr(v)}, None)
            kind, args = v, {}
        elif isinstance(v, dict) and len(v) == 1:
            ((kind, args),) = v.items()
            if args is None:
                args = {}
        else:
            kinds = ", ".join(registry.kinds())
            return _fail(
                f"an {catalog} is a kind name or a one-key mapping {{kind: {{args}}}}; "
                f"got {_got(v)} (kinds: {kinds})"
            )
        if catalog == "initializer" and kind == "value":
            if _contains_expr(args):
                return _fail("a value literal cannot contain expressions", sub=("value",))
            if isinstance(args, dict):
                return _fail(
                    "a value literal is a number, boolean, string or nested list", sub=("value",)
                )
            return CatalogRef(catalog, None, {}, None, literal=args)
        entry = lookup(catalog, kind)
        if entry is None:
            known = known_kinds(catalog)
            close = difflib.get_close_matches(kind, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            extra = ", value" if catalog == "initializer" else ""
            return _fail(
                f"unknown {catalog} {kind!r}{hint} (kinds: {', '.join(known)}{extra})",
                sub=(kind,) if isinstance(v, dict) else (),
                at_key=True,
            )
        if not isinstance(args, dict):
            return _fail(f"{kind}: arguments must be a mapping, got {_got(args)}", sub=(kind,))
        compiled = {k: _compile_arg(a, (kind, k)) for k, a in args.items()}
        unknown = [k for k in compiled if k not in entry.args.model_fields]
        if unknown:
            fields = list(entry.args.model_fields)
            close = difflib.get_close_matches(unknown[0], fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return _fail(
                f"{kind} has no argument {unknown[0]!r}{hint} "
                f"(arguments: {', '.join(fields) or 'none'})",
                sub=(kind, unknown[0]),
                at_key=True,
            )
        if any(isinstance(a, Compiled) for a in compiled.values()):
            return CatalogRef(catalog, entry, compiled, None)
        try:
            validated = validate_args(entry, compiled)
        except ValidationError as err:
            msg, loc = args_error_message(entry, err)
            return _fail(msg, sub=(kind, *loc))
        return CatalogRef(catalog, entry, compiled, validated)

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
            k: _or_expr(p) | _arg_annotations(p) for k, p in schema.get("properties", {}).items()
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
        return core_schema.no_info_plain_validator_function(_catalog_validator(self.catalog))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return _catalog_schema(self.catalog)


InitializerValue = Annotated[CatalogRef, CatalogOption("initializer")]

RegularizerValue = Annotated[CatalogRef, CatalogOption("regularizer")]

PartitionerValue = Annotated[CatalogRef, CatalogOption("partitioner")]

ConstraintValue = Annotated[CatalogRef, CatalogOption("constraint")]

CustomGetterValue = Annotated[CatalogRef, CatalogOption("custom_getter")]

# --------------------------------------------------------------------------- models


class Node(BaseModel):
    """Base of every AST node: unknown keys are errors; the source mapping is kept."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, arbitrary_types_allowed=True)

    # The located mapping lives in pydantic's private slot, set after validation
    # by `set_node` and read without pydantic's __getattr__: declaring a
    # PrivateAttr would cost an initializer call per node, and the resolver asks
    # for the span of every statement it runs.

    def set_node(self, node: Any) -> None:
        """Remember the located YAML mapping this node was validated from."""
        object.__setattr__(self, "__pydantic_private__", {"_node": node})

    @property
    def node(self) -> Any:
        """The located YAML mapping this came from (`specc.source.LocDict`), or None."""
        private = self.__pydantic_private__
        return private["_node"] if private else None

    @property
    def span(self) -> Span | None:
        private = self.__pydantic_private__
        return getattr(private["_node"], "span", None) if private else None

    def key_span(self, key: str) -> Span | None:
        """Where the value of `key` is written (the statement when unknown)."""
        private = self.__pydantic_private__
        spans = getattr(private["_node"], "value_spans", None) if private else None
        if spans and key in spans:
            found: Span = spans[key]
            return found
        return self.span


class Ref(Node):
    """`{ref: NAME}`: a scope captured earlier with `capture: NAME`."""

    ref: NameValue = Field(description="The name given with `capture:`.")


class ScopeOptionsModel(Node):
    """Options a variable scope sets as defaults for the variables created in it."""

    initializer: InitializerValue | None = Field(
        None, description="Default initializer of variables created in this scope."
    )
    regularizer: RegularizerValue | None = Field(None, description="Default regularizer.")
    partitioner: PartitionerValue | None = Field(None, description="Default partitioner.")
    dtype: DTypeValue | None = Field(None, description="Default dtype (float32 at the root).")
    custom_getter: CustomGetterValue | None = Field(
        None, description="A custom getter; nested getters compose as in TF (inner first)."
    )
    caching_device: NameValue | None = Field(None, description="Carried into the table.")
    use_resource: BoolValue | None = Field(None, description="Carried into the table.")
    constraint: ConstraintValue | None = Field(
        None, description="Applies to variables created directly in this scope only (as TF)."
    )


class Defaults(ScopeOptionsModel):
    """`defaults:`: options of the root variable scope."""


class StatementBase(Node):
    if_: BoolValue | None = Field(
        None, alias="if", description="Skip the statement when this evaluates to false."
    )


Body = list[Annotated["Statement", Field()]]


class VarStmt(StatementBase):
    """`var`: `tf.compat.v1.get_variable` (or `get_local_variable` with `local: true`)."""

    var: NameValue = Field(description="Name inside the current variable scope.")
    shape: ShapeValue | None = Field(None, description="The shape; optional when shared.")
    dtype: DTypeValue | None = Field(None, description="Default: the scope's dtype.")
    initializer: InitializerValue | None = Field(
        None, description="Default: the scope's, else glorot_uniform (floats) or zeros."
    )
    regularizer: RegularizerValue | None = Field(None, description="Adds a regularization loss.")
    constraint: ConstraintValue | None = Field(None, description="Recorded for the module.")
    partitioner: PartitionerValue | None = Field(None, description="Split into parts.")
    trainable: BoolValue | None = Field(
        None, description="Default true (false when local or synchronization on_read)."
    )
    collections: CollectionsValue | None = Field(
        None, description="Replaces the default [variables]."
    )
    local: BoolValue | None = Field(
        None, description="`get_local_variable`: not trainable, in local_variables."
    )
    caching_device: NameValue | None = Field(None, description="Carried into the table.")
    use_resource: BoolValue | None = Field(None, description="Carried into the table.")
    synchronization: SyncValue | None = Field(None, description="auto, none, on_write, on_read.")
    aggregation: AggValue | None = Field(None, description="none, sum, mean, only_first_replica.")
    validate_shape: BoolValue | None = Field(None, description="Carried into the table.")


class ScopeStmt(StatementBase, ScopeOptionsModel):
    """`scope`: `tf.compat.v1.variable_scope`."""

    scope: NameValue | Ref | None = Field(
        description="A name, `{ref: NAME}` to re-enter a captured scope, or null with "
        "`default_name`."
    )
    default_name: NameValue | None = Field(None, description="Made unique: layer, layer_1, ...")
    reuse: ReuseValue = Field(None)
    auxiliary_name_scope: BoolValue | None = Field(
        None, description="false: open no name scope of its own."
    )
    values: NamesValue | None = Field(
        None, description="Ops or variables the scope's ops consume; each must exist."
    )
    capture: NameValue | None = Field(None, description="Name this scope object for `{ref}`.")
    body: Body = Field(default_factory=list, description="Statements run inside the scope.")


class ReuseVariablesStmt(StatementBase):
    """`reuse_variables: true`: `get_variable_scope().reuse_variables()`."""

    reuse_variables: BoolValue = Field(description="true makes the current scope reuse.")


class NameScopeStmt(StatementBase):
    """`name_scope`: `tf.name_scope`, which names ops and never variables."""

    name_scope: NameValue | Ref | None = Field(
        description="A name (made unique), `outer/` to re-enter exactly, `{ref: NAME}`, or "
        "null for the root."
    )
    body: Body = Field(default_factory=list)


class OpStmt(StatementBase):
    """`op`: a named graph node (no compute), to check and show name-scope rules."""

    op: NameValue = Field(description="Resolved like a TF op name: foo_1/mult, mult_1, ...")


class UseStmt(StatementBase):
    """`use`: instantiate a template."""

    use: NameValue = Field(description="The template's name.")
    instance: NameValue | None = Field(
        None, description="Calls of one instance share variables (tf.make_template)."
    )
    with_: dict[str, ScalarValue] = Field(
        default_factory=dict, alias="with", description="Template arguments."
    )
    scope: NameValue | Ref | None = Field(
        None, description="The scope to open instead of the template's default name."
    )


class RepeatStmt(StatementBase):
    """`repeat`: an unrolled loop."""

    repeat: IntValue = Field(description="How many times.")
    as_: NameValue | None = Field(None, alias="as", description="The 0-based loop variable.")
    body: Body = Field(default_factory=list)


class ThreadStmt(StatementBase):
    """`thread`: run the body as TF code in a new thread (fresh thread-local scopes)."""

    thread: NameValue | None = Field(description="A label for diagnostics.")
    body: Body = Field(default_factory=list)


STATEMENT_KINDS: dict[str, type[StatementBase]] = {
    "var": VarStmt,
    "scope": ScopeStmt,
    "reuse_variables": ReuseVariablesStmt,
    "name_scope": NameScopeStmt,
    "op": OpStmt,
    "use": UseStmt,
    "repeat": RepeatStmt,
    "thread": ThreadStmt,
}
TAG_SUFFIX = "-statement"


def statement_kind(v: Any) -> str | None:
    """The statement kind of a raw mapping: exactly one kind key (`use` may carry
    `scope:`), else None."""
    if not isinstance(v, dict):
        if isinstance(v, BaseModel):
            for kind, cls in STATEMENT_KINDS.items():
                if type(v) is cls:
                    return kind + TAG_SUFFIX
        return None
    if "use" in v:
        return "use" + TAG_SUFFIX
    found = None
    for key in v:
        if key in STATEMENT_KINDS:
            if found is not None:
                return None
            found = key
    return None if found is None else found + TAG_SUFFIX


Statement = Annotated[
    Annotated[VarStmt, Tag("var" + TAG_SUFFIX)]
    | Annotated[ScopeStmt, Tag("scope" + TAG_SUFFIX)]
    | Annotated[ReuseVariablesStmt, Tag("reuse_variables" + TAG_SUFFIX)]
    | Annotated[NameScopeStmt, Tag("name_scope" + TAG_SUFFIX)]
    | Annotated[OpStmt, Tag("op" + TAG_SUFFIX)]
    | Annotated[UseStmt, Tag("use" + TAG_SUFFIX)]
    | Annotated[RepeatStmt, Tag("repeat" + TAG_SUFFIX)]
    | Annotated[ThreadStmt, Tag("thread" + TAG_SUFFIX)],
    Discriminator(statement_kind),
]

ArgType = Literal["int", "float", "bool", "str"]


class ArgSpec(Node):
    """A template argument: its type, optional default, and what it means."""

    type: ArgType = Field(description="int, float, bool or str (option values pass as str).")
    default: ScalarValue | None = Field(None, description="Used when `with:` omits it.")
    description: str | None = Field(None, description="What the argument means.")

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set


def _v_arg_spec(v: object) -> ArgSpec:
    if isinstance(v, str):
        if v not in ("int", "float", "bool", "str"):
            return _fail(f"argument type must be int, float, bool or str, got {v!r}")
        return ArgSpec.model_validate({"type": v})
    if isinstance(v, dict):
        spec = ArgSpec.model_validate(v)
        spec.set_node(v)
        return spec
    return _fail(f"a template argument is a type name or {{type, default}}, got {_got(v)}")


ArgSpecValue = Annotated[
    ArgSpec,
    PlainValidator(_v_arg_spec),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": ["int", "float", "bool", "str"]},
                {
                    "type": "object",
                    "properties": {
                        "type": {"enum": ["int", "float", "bool", "str"]},
                        "default": {"type": ["integer", "number", "boolean", "string"]},
                        "description": {"type": "string"},
                    },
                    "required": ["type"],
                    "additionalProperties": False,
                },
            ],
            "description": "A type name, or {type, default, description}.",
        }
    ),
]


class TemplateDef(Node):
    """A named reusable body; each `use` opens a scope and runs it."""

    args: dict[str, ArgSpecValue] = Field(default_factory=dict, description="Arguments.")
    default_name: NameValue | None = Field(
        None, description="The scope a `use` opens (made unique); default: the template name."
    )
    doc: str | None = Field(None, description="What the template builds and the TF API it mirrors.")
    body: Body = Field(default_factory=list)


class SpecDocument(Node):
    """A spec file, language version 1."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        arbitrary_types_allowed=True,
        title="specc spec",
        json_schema_extra={"$id": "https://specc.dev/schemas/specc.schema.json"},
    )

    specc: Literal[1] = Field(description="The language version: 1.")
    name: str = Field(description="The model's name, a Python identifier.", examples=["translator"])
    seed: int | None = Field(None, ge=0, lt=2**64, description="Default seed of the module.")
    params: dict[str, ScalarValue] = Field(
        default_factory=dict,
        description="Compile-time values, overridable with -D NAME=VALUE; a param may use "
        "params declared before it.",
    )
    include: list[str] = Field(
        default_factory=list,
        description="Files whose templates are merged in; `std` is the bundled layer library.",
    )
    defaults: Defaults | None = Field(None, description="Options of the root variable scope.")
    templates: dict[str, TemplateDef] = Field(default_factory=dict)
    body: Body = Field(description="The statements, run in order.")


class IncludedDocument(Node):
    """An included file: it contributes `templates` (and may include others)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, arbitrary_types_allowed=True)

    specc: Literal[1] | None = None
    name: str | None = None
    include: list[str] = Field(default_factory=list)
    templates: dict[str, TemplateDef] = Field(default_factory=dict)


# The statement models refer to `Statement` before it exists: complete them now.
# Rebuilding only the two documents builds every nested model once, as one
# definition each, instead of once per model (half of this module's import).
SpecDocument.model_rebuild()
IncludedDocument.model_rebuild()

ALL_STATEMENT_KEYS: dict[str, frozenset[str]] = {
    kind: frozenset(f.alias or name for name, f in cls.model_fields.items())
    for kind, cls in STATEMENT_KINDS.items()
}
TOP_KEYS = frozenset(f.alias or n for n, f in SpecDocument.model_fields.items())

__all__ = [
    "CATALOG_NAMES",
    "ArgSpec",
    "CatalogRef",
    "Catalogs",
    "Defaults",
    "Expr",
    "NameScopeStmt",
    "OpStmt",
    "Ref",
    "RepeatStmt",
    "ReuseVariablesStmt",
    "ScopeStmt",
    "SpecDocument",
    "StatementBase",
    "TemplateDef",
    "ThreadStmt",
    "UseStmt",
    "VarStmt",
]
