"""The spec language, version 1, as pydantic models: the AST of a spec.

One model per construct. Values that may be expressions are validated by the
plain validators of `specc.lang.values` into a concrete value or a compiled
`Expr`; catalog options by `specc.lang.options` into a `CatalogRef`. Every
model carries, after validation, the located YAML mapping it came from
(`node`), so later stages can point at a statement or at one of its keys
without ever reading YAML.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    ValidationInfo,
    WithJsonSchema,
)

from specc.lang.options import (
    CatalogRef,
    ConstraintValue,
    CustomGetterValue,
    InitializerValue,
    PartitionerValue,
    RegularizerValue,
)
from specc.lang.values import (
    AggValue,
    BoolValue,
    CollectionsValue,
    DTypeValue,
    Expr,
    IntValue,
    NamesValue,
    NameValue,
    ReuseValue,
    ScalarValue,
    ShapeValue,
    SyncValue,
    describe,
    fail,
)
from specc.span import Span


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
        node: Any = private["_node"] if private else None
        value_span = getattr(node, "value_span", None)
        found: Span | None = value_span(key) if value_span is not None else None
        return found or self.span


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


def _v_arg_spec(v: object, info: ValidationInfo) -> ArgSpec:
    if isinstance(v, str):
        if v not in ("int", "float", "bool", "str"):
            return fail(f"argument type must be int, float, bool or str, got {v!r}")
        return ArgSpec.model_validate({"type": v})
    if isinstance(v, dict):
        spec = ArgSpec.model_validate(v, context=info.context)
        spec.set_node(v)
        return spec
    return fail(f"a template argument is a type name or {{type, default}}, got {describe(v)}")


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
    "ArgSpec",
    "CatalogRef",
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
