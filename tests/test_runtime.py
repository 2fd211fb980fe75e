"""The runtime imported as the real modules it is (`specc/runtime/`), tested
directly: streams, samplers, the table loader and the file formats. (The
generated module embeds the same code; tests/test_rng.py and test_init.py test
it through modules built from specs.)"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from specc.runtime import files, load, samplers, streams, table
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
    gens = streams._generators(1, h, 7, 3)
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
) -> tuple[list[np.random.Generator], np.ndarray]:
    gens = streams._generators(9, streams._name_hash(name), 0, blocks)
    return gens, np.empty((blocks, width), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_rows_equal_numpy_random(dtype: type) -> None:
    gens, out = _rows("u", 3, 1001, dtype)
    samplers._uniform_rows(gens, out, dtype(3), dtype(-1))
    for b in range(3):
        want = _reference_stream(9, "u", b).random(1001, dtype=dtype) * dtype(3) + dtype(-1)
        np.testing.assert_array_equal(out[b], want)


def test_normal_rows_are_box_muller_of_the_block() -> None:
    gens, out = _rows("n", 2, 10, np.float64)
    samplers._normal_rows(gens, out)
    for b in range(2):
        u = _reference_stream(9, "n", b).random(10)
        r = np.sqrt(-2 * np.log(1 - u[:5]))
        t = 2 * np.pi * u[5:]
        np.testing.assert_allclose(out[b], np.concatenate([r * np.cos(t), r * np.sin(t)]))


def test_truncated_rows_stay_within_two() -> None:
    gens, out = _rows("t", 4, BLOCK_SIZE, np.float32)
    samplers._truncated_rows(gens, out)
    assert np.abs(out).max() <= 2
    assert abs(float(out.std()) - 0.8796) < 0.01


def test_integer_sampler_draws_integers() -> None:
    gens, out = _rows("i", 2, 1000, np.int64)
    samplers._integer_sampler(-3, 4)(gens, out)
    assert set(np.unique(out).tolist()) == set(range(-3, 4))


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
    info = table.VariableInfo(
        "w", (2, 3), "float32", True, ("variables",), None, {}, None, None, False, "w:0",
        None, {}, None,
    )  # fmt: skip
    assert info.size == 6


# ------------------------------------------------------------------ files


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_save_and_load_round_trip(tmp_path: Path, ext: str) -> None:
    params = {
        "a/w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "n": np.array(7, np.int64),
        "h": np.array([1.5, -2.0], np.float16),
        "b": np.array([True, False]),
    }
    path = tmp_path / f"p.{ext}"
    files.save(params, path)
    back = load.load(path)
    assert list(back) == list(params)
    for k, a in params.items():
        assert back[k].dtype == a.dtype
        np.testing.assert_array_equal(back[k], a)
    assert [p.name for p in tmp_path.iterdir()] == [f"p.{ext}"]


def test_format_by_suffix() -> None:
    assert files._format("x.npz") == "npz"
    assert files._format("x.safetensors") == "safetensors"
    with pytest.raises(ValueError, match=r"\.npz or \.safetensors"):
        files._format("x.h5")
