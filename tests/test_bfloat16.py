"""bfloat16 end to end: a bfloat16 variable holds exactly the round-to-nearest-
even bfloat16 of the float32 values the same spec gives it as float32, bit for
bit (compared with a cast written here on uint32 bits, and with ml_dtypes);
it is written as safetensors BF16 and as `<V2` .npz members, read back by
`load()`, `check --against` and the `checkpoint` initializer; and the module
returns ml_dtypes.bfloat16 arrays when ml_dtypes imports, else uint16 bits."""

from __future__ import annotations

import json
import struct
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import ml_dtypes
import numpy as np
import pytest

from specc import cli
from specc.emit import build_module
from specc.formats import bfloat16
from specc.formats.params import read_arrays, read_params
from specc.pipeline import compile_text


def rne_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits, round to nearest even, written plainly: the
    reference the runtime is compared with (NaN: the quiet NaN, sign kept)."""
    bits = np.asarray(values, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    out = []
    for b in bits.tolist():
        if (b & 0x7FFFFFFF) > 0x7F800000:  # NaN
            out.append((b >> 16) & 0x8000 | 0x7FC0)
            continue
        high, low = b >> 16, b & 0xFFFF
        if low > 0x8000 or (low == 0x8000 and high & 1):
            high += 1  # may carry into the exponent, up to infinity
        out.append(high)
    return np.array(out, dtype=np.uint16).reshape(np.shape(values))


def f32(*bits: int) -> np.ndarray:
    return np.array(bits, dtype=np.uint32).view(np.float32)


EDGES = f32(
    0x00000000,  # +0
    0x80000000,  # -0
    0x3F800000,  # 1
    0x3F808000,  # 1 + half an ulp: a tie, to even (1)
    0x3F818000,  # a tie whose lower neighbour is odd: rounds up
    0x3F808001,  # just above the tie: up
    0x3F807FFF,  # just below the tie: down
    0x7F7FFFFF,  # the largest float32: rounds to infinity
    0x7F7F7FFF,  # rounds down to the largest bfloat16
    0x7F800000,  # +inf
    0xFF800000,  # -inf
    0x7FC00000,  # quiet NaN
    0xFFC00000,  # negative quiet NaN
    0x7F800001,  # signalling NaN: becomes quiet, not infinity
    0xFF80FFFF,  # negative NaN whose rounding would carry past the sign
    0x7FFFFFFF,  # NaN, all payload bits
    0x00000001,  # the smallest subnormal: rounds to zero
    0x00008000,  # a subnormal tie to even: zero
    0x00018000,  # a subnormal tie from odd: up
    0x007FFFFF,  # the largest subnormal: rounds up to the smallest normal
    0x80010000,  # a negative subnormal bfloat16 exactly
)


def test_the_reference_cast_agrees_with_ml_dtypes_on_the_edges() -> None:
    ours = rne_bits(EDGES)
    with np.errstate(invalid="ignore"):  # ml_dtypes warns on NaN
        theirs = EDGES.astype(ml_dtypes.bfloat16).view(np.uint16)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("values", ["edges", "random"])
def test_the_runtime_rounds_to_nearest_even_bit_for_bit(values: str) -> None:
    if values == "edges":
        x = EDGES
    else:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    got = bfloat16.bfloat16_bits(bfloat16.to_bfloat16(x))
    np.testing.assert_array_equal(got, rne_bits(x))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, x.astype(ml_dtypes.bfloat16).view(np.uint16))
    # NaN stays NaN, quiet; everything else converts back exactly
    back = bfloat16.from_bfloat16(got)
    assert (np.isnan(back) == np.isnan(x)).all()
    assert ((got[np.isnan(x)] & 0x7FC0) == 0x7FC0).all()
    finite = ~np.isnan(x)
    np.testing.assert_array_equal(back[finite].view(np.uint32), got[finite].astype(np.uint32) << 16)


SPEC = """\
specc: 1
name: bf
seed: 3
body:
  - var: dense/kernel
    shape: [300, 700]
    dtype: {dtype}
    regularizer: {{l2: {{scale: 0.5}}}}
    constraint: {{max_norm: {{max_value: 0.5}}}}
  - var: dense/bias
    shape: [700]
    dtype: {dtype}
    initializer: {{constant: {{value: 0.1}}}}
  - var: emb
    shape: [1000, 64]
    dtype: {dtype}
    initializer: {{truncated_normal: {{stddev: 0.02}}}}
    partitioner: {{fixed_size: {{num_shards: 3}}}}
  - var: q
    shape: [64, 64]
    dtype: {dtype}
    initializer: orthogonal
  - var: eye
    shape: [5, 5]
    dtype: {dtype}
    initializer: identity
  - var: u
    shape: [70000]
    dtype: {dtype}
    initializer: {{random_uniform: {{minval: -3, maxval: 3}}}}
  - var: steps
    shape: []
    dtype: int64
"""


def _module(tmp: Path, dtype: str, name: str = "bf") -> ModuleType:
    spec = tmp / f"{name}.yaml"
    spec.write_text(SPEC.format(dtype=dtype))
    comp = compile_text(spec.read_text(), str(spec))
    assert comp.ok and comp.table is not None, comp.diagnostics
    return build_module(comp.table, str(spec), str(tmp / f"{name}.py"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType]:
    tmp = tmp_path_factory.mktemp("bf")
    return _module(tmp, "float32", "f32"), _module(tmp, "bfloat16")


def _bits(a: np.ndarray) -> np.ndarray:
    """A bfloat16 array's bit patterns; any other array as it is."""
    a = np.asarray(a)
    return a.view(np.uint16) if a.dtype == ml_dtypes.bfloat16 else a


def test_a_bfloat16_variable_is_the_cast_of_its_float32_values(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    f32_module, bf_module = pair
    want = f32_module.init(threads=2)
    got = bf_module.init(threads=1)
    assert list(got) == list(want)
    for name, a in want.items():
        if a.dtype == np.float32:
            assert got[name].dtype == ml_dtypes.bfloat16, name
            np.testing.assert_array_equal(_bits(got[name]), rne_bits(a), err_msg=name)
        else:
            np.testing.assert_array_equal(got[name], a)
    bf_module.check(got)
    # one variable, and a part, alone: the same bits
    np.testing.assert_array_equal(_bits(bf_module.init_variable("u", threads=3)), _bits(got["u"]))
    part = bf_module.init_partition("emb", 1)
    offset = bf_module.VARIABLES[2].partitions[1].offset[0]
    np.testing.assert_array_equal(_bits(part), _bits(got["emb"])[offset : offset + part.shape[0]])


def test_regularizers_and_constraints_see_the_bfloat16_values(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    _, bf_module = pair
    params = bf_module.init()
    kernel = params["dense/kernel"].astype(np.float64)
    assert bf_module.regularization_loss(params) == pytest.approx(0.5 * float((kernel**2).sum()))
    before = params["dense/kernel"].astype(np.float32)
    bf_module.apply_constraints(params)
    after = params["dense/kernel"]
    assert after.dtype == ml_dtypes.bfloat16
    norms = np.sqrt((before**2).sum(axis=0, keepdims=True))
    projected = before * np.clip(norms, 0, 0.5) / (1e-7 + norms)
    np.testing.assert_array_equal(_bits(after), rne_bits(projected.astype(np.float32)))


def test_check_names_the_bfloat16_dtype(pair: tuple[ModuleType, ModuleType]) -> None:
    _, bf_module = pair
    params = bf_module.init()
    params["u"] = params["u"].astype(np.float32)
    with pytest.raises(bf_module.ParamsError, match="'u': expected dtype bfloat16, got float32"):
        bf_module.check(params)


def _safetensors_header(path: Path) -> dict[str, dict[str, object]]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header: dict[str, dict[str, object]] = json.loads(raw[8 : 8 + n])
    return header


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_files_hold_bfloat16_and_read_back(
    pair: tuple[ModuleType, ModuleType], tmp_path: Path, suffix: str
) -> None:
    _, bf_module = pair
    params = bf_module.init()
    path = tmp_path / f"p{suffix}"
    bf_module.save(params, path)
    back = bf_module.load(path)
    for name, a in params.items():
        assert back[name].dtype == a.dtype, name
        np.testing.assert_array_equal(_bits(back[name]), _bits(a))
    listed = {a.name: a.dtype for a in read_arrays(str(path))}
    assert listed["u"] == "bfloat16" and listed["steps"] == "int64"
    if suffix == ".safetensors":
        assert _safetensors_header(path)["u"]["dtype"] == "BF16"
    else:
        # what np.save writes for an ml_dtypes.bfloat16 array: 2-byte void
        raw = np.load(path)["u"]
        assert raw.dtype == np.dtype("V2")
        np.testing.assert_array_equal(raw.view(np.uint16), _bits(params["u"]))
    # the initial values streamed by init_file are the same file
    again = tmp_path / f"again{suffix}"
    bf_module.init_file(again)
    for name, a in read_params(str(again)).items():
        np.testing.assert_array_equal(_bits(a), _bits(params[name]))


def test_numpy_savez_of_ml_dtypes_arrays_reads_as_bfloat16(tmp_path: Path) -> None:
    """A JAX or TF user's `np.savez(path, **params)` of bfloat16 arrays."""
    w = np.array([1.5, -2.0, np.inf], dtype=ml_dtypes.bfloat16)
    np.savez(tmp_path / "jax.npz", w=w)
    assert read_arrays(str(tmp_path / "jax.npz"))[0].dtype == "bfloat16"
    back = read_params(str(tmp_path / "jax.npz"))["w"]
    assert back.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(_bits(back), _bits(w))


def test_safetensors_written_by_the_package_reads_as_bfloat16(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    w = np.array([[1.5, -2.0], [3.0, np.nan]], dtype=ml_dtypes.bfloat16)
    save_file({"w": w}, str(tmp_path / "w.safetensors"))
    back = read_params(str(tmp_path / "w.safetensors"))["w"]
    assert back.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(_bits(back), _bits(w))


def test_without_ml_dtypes_arrays_are_uint16_bits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pair: tuple[ModuleType, ModuleType]
) -> None:
    f32_module, with_ml = pair
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)  # import ml_dtypes fails
    module = _module(tmp_path, "bfloat16", "plain")
    params = module.init()
    want = f32_module.init()
    assert params["u"].dtype == np.uint16
    np.testing.assert_array_equal(params["u"], rne_bits(want["u"]))
    module.check(params)
    module.apply_constraints(params)
    assert params["dense/kernel"].dtype == np.uint16
    assert module.regularization_loss(params) > 0
    for suffix in (".safetensors", ".npz"):
        path = tmp_path / f"p{suffix}"
        module.save(params, path)
        back = module.load(path)
        assert back["u"].dtype == np.uint16
        np.testing.assert_array_equal(back["u"], params["u"])
        # the file is the same as with ml_dtypes
        monkeypatch.undo()
        assert with_ml.load(path)["u"].dtype == ml_dtypes.bfloat16
        monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    assert _safetensors_header(tmp_path / "p.safetensors")["u"]["dtype"] == "BF16"


def test_the_commands_take_bfloat16(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bf.yaml").write_text(SPEC.format(dtype="bfloat16"))
    Path("f32.yaml").write_text(SPEC.format(dtype="float32"))
    for out in ("p.npz", "p.safetensors"):
        assert cli.main(["init", "bf.yaml", "-o", out]) == 0
        assert cli.main(["check", "bf.yaml", "--against", out]) == 0
        assert cli.main(["check", "f32.yaml", "--against", out]) == 1
        assert "bfloat16" in capsys.readouterr().out
    assert cli.main(["compile", "bf.yaml", "-o", "bf.py"]) == 0
    assert cli.main(["diff", "f32.yaml", "bf.yaml"]) == 1
    assert "bfloat16" in capsys.readouterr().out


def test_a_checkpoint_initializer_reads_bfloat16(tmp_path: Path) -> None:
    w = np.array([[1.5, -2.0, 0.1]], dtype=ml_dtypes.bfloat16)
    np.savez(tmp_path / "warm.npz", w=w)
    spec = tmp_path / "ck.yaml"
    spec.write_text(
        textwrap.dedent("""\
        specc: 1
        name: ck
        body:
          - var: v
            shape: [1, 3]
            dtype: bfloat16
            initializer: {checkpoint: {path: warm.npz, key: w}}
        """)
    )
    comp = compile_text(spec.read_text(), str(spec))
    assert comp.ok and comp.table is not None, comp.diagnostics
    module = build_module(comp.table, str(spec), str(tmp_path / "ck.py"))
    got = module.init_variable("v")
    assert got.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(_bits(got), _bits(w))
