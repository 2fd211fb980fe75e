"""The flat variable table: frozen rows in creation order, and its JSON form
(DESIGN section 4, a contract).

Plain data: importing it loads neither the engine, nor pydantic, nor yaml. The
table is built by the lowering step at the end of resolution
(`specc.resolve.lower`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from specc.catalog.dtypes import DTYPES
from specc.span import Span


@dataclass(frozen=True, slots=True)
class OptionValue:
    """A catalog choice as the table holds it: the kind (`truncated_normal`, or
    `value` for a literal) and its arguments, JSON values, read-only."""

    kind: str
    args: Mapping[str, Any]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> OptionValue:
        """From the JSON form `{"kind": ..., "args": {...}}`."""
        return cls(str(data["kind"]), MappingProxyType(dict(data.get("args") or {})))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args)}

    def text(self) -> str:
        """For people: `truncated_normal(mean=0.0, stddev=0.02)`, `zeros`, `value`."""
        if self.kind == "value" or not self.args:
            return self.kind
        shown = ", ".join(f"{k}={v}" for k, v in self.args.items() if v is not None)
        return f"{self.kind}({shown})"


@dataclass(frozen=True, slots=True)
class Partition:
    """One part of a partitioned variable."""

    name: str
    shape: tuple[int, ...]
    offset: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One variable of the table (a partitioned variable is one row)."""

    name: str
    tensor: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool
    collections: tuple[str, ...]
    initializer: OptionValue
    regularizer: OptionValue | None
    constraint: OptionValue | None
    local: bool
    partitions: tuple[Partition, ...] | None
    defined_at: Span | None
    shared_at: tuple[Span, ...]
    synchronization: str = "auto"
    aggregation: str = "none"
    read_dtype: str | None = None
    caching_device: str | None = None
    use_resource: bool | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes of the whole variable in its stored dtype."""
        return self.size * DTYPES[self.dtype].itemsize

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "tensor": self.tensor,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "trainable": self.trainable,
            "collections": list(self.collections),
            "initializer": self.initializer.to_json(),
            "regularizer": None if self.regularizer is None else self.regularizer.to_json(),
            "constraint": None if self.constraint is None else self.constraint.to_json(),
            "local": self.local,
            "partitions": None
            if self.partitions is None
            else [
                {"name": p.name, "shape": list(p.shape), "offset": list(p.offset)}
                for p in self.partitions
            ],
            "defined_at": str(self.defined_at) if self.defined_at else None,
            "shared_at": [str(s) for s in self.shared_at],
            "synchronization": self.synchronization,
            "aggregation": self.aggregation,
        }
        if self.read_dtype is not None:
            out["read_dtype"] = self.read_dtype
        if self.caching_device is not None:
            out["caching_device"] = self.caching_device
        if self.use_resource is not None:
            out["use_resource"] = self.use_resource
        return out


@dataclass(frozen=True, slots=True)
class Counts:
    """How many variables, parameters (elements) and bytes."""

    variables: int = 0
    parameters: int = 0
    bytes: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.variables + other.variables,
            self.parameters + other.parameters,
            self.bytes + other.bytes,
        )

    def to_json(self) -> dict[str, int]:
        return {"variables": self.variables, "parameters": self.parameters, "bytes": self.bytes}


@dataclass(frozen=True, slots=True)
class Split:
    """Counts split as a Keras summary splits them: trainable (TF's
    `trainable_variables`) and non-trainable (every other variable, among them
    the local ones, which a TF `Saver` does not save by default)."""

    trainable: Counts = Counts()
    non_trainable: Counts = Counts()
    #: the part of `non_trainable` in TF's `local_variables`
    local: Counts = Counts()

    @property
    def total(self) -> Counts:
        return self.trainable + self.non_trainable

    def add(self, row: Row) -> Split:
        one = Counts(1, row.size, row.nbytes)
        if row.trainable:
            return Split(self.trainable + one, self.non_trainable, self.local)
        local = self.local + one if row.local else self.local
        return Split(self.trainable, self.non_trainable + one, local)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {
            "trainable": self.trainable.to_json(),
            "non_trainable": self.non_trainable.to_json(),
            "local": self.local.to_json(),
            "total": self.total.to_json(),
        }


ROOT_SCOPE = "(root)"


@dataclass(frozen=True, slots=True)
class Summary:
    """Trainable, non-trainable and total counts, per top-level scope (in the
    order their first variable was created; `(root)` for variables at the root)
    and overall."""

    scopes: tuple[tuple[str, Split], ...]
    total: Split

    def to_json(self) -> dict[str, Any]:
        return {
            "scopes": {name: split.to_json() for name, split in self.scopes},
            **self.total.to_json(),
        }


@dataclass(frozen=True, slots=True)
class VariableTable:
    """The resolved spec: variables in creation order, ops, regularization losses."""

    name: str
    variables: tuple[Row, ...]
    ops: tuple[str, ...]
    regularization_losses: tuple[str, ...]
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "specc": 1,
            "name": self.name,
            "variables": [r.to_json() for r in self.variables],
            "ops": list(self.ops),
            "regularization_losses": list(self.regularization_losses),
            "summary": self.summary().to_json(),
        }

    def dumps(self) -> str:
        """The table's JSON text: one line per variable, stable and diff-friendly."""
        obj = self.to_json()
        lines = ["{", '  "specc": 1,', f'  "name": {json.dumps(self.name)},']
        rows = obj["variables"]
        if rows:
            lines.append('  "variables": [')
            lines.extend(
                "    " + json.dumps(r, ensure_ascii=False) + ("," if i < len(rows) - 1 else "")
                for i, r in enumerate(rows)
            )
            lines.append("  ],")
        else:
            lines.append('  "variables": [],')
        lines.append(f'  "ops": {json.dumps(obj["ops"], ensure_ascii=False)},')
        lines.append(f'  "regularization_losses": {json.dumps(obj["regularization_losses"])},')
        lines.append(f'  "summary": {json.dumps(obj["summary"], ensure_ascii=False)}')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def canonical_json(self) -> str:
        """The canonical form whose sha256 identifies the table (sorted keys, no spaces,
        no source positions)."""
        obj = self.to_json()
        del obj["summary"]  # derived from the rows
        for r in obj["variables"]:
            r.pop("defined_at", None)
            r.pop("shared_at", None)
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def summary(self) -> Summary:
        """Trainable and non-trainable counts per top-level scope and overall."""
        scopes: dict[str, Split] = {}
        total = Split()
        for r in self.variables:
            top = r.name.split("/", 1)[0] if "/" in r.name else ROOT_SCOPE
            scopes[top] = scopes.get(top, Split()).add(r)
            total = total.add(r)
        return Summary(tuple(scopes.items()), total)

    @property
    def parameters(self) -> int:
        return sum(r.size for r in self.variables)

    @property
    def bytes(self) -> int:
        return sum(r.nbytes for r in self.variables)
