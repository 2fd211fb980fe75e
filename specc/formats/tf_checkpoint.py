"""TensorFlow V2 checkpoints (tensor bundles), read without TensorFlow.

A checkpoint is named by its prefix (`model.ckpt`, as TF names it) and is two
kinds of file: `PREFIX.index`, a LevelDB-style table (TF's
`core/lib/io/table_builder.cc`: uncompressed blocks of prefix-compressed keys
with restart points, a block trailer of a type byte and a masked crc32c, an
index block, an empty metaindex block and a 48-byte footer ending in a magic
number) that maps each tensor's name to a `BundleEntryProto` (dtype, shape,
shard, offset, size, masked crc32c of the data), with a `BundleHeaderProto`
under the empty key; and `PREFIX.data-0000S-of-0000N`, the tensors' raw bytes.
A variable TF's `Saver` wrote in parts has an entry under its full name that
lists its slices (`TensorSliceProto`), and one entry per slice under a key
encoded with TF's `OrderedCode` (`checkpoint::EncodeTensorNameSlice`); readers
here give it back whole.

The protobuf messages are decoded by hand (a few varint fields; no `protobuf`
package) and crc32c is computed here, in pure Python for the index and with
NumPy for tensor data, so that generated modules, which embed this file for
their `checkpoint` initializer and `load()`, need nothing beyond NumPy and the
standard library. Listing a checkpoint reads its index (and the sizes of its
data files) without NumPy. Every problem with the files is a `CheckpointError`
naming the file; sizes and counts are checked against the files before any
memory is allocated for them. Writing is `specc`'s own
(`specc.formats.tf_checkpoint_writer`), not a generated module's.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias

from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.tables import _TF_DTYPES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    from specc.formats.lazy import numpy as np

#: the NumPy dtype a tensor is read as; None: strings, as objects holding bytes
_DType: TypeAlias = "np.dtype[Any] | None"
#: arrays by name
_Arrays: TypeAlias = "dict[str, npt.NDArray[Any]]"

#: `.index` files larger than this are refused (one entry takes about a hundred
#: bytes: a million variables fit in a tenth of it)
MAX_TF_INDEX: Final = 1 << 30

#: kTableMagicNumber of TF's (and LevelDB's) table format
_TABLE_MAGIC: Final = 0xDB4775248B80FB57
#: the footer: two block handles padded to 40 bytes, then the magic
_FOOTER_SIZE: Final = 48
#: a block's trailer: its compression type (0: none) and masked crc32c
_TRAILER_SIZE: Final = 5
#: crc32c::Mask adds this after rotating (stored crcs are masked so that a crc
#: of data that holds crcs is not trivially related to them)
_MASK_DELTA: Final = 0xA282EAD8
#: CRC-32C (Castagnoli), bit-reversed
_CRC_POLY: Final = 0x82F63B78
#: TF's TensorShape::kMaxDims
_MAX_RANK: Final = 254
#: the tensor-bundle format version this reader understands (kTensorBundleVersion)
_BUNDLE_VERSION: Final = 1
#: DT_STRING, whose data is varint lengths, a checksum and the bytes
_DT_STRING: Final = 7
#: names of TF dtypes specc has no name for, as `ArrayInfo.dtype` spells them
_OTHER_TF_DTYPES: Final = {
    11: "qint8",
    12: "quint8",
    13: "qint32",
    15: "qint16",
    16: "quint16",
    20: "resource",
    21: "variant",
}
#: data shards: `PREFIX.data-00000-of-00001`
_DATA_SUFFIX: Final = re.compile(r"\.data-\d{5}-of-\d{5}$")
#: names TF gives checkpoints: `model.ckpt`, `model.ckpt-1000`
_CKPT_NAME: Final = re.compile(r"\.ckpt(-\d+)?$")


class _TfIndexError(ValueError):
    """A structural problem of an index, said in a few words; the public
    functions turn it into a CheckpointError naming the file."""


# ------------------------------------------------------------ naming


def tf_checkpoint_prefix(path: str) -> str | None:
    """The checkpoint prefix `path` names, or None when it names no TF
    checkpoint: the prefix itself when `PREFIX.index` exists or its name ends
    in `.ckpt` / `.ckpt-N` (as TF names them), or one of its files
    (`PREFIX.index`, `PREFIX.data-00000-of-00001`)."""
    if path.endswith(".index"):
        return path[: -len(".index")]
    found = _DATA_SUFFIX.search(path)
    if found is not None:
        return path[: found.start()]
    if _CKPT_NAME.search(path) is not None or os.path.isfile(path + ".index"):
        return path
    return None


def tf_data_path(prefix: str, shard: int, shards: int) -> str:
    """TF's DataFilename: `PREFIX.data-0000S-of-0000N`."""
    return f"{prefix}.data-{shard:05d}-of-{shards:05d}"


def tf_dtype_name(enum: int) -> str:
    """specc's name for TF's `DataType` number, else TF's own (`variant`), else
    `tf-dtype-N`."""
    known = _TF_DTYPES.get(enum)
    if known is not None:
        return known[0]
    return _OTHER_TF_DTYPES.get(enum) or f"tf-dtype-{enum}"


# ------------------------------------------------------------ crc32c


@cache
def _crc_table() -> tuple[int, ...]:
    """The byte-at-a-time table of CRC-32C."""
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _CRC_POLY if c & 1 else c >> 1
        out.append(c)
    return tuple(out)


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32C of `data`, extending `crc` (TF's crc32c::Extend), in pure
    Python: for index blocks and small tensors."""
    table = _crc_table()
    c = crc ^ 0xFFFFFFFF
    for b in bytes(data):
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mask_crc(crc: int) -> int:
    """TF's crc32c::Mask: rotate right by 15 bits and add a constant."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    """TF's crc32c::Unmask."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def _multmodp(a: int, b: int) -> int:
    """a times b modulo the CRC polynomial (bit-reversed), as zlib's
    `multmodp`: the algebra that joins the crcs of adjacent pieces."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


@cache
def _x2n_table() -> tuple[int, ...]:
    """x^(2^k) modulo the polynomial, k = 0..63."""
    p = 1 << 30  # x^1
    out = [p]
    for _ in range(63):
        p = _multmodp(p, p)
        out.append(p)
    return tuple(out)


def _zeros_factor(nbytes: int) -> int:
    """x^(8 nbytes) modulo the polynomial: what `nbytes` zero bytes multiply a
    CRC register by."""
    table = _x2n_table()
    p, k = 1 << 31, 3
    while nbytes:
        if nbytes & 1:
            p = _multmodp(table[k & 63], p)
        nbytes >>= 1
        k += 1
    return p


def _advance(crc: int, nbytes: int) -> int:
    """The CRC register `crc` after `nbytes` zero bytes. So crc(A + B) =
    _advance(crc(A), len(B)) ^ crc(B) for registers started from zero (zlib's
    crc32_combine)."""
    return _multmodp(_zeros_factor(nbytes), crc)


@cache
def _word_tables() -> npt.NDArray[Any]:
    """Four 256-entry tables that advance the register over a 32-bit word at a
    time (slicing-by-4), as one (4, 256) uint32 array."""
    t0 = np.array(_crc_table(), dtype=np.uint32)
    out = [t0]
    for _ in range(3):
        out.append((out[-1] >> 8) ^ t0[out[-1] & 0xFF])
    tables = np.stack(out)
    tables.flags.writeable = False
    return tables


def _advance_tables(nbytes: int) -> npt.NDArray[Any]:
    """(4, 256) tables applying `_advance(., nbytes)` a byte of the register at
    a time (it is linear: each table holds the images of one byte's values)."""
    factor = _zeros_factor(nbytes)
    bits = [_multmodp(factor, 1 << i) for i in range(32)]
    out = np.zeros((4, 256), dtype=np.uint32)
    for k in range(4):
        for i in range(8):
            out[k, 1 << i : 2 << i] = out[k, : 1 << i] ^ np.uint32(bits[8 * k + i])
    return out


def _apply(tables: npt.NDArray[Any], x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Apply a linear map given as byte tables to each register of `x`."""
    out: npt.NDArray[Any] = tables[0][x & 0xFF] ^ tables[1][(x >> 8) & 0xFF]
    out ^= tables[2][(x >> 16) & 0xFF]
    out ^= tables[3][x >> 24]
    return out


#: below this many bytes, the pure-Python loop is faster than the lanes
_SMALL_CRC: Final = 1 << 14
#: bytes crc'd per round of lanes (bounds the scratch copies)
_CRC_CHUNK: Final = 1 << 26
#: the lanes of a round: NumPy's per-call cost is paid once per 4 bytes of each
_CRC_LANES: Final = 1 << 14


def _raw_lanes(chunk: npt.NDArray[Any]) -> int:
    """The register (started from zero, no final xor) after `chunk`: the chunk is
    cut into equal lanes (zero bytes in front, which a register at zero
    ignores), each lane is advanced a word at a time in one NumPy operation
    for all lanes, and the lanes' registers are joined pairwise."""
    lanes = min(_CRC_LANES, 1 << ((chunk.size // 1024).bit_length() - 1))
    width = -(-chunk.size // lanes)
    width += -width % 4
    padded = np.zeros(lanes * width, dtype=np.uint8)
    padded[padded.size - chunk.size :] = chunk
    words = padded.view("<u4").reshape(lanes, width // 4).T.copy()
    t0, t1, t2, t3 = _word_tables()
    reg = np.zeros(lanes, dtype=np.uint32)
    index = np.empty(lanes, dtype=np.uint32)
    acc = np.empty(lanes, dtype=np.uint32)
    tmp = np.empty(lanes, dtype=np.uint32)
    for row in words:
        np.bitwise_xor(reg, row, out=reg)
        np.right_shift(reg, 24, out=index)
        np.take(t0, index, out=acc)
        np.bitwise_and(reg, 0xFF, out=index)
        np.take(t3, index, out=tmp)
        acc ^= tmp
        np.right_shift(reg, 8, out=index)
        index &= 0xFF
        np.take(t2, index, out=tmp)
        acc ^= tmp
        np.right_shift(reg, 16, out=index)
        index &= 0xFF
        np.take(t1, index, out=tmp)
        np.bitwise_xor(acc, tmp, out=reg)
    span = width
    while reg.size > 1:
        reg = _apply(_advance_tables(span), reg[0::2]) ^ reg[1::2]
        span *= 2
    return int(reg[0])


def crc32c_array(data: npt.NDArray[Any]) -> int:
    """CRC-32C of an array's bytes (C order), with NumPy: some hundreds of
    megabytes a second, where the pure-Python loop does a few."""
    flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    if flat.size < _SMALL_CRC:
        return crc32c(flat.data)
    reg = 0
    for start in range(0, flat.size, _CRC_CHUNK):
        chunk = flat[start : start + _CRC_CHUNK]
        if chunk.size < _SMALL_CRC:
            part = crc32c(chunk.data) ^ _advance(0xFFFFFFFF, chunk.size) ^ 0xFFFFFFFF
        else:
            part = _raw_lanes(chunk)
        reg = _advance(reg, chunk.size) ^ part
    # the register started from all ones, and ends complemented
    return reg ^ _advance(0xFFFFFFFF, flat.size) ^ 0xFFFFFFFF


# ------------------------------------------------------------ protobuf


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A base-128 varint at `pos` (at most 10 bytes), and the position after."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= end:
            raise _TfIndexError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, pos
    raise _TfIndexError("varint longer than 10 bytes")


def _signed(value: int) -> int:
    """A varint as protobuf's int64 (and int32, which is sign-extended)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: an int for varint and
    fixed-width fields, bytes for length-delimited ones."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos, end)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise _TfIndexError("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            yield field, value
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > end:
                raise _TfIndexError("truncated fixed-width field")
            yield field, int.from_bytes(buf[pos : pos + width], "little")
            pos += width
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if length > end - pos:
                raise _TfIndexError("length-delimited field past its message")
            yield field, buf[pos : pos + length]
            pos += length
        else:
            raise _TfIndexError(f"unsupported protobuf wire type {wire}")


def _int(value: int | bytes) -> int:
    if isinstance(value, bytes):
        raise _TfIndexError("a number field holds bytes")
    return value


def _message(value: int | bytes) -> bytes:
    if not isinstance(value, bytes):
        raise _TfIndexError("a message field holds a number")
    return value


class TFEntry(NamedTuple):
    """A `BundleEntryProto`: where one tensor (or slice) is, and what it is."""

    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    #: the crc32c of its data, unmasked
    crc: int
    #: a partitioned tensor's slices: per dimension (start, length), length -1
    #: for the whole dimension
    slices: tuple[tuple[tuple[int, int], ...], ...]


def _parse_shape(buf: bytes) -> tuple[int, ...]:
    """A TensorShapeProto: every dimension known and not negative."""
    dims: list[int] = []
    for field, value in _fields(buf):
        if field == 2:
            size = 0
            for f, v in _fields(_message(value)):
                if f == 1:
                    size = _signed(_int(v))
            if size < 0:
                raise _TfIndexError(f"dimension {size}")
            dims.append(size)
        elif field == 3 and _int(value):
            raise _TfIndexError("shape of unknown rank")
    if len(dims) > _MAX_RANK:
        raise _TfIndexError(f"{len(dims)} dimensions")
    return tuple(dims)


def _parse_slice(buf: bytes) -> tuple[tuple[int, int], ...]:
    """A TensorSliceProto: an extent per dimension; no length is the whole."""
    extents = []
    for field, value in _fields(buf):
        if field == 1:
            start, length = 0, -1
            for f, v in _fields(_message(value)):
                if f == 1:
                    start = _signed(_int(v))
                elif f == 2:
                    length = _signed(_int(v))
            if start < 0 or length < -1:
                raise _TfIndexError(f"slice extent {start},{length}")
            extents.append((start, length))
    return tuple(extents)


def parse_entry(buf: bytes) -> TFEntry:
    """A serialized BundleEntryProto."""
    dtype = shard = offset = size = crc = 0
    shape: tuple[int, ...] = ()
    slices = []
    for field, value in _fields(buf):
        if field == 1:
            dtype = _int(value)
        elif field == 2:
            shape = _parse_shape(_message(value))
        elif field == 3:
            shard = _signed(_int(value))
        elif field == 4:
            offset = _signed(_int(value))
        elif field == 5:
            size = _signed(_int(value))
        elif field == 6:
            crc = unmask_crc(_int(value))
        elif field == 7:
            slices.append(_parse_slice(_message(value)))
    if min(shard, offset, size) < 0:
        msg = f"negative shard, offset or size ({shard}, {offset}, {size})"
        raise _TfIndexError(msg)
    return TFEntry(dtype, shape, shard, offset, size, crc, tuple(slices))


class TFHeader(NamedTuple):
    """A `BundleHeaderProto`."""

    shards: int
    big_endian: bool


def parse_header(buf: bytes) -> TFHeader:
    """A serialized BundleHeaderProto, its version checked as TF checks it."""
    shards, endianness = 0, 0
    producer, min_consumer, bad = 0, 0, []
    for field, value in _fields(buf):
        if field == 1:
            shards = _signed(_int(value))
        elif field == 2:
            endianness = _int(value)
        elif field == 3:
            for f, v in _fields(_message(value)):
                if f == 1:
                    producer = _signed(_int(v))
                elif f == 2:
                    min_consumer = _signed(_int(v))
                elif f == 3 and isinstance(v, int):
                    bad.append(_signed(v))
                elif f == 3:  # packed
                    packed, pos = _message(v), 0
                    while pos < len(packed):
                        n, pos = _varint(packed, pos, len(packed))
                        bad.append(_signed(n))
    if not 1 <= shards <= 99999:
        raise _TfIndexError(f"{shards} data shards")
    if endianness not in (0, 1):
        raise _TfIndexError(f"endianness {endianness}")
    if producer < 0 or min_consumer > _BUNDLE_VERSION or _BUNDLE_VERSION in bad:
        raise _TfIndexError(
            f"format version {producer} (needs a reader of version {min_consumer} or "
            "newer): written by a newer TensorFlow"
        )
    return TFHeader(shards, endianness == 1)


# ------------------------------------------------------------ the table


def _block(data: bytes, offset: int, size: int) -> bytes:
    """The contents of the block at a handle, its trailer checked."""
    end = len(data) - _FOOTER_SIZE
    if offset > end or size > end - offset - _TRAILER_SIZE:
        raise _TfIndexError(f"block at {offset} of {size} bytes is outside the file")
    contents = data[offset : offset + size]
    kind = data[offset + size]
    (stored,) = struct.unpack_from("<I", data, offset + size + 1)
    if unmask_crc(stored) != crc32c(data[offset : offset + size + 1]):
        raise _TfIndexError(f"block at {offset}: checksum mismatch")
    if kind != 0:
        what = "snappy-compressed" if kind == 1 else f"of type {kind}"
        msg = f"block at {offset} is {what}; only uncompressed blocks are read"
        raise _TfIndexError(msg)
    return contents


def _block_entries(block: bytes, budget: list[int]) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of a block's entries. `budget` holds the key bytes still
    allowed: prefix-compressed keys could otherwise expand far beyond the file."""
    if len(block) < 4:
        raise _TfIndexError("block shorter than its restart count")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    if restarts > (len(block) - 4) // 4:
        raise _TfIndexError(f"{restarts} restart points in a {len(block)}-byte block")
    limit = len(block) - 4 - 4 * restarts
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos, limit)
        unshared, pos = _varint(block, pos, limit)
        length, pos = _varint(block, pos, limit)
        room = limit - pos
        if shared > len(key) or unshared > room or length > room - unshared:
            raise _TfIndexError(f"block entry at {pos} runs past its block")
        key = key[:shared] + block[pos : pos + unshared]
        budget[0] -= len(key)
        if budget[0] < 0:
            raise _TfIndexError("keys expand beyond any real index")
        pos += unshared
        yield key, block[pos : pos + length]
        pos += length


def _handle(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """A BlockHandle (offset, size) at `pos`, and the position after it."""
    offset, pos = _varint(buf, pos, end)
    size, pos = _varint(buf, pos, end)
    return offset, size, pos


def read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a table file's contents, in key order."""
    if len(data) < _FOOTER_SIZE:
        raise _TfIndexError("shorter than a table footer")
    footer = data[-_FOOTER_SIZE:]
    if int.from_bytes(footer[40:], "little") != _TABLE_MAGIC:
        raise _TfIndexError("no table magic number at its end")
    meta_offset, meta_size, pos = _handle(footer, 0, 40)
    index_offset, index_size, _ = _handle(footer, pos, 40)
    # nothing is kept in the metaindex; TF does not read it, but its checksum
    # is one more check that the file is whole
    _block(data, meta_offset, meta_size)
    budget = [32 * len(data) + (1 << 20)]
    out: list[tuple[bytes, bytes]] = []
    index = _block(data, index_offset, index_size)
    for _, handle in _block_entries(index, budget):
        offset, size, _ = _handle(handle, 0, len(handle))
        for key, value in _block_entries(_block(data, offset, size), budget):
            if out and key <= out[-1][0]:
                raise _TfIndexError("keys out of order")
            out.append((key, value))
    return out


# ------------------------------------------------------------ slice keys


def _ordered_num(value: int) -> bytes:
    """OrderedCode::WriteNumIncreasing: a length byte, then big-endian bytes."""
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(body)]) + body


def _ordered_signed(value: int) -> bytes:
    """OrderedCode::WriteSignedNumIncreasing: sign and length in the leading
    bits, then the value big-endian (two's complement)."""
    x = ~value if value < 0 else value
    if x < 64:
        return bytes([(0x80 ^ value) & 0xFF])
    length = x.bit_length() // 7 + 1  # TF's kBitsToLength
    buf = bytearray((value % (1 << 80)).to_bytes(10, "big")[10 - length :])
    # kLengthToHeaderBits: `length` leading one bits (flipped for a negative)
    buf[0] ^= (0xFF << max(0, 8 - length)) & 0xFF
    if length > 8:
        buf[1] ^= (0xFF << (16 - length)) & 0xFF
    return bytes(buf)


def _ordered_string(text: bytes) -> bytes:
    """OrderedCode::WriteString: 0x00 as 0x00 0xff, 0xff as 0xff 0x00, then the
    separator 0x00 0x01."""
    out = bytearray()
    for b in text:
        out += b"\x00\xff" if b == 0 else b"\xff\x00" if b == 0xFF else bytes((b,))
    return bytes(out) + b"\x00\x01"


def slice_key(name: str, extents: tuple[tuple[int, int], ...]) -> bytes:
    """The key of one slice's own entry (checkpoint::EncodeTensorNameSlice)."""
    out = [
        _ordered_num(0),
        _ordered_string(name.encode("utf-8")),
        _ordered_num(len(extents)),
    ]
    for start, length in extents:
        out += [_ordered_signed(start), _ordered_signed(length)]
    return b"".join(out)


# ------------------------------------------------------------ bundles


class TFBundle(NamedTuple):
    """A checkpoint's index, read and checked: every full tensor's entry by name
    (in key order), the slices' own entries by key, and the data shards' sizes."""

    prefix: str
    header: TFHeader
    entries: dict[str, TFEntry]
    slices: dict[bytes, TFEntry]
    shard_sizes: dict[int, int]


def _tf_itemsize(dtype: int) -> int | None:
    """Bytes per element of a fixed-size TF dtype; None for strings and dtypes
    specc does not know."""
    known = _TF_DTYPES.get(dtype)
    if known is None or dtype == _DT_STRING:
        return None
    return known[1]


def _extent_bounds(
    extents: tuple[tuple[int, int], ...], shape: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """Each dimension's (start, stop) of a slice of `shape`, checked."""
    if len(extents) != len(shape):
        msg = f"a slice of rank {len(extents)} of a rank-{len(shape)} tensor"
        raise _TfIndexError(msg)
    out = []
    for (start, length), dim in zip(extents, shape, strict=True):
        stop = dim if length == -1 else start + length
        if (length == -1 and start != 0) or stop > dim:
            raise _TfIndexError(f"slice {start},{length} outside dimension {dim}")
        out.append((start, stop))
    return tuple(out)


def _check_data(entry: TFEntry, shard_size: int) -> None:
    """An entry's data must lie inside its shard and have its shape's size."""
    if entry.offset > shard_size or entry.size > shard_size - entry.offset:
        raise _TfIndexError(
            f"data at {entry.offset} of {entry.size} bytes is past the end of its "
            f"{shard_size}-byte data file"
        )
    count = 1
    for d in entry.shape:
        count *= d
    itemsize = _tf_itemsize(entry.dtype)
    if itemsize is not None and entry.size != count * itemsize:
        raise _TfIndexError(
            f"{entry.size} bytes of data for shape {list(entry.shape)} dtype "
            f"{tf_dtype_name(entry.dtype)} ({count} elements of {itemsize} bytes)"
        )
    if entry.dtype == _DT_STRING and count and entry.size < count + 4:
        raise _TfIndexError(f"{entry.size} bytes of data for {count} strings")


def _shard_size(bundle: TFBundle, shard: int) -> int:
    """The size of a data shard (stat once), or CheckpointError when missing."""
    if not 0 <= shard < bundle.header.shards:
        raise _TfIndexError(f"data shard {shard} of {bundle.header.shards}")
    size = bundle.shard_sizes.get(shard)
    if size is None:
        path = tf_data_path(bundle.prefix, shard, bundle.header.shards)
        try:
            size = os.stat(path).st_size
        except OSError as e:
            what = "no such file" if isinstance(e, FileNotFoundError) else e.strerror
            # the reason names the file: callers may show the reason alone
            raise CheckpointError(bundle.prefix, f"{what}: {path}") from None
        bundle.shard_sizes[shard] = size
    return size


def _check_entry(bundle: TFBundle, name: str, entry: TFEntry) -> None:
    """What the index alone can tell of one tensor: its data (or every slice's)
    fits its shard, its shape and its dtype, and its slices tile it."""
    if not entry.slices:
        _check_data(entry, _shard_size(bundle, entry.shard))
        return
    total = 0
    for extents in entry.slices:
        bounds = _extent_bounds(extents, entry.shape)
        part = bundle.slices.get(slice_key(name, extents))
        if part is None:
            raise _TfIndexError(f"{name}: no entry for its slice {extents}")
        shape = tuple(stop - start for start, stop in bounds)
        if part.dtype != entry.dtype or part.shape != shape or part.slices:
            msg = f"{name}: its slice {extents} has another dtype or shape"
            raise _TfIndexError(msg)
        _check_data(part, _shard_size(bundle, part.shard))
        count = 1
        for d in shape:
            count *= d
        total += count
    full = 1
    for d in entry.shape:
        full *= d
    if total != full:
        raise _TfIndexError(f"{name}: its slices hold {total} of its {full} elements")


def _read_index(index: str) -> bytes:
    """The bytes of an `.index` file, its size bounded first."""
    with open(index, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_TF_INDEX:
            raise CheckpointError(index, f"{size} bytes: larger than any real index")
        return f.read(size)


def open_tf_checkpoint(path: str) -> TFBundle:
    """The index of the checkpoint `path` names (its prefix or one of its
    files), read and checked against the data files' sizes without reading
    them. Raises CheckpointError for anything missing or malformed, OSError
    when a file cannot be read."""
    prefix = tf_checkpoint_prefix(path) or path
    index = prefix + ".index"
    if not os.path.isfile(index):
        what = "a folder" if os.path.isdir(index) else "no such file"
        raise CheckpointError(path, f"{what}: {index} (a TF checkpoint's index)")
    data = _read_index(index)
    try:
        rows = read_table(data)
        if not rows or rows[0][0] != b"":
            raise _TfIndexError("no bundle header")
        bundle = TFBundle(prefix, parse_header(rows[0][1]), {}, {}, {})
        for key, value in rows[1:]:
            entry = parse_entry(value)
            if key[:1] == b"\x00":  # an OrderedCode key: one slice's data
                bundle.slices[key] = entry
            else:
                bundle.entries[key.decode("utf-8", "surrogateescape")] = entry
        for name, entry in bundle.entries.items():
            _check_entry(bundle, name, entry)
    except _TfIndexError as e:
        raise CheckpointError(index, f"malformed TF checkpoint index: {e}") from None
    return bundle


def read_tf_checkpoint(path: str) -> list[ArrayInfo]:
    """The tensors of a TF checkpoint, in key order, from its index only (a
    partitioned variable once, whole). Raises CheckpointError for a missing
    or malformed checkpoint, OSError when it cannot be read."""
    bundle = open_tf_checkpoint(path)
    entries = bundle.entries.items()
    return [ArrayInfo(name, e.shape, tf_dtype_name(e.dtype)) for name, e in entries]


# ------------------------------------------------------------ tensor data


def _shard_path(bundle: TFBundle, shard: int) -> str:
    return tf_data_path(bundle.prefix, shard, bundle.header.shards)


def _read_fixed(
    bundle: TFBundle, name: str, entry: TFEntry, dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    """One entry's numbers, their checksum verified, in native byte order."""
    big = bundle.header.big_endian
    stored = dtype.newbyteorder(">") if big else dtype.newbyteorder("<")
    a = np.empty(entry.shape, dtype=stored)
    path = _shard_path(bundle, entry.shard)
    # a file per tensor: opening costs microseconds, and nothing stays open
    with open(path, "rb") as f:
        f.seek(entry.offset)
        if f.readinto(a.reshape(-1).view(np.uint8).data) != entry.size:
            raise CheckpointError(path, f"{name}: truncated data")
    if crc32c_array(a) != entry.crc:
        raise CheckpointError(path, f"{name}: checksum mismatch (the data is corrupt)")
    return a.astype(dtype.newbyteorder("="), copy=False)


def _read_strings(bundle: TFBundle, name: str, entry: TFEntry) -> npt.NDArray[Any]:
    """One DT_STRING entry as an object array of bytes: varint lengths, their
    masked checksum, then the bytes (TF's WriteStringTensor)."""
    path = _shard_path(bundle, entry.shard)
    with open(path, "rb") as f:
        f.seek(entry.offset)
        buf = f.read(entry.size)
    count = 1
    for d in entry.shape:
        count *= d
    out = np.empty(count, dtype=object)
    if entry.size == 0 and count == 0:
        return out.reshape(entry.shape)
    try:
        pos, crc, lengths = 0, 0, []
        for _ in range(count):
            n, pos = _varint(buf, pos, len(buf))
            crc = crc32c(n.to_bytes(4 if n <= 0xFFFFFFFF else 8, "little"), crc)
            lengths.append(n)
        stored = int.from_bytes(buf[pos : pos + 4], "little")
        if pos + 4 > len(buf) or unmask_crc(stored) != crc:
            raise _TfIndexError("length checksum mismatch")
        crc = crc32c(buf[pos : pos + 4], crc)
        pos += 4
        for i, n in enumerate(lengths):
            if n > len(buf) - pos:
                raise _TfIndexError("strings run past their data")
            out[i] = buf[pos : pos + n]
            pos += n
        crc = crc32c(buf[pos - sum(lengths) : pos], crc)
    except _TfIndexError as e:
        raise CheckpointError(path, f"{name}: {e}") from None
    if crc != entry.crc:
        raise CheckpointError(path, f"{name}: checksum mismatch (the data is corrupt)")
    return out.reshape(entry.shape)


def _read_entry(b: TFBundle, name: str, e: TFEntry, dtype: _DType) -> npt.NDArray[Any]:
    if dtype is None:
        return _read_strings(b, name, e)
    return _read_fixed(b, name, e, dtype)


def _read_whole(bundle: TFBundle, name: str, dtype: _DType) -> npt.NDArray[Any]:
    """A tensor by name; a sliced one assembled from its slices, which must
    cover it exactly once."""
    entry = bundle.entries[name]
    if not entry.slices:
        return _read_entry(bundle, name, entry, dtype)
    out = np.empty(entry.shape, dtype=object if dtype is None else dtype)
    covered = np.zeros(entry.shape, dtype=bool)
    for extents in entry.slices:
        region = tuple(slice(a, b) for a, b in _extent_bounds(extents, entry.shape))
        if covered[region].any():
            msg = f"{name}: its slices overlap"
            raise CheckpointError(bundle.prefix + ".index", msg)
        part = bundle.slices[slice_key(name, extents)]
        out[region] = _read_entry(bundle, name, part, dtype)
        covered[region] = True
    return out


def _numpy_dtype(path: str, name: str, entry: TFEntry, bits: bool) -> _DType:
    """The NumPy dtype a tensor is read as (None: strings, as bytes objects);
    with `bits`, the unsigned integers of its width."""
    if entry.dtype == _DT_STRING and not bits:
        return None
    dtype = tf_dtype_name(entry.dtype)
    itemsize = _tf_itemsize(entry.dtype)
    if itemsize is None:
        raise CheckpointError(path, f"{name}: dtype {dtype} cannot be read")
    if bits:
        return np.dtype(f"u{itemsize}") if itemsize <= 8 else np.dtype(f"V{itemsize}")
    try:
        return np.dtype(dtype)
    except TypeError:
        msg = f"{name}: NumPy cannot hold dtype {dtype}"
        raise CheckpointError(path, msg) from None


class TFCheckpointReader:
    """A checkpoint whose index is read once, for reading its tensors one at
    a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.bundle = open_tf_checkpoint(path)

    def read(self, name: str, *, bits: bool = False) -> npt.NDArray[Any]:
        """Tensor `name`, whole (with `bits`, as unsigned integers)."""
        entry = self.bundle.entries.get(name)
        if entry is None:
            msg = f"no array {name!r} among its {len(self.bundle.entries)}"
            raise CheckpointError(self.path, msg)
        dtype = _numpy_dtype(self.path, name, entry, bits)
        return _read_whole(self.bundle, name, dtype)


def _read(path: str, only: str | None, bits: bool) -> _Arrays:
    reader = TFCheckpointReader(path)
    names = list(reader.bundle.entries) if only is None else [only]
    return {name: reader.read(name, bits=bits) for name in names}


def read_tf_checkpoint_arrays(path: str, only: str | None = None) -> _Arrays:
    """The tensors of a TF checkpoint (only the one named `only`, when given),
    in native byte order, each checksum verified, sliced ones whole; strings
    as object arrays of bytes."""
    return _read(path, only, bits=False)


def read_tf_checkpoint_bits(path: str, name: str) -> npt.NDArray[Any]:
    """One tensor's elements as unsigned integers of their width (a bfloat16
    tensor as uint16), for dtypes NumPy cannot hold."""
    return _read(path, name, bits=True)[name]
