"""The generated module's values: every initializer against TF1's formulas
(statistics on ~1M samples), partitions, threads, order invariance, regularizers,
constraints, check, save/load."""

from __future__ import annotations

import importlib.util
import math
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from specc.emit import render_module
from specc.pipeline import compile_file


def build(
    tmp: Path, body: str, name: str = "m", module_dir: Path | None = None
) -> types.ModuleType:
    """Compile a spec body into a module file and import it."""
    spec = tmp / f"{name}.yaml"
    text = textwrap.indent(textwrap.dedent(body), "  ")
    spec.write_text(f"specc: 1\nname: {name}\nbody:\n{text}")
    comp = compile_file(str(spec))
    assert comp.ok, comp.diagnostics
    assert comp.table is not None
    out = (module_dir or tmp) / f"{name}.py"
    out.write_text(render_module(comp.table, str(spec), str(out)))
    loader_spec = importlib.util.spec_from_file_location(f"gen_{name}_{id(tmp)}", out)
    assert loader_spec is not None and loader_spec.loader is not None
    mod = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(mod)
    return mod


N = 1000  # 1000 x 1000 = 1M samples per initializer

STAT_BODY = f"""
- var: ru
  shape: [{N}, {N}]
  initializer: {{random_uniform: {{minval: -3, maxval: 5}}}}
- var: rn
  shape: [{N}, {N}]
  initializer: {{random_normal: {{mean: 1.5, stddev: 2.0}}}}
- var: tn
  shape: [{N}, {N}]
  initializer: {{truncated_normal: {{mean: -1.0, stddev: 0.5}}}}
- var: uus
  shape: [{N}, {N}]
  initializer: {{uniform_unit_scaling: {{factor: 1.5}}}}
- var: vs_avg_un
  shape: [500, 2000]
  initializer: {{variance_scaling: {{scale: 2.0, mode: fan_avg, distribution: untruncated_normal}}}}
- var: vs_out_u
  shape: [500, 2000]
  initializer: {{variance_scaling: {{scale: 3.0, mode: fan_out, distribution: uniform}}}}
- var: conv
  shape: [3, 3, 100, 1200]
  initializer: glorot_normal
- var: gu
  shape: [{N}, {N}]
  initializer: glorot_uniform
- var: hn
  shape: [{N}, {N}]
  initializer: he_normal
- var: hu
  shape: [{N}, {N}]
  initializer: he_uniform
- var: ln
  shape: [{N}, {N}]
  initializer: lecun_normal
- var: lu
  shape: [{N}, {N}]
  initializer: lecun_uniform
- var: f64
  shape: [{N}, {N}]
  dtype: float64
  initializer: {{random_normal: {{}}}}
- var: ints
  shape: [{N}, {N}]
  dtype: int32
  initializer: {{random_uniform: {{minval: -2, maxval: 7}}}}
"""

TRUNC = 0.87962566103423978


@pytest.fixture(scope="module")
def stat(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    mod = build(tmp_path_factory.mktemp("stat"), STAT_BODY, "stat")
    return mod.init(seed=7, threads=2)


def _ks(x: np.ndarray, dist: stats.rv_continuous) -> float:
    sample = x.ravel()[:: max(1, x.size // 200_000)].astype(np.float64)
    return float(stats.kstest(sample, dist.cdf).pvalue)


def _check_uniform(x: np.ndarray, lo: float, hi: float) -> None:
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)
    assert abs(x.std() - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)
    assert _ks(x, stats.uniform(lo, hi - lo)) > 1e-3


def _check_truncated(x: np.ndarray, mean: float, stddev: float) -> None:
    assert x.min() >= mean - 2 * stddev - 1e-6 and x.max() <= mean + 2 * stddev + 1e-6
    assert abs(x.mean() - mean) < 0.01 * stddev
    # a normal truncated at 2 sigma has std 0.8796 sigma
    assert abs(x.std() - TRUNC * stddev) < 0.01 * stddev
    assert _ks(x, stats.truncnorm(-2, 2, loc=mean, scale=stddev)) > 1e-3


def _check_normal(x: np.ndarray, mean: float, stddev: float) -> None:
    assert abs(x.mean() - mean) < 0.01 * stddev
    assert abs(x.std() - stddev) < 0.01 * stddev
    assert _ks(x, stats.norm(mean, stddev)) > 1e-3


def test_random_uniform(stat: dict[str, np.ndarray]) -> None:
    assert stat["ru"].dtype == np.float32
    _check_uniform(stat["ru"], -3, 5)


def test_random_normal(stat: dict[str, np.ndarray]) -> None:
    assert stat["rn"].dtype == np.float32
    _check_normal(stat["rn"], 1.5, 2.0)


def test_truncated_normal(stat: dict[str, np.ndarray]) -> None:
    _check_truncated(stat["tn"], -1.0, 0.5)


def test_uniform_unit_scaling(stat: dict[str, np.ndarray]) -> None:
    limit = math.sqrt(3 / N) * 1.5  # input_size = prod(shape[:-1])
    _check_uniform(stat["uus"], -limit, limit)


def test_variance_scaling(stat: dict[str, np.ndarray]) -> None:
    _check_normal(stat["vs_avg_un"], 0.0, math.sqrt(2.0 / 1250))
    limit = math.sqrt(3 * 3.0 / 2000)
    _check_uniform(stat["vs_out_u"], -limit, limit)


def test_glorot_fans_of_conv_kernel(stat: dict[str, np.ndarray]) -> None:
    # TF _compute_fans: receptive field 9, fan_in 900, fan_out 10800
    s = 1.0 / ((900 + 10800) / 2)
    _check_truncated(stat["conv"], 0.0, math.sqrt(s) / TRUNC)


@pytest.mark.parametrize(
    ("name", "scale", "fan", "dist"),
    [
        ("gu", 1.0, N, "uniform"),
        ("hn", 2.0, N, "truncated"),
        ("hu", 2.0, N, "uniform"),
        ("ln", 1.0, N, "truncated"),
        ("lu", 1.0, N, "uniform"),
    ],
)
def test_presets(stat: dict[str, np.ndarray], name: str, scale: float, fan: int, dist: str) -> None:
    s = scale / fan
    if dist == "uniform":
        limit = math.sqrt(3 * s)
        _check_uniform(stat[name], -limit, limit)
    else:
        _check_truncated(stat[name], 0.0, math.sqrt(s) / TRUNC)


def test_float64_samples_in_float64(stat: dict[str, np.ndarray]) -> None:
    assert stat["f64"].dtype == np.float64
    _check_normal(stat["f64"], 0.0, 1.0)


def test_integer_uniform(stat: dict[str, np.ndarray]) -> None:
    x = stat["ints"]
    assert x.dtype == np.int32
    assert set(np.unique(x).tolist()) == set(range(-2, 7))
    counts = np.bincount(x.ravel() + 2)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_orthogonal_and_identity_and_constants(tmp_path: Path) -> None:
    mod = build(
        tmp_path,
        """
    - var: o_tall
      shape: [4, 5, 6]
      initializer: {orthogonal: {gain: 2.0}}
    - var: o_wide
      shape: [3, 8]
      initializer: orthogonal
    - var: eye
      shape: [3, 4]
      initializer: {identity: {gain: 0.5}}
    - var: c_scalar
      shape: [2, 2]
      initializer: {constant: {value: 0.25}}
    - var: c_pad
      shape: [2, 3]
      initializer: {constant: {value: [1, 2]}}
    - var: lit
      initializer: {value: [[1, 2], [3, 4]]}
    - var: z
      shape: [3]
      dtype: int64
      initializer: zeros
    - var: b
      shape: [2]
      dtype: bool
      initializer: ones
    """,
    )
    p = mod.init(seed=1)
    q = p["o_tall"].reshape(20, 6)  # rows = prod(shape[:-1])
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(6), atol=1e-5)
    w = p["o_wide"]
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(p["eye"], 0.5 * np.eye(3, 4, dtype=np.float32))
    np.testing.assert_array_equal(p["c_scalar"], np.full((2, 2), 0.25, np.float32))
    np.testing.assert_array_equal(p["c_pad"], [[1, 2, 2], [2, 2, 2]])
    assert p["lit"].dtype == np.int32
    np.testing.assert_array_equal(p["lit"], [[1, 2], [3, 4]])
    assert p["z"].dtype == np.int64 and not p["z"].any()
    assert p["b"].dtype == np.bool_ and p["b"].all()


PART_BODY = """
- var: emb
  shape: [70000, 9]
  partitioner: {fixed_size: {num_shards: 8}}
  initializer: {truncated_normal: {stddev: 0.1}}
- var: small
  shape: [7, 3]
  partitioner: {fixed_size: {num_shards: 3}}
- var: orth
  shape: [40, 12]
  partitioner: {fixed_size: {num_shards: 3}}
  initializer: orthogonal
- var: eye
  shape: [6, 6]
  partitioner: {fixed_size: {num_shards: 4}}
  initializer: identity
- var: pad
  shape: [5, 2]
  partitioner: {fixed_size: {num_shards: 2}}
  initializer: {constant: {value: [1.0, 2.0, 3.0]}}
"""


def test_partition_is_slice_of_whole(tmp_path: Path) -> None:
    mod = build(tmp_path, PART_BODY)
    whole = mod.init(seed=3, threads=1)
    for v in mod.VARIABLES:
        assert v.partitions is not None
        for i, p in enumerate(v.partitions):
            index = tuple(slice(o, o + n) for o, n in zip(p.offset, p.shape, strict=True))
            part = mod.init_partition(v.name, i, seed=3)
            assert part.shape == p.shape and part.dtype == whole[v.name].dtype
            np.testing.assert_array_equal(part, whole[v.name][index])


def test_thread_count_invariance(tmp_path: Path) -> None:
    mod = build(tmp_path, PART_BODY)
    ref = mod.init(seed=11, threads=1)
    for threads in (2, 3):
        got = mod.init(seed=11, threads=threads)
        for k in ref:
            assert ref[k].tobytes() == got[k].tobytes()


def test_order_and_unrelated_statement_invariance(tmp_path: Path) -> None:
    a = build(
        tmp_path,
        """
    - var: x
      shape: [300, 300]
    - scope: s
      body:
        - var: y
          shape: [100]
          initializer: {random_normal: {}}
    """,
        "a",
    )
    b = build(
        tmp_path,
        """
    - var: extra
      shape: [50, 50]
    - scope: s
      body:
        - var: unrelated
          shape: [3]
        - var: y
          shape: [100]
          initializer: {random_normal: {}}
    - var: x
      shape: [300, 300]
    """,
        "b",
    )
    pa, pb = a.init(seed=5), b.init(seed=5)
    np.testing.assert_array_equal(pa["x"], pb["x"])
    np.testing.assert_array_equal(pa["s/y"], pb["s/y"])
    assert not np.array_equal(a.init_variable("x", seed=6), pa["x"])


def test_regularization_loss(tmp_path: Path) -> None:
    mod = build(
        tmp_path,
        """
    - var: a
      shape: [2, 2]
      regularizer: {l1: {scale: 0.5}}
    - var: b
      shape: [2, 2]
      regularizer: {l2: {scale: 0.25}}
    - var: c
      shape: [3]
      regularizer: {l2_loss: {scale: 2.0}}
    - var: d
      shape: [4, 1]
      partitioner: {fixed_size: {num_shards: 2}}
      regularizer: {l1_l2: {l1: 0.1, l2: 0.2}}
    - var: e
      shape: [2]
    """,
    )
    p = {
        "a": np.array([[1, -2], [3, -4]], np.float32),
        "b": np.array([[1, 2], [0, -1]], np.float32),
        "c": np.array([1, 2, 3], np.float32),
        "d": np.array([[1], [-1], [2], [0]], np.float32),
        "e": np.array([100, 100], np.float32),
    }
    expected = 0.5 * 10 + 0.25 * 6 + 2.0 * 14 / 2 + (0.1 * 4 + 0.2 * 6)
    assert mod.regularization_loss(p) == pytest.approx(expected, rel=1e-12)


def test_apply_constraints(tmp_path: Path) -> None:
    mod = build(
        tmp_path,
        """
    - var: mx
      shape: [2, 2]
      constraint: {max_norm: {max_value: 1.0}}
    - var: mm
      shape: [2, 2]
      constraint: {min_max_norm: {min_value: 2.0, max_value: 3.0, rate: 0.5, axis: 1}}
    - var: nn
      shape: [3]
      constraint: non_neg
    - var: un
      shape: [2, 2]
      constraint: {unit_norm: {axis: [0, 1]}}
    """,
    )
    w = np.array([[3.0, 0.5], [4.0, 0.0]], np.float32)  # column norms 5, 0.5; row norms
    p = {"mx": w.copy(), "mm": w.copy(), "nn": np.array([-1, 0, 2], np.float32), "un": w.copy()}
    mod.apply_constraints(p)
    eps = 1e-7
    col = np.array([5.0, 0.5])
    np.testing.assert_allclose(p["mx"], w * (np.minimum(col, 1.0) / (eps + col)), rtol=1e-6)
    row = np.sqrt((w.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
    desired = 0.5 * np.clip(row, 2, 3) + 0.5 * row
    np.testing.assert_allclose(p["mm"], w * desired / (eps + row), rtol=1e-6)
    np.testing.assert_array_equal(p["nn"], [0, 0, 2])
    np.testing.assert_allclose(
        p["un"], w / (eps + np.sqrt((w.astype(np.float64) ** 2).sum())), rtol=1e-6
    )
    assert all(p[k].dtype == np.float32 for k in p)


def test_check_messages(tmp_path: Path) -> None:
    mod = build(
        tmp_path,
        """
    - var: a
      shape: [2, 3]
    - var: n
      shape: []
      dtype: int64
    """,
    )
    good = mod.init()
    mod.check(good)
    with pytest.raises(mod.ParamsError, match=r"missing variable 'n'.*shape \[\] dtype int64"):
        mod.check({"a": good["a"]})
    with pytest.raises(mod.ParamsError, match=r"'a': expected shape \[2, 3\], got \[3, 2\]"):
        mod.check({**good, "a": good["a"].T})
    with pytest.raises(mod.ParamsError, match="expected dtype int64, got int32"):
        mod.check({**good, "n": np.int32(0)})
    with pytest.raises(mod.ParamsError, match="unexpected key 'zz'"):
        mod.check({**good, "zz": np.zeros(1)})
    mod.check({**good, "zz": np.zeros(1)}, strict=False)


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_save_load_round_trip(tmp_path: Path, ext: str) -> None:
    mod = build(
        tmp_path,
        """
    - var: s/w
      shape: [3, 4]
    - var: i
      shape: []
      dtype: int32
    - var: h
      shape: [5]
      dtype: float16
      initializer: {random_normal: {}}
    - var: f
      shape: [2]
      dtype: bool
      initializer: ones
    """,
    )
    p = mod.init(seed=2)
    path = tmp_path / f"p.{ext}"
    mod.save(p, path)
    back = mod.load(path)
    assert list(back) == list(p)
    for k in p:
        assert back[k].dtype == p[k].dtype and back[k].shape == p[k].shape
        np.testing.assert_array_equal(back[k], p[k])
    if ext == "safetensors":
        from safetensors.numpy import load_file, save_file

        theirs = load_file(str(path))
        for k in p:
            np.testing.assert_array_equal(theirs[k], p[k])
        theirs_path = str(tmp_path / "t.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in p.items()}, theirs_path)
        again = mod.load(tmp_path / "t.safetensors")
        for k in p:
            np.testing.assert_array_equal(again[k], p[k])
    assert sorted(x.name for x in tmp_path.iterdir() if x.name.startswith(".")) == []


def test_checkpoint_initializer(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "out").mkdir()
    np.savez(
        tmp_path / "spec" / "warm.npz",
        w=np.arange(6, dtype=np.float32).reshape(2, 3),
        bad=np.zeros((3, 3), np.float32),
    )
    mod = build(
        tmp_path / "spec",
        """
    - var: v
      shape: [2, 3]
      initializer: {checkpoint: {path: warm.npz, key: w}}
    """,
        "ck",
        module_dir=tmp_path / "out",
    )
    assert mod.VARIABLES[0].initializer["args"]["path"] == "../spec/warm.npz"
    np.testing.assert_array_equal(mod.init_variable("v"), np.arange(6).reshape(2, 3))
    # the gate refuses a key of another shape before anything runs, at `initializer:`
    spec = tmp_path / "spec" / "ck2.yaml"
    spec.write_text(
        "specc: 1\nname: ck2\nbody:\n  - var: v\n    shape: [2, 3]\n"
        "    initializer: {checkpoint: {path: warm.npz, key: bad}}\n"
    )
    comp = compile_file(str(spec))
    assert [(d.code, d.span.line if d.span else 0) for d in comp.diagnostics] == [
        ("initializer-shape", 6)
    ]
    # a file changed after the module was built is still caught when it is read
    np.savez(tmp_path / "spec" / "warm.npz", w=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"key 'w'.*expected shape \[2, 3\]"):
        mod.init()


def test_bfloat16_and_string_compile(tmp_path: Path) -> None:
    """bfloat16 and string variables are emitted (tests/test_bfloat16.py and
    tests/test_gate.py have their values)."""
    for dtype in ("bfloat16", "string"):
        spec = tmp_path / f"{dtype}.yaml"
        spec.write_text(
            f"specc: 1\nname: m\nbody:\n  - var: w\n    shape: [2]\n    dtype: {dtype}\n"
        )
        comp = compile_file(str(spec))
        assert comp.ok and comp.table is not None
        assert dtype in render_module(comp.table, str(spec), str(tmp_path / f"{dtype}.py"))


def test_seed_validation(tmp_path: Path) -> None:
    mod = build(tmp_path, "- var: w\n  shape: [2]\n")
    for bad in (-1, 2**64, 1.5):
        with pytest.raises(ValueError, match="seed"):
            mod.init(seed=bad)
    mod.init(seed=2**64 - 1)


def test_constant_edge_cases_follow_tf(tmp_path: Path) -> None:
    """An empty list fills zeros; an empty shape takes any list; a short list is
    padded with its last element (TF1's constant_initializer)."""
    mod = build(
        tmp_path,
        """
        - var: a
          shape: [2, 2]
          initializer: {constant: {value: []}}
        - var: b
          shape: [3, 0]
          initializer: {constant: {value: [1.0, 2.0]}}
        - var: c
          shape: [2, 3]
          initializer: {constant: {value: [1.0, 2.0]}}
        """,
        "ce",
    )
    p = mod.init()
    assert p["a"].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert p["b"].shape == (3, 0)
    assert p["c"].tolist() == [[1.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
