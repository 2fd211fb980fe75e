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
from pathlib import Path

import numpy as np

from specc.compiler import compile_file
from specc.emit import load_module, render_module

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


def best(f: Callable[[], object], repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
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
    ref_normal = gbytes / best(lambda: g.standard_normal(n, dtype=np.float32, out=out))
    ref_uniform = gbytes / best(lambda: g.random(n, dtype=np.float32, out=out))
    fill = gbytes / best(lambda: np.empty(n, np.float32).fill(1.0))
    print(f"variables: {2 * n_each} x {SIDE}x{SIDE} float32 ({2 * n_each * gbytes:.2f} GB)")
    print(f"NumPy PCG64 standard_normal(float32), 1 thread: {ref_normal:.2f} GB/s")
    print(f"NumPy PCG64 random(float32), 1 thread:          {ref_uniform:.2f} GB/s")
    print(f"write bandwidth (np.empty().fill):              {fill:.2f} GB/s")
    for threads in (1, 2):
        for prefix, ref, label, target in (
            ("tn", ref_normal, "standard_normal", 2.5),
            ("gu", ref_uniform, "random", 1.0),
        ):
            names = [f"{prefix}_{i}" for i in range(n_each)]
            t = best(
                lambda names=names, threads=threads: [
                    mod.init_variable(nm, threads=threads) for nm in names
                ],
                repeat=1,
            )
            rate = len(names) * gbytes / t
            ok = "" if threads == 1 else (" ok" if rate / ref >= target else " BELOW TARGET")
            kind = "truncated_normal" if prefix == "tn" else "glorot_uniform"
            print(
                f"{threads} thread(s) {kind}"
                f": {rate:.2f} GB/s = {rate / ref:.2f}x NumPy {label}"
                f" (target {target}x with 2 threads){ok}"
            )
    for prefix in ("tn", "gu"):
        whole = best(lambda prefix=prefix: mod.init_variable(f"{prefix}_0", threads=2))
        part = best(lambda prefix=prefix: mod.init_partition(f"{prefix}_0", 3, threads=2))
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
