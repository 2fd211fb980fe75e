"""TF V2 checkpoints without TensorFlow: the reader and writer of
`specc.formats.tf_checkpoint*` against checkpoints real TensorFlow 2.21 wrote
(`tests/fixtures/tf/`, made by `make_fixtures.py` with the TF venv)."""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from specc.formats import tf_checkpoint as tfc
from specc.formats.arrays import CheckpointError
from specc.formats.params import find_array, params_format, read_arrays, read_params
from specc.formats.tf_checkpoint import (
    crc32c,
    crc32c_array,
    mask_crc,
    open_tf_checkpoint,
    read_tf_checkpoint,
    read_tf_checkpoint_arrays,
    read_tf_checkpoint_bits,
    slice_key,
    tf_checkpoint_prefix,
    unmask_crc,
)
from specc.formats.tf_checkpoint_writer import TFVariable, entry_proto, write_tf_checkpoint

FIXTURES = Path(__file__).parent / "fixtures" / "tf"
BASIC = str(FIXTURES / "basic.ckpt")
DATA = ".data-00000-of-00001"
#: how make_fixtures.py partitioned its variables: name -> axis
PARTITIONED = {"emb": 0, "wide": 1}


@pytest.fixture(scope="module")
def values() -> dict[str, np.ndarray]:
    """What TF's own reader returned for basic.ckpt (bfloat16 as its bits), and
    the partitioned variables' parts as `NAME/part_N`."""
    with np.load(FIXTURES / "basic.values.npz") as f:
        return dict(f)


def _basic_variables(values: dict[str, np.ndarray]) -> list[TFVariable]:
    """basic.ckpt's variables as specc describes them (parts from the values)."""
    out = []
    for info in read_tf_checkpoint(BASIC):
        parts = None
        axis = PARTITIONED.get(info.name)
        if axis is not None:
            found, start, i = [], 0, 0
            while f"{info.name}/part_{i}" in values:
                shape = values[f"{info.name}/part_{i}"].shape
                offset = tuple(start if d == axis else 0 for d in range(len(shape)))
                found.append((offset, tuple(shape)))
                start += shape[axis]
                i += 1
            parts = tuple(found)
        out.append(TFVariable(info.name, info.shape, info.dtype, parts))
    return out


def _copy_basic(tmp_path: Path) -> str:
    for suffix in (".index", DATA):
        shutil.copy(BASIC + suffix, tmp_path / ("c.ckpt" + suffix))
    return str(tmp_path / "c.ckpt")


# ------------------------------------------------------------ reading


def test_lists_every_tensor_from_the_index(values: dict[str, np.ndarray]) -> None:
    infos = {a.name: a for a in read_tf_checkpoint(BASIC)}
    want = {k for k in values if "/part_" not in k}
    assert set(infos) == want
    assert infos["emb"].shape == (10, 3) and infos["emb"].dtype == "float32"
    assert infos["bf16"].dtype == "bfloat16"
    assert infos["scalar"].shape == () and infos["empty"].shape == (0, 3)
    assert infos["steps"].dtype == "int64" and infos["flags"].dtype == "bool"


def test_reads_every_tensor_bit_for_bit(values: dict[str, np.ndarray]) -> None:
    # by the index file's name too; bfloat16 has its own tests
    path = BASIC + ".index"
    names = [a.name for a in read_tf_checkpoint(path) if a.dtype != "bfloat16"]
    for name in names:
        got = read_tf_checkpoint_arrays(path, name)[name]
        want = values[name]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), name


def test_bfloat16_is_read_as_its_bits(values: dict[str, np.ndarray]) -> None:
    bits = read_tf_checkpoint_bits(BASIC, "bf16")
    assert bits.dtype == np.uint16 and bits.tobytes() == values["bf16"].tobytes()
    # bfloat16 is the top half of float32: 1.0, -2.5 and 3.140625 are exact
    as_float = (bits.astype(np.uint32) << 16).view(np.float32)
    assert as_float.tolist() == [1.0, -2.5, 3.140625]


def test_bfloat16_without_a_numpy_dtype_is_a_one_line_error() -> None:
    try:
        np.dtype("bfloat16")
    except TypeError:
        with pytest.raises(CheckpointError, match="NumPy cannot hold dtype bfloat16"):
            read_tf_checkpoint_arrays(BASIC, "bf16")
    else:  # another part of the process registered bfloat16 (ml_dtypes)
        assert read_tf_checkpoint_arrays(BASIC, "bf16")["bf16"].dtype.name == "bfloat16"


def test_partitioned_variables_are_reassembled(values: dict[str, np.ndarray]) -> None:
    bundle = open_tf_checkpoint(BASIC)
    assert len(bundle.entries["emb"].slices) == 3 and len(bundle.entries["wide"].slices) == 2
    for name, axis in PARTITIONED.items():
        whole = read_tf_checkpoint_arrays(BASIC, name)[name]
        parts = [values[k] for k in sorted(values) if k.startswith(name + "/part_")]
        assert np.array_equal(whole, np.concatenate(parts, axis=axis))


def test_strings_are_read_as_bytes() -> None:
    arrays = read_tf_checkpoint_arrays(str(FIXTURES / "strings.ckpt"))
    assert arrays["s/scalar"].shape == () and arrays["s/scalar"][()] == b"hello"
    assert arrays["s/vec"].tolist() == [b"", b"a\x00b", b"x" * 200]
    assert {a.dtype for a in read_tf_checkpoint(str(FIXTURES / "strings.ckpt"))} == {"string"}


def test_an_index_of_many_blocks() -> None:
    path = str(FIXTURES / "many.ckpt")
    arrays = read_tf_checkpoint_arrays(path)
    assert len(arrays) == 4000
    names = sorted(arrays)
    assert all(arrays[n] == float(int(n[6:10])) for n in names)


# ------------------------------------------------------------ writing


def test_writes_what_tf_wrote_byte_for_byte(tmp_path: Path, values: dict[str, np.ndarray]) -> None:
    prefix = str(tmp_path / "w.ckpt")
    write_tf_checkpoint(prefix, _basic_variables(values), values.__getitem__)
    for suffix in (".index", DATA):
        assert filecmp.cmp(prefix + suffix, BASIC + suffix, shallow=False), suffix


def test_writes_a_many_block_index_byte_for_byte(tmp_path: Path) -> None:
    source = str(FIXTURES / "many.ckpt")
    arrays = read_tf_checkpoint_arrays(source)
    prefix = str(tmp_path / "m.ckpt")
    write_tf_checkpoint(prefix, [TFVariable(n, (), "float32") for n in arrays], arrays.__getitem__)
    for suffix in (".index", DATA):
        assert filecmp.cmp(prefix + suffix, source + suffix, shallow=False), suffix


def test_round_trip_of_large_and_odd_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "big": rng.standard_normal((300, 257)).astype(np.float32),  # > 16 KiB: NumPy crc
        "big/int": rng.integers(-(2**62), 2**62, 5000, dtype=np.int64),
        "z": np.zeros((2, 0, 3), np.float16),
        "parted": rng.standard_normal((7, 5)),
    }
    variables = [
        TFVariable("big", (300, 257), "float32"),
        TFVariable("big/int", (5000,), "int64"),
        TFVariable("z", (2, 0, 3), "float16"),
        TFVariable("parted", (7, 5), "float64", (((0, 0), (4, 5)), ((4, 0), (3, 5)))),
    ]
    prefix = str(tmp_path / "r.ckpt")
    write_tf_checkpoint(prefix, variables, arrays.__getitem__)
    got = read_tf_checkpoint_arrays(prefix)
    assert got.keys() == arrays.keys()
    for k, a in arrays.items():
        assert got[k].dtype == a.dtype and got[k].tobytes() == a.tobytes()


def test_a_single_part_is_a_plain_entry(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    prefix = str(tmp_path / "one.ckpt")
    write_tf_checkpoint(
        prefix, [TFVariable("v", (2, 3), "float32", (((0, 0), (2, 3)),))], {"v": a}.__getitem__
    )
    bundle = open_tf_checkpoint(prefix)
    assert not bundle.entries["v"].slices and not bundle.slices


def test_the_writer_refuses_what_does_not_match(tmp_path: Path) -> None:
    prefix = str(tmp_path / "bad.ckpt")
    with pytest.raises(ValueError, match="array of shape"):
        write_tf_checkpoint(
            prefix, [TFVariable("v", (2,), "float32")], lambda _: np.zeros(3, np.float32)
        )
    with pytest.raises(ValueError, match="cannot be written"):
        write_tf_checkpoint(prefix, [TFVariable("s", (), "string")], lambda _: np.array(b""))
    assert not os.path.exists(prefix + ".index") and not os.path.exists(prefix + DATA)


# ------------------------------------------------------------ the pieces


def test_crc32c_known_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283
    for crc in (0, 1, 0xE3069283, 0xFFFFFFFF):
        assert unmask_crc(mask_crc(crc)) == crc
    assert mask_crc(0) == 0xA282EAD8


@pytest.mark.parametrize("size", [0, 1, 5, 16383, 16384, 16385, 100_000, 262_147])
def test_crc32c_array_agrees_with_the_plain_loop(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small rounds, so that joining rounds is exercised too
    monkeypatch.setattr(tfc, "_CRC_CHUNK", 1 << 17)
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8)
    assert crc32c_array(data) == crc32c(data.tobytes())


def test_slice_keys_use_ordered_code() -> None:
    # OrderedCode's own examples: 0x424242 -> f0 42 42 42, -0x800 -> 38 00
    assert tfc._ordered_signed(0x424242) == bytes.fromhex("f0424242")
    assert tfc._ordered_signed(-0x800) == bytes.fromhex("3800")
    assert tfc._ordered_signed(0) == b"\x80" and tfc._ordered_signed(-1) == b"\x7f"
    assert tfc._ordered_signed(2**62).hex() == "ffc0" + "4000000000000000"[:-2] + "00"
    assert slice_key("v", ((0, 4), (0, -1))) == b"\x00v\x00\x01\x01\x02\x80\x84\x80\x7f"


def test_entry_proto_is_proto3() -> None:
    # dtype float, shape [2], size 8, and the crc of eight zero bytes
    crc = crc32c(bytes(8))
    assert entry_proto(1, (2,), size=8, crc=crc) == (
        b"\x08\x01\x12\x04\x12\x02\x08\x02\x28\x08\x35" + mask_crc(crc).to_bytes(4, "little")
    )
    assert entry_proto(1, ()) == b"\x08\x01\x12\x00"


# ------------------------------------------------------------ naming and dispatch


def test_prefix_naming() -> None:
    assert tf_checkpoint_prefix("model.ckpt") == "model.ckpt"
    assert tf_checkpoint_prefix("model.ckpt-1000") == "model.ckpt-1000"
    assert tf_checkpoint_prefix("a/model.index") == "a/model"
    assert tf_checkpoint_prefix("m.data-00000-of-00001") == "m"
    assert tf_checkpoint_prefix(str(FIXTURES / "basic")) is None
    assert tf_checkpoint_prefix("params.npz") is None
    assert params_format(BASIC) == "tf" and params_format("p.npz") == "npz"


def test_a_prefix_without_a_ckpt_name_is_found_by_its_index(tmp_path: Path) -> None:
    prefix = _copy_basic(tmp_path)
    for suffix in (".index", DATA):
        os.rename(prefix + suffix, str(tmp_path / "model") + suffix)
    assert params_format(str(tmp_path / "model")) == "tf"
    assert len(read_arrays(str(tmp_path / "model"))) == 15


def test_params_dispatch(values: dict[str, np.ndarray]) -> None:
    assert {a.name for a in read_arrays(BASIC)} == {a.name for a in read_tf_checkpoint(BASIC)}
    assert find_array(BASIC, "emb").shape == (10, 3)
    got = read_params(BASIC, only="dense/kernel")
    assert list(got) == ["dense/kernel"]
    assert got["dense/kernel"].tobytes() == values["dense/kernel"].tobytes()
    with pytest.raises(
        CheckpointError, match=r"no array 'dense/kernal'.*did you mean 'dense/kernel'"
    ):
        find_array(BASIC, "dense/kernal")


# ------------------------------------------------------------ hostile files


def _fails_cleanly(prefix: str) -> None:
    """Reading must raise a one-line CheckpointError, or succeed."""
    try:
        read_tf_checkpoint_arrays(prefix)
    except CheckpointError as e:
        assert "\n" not in str(e)


def test_a_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no such file: .*nope\.ckpt\.index"):
        read_tf_checkpoint(str(tmp_path / "nope.ckpt"))
    with pytest.raises(CheckpointError, match="no such file"):
        find_array(str(tmp_path / "nope.ckpt"), "v")


def test_a_missing_data_file(tmp_path: Path) -> None:
    prefix = _copy_basic(tmp_path)
    os.unlink(prefix + DATA)
    with pytest.raises(
        CheckpointError, match=r"c\.ckpt: no such file: .*c\.ckpt\.data-00000-of-00001"
    ):
        read_tf_checkpoint(prefix)


def test_every_truncation_of_the_index(tmp_path: Path) -> None:
    prefix = _copy_basic(tmp_path)
    index = Path(BASIC + ".index").read_bytes()
    for n in range(len(index)):
        Path(prefix + ".index").write_bytes(index[:n])
        with pytest.raises(CheckpointError):
            read_tf_checkpoint(prefix)


def test_every_byte_of_the_index_flipped(tmp_path: Path) -> None:
    prefix = _copy_basic(tmp_path)
    index = Path(BASIC + ".index").read_bytes()
    for i in range(len(index)):
        bad = bytearray(index)
        bad[i] ^= 0x41
        Path(prefix + ".index").write_bytes(bytes(bad))
        # blocks are checksummed; the footer's padding alone is not
        if i < len(index) - 48:
            with pytest.raises(CheckpointError):
                read_tf_checkpoint(prefix)
        else:
            _fails_cleanly(prefix)


def test_corrupt_or_short_data(tmp_path: Path) -> None:
    prefix = _copy_basic(tmp_path)
    data = Path(BASIC + DATA).read_bytes()
    bad = bytearray(data)
    bad[5] ^= 1
    Path(prefix + DATA).write_bytes(bytes(bad))
    with pytest.raises(CheckpointError, match="bf16: checksum mismatch"):
        read_tf_checkpoint_bits(prefix, "bf16")  # the first tensor in the file
    Path(prefix + DATA).write_bytes(data[:-1])
    with pytest.raises(CheckpointError, match="past the end of its"):
        read_tf_checkpoint(prefix)


def test_hostile_entries(tmp_path: Path) -> None:
    """Indexes specc's own writer builds with lies in them: each is refused
    before any memory is allocated for it."""
    from specc.formats.tf_checkpoint_writer import table_bytes

    prefix = str(tmp_path / "h.ckpt")
    Path(prefix + DATA).write_bytes(bytes(16))
    huge = (1 << 40, 1 << 40)
    cases = {
        "past the end": {b"v": entry_proto(1, (4,), size=16, offset=8)},
        "bytes of data for shape": {b"v": entry_proto(1, huge, size=16)},
        "its slices hold": {
            b"v": entry_proto(1, (1 << 40,), slices=[((0,), (4,))]),
            slice_key("v", ((0, 4),)): entry_proto(1, (4,), size=16),
        },
        "no entry for its slice": {b"v": entry_proto(1, (4,), slices=[((0,), (4,))])},
        "dimension -1": {b"v": entry_proto(1, (-1,))},
        "outside dimension": {b"v": entry_proto(1, (4,), slices=[((2,), (4,))])},
    }
    for reason, entries in cases.items():
        Path(prefix + ".index").write_bytes(table_bytes(entries))
        with pytest.raises(CheckpointError, match=reason):
            read_tf_checkpoint_arrays(prefix)


def test_an_oversized_index_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = _copy_basic(tmp_path)
    monkeypatch.setattr(tfc, "MAX_TF_INDEX", 100)
    with pytest.raises(CheckpointError, match="larger than any real index"):
        read_tf_checkpoint(prefix)


def test_keys_that_expand_without_bound(tmp_path: Path) -> None:
    """A block whose every entry shares the whole previous key and adds one
    byte: materialized keys would grow quadratically."""
    from specc.formats.tf_checkpoint_writer import _Block, _varint

    block = _Block(1 << 30)
    block.buffer += _varint(0) + _varint(4096) + _varint(0) + b"k" * 4096
    for _ in range(20000):
        block.buffer += _varint(4096) + _varint(1) + _varint(0) + b"k"
    contents = block.finish() + b"\x00"
    budget = [1 << 20]
    with pytest.raises(tfc._TfIndexError, match="keys expand"):
        list(tfc._block_entries(contents[:-1], budget))
