"""Catalogs of option kinds: initializers, partitioners, regularizers,
constraints and custom getters, each a registry of typed entries (one file per
catalog, one entry per kind: argument model, static checks, NumPy code, docs).

The names below are imported on first use, so that importing one light part of
the package (`specc.catalog.dtypes`, which the emitter needs) does not load the
pydantic models of every catalog.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CATALOG_NAMES": "specc.catalog.catalogs",
    "Catalogs": "specc.catalog.catalogs",
    "default_catalogs": "specc.catalog.catalogs",
    "known_kinds": "specc.catalog.catalogs",
    "lookup": "specc.catalog.catalogs",
    "Args": "specc.catalog.base",
    "Entry": "specc.catalog.base",
    "NoArgs": "specc.catalog.base",
    "Registry": "specc.catalog.base",
    "ConstraintEntry": "specc.catalog.constraints",
    "GetterCall": "specc.catalog.getters",
    "GetterEntry": "specc.catalog.getters",
    "InitializerEntry": "specc.catalog.initializers",
    "PartitionerEntry": "specc.catalog.partitioners",
    "RegularizerEntry": "specc.catalog.regularizers",
}

if TYPE_CHECKING:
    from specc.catalog.base import Args, Entry, NoArgs, Registry
    from specc.catalog.catalogs import (
        CATALOG_NAMES,
        Catalogs,
        default_catalogs,
        known_kinds,
        lookup,
    )
    from specc.catalog.constraints import ConstraintEntry
    from specc.catalog.getters import GetterCall, GetterEntry
    from specc.catalog.initializers import InitializerEntry
    from specc.catalog.partitioners import PartitionerEntry
    from specc.catalog.regularizers import RegularizerEntry


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specc.catalog' has no attribute {name!r}")
    return getattr(import_module(module), name)


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
    "known_kinds",
    "lookup",
]
