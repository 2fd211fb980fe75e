"""Import cost of a generated module: compile a 16,000-variable transformer-like
spec, then time `import` of the module in fresh processes, with and without a
cached .pyc, next to a bare `import numpy` measured the same way.

    .venv/bin/python benchmarks/import.py [--layers 500]

Target: under 0.1 s beyond `import numpy`, with and without .pyc.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from specc.emit import render_module
from specc.pipeline import compile_file

PER_LAYER = [  # 32 variables per layer
    *(f"attn/{p}/{k}" for p in ("q", "k", "v", "o") for k in ("kernel", "bias")),
    *(f"ffn/{p}/{k}" for p in ("in", "out", "gate") for k in ("kernel", "bias")),
    *(f"ln_{i}/{k}" for i in range(3) for k in ("gamma", "beta")),
    *(f"adapter/{p}/{k}" for p in ("down", "up") for k in ("kernel", "bias")),
    *(f"extra/{i}" for i in range(8)),
]


def spec_text(layers: int) -> str:
    lines = ["specc: 1", "name: big_transformer", "body:"]
    for i in range(layers):
        lines.append(f"  - scope: layer_{i}\n    body:")
        for name in PER_LAYER:
            shape = "[512]" if not name.endswith("kernel") else "[512, 512]"
            lines.append(f"      - var: {name.replace('/', '_')}\n        shape: {shape}")
    return "\n".join(lines) + "\n"


def timed(code: str, cwd: Path, n: int, env: dict[str, str]) -> float:
    runs = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, env=env)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        spec = root / "big.yaml"
        spec.write_text(spec_text(a.layers))
        t0 = time.perf_counter()
        comp = compile_file(str(spec))
        assert comp.ok and comp.table is not None, comp.diagnostics[:3]
        src = render_module(comp.table, str(spec), str(root / "big.py"))
        (root / "big.py").write_text(src)
        print(
            f"{len(comp.table.variables)} variables; compile+render "
            f"{time.perf_counter() - t0:.2f}s; module {len(src) / 1e6:.2f} MB"
        )
        import os

        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base = timed("import numpy", root, a.runs, env)
        nopyc = timed(
            "import sys; sys.dont_write_bytecode = True; import numpy, big",
            root,
            a.runs,
            {**env, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        subprocess.run([sys.executable, "-c", "import big"], cwd=root, check=True, env=env)
        pyc = timed("import numpy, big", root, a.runs, env)
        print(f"import numpy:                {base * 1e3:7.1f} ms")
        print(f"import module, no .pyc:      {nopyc * 1e3:7.1f} ms  (+{(nopyc - base) * 1e3:.1f})")
        print(f"import module, cached .pyc:  {pyc * 1e3:7.1f} ms  (+{(pyc - base) * 1e3:.1f})")
        print("target: under +100 ms")


if __name__ == "__main__":
    main()
