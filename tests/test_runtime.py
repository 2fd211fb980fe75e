"""The runtime and the file formats imported as the real modules they are
(`specc/runtime/`, `specc/formats/`), tested directly: streams, samplers, the
table loader, and the .npz / .safetensors readers and writers. (Generated
modules embed the same code; tests/test_rng.py and test_init.py test it
through modules built from specs.)"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from specc.formats import npz, safetensors
from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.atomic import atomic_output, write_atomic
from specc.formats.params import find_array, read_arrays, read_params, write_params
from specc.runtime import api, samplers, streams, table, workers
from specc.runtime.prelude import BLOCK_SIZE


def _reference_stream(seed: int, name: str, block: int) -> np.random.Generator:
    """docs/rng.md's stream of one block, rebuilt from the recipe."""
    name_hash = hashlib.blake2b(name.encode(), digest_size=16).digest()
    d = hashlib.blake2b(
        struct.pack("<Q", seed) + name_hash + struct.pack("<Q", block),
        digest_size=32,
        person=b"specc-rng-v2",
    ).digest()
    bg = np.random.PCG64(0)
    bg.state = {
        "bit_generator": "PCG64",
        "state": {
            "state": int.from_bytes(d[:16], "little"),
            "inc": int.from_bytes(d[16:], "little") | 1,
        },
        "has_uint32": 0,
        "uinteger": 0,
    }
    return np.random.Generator(bg)


# ------------------------------------------------------------------ streams


def test_stream_of_a_block_follows_the_recipe() -> None:
    h = streams._name_hash("enc/w")
    assert h == hashlib.blake2b(b"enc/w", digest_size=16).digest()
    got = streams._generator(5, h, 3).random(10)
    np.testing.assert_array_equal(got, _reference_stream(5, "enc/w", 3).random(10))


def test_generators_are_consecutive_blocks() -> None:
    h = streams._name_hash("v")
    gens = workers._Workspace().generators(1, h, 7, 3)
    assert len(gens) == 3
    for i, gen in enumerate(gens):
        np.testing.assert_array_equal(gen.random(4), _reference_stream(1, "v", 7 + i).random(4))


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5, True])
def test_check_seed_refuses_what_is_not_a_seed(bad: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        streams._check_seed(bad)  # type: ignore[arg-type]


def test_check_seed_defaults_to_the_spec_seed() -> None:
    assert streams._check_seed(None) == 0  # the stand-in spec's seed
    assert streams._check_seed(2**64 - 1) == 2**64 - 1


# ------------------------------------------------------------------ samplers


def _rows(
    name: str, blocks: int, width: int, dtype: type
) -> tuple[workers._Workspace, list[np.random.Generator], np.ndarray]:
    ws = workers._Workspace()
    gens = ws.generators(9, streams._name_hash(name), 0, blocks)
    return ws, gens, np.empty((blocks, width), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_rows_equal_numpy_random(dtype: type) -> None:
    ws, gens, out = _rows("u", 3, 1001, dtype)
    samplers._uniform_rows(ws, gens, out, dtype(3), dtype(-1))
    for b in range(3):
        want = _reference_stream(9, "u", b).random(1001, dtype=dtype) * dtype(3) + dtype(-1)
        np.testing.assert_array_equal(out[b], want)


def test_normal_rows_are_box_muller_of_the_block() -> None:
    ws, gens, out = _rows("n", 2, 10, np.float64)
    samplers._normal_rows(ws, gens, out)
    for b in range(2):
        u = _reference_stream(9, "n", b).random(10)
        r = np.sqrt(-2 * np.log(1 - u[:5]))
        t = 2 * np.pi * u[5:]
        np.testing.assert_allclose(out[b], np.concatenate([r * np.cos(t), r * np.sin(t)]))


def test_truncated_rows_stay_within_two() -> None:
    ws, gens, out = _rows("t", 4, BLOCK_SIZE, np.float32)
    samplers._truncated_rows(ws, gens, out)
    assert np.abs(out).max() <= 2
    assert abs(float(out.std()) - 0.8796) < 0.01


def test_integer_sampler_draws_integers() -> None:
    ws, gens, out = _rows("i", 2, 1000, np.int64)
    samplers._integer_sampler(-3, 4)(ws, gens, out)
    assert set(np.unique(out).tolist()) == set(range(-3, 4))


def test_scratch_is_a_view_of_the_workspace_when_it_fits() -> None:
    ws = workers._Workspace()
    bits, values, mask = ws.scratch(2, 100)
    assert bits.base is not None and values.base is not None and mask.base is not None
    assert bits.shape == values.shape == (2, 100) and mask.shape == (200,)
    big = ws.scratch(1, BLOCK_SIZE + 1)[0]
    assert big.base is None and big.shape == (1, BLOCK_SIZE + 1)


def test_each_call_has_its_own_workspaces() -> None:
    """Scratch belongs to the workers of one call (no module-level state): each
    thread of a call gets one workspace, reused across its tasks."""
    first, second = workers._workers(1), workers._workers(1)
    assert first.workspace() is first.workspace()
    assert first.workspace() is not second.workspace()


def test_fans_follow_tf() -> None:
    assert samplers._fans(()) == (1.0, 1.0)
    assert samplers._fans((5,)) == (5.0, 5.0)
    assert samplers._fans((3, 4)) == (3.0, 4.0)
    assert samplers._fans((2, 3, 4, 5)) == (24.0, 30.0)


def test_float16_samples_in_float32() -> None:
    assert samplers._sample_dtype(np.dtype(np.float16)) == np.float32
    assert samplers._sample_dtype(np.dtype(np.float64)) == np.float64


# ------------------------------------------------------------------ table


def test_the_stand_in_table_is_empty() -> None:
    assert table._variables() == ()
    assert dict(table._by_name()) == {}
    info = table.VariableInfo(
        "w", (2, 3), "float32", True, ("variables",), None, {}, None, None, False, "w:0",
        None, {}, None,
    )  # fmt: skip
    assert info.size == 6


# ------------------------------------------------------------------ files

PARAMS = {
    "a/w": np.arange(12, dtype=np.float32).reshape(3, 4),
    "n": np.array(7, np.int64),
    "h": np.array([1.5, -2.0], np.float16),
    "b": np.array([True, False]),
    "c": np.array([1 + 2j], np.complex64),
    "e": np.zeros((2, 0), np.int8),
}


def _entries(params: dict[str, np.ndarray]) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    return [(k, a.shape, a.dtype) for k, a in params.items()]


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_write_read_and_list_round_trip(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"p.{ext}"
    write_params(path, _entries(PARAMS), PARAMS.items(), {"specc_spec": "t"})
    back = read_params(str(path))
    assert list(back) == list(PARAMS)
    for k, a in PARAMS.items():
        assert back[k].dtype == a.dtype
        np.testing.assert_array_equal(back[k], a)
    assert read_arrays(str(path)) == [
        ArrayInfo(k, a.shape, a.dtype.name) for k, a in PARAMS.items()
    ]
    only = read_params(str(path), only="h")
    assert list(only) == ["h"]
    assert [p.name for p in tmp_path.iterdir()] == [f"p.{ext}"]


def test_safetensors_files_are_the_packages_own(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    path = tmp_path / "p.safetensors"
    write_params(path, _entries(PARAMS), PARAMS.items(), {"specc_spec": "t"})
    theirs = load_file(str(path))
    for k, a in PARAMS.items():
        np.testing.assert_array_equal(theirs[k], a)
    header = json.loads(path.read_bytes()[8 : 8 + struct.unpack("<Q", path.read_bytes()[:8])[0]])
    assert header["__metadata__"] == {"specc_spec": "t"}
    save_file({"x": np.arange(3, dtype=np.int32)}, str(tmp_path / "t.safetensors"))
    assert read_params(str(tmp_path / "t.safetensors"))["x"].tolist() == [0, 1, 2]


def test_npz_arrays_of_numpy_files(tmp_path: Path) -> None:
    """Compressed members, big-endian and Fortran-ordered arrays read as NumPy
    reads them."""
    big = np.arange(4, dtype=">f8")
    fortran = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    np.savez_compressed(tmp_path / "c.npz", big=big, fortran=fortran)
    back = read_params(str(tmp_path / "c.npz"))
    np.testing.assert_array_equal(back["big"], big)
    np.testing.assert_array_equal(back["fortran"], fortran)
    assert npz.read_npz(str(tmp_path / "c.npz")) == [
        ArrayInfo("big", (4,), "float64"),
        ArrayInfo("fortran", (2, 3), "int32"),
    ]


def test_a_safetensors_dtype_numpy_lacks_is_listed_but_not_read(tmp_path: Path) -> None:
    path = tmp_path / "f8.safetensors"
    raw = json.dumps({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 2)
    assert read_arrays(str(path)) == [ArrayInfo("w", (2,), "F8_E4M3")]
    with pytest.raises(CheckpointError, match="'w': NumPy has no dtype F8_E4M3"):
        read_params(str(path))


def test_safetensors_data_must_fit_the_header(tmp_path: Path) -> None:
    path = tmp_path / "short.safetensors"
    raw = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 8)
    with pytest.raises(CheckpointError, match=r"data_offsets \[0, 16\] pass the 8 data bytes"):
        read_params(str(path))
    raw = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 16)
    with pytest.raises(CheckpointError, match=r"hold 8, but shape \[4\] of F32 is 16 bytes"):
        read_params(str(path))


def test_a_malformed_npz_member_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': os.system}")
    for read in (read_arrays, read_params):
        with pytest.raises(CheckpointError, match=r"'x' has a malformed \.npy header"):
            read(str(path))


def test_find_array_says_why_a_file_cannot_supply_a_key(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", kernel=np.zeros((2, 3), np.float32))
    assert find_array(str(tmp_path / "w.npz"), "kernel") == ArrayInfo("kernel", (2, 3), "float32")
    (tmp_path / "d.npz").mkdir()
    (tmp_path / "x.h5").write_bytes(b"")
    (tmp_path / "bad.safetensors").write_bytes(b"\x01")
    cases = {
        "missing.npz": "no such file",
        "d.npz": "a folder, not a file",
        "x.h5": r"expected a \.npz or \.safetensors file",
        "bad.safetensors": "not a valid safetensors file",
    }
    for name, reason in cases.items():
        with pytest.raises(CheckpointError, match=reason) as e:
            find_array(str(tmp_path / name), "kernel")
        assert e.value.path == str(tmp_path / name)
    with pytest.raises(
        CheckpointError, match="no array 'kernal' among its 1; did you mean 'kernel'"
    ):
        find_array(str(tmp_path / "w.npz"), "kernal")


def test_atomic_writes_leave_nothing_behind_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    write_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_output(target) as f:
        f.write(b"half")
        raise RuntimeError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_unknown_suffix_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.npz or \.safetensors"):
        write_params(tmp_path / "x.h5", [], [], {})
    assert not list(tmp_path.iterdir())


def test_listing_a_file_does_not_import_numpy(tmp_path: Path) -> None:
    """`specc check --against` and the checkpoint check read headers only, and
    the format modules import NumPy only when array data is read."""
    np.savez(tmp_path / "w.npz", w=np.zeros(2, np.float32))
    safetensors_path = tmp_path / "w.safetensors"
    write_params(safetensors_path, _entries(PARAMS), PARAMS.items(), {})
    code = (
        "import sys\nfrom specc.formats.params import read_arrays, find_array\n"
        f"read_arrays({str(tmp_path / 'w.npz')!r}); find_array({str(safetensors_path)!r}, 'n')\n"
        "print('numpy' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_the_runtime_saves_and_loads(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"p.{ext}"
    api.save(PARAMS, path)
    back = api.load(path)
    for k, a in PARAMS.items():
        np.testing.assert_array_equal(back[k], a)


def test_the_dtype_tables_come_from_the_one_dtype_table() -> None:
    from specc.catalog.dtypes import DTYPES

    assert npz.npy_dtype("<f4") == "float32" and npz.npy_dtype("|S7") == "string"
    assert npz.npy_dtype("<V4") == "<V4" and npz.npy_dtype("<V2") == "bfloat16"
    for d in DTYPES.values():
        if d.safetensors is not None:
            assert safetensors._SAFETENSORS_CODES[d.name] == d.safetensors
        if d.numpy is not None:
            assert npz.npy_dtype(np.dtype(d.numpy).str) == d.name
