"""Writing TF V2 checkpoints without TensorFlow, byte for byte as TF 2.21's
`tf.compat.v1.train.Saver().save` writes the same tensors.

What TF does, and so what this does (`core/util/tensor_bundle/tensor_bundle.cc`,
`core/lib/io/table_builder.cc`, `block_builder.cc`, `format.cc`):

- The data file `PREFIX.data-00000-of-00001` holds each tensor's raw
  little-endian bytes, in the order the Saver adds them (its saveables sorted
  by name; a partitioned variable's parts in order), with no padding.
- A partitioned variable is saved as `BundleWriter::AddSlice` saves it: one
  entry under its full name with its dtype, full shape and one
  `TensorSliceProto` per part (every extent explicit, as the Saver's slice
  spec strings give them), and one ordinary entry per part under its
  OrderedCode slice key. A single part covering the whole is a plain entry.
- The index `PREFIX.index` is a table of the header entry (key "") and every
  entry, in key order: data blocks of at most ~256 KiB with a restart point
  every 16 keys, an empty metaindex block, an index block (a restart point
  every key, shortened separator keys), each block followed by its type byte
  (0, uncompressed) and masked crc32c, then the 48-byte footer.

Protobuf messages are encoded by hand, as proto3's serializer writes them
(fields in number order, zero scalars left out, set messages written even when
empty): the five messages involved have a dozen fields between them, and the
reader, which generated modules embed, must not need the `protobuf` package
anyway. This file is `specc`'s, not embedded in generated modules.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, Final, NamedTuple

from specc.formats.atomic import atomic_output, check_target
from specc.formats.tables import _TF_DTYPES
from specc.formats.tf_checkpoint import (
    crc32c,
    crc32c_array,
    mask_crc,
    slice_key,
    tf_data_path,
)

if TYPE_CHECKING:
    import numpy.typing as npt

#: table::Options defaults TF's bundle writer keeps
_BLOCK_SIZE: Final = 262144
_RESTART_INTERVAL: Final = 16
#: kTableMagicNumber, written as two little-endian 32-bit halves
_TABLE_MAGIC: Final = 0xDB4775248B80FB57
#: BundleHeaderProto: num_shards 1, endianness LITTLE (0, left out), version
#: {producer: 1} (kTensorBundleVersion; min_consumer 0, left out)
_HEADER: Final = b"\x08\x01\x1a\x02\x08\x01"

_TF_ENUMS: Final = {name: enum for enum, (name, _) in _TF_DTYPES.items()}


class TFVariable(NamedTuple):
    """A variable to save: its full name, shape, dtype (specc's name) and, for
    a partitioned variable, each part's (offset, shape)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    parts: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] | None = None


# ------------------------------------------------------------ protobuf


def _varint(value: int) -> bytes:
    """A base-128 varint; a negative int64 as its 10-byte two's complement."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _number(field: int, value: int) -> bytes:
    """A varint field, left out when zero (proto3)."""
    return _varint(field << 3) + _varint(value) if value else b""


def _submessage(field: int, body: bytes) -> bytes:
    """A length-delimited field, written even when empty (a set message)."""
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def _shape_proto(shape: tuple[int, ...]) -> bytes:
    """TensorShapeProto: one `dim {size}` per dimension."""
    return b"".join(_submessage(2, _number(1, d)) for d in shape)


def _slice_proto(offset: tuple[int, ...], shape: tuple[int, ...]) -> bytes:
    """TensorSliceProto: one extent per dimension; `length` is in a oneof, so
    it is written even when zero."""
    return b"".join(
        _submessage(1, _number(1, o) + _varint(2 << 3) + _varint(n))
        for o, n in zip(offset, shape, strict=True)
    )


def entry_proto(
    dtype: int,
    shape: tuple[int, ...],
    *,
    offset: int = 0,
    size: int = 0,
    crc: int | None = None,
    slices: Sequence[tuple[tuple[int, ...], tuple[int, ...]]] = (),
) -> bytes:
    """BundleEntryProto: dtype, shape, shard 0, offset, size, the masked crc32c
    (fixed32) of the data, and a sliced tensor's slices."""
    out = _number(1, dtype) + _submessage(2, _shape_proto(shape))
    out += _number(4, offset) + _number(5, size)
    if crc is not None and mask_crc(crc):
        out += _varint(6 << 3 | 5) + struct.pack("<I", mask_crc(crc))
    for o, n in slices:
        out += _submessage(7, _slice_proto(o, n))
    return out


# ------------------------------------------------------------ the table


def _shared(a: bytes, b: bytes) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class _Block:
    """BlockBuilder: prefix-compressed entries, a restart point (a key stored
    whole) every `interval` entries, then the restarts and their count."""

    def __init__(self, interval: int) -> None:
        self.interval = interval
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.interval:
            shared = _shared(self.last, key)
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        self.buffer += (
            _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        )
        self.buffer += key[shared:] + value
        self.last = key
        self.counter += 1

    def size_estimate(self) -> int:
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def empty(self) -> bool:
        return not self.buffer

    def finish(self) -> bytes:
        restarts = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.buffer) + restarts + struct.pack("<I", len(self.restarts))


def _separator(start: bytes, limit: bytes) -> bytes:
    """FindShortestSeparator: a short key in [start, limit)."""
    n = _shared(start, limit)
    if n < min(len(start), len(limit)) and start[n] < 0xFF and start[n] + 1 < limit[n]:
        return start[:n] + bytes((start[n] + 1,))
    return start


def _successor(key: bytes) -> bytes:
    """FindShortSuccessor: a short key >= `key`."""
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes((b + 1,))
    return key


class _Table:
    """TableBuilder without compression: data blocks, an index entry for each
    once the next key is known, then the metaindex, index and footer."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.data = _Block(_RESTART_INTERVAL)
        self.index = _Block(1)
        self.last = b""
        self.count = 0
        self.pending: bytes | None = None

    def _write_block(self, block: _Block) -> bytes:
        contents = block.finish() + b"\x00"  # the block type: uncompressed
        handle = _varint(len(self.out)) + _varint(len(contents) - 1)
        self.out += contents + struct.pack("<I", mask_crc(crc32c(contents)))
        return handle

    def _flush(self) -> None:
        if not self.data.empty():
            self.pending = self._write_block(self.data)
            self.data = _Block(_RESTART_INTERVAL)

    def add(self, key: bytes, value: bytes) -> None:
        if self.count and len(key) + len(value) >= 2 * _BLOCK_SIZE:
            self._flush()  # TF's kOverlyLargeBlockRatio
        if self.pending is not None:
            self.index.add(_separator(self.last, key), self.pending)
            self.pending = None
        self.last = key
        self.count += 1
        self.data.add(key, value)
        if self.data.size_estimate() >= _BLOCK_SIZE:
            self._flush()

    def finish(self) -> bytes:
        self._flush()
        metaindex = self._write_block(_Block(_RESTART_INTERVAL))
        if self.pending is not None:
            self.index.add(_successor(self.last), self.pending)
        index = self._write_block(self.index)
        footer = (metaindex + index).ljust(40, b"\x00")
        self.out += footer + struct.pack("<Q", _TABLE_MAGIC)
        return bytes(self.out)


def table_bytes(entries: dict[bytes, bytes]) -> bytes:
    """The index file of a bundle: the header, then `entries` in key order."""
    table = _Table()
    table.add(b"", _HEADER)
    for key in sorted(entries):
        table.add(key, entries[key])
    return table.finish()


# ------------------------------------------------------------ writing


def _enum(v: TFVariable) -> int:
    enum = _TF_ENUMS.get(v.dtype)
    if enum is None or v.dtype == "string":
        raise ValueError(
            f"{v.name!r}: dtype {v.dtype} cannot be written to a TF checkpoint"
        )
    return enum


def _check_array(v: TFVariable, a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`a` as the little-endian, C-ordered data of `v` (bfloat16 may come as
    its uint16 bits: NumPy has no bfloat16)."""
    bits = v.dtype == "bfloat16" and a.dtype.kind == "u" and a.dtype.itemsize == 2
    if tuple(a.shape) != v.shape or not (bits or a.dtype.name == v.dtype):
        raise ValueError(
            f"{v.name!r}: array of shape {list(a.shape)} {a.dtype} for shape "
            f"{list(v.shape)} {v.dtype}"
        )
    if not a.flags.c_contiguous:
        a = a.copy(order="C")
    return a.astype(a.dtype.newbyteorder("<"), copy=False)


def _pieces(
    v: TFVariable, a: npt.NDArray[Any]
) -> Iterator[tuple[bytes, tuple[int, ...], tuple[int, ...], npt.NDArray[Any]]]:
    """(key, offset, shape, data) of each entry a variable's data is saved
    under: one, or one per part of a partitioned variable."""
    parts = v.parts if v.parts is not None and len(v.parts) > 1 else None
    if parts is None:
        yield v.name.encode("utf-8"), (0,) * len(v.shape), v.shape, a
        return
    for offset, shape in parts:
        index = tuple(slice(o, o + n) for o, n in zip(offset, shape, strict=True))
        extents = tuple(zip(offset, shape, strict=True))
        yield slice_key(v.name, extents), offset, shape, a[index].copy(order="C")


def _write_data(
    f: IO[bytes],
    variables: Sequence[TFVariable],
    value: Callable[[str], npt.NDArray[Any]],
    progress: Callable[[int], None] | None,
) -> dict[bytes, bytes]:
    """Write every variable's data in TF's order; the index entries."""
    entries: dict[bytes, bytes] = {}
    size = 0
    # the Saver sorts its saveables by name (Python's order: code points)
    for v in sorted(variables, key=lambda v: v.name):
        enum = _enum(v)
        a = _check_array(v, value(v.name))
        slices = []
        for key, offset, shape, data in _pieces(v, a):
            raw = data.reshape(-1).view("u1")
            f.write(raw.data)
            crc = crc32c_array(raw)
            entries[key] = entry_proto(enum, shape, offset=size, size=raw.size, crc=crc)
            size += raw.size
            slices.append((offset, shape))
        if v.parts is not None and len(v.parts) > 1:
            entries[v.name.encode("utf-8")] = entry_proto(enum, v.shape, slices=slices)
        if progress is not None:
            progress(size)
    return entries


def write_tf_checkpoint(
    prefix: str,
    variables: Sequence[TFVariable],
    value: Callable[[str], npt.NDArray[Any]],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Save `variables` as the TF checkpoint `prefix` (`PREFIX.index` and
    `PREFIX.data-00000-of-00001`), asking `value(name)` for each whole array
    one at a time, in the order TF's Saver writes them; `progress(bytes)`
    after each. Each file is written atomically, the data first, so that a
    failure leaves the old checkpoint (if any) whole; an interruption between
    the two leaves new data beside the old index, which readers reject by its
    checksums, as with TF's own writer."""
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        raise ValueError("a variable name appears twice")
    data_path = tf_data_path(prefix, 0, 1)
    check_target(data_path)
    check_target(prefix + ".index")
    with atomic_output(data_path) as f:
        entries = _write_data(f, variables, value, progress)
    with atomic_output(prefix + ".index") as f:
        f.write(table_bytes(entries))


def tf_variables(
    rows: Sequence[Any],
) -> list[TFVariable]:
    """The TFVariables of table rows (anything with `name`, `shape`, `dtype`
    and `partitions` holding `offset` and `shape`)."""
    out = []
    for r in rows:
        parts = None
        if r.partitions:
            parts = tuple((tuple(p.offset), tuple(p.shape)) for p in r.partitions)
        out.append(TFVariable(r.name, tuple(r.shape), r.dtype, parts))
    return out
