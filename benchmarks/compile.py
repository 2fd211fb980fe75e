"""Compile-time benchmark: transformer-like specs of 10, 100 and 1,000 layers.

Each layer has 16 variables (q, k, v, o kernels and biases, two FFN kernels and
biases, two layer-norm gamma and beta). Every size is generated twice: unrolled
(one scope per layer written out) and with `repeat`. For each spec it prints the
time of each stage (load, validate, resolve) in-process, the end-to-end time of
`specc check` as a separate process, microseconds per variable, and the ratio of
the 1000-layer to the 100-layer time (linear cost gives about 10). Times are CPU
seconds (user + system, best of N), which other jobs on the machine do not
inflate the way they inflate wall time; on an idle machine the two agree.
Processes run with specc byte-compiled, as `pip install` leaves it (the script
runs compileall on the package first; an editable install under
PYTHONDONTWRITEBYTECODE would otherwise compile every module in every process).

    python benchmarks/compile.py [--sizes 10 100 1000] [--repeats 3]

Targets (one core of the development machine): unrolled 16,000 variables end to
end under 1 s, the `repeat` form under 0.3 s, ratio at most 11.
"""

from __future__ import annotations

import argparse
import compileall
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import specc
from specc.lang.validate import validate
from specc.pipeline import gc_paused
from specc.resolve.interpreter import resolve
from specc.resolve.lower import build_table
from specc.source import load_file

D = 512
LAYER_VARS = [
    ("attention/query/kernel", f"[{D}, {D}]"),
    ("attention/query/bias", f"[{D}]"),
    ("attention/key/kernel", f"[{D}, {D}]"),
    ("attention/key/bias", f"[{D}]"),
    ("attention/value/kernel", f"[{D}, {D}]"),
    ("attention/value/bias", f"[{D}]"),
    ("attention/output/kernel", f"[{D}, {D}]"),
    ("attention/output/bias", f"[{D}]"),
    ("ffn/intermediate/kernel", f"[{D}, {4 * D}]"),
    ("ffn/intermediate/bias", f"[{4 * D}]"),
    ("ffn/output/kernel", f"[{4 * D}, {D}]"),
    ("ffn/output/bias", f"[{D}]"),
    ("ln_1/gamma", f"[{D}]"),
    ("ln_1/beta", f"[{D}]"),
    ("ln_2/gamma", f"[{D}]"),
    ("ln_2/beta", f"[{D}]"),
]


def _var_lines(indent: str) -> list[str]:
    out = []
    for name, shape in LAYER_VARS:
        out.append(f"{indent}- var: {name}")
        out.append(f"{indent}  shape: {shape}")
        if name.endswith("kernel"):
            out.append(f"{indent}  initializer: {{truncated_normal: {{stddev: 0.02}}}}")
        elif name.endswith("gamma"):
            out.append(f"{indent}  initializer: ones")
        else:
            out.append(f"{indent}  initializer: zeros")
    return out


def unrolled(layers: int) -> str:
    lines = ["specc: 1", "name: bench", "body:", "  - scope: encoder", "    body:"]
    for i in range(layers):
        lines.append(f"      - scope: layer_{i}")
        lines.append("        body:")
        lines.extend(_var_lines("          "))
    return "\n".join(lines) + "\n"


def repeated(layers: int) -> str:
    lines = [
        "specc: 1",
        "name: bench",
        f"params: {{layers: {layers}}}",
        "body:",
        "  - scope: encoder",
        "    body:",
        "      - repeat: $layers",
        "        as: i",
        "        body:",
        "          - scope: layer_${i}",
        "            body:",
    ]
    lines.extend(_var_lines("              "))
    return "\n".join(lines) + "\n"


def stages(path: Path) -> tuple[float, float, float, int]:
    """CPU seconds of each stage in this process (see `process`)."""
    clock = time.process_time
    with gc_paused():
        t0 = clock()
        loaded = load_file(path)
        t1 = clock()
        spec, diags = validate(loaded)
        t2 = clock()
        assert spec is not None, diags[:3]
        res = resolve(spec)
        table = build_table(res.engine, spec.document.name)
        t3 = clock()
    assert not res.diagnostics
    return t1 - t0, t2 - t1, t3 - t2, len(table.variables)


def process(path: Path) -> float:
    """CPU seconds (user + system) of `specc check` as a child process: unlike wall
    time, it does not grow when other work shares the machine's cores."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "specc", "check", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--repeats", type=int, default=3, help="best of N")
    a = ap.parse_args()
    package = Path(specc.__file__).parent
    if not any(package.rglob("*.pyc")):
        # an editable install run with PYTHONDONTWRITEBYTECODE (as on the
        # development machine) compiles specc's sources in every process
        startup = min(process_startup() for _ in range(a.repeats))
        print(f"python -m specc start-up (--version), no .pyc: {startup * 1e3:.0f} ms")
    # pip byte-compiles an installed package; do the same for this checkout
    compileall.compile_dir(str(package), quiet=1)
    startup = min(process_startup() for _ in range(a.repeats))
    print(f"python -m specc start-up (--version): {startup * 1e3:.0f} ms\n")
    head = (
        f"{'form':9} {'layers':>6} {'vars':>6} {'MB':>6} {'load':>8} {'validate':>9} "
        f"{'resolve':>8} {'in-proc':>8} {'process':>8} {'us/var':>7}"
    )
    print(head)
    print("-" * len(head))
    totals: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for form, make in (("unrolled", unrolled), ("repeat", repeated)):
            for n in a.sizes:
                path = Path(tmp) / f"{form}_{n}.yaml"
                path.write_text(make(n))
                best = min((stages(path) for _ in range(a.repeats)), key=lambda s: sum(s[:3]))
                load, val, res, nvars = best
                proc = min(process(path) for _ in range(a.repeats))
                totals[(form, n)] = proc
                mb = path.stat().st_size / 1e6
                print(
                    f"{form:9} {n:>6} {nvars:>6} {mb:>6.2f} {load * 1e3:>6.0f}ms "
                    f"{val * 1e3:>7.0f}ms {res * 1e3:>6.0f}ms {(load + val + res) * 1e3:>6.0f}ms "
                    f"{proc * 1e3:>6.0f}ms {proc / nvars * 1e6:>7.1f}"
                )
    print()
    for form in ("unrolled", "repeat"):
        if (form, 1000) in totals and (form, 100) in totals:
            ratio = totals[(form, 1000)] / totals[(form, 100)]
            print(f"{form}: 1000-layer / 100-layer process time = {ratio:.2f}")
    if ("unrolled", 1000) in totals:
        print(
            f"targets: unrolled 1000 < 1 s: {totals[('unrolled', 1000)]:.3f} s; "
            f"repeat 1000 < 0.3 s: {totals.get(('repeat', 1000), float('nan')):.3f} s"
        )


def process_startup() -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "specc", "--version"], check=True, stdout=subprocess.DEVNULL
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    main()
