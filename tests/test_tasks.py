"""Initialization as tasks on executors: every file (the index and the
manifest included) has the same sha256 whatever the worker count, the shard
size, the submission order and the executor (in-process, process pool, Dask
LocalCluster of processes); a worker killed mid-task is retried, exhausted
retries name the task and leave no file half-written under its name, and
`--resume` skips what is complete and verified."""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import multiprocessing
import os
import random
import textwrap
import types
from pathlib import Path

import pytest

from specc.cli import main
from specc.cli.distribute import FAULT_ENV, FAULT_ONCE_ENV, worker_main
from specc.emit import load_module, render_module
from specc.pipeline import compile_file

#: a tiny model of every kind of value: element-wise samplers in several
#: dtypes, builders (zeros, orthogonal, constant), an empty variable, a scalar
SPEC = """\
specc: 1
name: tiny
seed: 7
body:
  - var: emb
    shape: [700, 300]
    initializer: {truncated_normal: {stddev: 0.02}}
  - scope: layer
    body:
      - var: kernel
        shape: [300, 400]
      - var: bias
        shape: [400]
        initializer: zeros
      - var: half
        shape: [200, 300]
        dtype: float16
        initializer: he_normal
      - var: brain
        shape: [100, 300]
        dtype: bfloat16
        initializer: random_uniform
  - var: ortho
    shape: [64, 64]
    initializer: orthogonal
  - var: steps
    shape: []
    dtype: int64
  - var: nothing
    shape: [0, 5]
  - var: scale
    shape: [10]
    initializer: {constant: {value: 0.5}}
"""

SHARDS = ("600KB", "2MB")
TASK = "100KB"


def _spec(tmp: Path) -> Path:
    spec = tmp / "tiny.yaml"
    spec.write_text(textwrap.dedent(SPEC))
    return spec


def _hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of a folder (hidden ones included)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _init(spec: Path, out: Path, *args: str) -> int:
    return main(["init", str(spec), "-o", str(out), "--task-size", TASK, *args])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The files of single-process runs, by shard size."""
    tmp = tmp_path_factory.mktemp("ref")
    spec = _spec(tmp)
    out = {}
    for size in SHARDS:
        folder = tmp / size
        assert _init(spec, folder, "--shard-size", size) == 0
        out[size] = _hashes(folder)
    return out


def test_reference_layout(reference: dict[str, dict[str, str]]) -> None:
    assert "model.safetensors.index.json" in reference["600KB"]
    assert ".specc-manifest.json" in reference["600KB"]
    assert sum(n.endswith(".safetensors") for n in reference["600KB"]) > 2
    assert sorted(reference["2MB"]) == [".specc-manifest.json", "model.safetensors"]


@pytest.mark.parametrize("workers", [2, 4])
def test_process_pool_is_bit_identical(
    tmp_path: Path, reference: dict[str, dict[str, str]], workers: int
) -> None:
    spec = _spec(tmp_path)
    for size in SHARDS:
        out = tmp_path / f"{size}-{workers}"
        assert _init(spec, out, "--shard-size", size, "--workers", str(workers)) == 0
        assert _hashes(out) == reference[size]


def test_dask_local_cluster_is_bit_identical(
    tmp_path: Path, reference: dict[str, dict[str, str]]
) -> None:
    pytest.importorskip("distributed")
    spec = _spec(tmp_path)
    out = tmp_path / "dask"
    args = ("--shard-size", "600KB", "--executor", "dask", "--workers", "2")
    assert _init(spec, out, *args) == 0
    assert _hashes(out) == reference["600KB"]


def test_dask_scheduler_address_is_bit_identical(
    tmp_path: Path, reference: dict[str, dict[str, str]]
) -> None:
    # a cluster started apart (as dask-jobqueue or the Kubernetes operator
    # would), reached by its address
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        out = tmp_path / "remote"
        args = ("--shard-size", "2MB", "--scheduler", cluster.scheduler_address, "--workers", "2")
        assert _init(_spec(tmp_path), out, *args) == 0
    assert _hashes(out) == reference["2MB"]


def _module(tmp: Path) -> tuple[types.ModuleType, str, str]:
    spec = _spec(tmp)
    comp = compile_file(str(spec))
    assert comp.ok and comp.table is not None
    path = str(tmp / "tiny.py")
    source = render_module(comp.table, str(spec), path)
    return load_module(source, path), source, path


def _shuffled_run(tmp: Path, executor: concurrent.futures.Executor) -> dict[str, str]:
    """The module's own API, as a Ray or Spark user would drive it: plan,
    submit in a shuffled order to any Executor, finish."""
    module, source, path = _module(tmp)
    out = tmp / "api"
    out.mkdir()
    tasks = module.init_tasks(out, 7, shard_size="600KB", task_bytes=100_000)
    json.dumps(tasks)  # plain data: picklable and serializable anywhere
    random.Random(1).shuffle(tasks)
    call = functools.partial(worker_main, source, path)
    results = [f.result() for f in [executor.submit(call, t, 1) for t in tasks]]
    module.finish_init(out, tasks, results)
    return _hashes(out)


def test_shuffled_submission_on_a_process_pool(
    tmp_path: Path, reference: dict[str, dict[str, str]]
) -> None:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        got = _shuffled_run(tmp_path, pool)
    want = {k: v for k, v in reference["600KB"].items() if k != ".specc-manifest.json"}
    assert got == want


def test_shuffled_submission_on_dask(tmp_path: Path, reference: dict[str, dict[str, str]]) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = _shuffled_run(tmp_path, client.get_executor(pure=False))
    want = {k: v for k, v in reference["600KB"].items() if k != ".specc-manifest.json"}
    assert got == want


def test_one_file_by_workers_equals_init_file(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    assert main(["init", str(spec), "-o", str(tmp_path / "a.safetensors")]) == 0
    args = ("--workers", "2", "--task-size", TASK)
    assert main(["init", str(spec), "-o", str(tmp_path / "b.safetensors"), *args]) == 0
    assert (tmp_path / "a.safetensors").read_bytes() == (tmp_path / "b.safetensors").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ faults


def _task_ids(reference_folder: Path) -> list[str]:
    manifest = json.loads((reference_folder / ".specc-manifest.json").read_text())
    return [f"{name}:{r[0]}" for name, e in manifest["files"].items() for r in e["ranges"]]


def _plan_ids(tmp: Path) -> list[str]:
    module, _, _ = _module(tmp)
    return [
        t["id"] for t in module.init_tasks(tmp / "x", 7, shard_size="600KB", task_bytes=100_000)
    ]


def test_a_killed_worker_is_retried_and_the_files_are_the_same(
    tmp_path: Path, reference: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = _plan_ids(tmp_path)[3]
    marker = tmp_path / "killed-once"
    monkeypatch.setenv(FAULT_ENV, victim)
    monkeypatch.setenv(FAULT_ONCE_ENV, str(marker))
    out = tmp_path / "out"
    args = ("--shard-size", "600KB", "--workers", "2")
    assert _init(_spec(tmp_path), out, *args) == 0
    assert marker.exists()  # the first attempt did die
    assert _hashes(out) == reference["600KB"]


def test_exhausted_retries_name_the_task_and_resume_finishes(
    tmp_path: Path,
    reference: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _plan_ids(tmp_path)
    victim = next(i for i in reversed(ids) if not i.startswith("model-00001"))
    monkeypatch.setenv(FAULT_ENV, victim)
    spec, out = _spec(tmp_path), tmp_path / "out"
    args = ("--shard-size", "600KB", "--workers", "2", "--retries", "1")
    assert _init(spec, out, *args) == 1
    err = capsys.readouterr().err
    assert f"task {victim} failed after 2 attempts: its worker process died" in err
    assert "--resume" in err
    # nothing under a final name; the complete files kept as temporaries
    names = sorted(os.listdir(out))
    assert not [n for n in names if not n.startswith(".")], names
    kept = [n for n in names if n.endswith(".specc-partial")]
    assert ".model-00001-of-00003.safetensors.specc-partial" in kept
    assert ".specc-progress.json" in names
    # the shard that failed is not among the kept ones
    assert f".{victim.split(':')[0]}.specc-partial" not in kept

    # a kept file damaged since is found by its checksum and written again
    damaged = out / kept[0]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.delenv(FAULT_ENV)
    assert _init(spec, out, *args, "--resume") == 0
    resumed = capsys.readouterr().out
    assert f"resumed: {len(kept) - 1} of 3 files complete and verified" in resumed
    assert _hashes(out) == reference["600KB"]


def test_resume_of_a_finished_folder_writes_nothing(
    tmp_path: Path, reference: dict[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    assert _init(spec, out, "--shard-size", "600KB") == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".safetensors"}
    assert _init(spec, out, "--shard-size", "600KB", "--resume") == 0
    assert "resumed: 3 of 3 files complete and verified" in capsys.readouterr().out
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".safetensors"}
    assert before == after
    assert _hashes(out) == reference["600KB"]


def test_a_smaller_rerun_removes_the_old_shards(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    assert _init(spec, out, "--shard-size", "600KB") == 0
    assert _init(spec, out, "--shard-size", "2MB") == 0
    assert sorted(os.listdir(out)) == [".specc-manifest.json", "model.safetensors"]


def test_task_ids_are_the_manifest_ranges(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    assert _init(spec, out, "--shard-size", "600KB") == 0
    assert _task_ids(out) == _plan_ids(tmp_path)
