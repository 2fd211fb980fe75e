"""Lowering: the engine's final state -> the flat `VariableTable` (plain data).

The last step of resolution. The table is built in TF's store order: a
partitioned variable appears once, where its first part was created.
"""

from __future__ import annotations

import math
from typing import Any

from specc.engine.engine import Engine
from specc.engine.options import LiteralValue, Option
from specc.engine.store import PartitionedVariable, Variable
from specc.table import OptionValue, Partition, Row, VariableTable


class _Values:
    """The table's `OptionValue` of each engine option, made once per option
    object (one option configures thousands of variables)."""

    def __init__(self) -> None:
        self._made: dict[int, OptionValue] = {}

    def of(self, option: Option[Any] | LiteralValue) -> OptionValue:
        found = self._made.get(id(option))
        if found is None:
            found = self._made[id(option)] = OptionValue.of(option.to_json())
        return found


def _row(var: Variable, partitioned: PartitionedVariable | None, values: _Values) -> Row:
    if partitioned is not None:
        parts: tuple[Partition, ...] | None = tuple(
            Partition(p.name, p.shape, p.offset or ()) for p in partitioned.parts
        )
        name, shape, dtype = partitioned.name, partitioned.shape, partitioned.dtype
        shared = tuple(partitioned.shared_at)
    else:
        parts = None
        name, shape, dtype = var.name, var.shape, var.dtype
        shared = tuple(var.shared_at)
    return Row(
        name=name,
        tensor=var.tensor,
        shape=shape,
        dtype=dtype.name,
        trainable=var.trainable,
        collections=var.collections,
        initializer=values.of(var.initializer),
        regularizer=values.of(var.regularizer) if var.regularizer else None,
        constraint=values.of(var.constraint) if var.constraint else None,
        local=var.local,
        partitions=parts,
        defined_at=var.defined_at,
        shared_at=shared,
        synchronization=var.synchronization,
        aggregation=var.aggregation,
        read_dtype=var.read_dtype.name if var.read_dtype else None,
        caching_device=var.caching_device,
        use_resource=var.use_resource,
    )


def build_table(engine: Engine, name: str, seed: int = 0) -> VariableTable:
    """The table of a finished resolution, in TF's store order: a partitioned
    variable appears where its first part was created."""
    store = engine.store
    rows: list[Row] = []
    values = _Values()
    for var in store.vars.values():
        if var.part_of is not None:
            pv = store.partitioned.get(var.part_of)
            if pv is None or pv.parts[0] is not var:
                continue
            rows.append(_row(var, pv, values))
        else:
            rows.append(_row(var, None, values))
    return VariableTable(
        name, tuple(rows), tuple(engine.ops), tuple(store.regularization_losses), seed
    )


def table_counts(engine: Engine) -> tuple[int, int, int]:
    """(variables, parameters, bytes) of the table `build_table` would build,
    without building it."""
    store = engine.store
    count = params = size = 0
    for var in store.vars.values():
        if var.part_of is not None:
            continue
        count += 1
        n = math.prod(var.shape)
        params += n
        size += n * var.dtype.itemsize
    for pv in store.partitioned.values():
        count += 1
        n = math.prod(pv.shape)
        params += n
        size += n * pv.dtype.itemsize
    return count, params, size
