"""Partitioners: TF1's three partitioners with their exact arithmetic and errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import Field, StrictInt

from specc.catalog.base import Args, Entry, Registry
from specc.catalog.dtypes import DType
from specc.shapes import tf_shape


class PartitionError(Exception):
    """TF rejected a partitioning (`partition-invalid`)."""


@dataclass(frozen=True, slots=True)
class PartitionerEntry(Entry):
    """A partitioner kind.

    `validate(args)` runs when the partitioner is built (TF raises some errors
    in the constructor, so they point at the statement naming the partitioner);
    `partitions(args, shape, dtype)` returns the shard count per axis.
    """

    validate: Callable[[Args], str | None]
    partitions: Callable[[Args, tuple[int, ...], DType], list[int]]


def _dim(shape: tuple[int, ...], axis: int) -> int:
    try:
        return shape[axis]
    except IndexError:
        raise PartitionError(
            f"axis {axis} is outside the variable's rank {len(shape)} (shape {list(shape)})"
        ) from None


def _set_axis(parts: list[int], axis: int, value: int) -> list[int]:
    try:
        parts[axis] = value
    except IndexError:
        raise PartitionError(f"axis {axis} is outside the variable's rank {len(parts)}") from None
    return parts


class FixedSizeArgs(Args):
    num_shards: StrictInt = Field(description="Number of shards (at most the axis length).")
    axis: StrictInt = Field(0, description="The axis to split.")


def _no_check(args: Args) -> str | None:
    del args
    return None


def _fixed_size(args: Args, shape: tuple[int, ...], dtype: DType) -> list[int]:
    assert isinstance(args, FixedSizeArgs)
    del dtype
    return _set_axis([1] * len(shape), args.axis, min(args.num_shards, _dim(shape, args.axis)))


class VariableAxisSizeArgs(Args):
    max_shard_bytes: StrictInt = Field(description="Upper bound on the bytes of one shard.")
    axis: StrictInt = Field(0, description="The axis to split.")
    max_shards: StrictInt | None = Field(None, description="Upper bound on the shard count.")


def _variable_axis_size_validate(args: Args) -> str | None:
    assert isinstance(args, VariableAxisSizeArgs)
    if args.max_shard_bytes < 1:
        return (
            "Both max_shard_bytes and bytes_per_string_element must be positive. Currently, "
            f"max_shard_bytes is {args.max_shard_bytes} and bytes_per_string_element is 16"
        )
    if args.max_shards is not None and args.max_shards != 0 and args.max_shards < 1:
        return "max_shards must be positive."
    return None


def _variable_axis_size(args: Args, shape: tuple[int, ...], dtype: DType) -> list[int]:
    assert isinstance(args, VariableAxisSizeArgs)
    dim = _dim(shape, args.axis)
    num_elements = math.prod(shape)
    if dim == 0 or num_elements == 0:
        raise PartitionError(
            f"cannot size shards of a variable with zero elements along axis "
            f"{args.axis} (shape {list(shape)})"
        )
    bytes_per_slice = 1.0 * (num_elements / dim) * dtype.itemsize
    slices_per_shard = max(1, math.floor(args.max_shard_bytes / bytes_per_slice))
    axis_shards = math.ceil(1.0 * dim / slices_per_shard)
    if args.max_shards:
        axis_shards = min(args.max_shards, axis_shards)
    return _set_axis([1] * len(shape), args.axis, axis_shards)


class MinMaxArgs(Args):
    max_partitions: StrictInt = Field(1, description="Upper bound on the shard count.")
    axis: StrictInt = Field(0, description="The axis to split.")
    min_slice_size: StrictInt = Field(
        256 << 10, description="Lower bound on the bytes of one shard."
    )


def _min_max(args: Args, shape: tuple[int, ...], dtype: DType) -> list[int]:
    assert isinstance(args, MinMaxArgs)
    if args.axis >= len(shape):
        raise PartitionError(
            f"Cannot partition variable along axis {args.axis} when shape is only {tf_shape(shape)}"
        )
    if args.min_slice_size == 0:
        raise PartitionError("min_slice_size must be positive")
    total_size_bytes = math.prod(shape) * dtype.itemsize
    partitions = total_size_bytes / args.min_slice_size
    count = max(1, min(_dim(shape, args.axis), args.max_partitions, math.ceil(partitions)))
    return _set_axis([1] * len(shape), args.axis, count)


PARTITIONERS: Registry[PartitionerEntry] = Registry(
    "partitioner",
    [
        PartitionerEntry(
            "fixed_size",
            FixedSizeArgs,
            "num_shards shards along axis (fewer when the axis is shorter).",
            "tf.compat.v1.fixed_size_partitioner",
            _no_check,
            _fixed_size,
        ),
        PartitionerEntry(
            "variable_axis_size",
            VariableAxisSizeArgs,
            "As many shards along axis as keep each at most max_shard_bytes.",
            "tf.compat.v1.variable_axis_size_partitioner",
            _variable_axis_size_validate,
            _variable_axis_size,
        ),
        PartitionerEntry(
            "min_max",
            MinMaxArgs,
            "Shards of at least min_slice_size bytes, at most max_partitions of them.",
            "tf.compat.v1.min_max_variable_partitioner",
            _no_check,
            _min_max,
        ),
    ],
)


def check_partitions(parts: list[int], shape: tuple[int, ...]) -> str | None:
    """TF's `_call_partitioner` checks on what a partitioner returned."""
    if len(parts) != len(shape):
        return (
            "Partitioner returned a partition list that does not match the Variable's rank: "
            f"{parts} vs. {tf_shape(shape)}"
        )
    if any(p < 1 for p in parts):
        return f"Partitioner returned zero partitions for some axes: {parts}"
    if sum(p > 1 for p in parts) > 1:
        return (
            "Can only slice a variable along one dimension: shape: "
            f"{tf_shape(shape)}, partitioning: {parts}"
        )
    return None


def iter_slices(
    full_shape: tuple[int, ...], parts: list[int]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(offset, shape) of each part, as TF's `_iter_slices`: the first `dim % n` parts
    are one longer."""
    slice_dim, num_slices = 0, 1
    for i, n in enumerate(parts):
        if n > 1:
            slice_dim, num_slices = i, n
            break
    excess = full_shape[slice_dim] % num_slices
    min_len = full_shape[slice_dim] // num_slices
    offset = [0] * len(full_shape)
    out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for i in range(num_slices):
        shape = list(full_shape)
        shape[slice_dim] = min_len + (1 if i < excess else 0)
        out.append((tuple(offset), tuple(shape)))
        offset[slice_dim] += shape[slice_dim]
    return out
