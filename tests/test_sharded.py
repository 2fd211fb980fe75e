"""Sharded safetensors folders: Hugging Face's packing and names, the index,
every shard read back with the `safetensors` package, and the folder (or its
index) read as one parameter file by `load()`, `check --against` and the
`checkpoint` initializer."""

from __future__ import annotations

import json
import os
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from specc.cli import main
from specc.emit import build_module
from specc.formats.arrays import CheckpointError
from specc.formats.params import params_format, read_arrays
from specc.formats.sharded import parse_size, split_shards
from specc.pipeline import compile_file

SPEC = """\
specc: 1
name: shardy
body:
  - var: emb
    shape: [300, 1000]
    initializer: {truncated_normal: {stddev: 0.02}}
  - var: bias
    shape: [1000]
    initializer: zeros
  - var: empty
    shape: [0, 3]
  - var: half
    shape: [500, 700]
    dtype: float16
  - var: ortho
    shape: [64, 64]
    initializer: orthogonal
  - var: steps
    shape: []
    dtype: int64
"""


def module(tmp: Path, text: str = SPEC) -> types.ModuleType:
    spec = tmp / "model.yaml"
    spec.write_text(textwrap.dedent(text))
    comp = compile_file(str(spec))
    assert comp.ok and comp.table is not None, comp.diagnostics
    return build_module(comp.table, str(spec), str(tmp / "model.py"))


# ------------------------------------------------------------- HF's rules


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5GB", 5_000_000_000),
        ("500MB", 500_000_000),
        ("1.5 gb", 1_500_000_000),
        ("10KB", 10_000),
        ("2TB", 2_000_000_000_000),
        ("4096", 4096),
        # binary units besides (the default --task-size is written 64MiB)
        ("64MiB", 64 << 20),
        ("5 gib", 5 << 30),
        ("1KiB", 1024),
        ("1TiB", 1 << 40),
    ],
)
def test_sizes_parse_as_huggingface_hub_does(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "text",
    [
        *("5G", "GB", "MiB", "-", "0MB", "0", "0.1B", "5 XiB", "-1MB"),
        # not finite, too large, or digits other than ASCII's: never a traceback
        *("inf GB", "-inf GB", "nan GB", "1e400TB", "1e10TB", "9" * 5000),
        *("9223372036854775808", "\u00b2", "\uff11\uff10MB", "\u0661\u0662MB"),
    ],
)
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_greedy_packing_in_order() -> None:
    # huggingface_hub's docstring: [6, 6, 2, 6, 2, 2] at 10 -> [6], [6+2], [6+2+2]
    sizes = list(zip("abcdef", [6, 6, 2, 6, 2, 2], strict=True))
    shards = split_shards(sizes, 10)
    assert shards == [
        ("model-00001-of-00003.safetensors", ["a"]),
        ("model-00002-of-00003.safetensors", ["b", "c"]),
        ("model-00003-of-00003.safetensors", ["d", "e", "f"]),
    ]


def test_a_tensor_over_the_size_is_alone_and_the_open_shard_stays_open() -> None:
    # as in split_state_dict_into_shards_factory: the large tensor's shard is
    # listed at once, before the shard it interrupted
    shards = split_shards([("a", 3), ("big", 12), ("b", 4)], 10)
    assert [names for _, names in shards] == [["big"], ["a", "b"]]


def test_one_shard_is_model_safetensors() -> None:
    assert split_shards([("a", 3), ("b", 4)], 10) == [("model.safetensors", ["a", "b"])]


# ------------------------------------------------------------- the files


def _write(mod: types.ModuleType, out: Path, shard_size: str, seed: int = 3) -> None:
    tasks = mod.init_tasks(out, seed, shard_size=shard_size, task_bytes=300_000)
    results = [mod.run_task(t) for t in reversed(tasks)]  # any order will do
    mod.finish_init(out, tasks, results)


def test_shards_read_with_the_safetensors_package(tmp_path: Path) -> None:
    mod = module(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    _write(mod, out, "1MB")
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert files == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
    ]
    index_text = (out / "model.safetensors.index.json").read_text()
    index = json.loads(index_text)
    # as transformers' save_pretrained writes it
    assert index_text == json.dumps(index, indent=2, sort_keys=True) + "\n"
    expected = mod.init(3)
    seen: dict[str, str] = {}
    total = 0
    for name in files[:2]:
        with safe_open(str(out / name), framework="numpy") as f:
            meta = f.metadata()
            assert meta["format"] == "pt"
            assert meta["specc_spec"] == "shardy"
            for key in f.keys():  # noqa: SIM118 - safe_open has no __iter__
                a = f.get_tensor(key)
                np.testing.assert_array_equal(a, expected[key])
                assert a.dtype == expected[key].dtype
                seen[key] = name
                total += a.nbytes
    assert seen == index["weight_map"]
    assert index["metadata"] == {"total_size": total}
    assert set(seen) == {v.name for v in mod.VARIABLES}


def test_one_shard_has_no_index(tmp_path: Path) -> None:
    mod = module(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.safetensors.index.json").write_text("{}")  # stale: removed
    _write(mod, out, "5GB")
    assert sorted(os.listdir(out)) == ["model.safetensors"]
    with safe_open(str(out / "model.safetensors"), framework="numpy") as f:
        assert set(f.keys()) == {v.name for v in mod.VARIABLES}


def test_headers_depend_only_on_shapes_and_dtypes(tmp_path: Path) -> None:
    mod = module(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _write(mod, a, "1MB", seed=1)
    _write(mod, b, "1MB", seed=2)
    for name in ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
        ha, hb = (a / name).read_bytes(), (b / name).read_bytes()
        n = 8 + int.from_bytes(ha[:8], "little")
        assert ha[:n] == hb[:n] and ha[n:] != hb[n:]


def test_folder_and_index_read_as_one_file(tmp_path: Path) -> None:
    mod = module(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    _write(mod, out, "1MB")
    expected = mod.init(3)
    for path in (out, out / "model.safetensors.index.json"):
        assert params_format(str(path)) == "sharded"
        assert [a.name for a in read_arrays(str(path))] == sorted(expected)
        got = mod.load(path)
        assert set(got) == set(expected)
        for k, v in expected.items():
            np.testing.assert_array_equal(got[k], v)


def test_an_index_that_disagrees_with_its_files_is_refused(tmp_path: Path) -> None:
    mod = module(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    _write(mod, out, "1MB")
    index_path = out / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    index["weight_map"]["ghost"] = "model-00001-of-00002.safetensors"
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="lacks 'ghost'"):
        read_arrays(str(out))
    index["weight_map"] = {"emb": "../elsewhere.safetensors"}
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="not a file beside it"):
        read_arrays(str(out))


def test_check_against_and_checkpoint_initializer_read_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = module(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    _write(mod, out, "1MB")
    spec = str(tmp_path / "model.yaml")
    assert main(["check", spec, "--against", str(out)]) == 0
    assert main(["check", spec, "--against", str(out / "model.safetensors.index.json")]) == 0
    capsys.readouterr()
    warm = tmp_path / "warm.yaml"
    warm.write_text(
        "specc: 1\nname: warm\nbody:\n"
        "  - var: emb\n    shape: [300, 1000]\n"
        "    initializer: {checkpoint: {path: out}}\n"
    )
    comp = compile_file(str(warm))
    assert comp.ok and comp.table is not None, comp.diagnostics
    warm_mod = build_module(comp.table, str(warm), str(tmp_path / "warm.py"))
    np.testing.assert_array_equal(warm_mod.init_variable("emb"), mod.init_variable("emb", 3))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out", "--shard-size", "5GiB!"], "expected a size such as 5GB"),
        (["-o", "p.npz", "--shard-size", "1MB"], "--shard-size writes a folder of shards"),
        (["-o", "p.safetensors", "--resume"], "--resume continues a folder of shards"),
        (["-o", "p.npz", "--workers", "2"], "--workers writes .safetensors files or folders"),
        (["-o", "m.ckpt", "--executor", "dask"], "--executor writes .safetensors files"),
        (["-o", "out", "--warm-start", "old.npz"], "--warm-start writes one"),
        (
            ["-o", "out", "--scheduler", "tcp://127.0.0.1:1", "--executor", "process"],
            "needs --executor dask",
        ),
        (["-o", "out", "--workers", "0"], "--workers 0: expected at least 1"),
        (["-o", "out", "--shard-size", "0"], "a size must be at least one byte, got '0'"),
        (["-o", "out", "--task-size", "64Mi"], "expected a size such as 5GB, 500MB, 64MiB"),
        (["-o", "out", "--shard-size", "inf GB"], "a size must be at most 2**63 - 1 bytes"),
    ],
)
def test_scale_options_are_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "model.yaml"
    spec.write_text(SPEC)
    assert main(["init", str(spec), *args]) == 2
    assert message in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["model.yaml"]
