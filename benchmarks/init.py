"""Benchmark `specc init`: about 1 GB of float32 (half truncated_normal, half
glorot_uniform, a few partitioned), with 1 and 2 threads, next to NumPy's own
single-thread samplers and the machine's write bandwidth, measured in the same run.

    .venv/bin/python benchmarks/init.py [--gb 1.0]

Targets (2 threads): truncated_normal >= 2.5x NumPy's standard_normal(float32);
glorot_uniform >= 1.0x NumPy's Generator(PCG64).random(float32); init_partition
of one of 8 parts <= 1/6 of the whole variable's time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from specc.emit import load_module, render_module
from specc.pipeline import compile_file

SIDE = 4096  # each variable is SIDE x SIDE float32 = 64 MiB


def spec_text(n_each: int) -> str:
    lines = ["specc: 1", "name: init_bench", "body:"]
    for i in range(n_each):
        part = "    partitioner: {fixed_size: {num_shards: 8}}\n" if i < 2 else ""
        lines.append(
            f"  - var: tn_{i}\n    shape: [{SIDE}, {SIDE}]\n"
            f"    initializer: {{truncated_normal: {{stddev: 0.02}}}}\n{part}".rstrip()
        )
        lines.append(
            f"  - var: gu_{i}\n    shape: [{SIDE}, {SIDE}]\n"
            f"    initializer: glorot_uniform\n{part}".rstrip()
        )
    return "\n".join(lines) + "\n"


def timed(f: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def ufunc_work(seed: int, reps: int = 40) -> None:
    """`cos` and `log` over 1 MiB float32 arrays of its own: NumPy work that
    releases the GIL, as the samplers' calls do."""
    x = np.random.default_rng(seed).random((4, 65536), dtype=np.float32)
    o = np.empty_like(x)
    for _ in range(reps):
        np.cos(x, out=o)
        np.log(x, out=o)


def ufunc_scaling() -> float:
    """How much faster two threads do twice `ufunc_work` than one thread does:
    the ceiling of any NumPy-bound sampler's scaling on this machine."""

    def alone() -> None:
        ufunc_work(0)
        ufunc_work(1)

    one = timed(alone)
    with ThreadPoolExecutor(2) as pool:
        two = timed(lambda: list(pool.map(ufunc_work, (0, 1))))
    return one / two


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds; each figure is the best of its rounds (shared machines)",
    )
    a = ap.parse_args()
    n_each = max(1, round(a.gb * 2**30 / (SIDE * SIDE * 4) / 2))
    with tempfile.TemporaryDirectory() as d:
        spec = Path(d) / "bench.yaml"
        spec.write_text(spec_text(n_each))
        comp = compile_file(str(spec))
        assert comp.ok and comp.table is not None, comp.diagnostics
        mod = load_module(
            render_module(comp.table, str(spec), str(spec.with_suffix(".py"))),
            str(spec.with_suffix(".py")),
        )
    n = SIDE * SIDE
    gbytes = n * 4 / 1e9
    out = np.empty(n, np.float32)
    g = np.random.Generator(np.random.PCG64(1))
    # Each measurement is a callable and the number of GB it produces; every
    # round runs all of them, one after the other, so a slow spell of a shared
    # machine hits them alike.
    names = {p: [f"{p}_{i}" for i in range(n_each)] for p in ("tn", "gu")}
    jobs: dict[str, tuple[Callable[[], object], float]] = {
        "np_normal": (lambda: g.standard_normal(n, dtype=np.float32), gbytes),
        "np_normal_out": (lambda: g.standard_normal(dtype=np.float32, out=out), gbytes),
        "np_random": (lambda: g.random(n, dtype=np.float32), gbytes),
        "np_random_out": (lambda: g.random(dtype=np.float32, out=out), gbytes),
        "fill": (lambda: np.empty(n, np.float32).fill(1.0), gbytes),
    }
    for threads in (1, 2):
        for prefix, nms in names.items():
            jobs[f"{prefix}{threads}"] = (
                lambda nms=nms, threads=threads: [
                    mod.init_variable(nm, threads=threads) for nm in nms
                ],
                len(nms) * gbytes,
            )
    rate = dict.fromkeys(jobs, 0.0)
    scaling = 0.0
    for _ in range(a.rounds):
        for key, (job, size) in jobs.items():
            rate[key] = max(rate[key], size / timed(job))
        scaling = max(scaling, ufunc_scaling())
    print(f"variables: {2 * n_each} x {SIDE}x{SIDE} float32 ({2 * n_each * gbytes:.2f} GB)")
    print(f"best of {a.rounds} interleaved rounds")
    print(
        f"NumPy PCG64 standard_normal(float32), 1 thread: {rate['np_normal']:.2f} GB/s"
        f" (into a reused buffer: {rate['np_normal_out']:.2f})"
    )
    print(
        f"NumPy PCG64 random(float32), 1 thread:          {rate['np_random']:.2f} GB/s"
        f" (into a reused buffer: {rate['np_random_out']:.2f})"
    )
    print(f"write bandwidth (np.empty().fill):              {rate['fill']:.2f} GB/s")
    print(f"2 threads vs 1 on NumPy ufunc work (ceiling):   {scaling:.2f}x")
    for threads in (1, 2):
        for prefix, ref, label, target in (
            ("tn", rate["np_normal"], "standard_normal", 2.5),
            ("gu", rate["np_random"], "random", 1.0),
        ):
            r = rate[f"{prefix}{threads}"]
            ok = "" if threads == 1 else (" ok" if r / ref >= target else " BELOW TARGET")
            kind = "truncated_normal" if prefix == "tn" else "glorot_uniform"
            print(
                f"{threads} thread(s) {kind}"
                f": {r:.2f} GB/s = {r / ref:.2f}x NumPy {label}"
                f" (target {target}x with 2 threads){ok}"
            )
    for prefix in ("tn", "gu"):
        whole = min(
            timed(lambda prefix=prefix: mod.init_variable(f"{prefix}_0", threads=2))
            for _ in range(a.rounds)
        )
        part = min(
            timed(lambda prefix=prefix: mod.init_partition(f"{prefix}_0", 3, threads=2))
            for _ in range(a.rounds)
        )
        print(
            f"init_partition {prefix}_0 part 3 of 8: {part:.3f}s vs whole {whole:.3f}s "
            f"= 1/{whole / part:.1f} (target <= 1/6)"
        )
    with tempfile.TemporaryDirectory() as d:
        for ext in ("safetensors", "npz"):
            t0 = time.perf_counter()
            mod.init_file(str(Path(d) / f"p.{ext}"), threads=2)
            t = time.perf_counter() - t0
            print(f"init_file .{ext}, 2 threads: {2 * n_each * gbytes / t:.2f} GB/s ({t:.1f}s)")


if __name__ == "__main__":
    main()
