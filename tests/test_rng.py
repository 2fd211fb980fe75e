"""Golden first values of every initializer for fixed seeds (the RNG contract,
docs/rng.md). Uniform family and constants compare exactly; samplers with
transcendental functions within a few float32 ulp. Rewrite the goldens (only for
a deliberate, documented change of the contract) with SPECC_UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from specc.emit import load_module, render_module
from specc.pipeline import compile_file

GOLDEN = Path(__file__).parent / "golden" / "init_values.json"
EXACT = {
    "random_uniform",
    "uniform_unit_scaling",
    "glorot_uniform",
    "he_uniform",
    "lecun_uniform",
    "vs_uniform",
    "int_uniform",
    "constant",
    "identity",
    "value",
}
SPEC = """specc: 1
name: golden
body:
  - {var: random_uniform, shape: [70000], initializer: {random_uniform: {minval: -1, maxval: 2}}}
  - {var: random_normal, shape: [70000], initializer: {random_normal: {mean: 0.5, stddev: 2}}}
  - {var: truncated_normal, shape: [70000], initializer: truncated_normal}
  - {var: uniform_unit_scaling, shape: [300, 300], initializer: uniform_unit_scaling}
  - {var: vs_uniform, shape: [30, 40],
     initializer: {variance_scaling: {scale: 2, mode: fan_out, distribution: uniform}}}
  - {var: vs_normal, shape: [30, 40],
     initializer: {variance_scaling: {distribution: untruncated_normal}}}
  - {var: glorot_uniform, shape: [300, 300]}
  - {var: glorot_normal, shape: [300, 300], initializer: glorot_normal}
  - {var: he_normal, shape: [30, 40], initializer: he_normal}
  - {var: he_uniform, shape: [30, 40], initializer: he_uniform}
  - {var: lecun_normal, shape: [30, 40], initializer: lecun_normal}
  - {var: lecun_uniform, shape: [30, 40], initializer: lecun_uniform}
  - {var: orthogonal, shape: [8, 4], initializer: orthogonal}
  - {var: identity, shape: [3, 3], initializer: {identity: {gain: 3}}}
  - {var: constant, shape: [4], initializer: {constant: {value: [1.5, 2.5]}}}
  - {var: value, initializer: {value: [0.1, 0.2]}}
  - {var: int_uniform, shape: [70000], dtype: int64,
     initializer: {random_uniform: {minval: -5, maxval: 5}}}
  - {var: part, shape: [9, 2], partitioner: {fixed_size: {num_shards: 2}},
     initializer: random_normal}
"""


def _module(tmp: Path, name: str, text: str) -> Any:
    """The generated module of spec `text`, loaded (written as tmp/NAME.yaml)."""
    spec = tmp / f"{name}.yaml"
    spec.write_text(text)
    comp = compile_file(str(spec))
    assert comp.ok and comp.table is not None, comp.diagnostics
    out = tmp / f"{name}.py"
    return load_module(render_module(comp.table, str(spec), str(out)), str(out))


def _values(tmp: Path) -> dict[str, dict[str, list[float]]]:
    mod = _module(tmp, "golden", SPEC)
    result: dict[str, dict[str, list[float]]] = {}
    for seed in (0, 12345):
        p = mod.init(seed=seed, threads=2)
        for name, a in p.items():
            flat = a.reshape(-1)
            # the first values and some from the last block
            picked = np.concatenate([flat[:6], flat[-3:]])
            result.setdefault(name, {})[str(seed)] = picked.tolist()
    return result


def test_golden_values(tmp_path: Path) -> None:
    got = _values(tmp_path)
    if os.environ.get("SPECC_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(want)
    for name, seeds in want.items():
        for seed, values in seeds.items():
            g = np.array(got[name][seed])
            w = np.array(values)
            if name in EXACT:
                assert g.tolist() == w.tolist(), name
            else:
                np.testing.assert_array_max_ulp(
                    g.astype(np.float32), w.astype(np.float32), maxulp=4
                )


def test_stream_key_contract(tmp_path: Path) -> None:
    """The per-block stream: PCG64 state/inc from blake2b(seed, blake2b-128(name),
    block), 32 bytes, person b'specc-rng-v2' (docs/rng.md)."""
    mod = _module(
        tmp_path,
        "k",
        "specc: 1\nname: k\nbody:\n  - var: a/b\n    shape: [70000]\n"
        "    initializer: {random_uniform: {}}\n",
    )
    seed = 42
    block1 = _reference_stream(seed, "a/b", 1).random(70000 - 65536, dtype=np.float32)
    np.testing.assert_array_equal(mod.init_variable("a/b", seed=seed)[65536:], block1)


def _reference_stream(seed: int, name: str, block: int) -> np.random.Generator:
    """docs/rng.md's stream of one block, rebuilt from the recipe."""
    import hashlib
    import struct

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


def _reference_normal(gen: np.random.Generator, n: int, dtype: type) -> np.ndarray:
    """docs/rng.md's Box-Muller, written plainly."""
    m = (n + 1) // 2
    u = gen.random(2 * m, dtype=dtype)
    r = np.sqrt(np.log(1 - u[:m]) * dtype(-2))
    t = u[m:] * dtype(2 * np.pi)
    return np.concatenate([r * np.cos(t), (r * np.sin(t))[: n - m]])


def _reference_block(kind: str, gen: np.random.Generator, n: int, dtype: type) -> np.ndarray:
    if kind == "uniform":
        return gen.random(n, dtype=dtype) * dtype(3) + dtype(-1)
    z = _reference_normal(gen, n, dtype)
    if kind == "truncated":
        # positions beyond 2, in order, take the values within 2 of the
        # continuation: adjacent-pair Box-Muller, batches of k + k//8 + 16 (even)
        bad = list(np.flatnonzero(np.abs(z) > 2))
        while bad:
            size = (len(bad) + len(bad) // 8 + 17) // 2 * 2
            pairs = _reference_pairs(gen, size, dtype)
            for value in pairs[np.abs(pairs) <= 2]:
                if not bad:
                    break
                z[bad.pop(0)] = value
    return z * dtype(2) + dtype(0.5)


def test_samplers_match_a_plain_implementation_bit_for_bit(tmp_path: Path) -> None:
    """The runtime's optimized samplers (raw draws in bulk, reused scratch) give
    exactly the values of docs/rng.md's algorithms written plainly, over whole
    variables of several blocks with an odd tail, in float32 and float64."""
    n = 5 * 65536 + 4099
    init = {
        "uniform": "{random_uniform: {minval: -1, maxval: 2}}",
        "normal": "{random_normal: {mean: 0.5, stddev: 2}}",
        "truncated": "{truncated_normal: {mean: 0.5, stddev: 2}}",
    }
    body = "".join(
        f"  - {{var: {kind}_{dt}, shape: [{n}], dtype: {dt}, initializer: {spec}}}\n"
        for kind, spec in init.items()
        for dt in ("float32", "float64")
    )
    mod = _module(tmp_path, "ref", f"specc: 1\nname: ref\nbody:\n{body}")
    seed = 7
    for kind in init:
        for dtype in (np.float32, np.float64):
            name = f"{kind}_{np.dtype(dtype).name}"
            expected = np.concatenate(
                [
                    _reference_block(
                        kind, _reference_stream(seed, name, b), min(65536, n - b * 65536), dtype
                    )
                    for b in range(6)
                ]
            )
            for threads in (1, 2):
                got = mod.init_variable(name, seed=seed, threads=threads)
                assert got.dtype == dtype
                np.testing.assert_array_equal(got, expected, err_msg=f"{name} threads={threads}")


def test_uniform_with_a_tiny_span_keeps_its_rounding(tmp_path: Path) -> None:
    """A span so small that 2**-24 * span would underflow is applied in two steps,
    as (u * span) + lo."""
    mod = _module(
        tmp_path,
        "tiny",
        "specc: 1\nname: tiny\nbody:\n  - var: w\n    shape: [1000]\n"
        "    initializer: {random_uniform: {minval: 0, maxval: 1.0e-35}}\n",
    )
    span = np.float32(1.0e-35) - np.float32(0)
    expected = _reference_stream(3, "w", 0).random(1000, dtype=np.float32) * span + np.float32(0)
    np.testing.assert_array_equal(mod.init_variable("w", seed=3), expected)


def test_a_short_redraw_batch_is_topped_up_in_order(tmp_path: Path) -> None:
    """When a continuation batch holds too few values within 2 (vanishingly rare
    with its margin), further batches fill the rest, each stream's values in
    order: forced here by making most of the first batch unacceptable."""
    mod = _module(tmp_path, "t", "specc: 1\nname: t\nbody:\n  - {var: w, shape: [4]}\n")
    real = mod._paired_normals
    calls: list[list[int]] = []

    def first_batch_mostly_bad(gens: list[Any], sizes: list[int], dtype: Any) -> Any:
        values = real(gens, sizes, dtype)
        if not calls:
            values[1:] = 3.0  # only the very first value is acceptable
        calls.append(list(sizes))
        return values

    mod._paired_normals = first_batch_mostly_bad
    gens = [_reference_stream(1, "a", 0), _reference_stream(1, "b", 0)]
    got = mod._accepted_normals(gens, [3, 2], np.dtype(np.float32))
    # expected: stream a keeps value 0 of its first batch, then takes 2 from its
    # second; stream b's first batch is all rejected, its second gives 2
    ref = [_reference_stream(1, "a", 0), _reference_stream(1, "b", 0)]
    first = [_reference_pairs(g, size) for g, size in zip(ref, calls[0], strict=True)]
    second = [_reference_pairs(g, size) for g, size in zip(ref, calls[1], strict=True)]
    within = [s[np.abs(s) <= 2] for s in second]
    expected = np.concatenate([[first[0][0]], within[0][:2], within[1][:2]])
    assert calls[1] == [(2 + 0 + 17) // 2 * 2, (2 + 0 + 17) // 2 * 2]
    np.testing.assert_array_equal(got, expected.astype(np.float32))


def _reference_pairs(gen: np.random.Generator, size: int, dtype: type = np.float32) -> np.ndarray:
    """docs/rng.md's continuation: Box-Muller over adjacent pairs of draws."""
    u = gen.random(size, dtype=dtype)
    r = np.sqrt(np.log(1 - u[0::2]) * dtype(-2))
    t = u[1::2] * dtype(2 * np.pi)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).reshape(-1)
