"""Catalogs of option kinds: initializers, partitioners, regularizers,
constraints and custom getters, each a registry of typed entries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from specc.catalog.base import Args, Entry, NoArgs, Registry
from specc.catalog.constraints import CONSTRAINTS, ConstraintEntry
from specc.catalog.getters import GetterCall, GetterEntry, load_getters
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
    """The built-in catalogs plus installed custom-getter plugins (loaded once)."""
    return Catalogs(INITIALIZERS, PARTITIONERS, REGULARIZERS, CONSTRAINTS, load_getters())


__all__ = [
    "CATALOG_NAMES",
    "Args",
    "Catalogs",
    "ConstraintEntry",
    "Entry",
    "GetterCall",
    "GetterEntry",
    "InitializerEntry",
    "NoArgs",
    "PartitionerEntry",
    "Registry",
    "RegularizerEntry",
    "default_catalogs",
]
