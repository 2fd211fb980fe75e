"""The variable table of a generated module: its records, its error type, and
its loading from the embedded compact JSON (`_TABLE`) on first use."""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from specc.runtime.generated import _TABLE, _TABLE_ENCODING, SPEC_NAME


class PartitionInfo(NamedTuple):
    """One part of a partitioned variable: its name, shape and offset in the whole."""

    name: str
    shape: tuple[int, ...]
    offset: tuple[int, ...]


class VariableInfo(NamedTuple):
    """One variable of the table (a partitioned variable is one record)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool
    collections: tuple[str, ...]
    partitions: tuple[PartitionInfo, ...] | None
    initializer: Mapping[str, Any]
    regularizer: Mapping[str, Any] | None
    constraint: Mapping[str, Any] | None
    local: bool
    tensor: str
    read_dtype: str | None
    options: Mapping[str, Any]
    defined_at: str | None

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)


class ParamsError(ValueError):
    """Parameters that do not match the table: a missing, extra or mismatched key."""


def _table_text() -> str:
    if _TABLE_ENCODING == "zlib+base85":
        return zlib.decompress(base64.b85decode(_TABLE)).decode("utf-8")
    return _TABLE


def _load_table() -> tuple[VariableInfo, ...]:
    t = json.loads(_table_text())
    cols = [tuple(c) for c in t["collections"]]
    inits = [MappingProxyType(i) for i in t["initializers"]]
    regs = [MappingProxyType(r) for r in t["regularizers"]]
    cons = [MappingProxyType(c) for c in t["constraints"]]
    opts = [MappingProxyType(o) for o in t["options"]]
    out = []
    for n, sh, dt, tr, co, pa, ini, rg, cn, lo, te, rd, op, at in t["variables"]:
        parts = None
        if pa is not None:
            parts = tuple(PartitionInfo(p[0], tuple(p[1]), tuple(p[2])) for p in pa)
        out.append(
            VariableInfo(
                n,
                tuple(sh),
                dt,
                tr,
                cols[co],
                parts,
                inits[ini],
                None if rg < 0 else regs[rg],
                None if cn < 0 else cons[cn],
                lo,
                te,
                rd,
                opts[op],
                at,
            )
        )
    return tuple(out)


#: The variables in creation order (built from `_TABLE` on first use, so that
#: importing the module stays cheap).
VARIABLES: tuple[VariableInfo, ...]


@cache
def _variables() -> tuple[VariableInfo, ...]:
    """The table, loaded once (an immutable value)."""
    return _load_table()


@cache
def _by_name() -> Mapping[str, VariableInfo]:
    """The table's variables by name, built once."""
    return MappingProxyType({v.name: v for v in _variables()})


def __getattr__(name: str) -> Any:
    if name == "VARIABLES":
        return _variables()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _info(name: str) -> VariableInfo:
    try:
        return _by_name()[name]
    except KeyError:
        raise KeyError(f"no variable {name!r} in spec {SPEC_NAME!r}") from None
