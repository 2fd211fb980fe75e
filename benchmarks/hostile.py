"""Times and peak memory of `specc check` on hostile specs, each in a fresh
process (the tests count the work; this prints seconds and megabytes).

    python benchmarks/hostile.py

Targets (issue 12): 20,000 sibling default-name scopes and 4,000 chained
params each check in under 1 s; an empty `repeat` of 10**12 iterations and a
template fan-out of 2**40 hit their limit within 2 s and under ~200 MB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "specc: 1\nname: m\n"


def default_names(n: int) -> str:
    return HEADER + "body:\n" + "  - scope: null\n    default_name: layer\n" * n


def chained_params(n: int) -> str:
    lines = [HEADER, "params:\n  p0: 1\n"]
    lines += [f"  p{i}: $p{i - 1} + 1\n" for i in range(1, n)]
    lines.append(f"body:\n  - var: v\n    shape: [$p{n - 1}]\n")
    return "".join(lines)


def empty_repeat(n: int) -> str:
    return HEADER + f"body:\n  - repeat: {n}\n    body: []\n"


def fan_out(levels: int) -> str:
    lines = [HEADER, "templates:\n"]
    for i in range(levels):
        lines.append(f"  t{i}:\n    body:\n      - use: t{i + 1}\n      - use: t{i + 1}\n")
    lines.append(f"  t{levels}:\n    body:\n      - var: v\n        shape: [1]\n")
    lines.append("body:\n  - use: t0\n")
    return "".join(lines)


CASES = {
    "20,000 sibling default-name scopes": default_names(20_000),
    "4,000 chained params": chained_params(4_000),
    "repeat: 10**12 with an empty body": empty_repeat(10**12),
    "a template fan-out of 2**40": fan_out(40),
}


#: runs `specc check SPEC` and reports its own peak RSS (KiB) on the last line
_CHILD = """
import resource, sys
from specc.cli import main
code = main(["check", sys.argv[1]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def run(spec: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of `specc check SPEC`, in a
    process of its own."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(spec)], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    peak_kib = int(proc.stdout.strip().splitlines()[-1])
    return elapsed, peak_kib / 1024, proc.returncode


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, text in CASES.items():
            spec = Path(tmp) / "spec.yaml"
            spec.write_text(text)
            elapsed, mb, code = run(spec)
            print(f"{label:38} {elapsed:6.2f} s  {mb:6.0f} MB peak  exit {code}")


if __name__ == "__main__":
    main()
