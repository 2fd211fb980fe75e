"""Scale-out benchmark: `specc init` of a large model into a sharded folder
with 1, 2 and 4 process-pool workers and Dask LocalClusters of the same
sizes (and, for reference, the default single process).

The model: about 100 float32 `truncated_normal` variables of `--gb`
gigabytes in all (default 10). For each run it prints the wall time (start
of the command to its exit: compiling the spec and starting the workers
included), GB/s, the speed-up against one worker of the same executor, the
peak resident memory of the driver and of each worker (the kernel's VmHWM,
sampled from /proc every 50 ms across the driver's process tree) and the
sha256 of the index, which must be the same for every run.

    .venv/bin/python benchmarks/scale.py --gb 10 [--out DIR] [--shard-size 5GB]
    .venv/bin/python benchmarks/scale.py --gb 1 --workers 1 2 --executors process

The output goes to DIR (default: a temporary folder beside this file, on the
project's disk, removed after each run). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = 100
COLUMNS = 1024


def write_spec(folder: Path, gb: float) -> Path:
    """A spec of VARIABLES float32 variables of [rows, 1024], `gb` GB in all."""
    rows = max(1, round(gb * 1e9 / VARIABLES / (COLUMNS * 4)))
    spec = folder / "scale.yaml"
    spec.write_text(
        "specc: 1\nname: scale\nbody:\n"
        f"  - repeat: {VARIABLES}\n    as: i\n    body:\n"
        "      - var: layer_${i}/kernel\n"
        f"        shape: [{rows}, {COLUMNS}]\n"
        "        initializer: {truncated_normal: {stddev: 0.02}}\n"
    )
    return spec


def _children() -> dict[int, list[int]]:
    """Each process's children, from /proc."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.setdefault(int(fields[1]), []).append(int(entry))
    return out


def _tree(root: int) -> list[int]:
    children = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _peak_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _is_worker(pid: int) -> bool:
    """A process doing the work (not a resource tracker or a Dask nanny)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ")
    except OSError:
        return False
    if b"resource_tracker" in cmd or b"forkserver" in cmd:
        return False
    return b"spawn_main" in cmd


@dataclass
class Run:
    label: str
    workers: int
    seconds: float
    driver_mib: float
    worker_mib: list[float]
    index_sha: str


def run(label: str, argv: list[str], workers: int, out: Path) -> Run:
    """Run one `specc init`, sampling its process tree's peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    worker_pids: set[int] = set()
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            peak = _peak_kib(pid)
            if peak is not None:
                peaks[pid] = max(peaks.get(pid, 0), peak)
            if pid != proc.pid and pid not in worker_pids and _is_worker(pid):
                worker_pids.add(pid)
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"{label}: exit {proc.returncode}\n{err}")
    index = out / "model.safetensors.index.json"
    sha = hashlib.sha256(index.read_bytes()).hexdigest()[:12] if index.exists() else "-"
    workers_mib = sorted((peaks[p] / 1024 for p in worker_pids if p in peaks), reverse=True)
    return Run(label, workers, seconds, peaks.get(proc.pid, 0) / 1024, workers_mib, sha)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gb", type=float, default=10.0, help="model size in GB (default 10)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--executors", nargs="+", default=["process", "dask"])
    p.add_argument("--shard-size", default="5GB")
    p.add_argument("--out", type=Path, default=None, help="where to write (default: beside here)")
    p.add_argument("--no-inline", action="store_true", help="skip the single-process run")
    args = p.parse_args()
    specc = str(Path(sys.executable).with_name("specc"))
    base = args.out or Path(tempfile.mkdtemp(prefix="scale-", dir=ROOT / "benchmarks"))
    base.mkdir(parents=True, exist_ok=True)
    spec = write_spec(base, args.gb)
    nbytes = VARIABLES * round(args.gb * 1e9 / VARIABLES / (COLUMNS * 4)) * COLUMNS * 4
    print(
        f"model: {VARIABLES} float32 truncated_normal variables, {nbytes / 1e9:.2f} GB; "
        f"{os.cpu_count()} CPUs; output in {base}"
    )
    plans: list[tuple[str, list[str], int]] = []
    if not args.no_inline:
        plans.append(("inline (1 process, default threads)", [], 1))
    for kind in args.executors:
        for n in args.workers:
            plans.append((f"{kind} x{n}", ["--executor", kind, "--workers", str(n)], n))
    runs: list[Run] = []
    for label, extra, n in plans:
        out = base / "out"
        shutil.rmtree(out, ignore_errors=True)
        argv = [
            specc,
            "init",
            str(spec),
            "-o",
            str(out),
            "--shard-size",
            args.shard_size,
            "--quiet",
            *extra,
        ]
        r = run(label, argv, n, out)
        runs.append(r)
        shutil.rmtree(out, ignore_errors=True)
        one = next(
            (x for x in runs if x.label.split(" x")[0] == label.split(" x")[0] and x.workers == 1),
            r,
        )
        workers = ", ".join(f"{m:.0f}" for m in r.worker_mib) or "-"
        print(
            f"{label:<38} {r.seconds:7.1f} s {nbytes / r.seconds / 1e9:6.3f} GB/s "
            f"x{one.seconds / r.seconds:4.2f}  driver {r.driver_mib:5.0f} MiB  "
            f"workers [{workers}] MiB  index {r.index_sha}",
            flush=True,
        )
    if args.out is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
