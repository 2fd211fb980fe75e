"""Variable scopes: TF's `VariableScope` objects and the reuse modes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from specc.catalog import (
    ConstraintEntry,
    GetterEntry,
    InitializerEntry,
    PartitionerEntry,
    RegularizerEntry,
)
from specc.catalog.dtypes import FLOAT32, DType
from specc.engine.options import LiteralValue, Option


class Reuse(enum.Enum):
    """A scope's reuse mode. `INHERIT` is what `reuse: false` or `null` ask for
    (TF turns False into None); a scope's own mode is NO, YES or AUTO."""

    INHERIT = "inherit"
    NO = "no"
    YES = "yes"
    AUTO = "auto"

    @property
    def truthy(self) -> bool:
        """TF's truthiness of the flag (`reuse or old.reuse`)."""
        return self in (Reuse.YES, Reuse.AUTO)


InitOption = Option[InitializerEntry] | LiteralValue


@dataclass(frozen=True, slots=True)
class ScopeOptions:
    """The defaults a `variable_scope` call sets (None: not given)."""

    initializer: InitOption | None = None
    regularizer: Option[RegularizerEntry] | None = None
    partitioner: Option[PartitionerEntry] | None = None
    constraint: Option[ConstraintEntry] | None = None
    custom_getter: Option[GetterEntry] | None = None
    dtype: DType | None = None
    caching_device: str | None = None
    use_resource: bool | None = None


NO_OPTIONS = ScopeOptions()


@dataclass(slots=True, eq=False)
class VariableScope:
    """One `VariableScope` object. Mutable only through `reuse_variables`."""

    reuse: Reuse
    name: str = ""
    original_name_scope: str = ""
    initializer: InitOption | None = None
    regularizer: Option[RegularizerEntry] | None = None
    partitioner: Option[PartitionerEntry] | None = None
    constraint: Option[ConstraintEntry] | None = None
    #: composed custom getters, innermost (called first) first
    getters: tuple[Option[GetterEntry], ...] = ()
    dtype: DType = FLOAT32
    caching_device: str | None = None
    use_resource: bool | None = None
    #: where it was opened (for explanations); engine-neutral
    origin: object = field(default=None, compare=False)
    #: its last name component is a `default_name` made unique (`dense_1`)
    made_unique: bool = False

    def with_options(self, options: ScopeOptions) -> VariableScope:
        """Apply the setters TF's `_pure_variable_scope` applies for given options."""
        if options.initializer is not None:
            self.initializer = options.initializer
        if options.regularizer is not None:
            self.regularizer = options.regularizer
        if options.caching_device is not None:
            self.caching_device = options.caching_device
        if options.partitioner is not None:
            self.partitioner = options.partitioner
        if options.custom_getter is not None:
            self.getters = (options.custom_getter, *self.getters)
        if options.dtype is not None:
            self.dtype = options.dtype
        if options.use_resource is not None:
            self.use_resource = options.use_resource
        return self
