"""The catalogs one compilation uses: the five registries of option kinds, and
the lookup of a kind (custom-getter plugins included)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from specc.catalog.base import Entry, Registry
from specc.catalog.constraints import CONSTRAINTS, ConstraintEntry
from specc.catalog.getters import GetterEntry, builtin_getters, load_getters
from specc.catalog.initializers import INITIALIZERS, InitializerEntry
from specc.catalog.partitioners import PARTITIONERS, PartitionerEntry
from specc.catalog.regularizers import REGULARIZERS, RegularizerEntry


@dataclass(frozen=True, slots=True)
class Catalogs:
    """The registries one compilation uses; passed along, never mutated."""

    initializer: Registry[InitializerEntry]
    partitioner: Registry[PartitionerEntry]
    regularizer: Registry[RegularizerEntry]
    constraint: Registry[ConstraintEntry]
    custom_getter: Registry[GetterEntry]

    def registry(self, catalog: str) -> Registry[Entry]:
        reg: Registry[Entry] = getattr(self, catalog)
        return reg


CATALOG_NAMES = ("initializer", "partitioner", "regularizer", "constraint", "custom_getter")


@cache
def default_catalogs() -> Catalogs:
    """The built-in catalogs (a custom getter they lack is looked up among the
    installed plugins by `lookup`)."""
    return Catalogs(INITIALIZERS, PARTITIONERS, REGULARIZERS, CONSTRAINTS, builtin_getters())


@cache
def _with_plugins() -> Catalogs:
    base = default_catalogs()
    return Catalogs(
        base.initializer, base.partitioner, base.regularizer, base.constraint, load_getters()
    )


def lookup(catalog: str, kind: str) -> Entry | None:
    """The entry of `kind` in `catalog`; custom getters from installed plugins too."""
    entry = default_catalogs().registry(catalog).get(kind)
    if entry is None and catalog == "custom_getter":
        entry = _with_plugins().registry(catalog).get(kind)
    return entry


def known_kinds(catalog: str) -> tuple[str, ...]:
    """Every kind `lookup` can find (plugins included for custom getters)."""
    if catalog == "custom_getter":
        return _with_plugins().registry(catalog).kinds()
    return default_catalogs().registry(catalog).kinds()
