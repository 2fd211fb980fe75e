"""Instruction counts of each compile stage, under valgrind's callgrind.

Wall and CPU time on a shared virtual machine vary by a factor of two from one
minute to the next; instruction counts do not (the same count twice, whatever
else runs). Use this to decide whether a change to the compiler's hot paths
helps, and `benchmarks/compile.py` for the times themselves.

    python benchmarks/instructions.py [--layers 200]

Prints the start-up ratio (a whole `specc check examples/mlp.yaml` against
`python -c "import yaml, pydantic"`), then millions of instructions for:
importing the pipeline, then loading,
validating and resolving the unrolled transformer-like spec of `compile.py`,
and a whole `specc check` of the `repeat` form. Needs `valgrind` on PATH;
with `--layers 1000` it takes a few minutes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from compile import repeated, unrolled

STAGES = ("import", "load", "validate", "resolve")

# Runs the pipeline up to one stage and exits without interpreter teardown.
STAGE_SCRIPT = """
import gc, os, sys
gc.disable()
import specc.pipeline
from specc.resolve.interpreter import resolve
from specc.source import load_file
from specc.lang.validate import validate
stage, path = sys.argv[1], sys.argv[2]
if stage != "import":
    loaded = load_file(path)
    if stage != "load":
        spec, diags = validate(loaded)
        if stage != "validate":
            resolve(spec)
os._exit(0)
"""


def instructions(argv: list[str]) -> int:
    """Instructions executed by the command `argv`, as callgrind counts them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", *argv],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out.stderr}")
    return int(found.group(1))


def startup() -> None:
    """The start-up ratio: a whole `specc check examples/mlp.yaml` process
    against `python -c "import yaml, pydantic"` (issue: at most 2x)."""
    specc = str(Path(sys.executable).parent / "specc")
    mlp = str(Path(__file__).resolve().parent.parent / "examples" / "mlp.yaml")
    base = instructions([sys.executable, "-c", "import yaml, pydantic"])
    check = instructions([specc, "check", mlp])
    model = instructions(
        [
            sys.executable,
            "-c",
            "import yaml, pydantic\nclass M(pydantic.BaseModel):\n    x: int\n"
            "M.model_validate({'x': 1})",
        ]
    )
    print("start-up, millions of instructions:")
    print(f"  python -c 'import yaml, pydantic'          {base / 1e6:6.0f}M")
    print(
        f"  ... and one pydantic model validated        {model / 1e6:6.0f}M  ({model / base:.2f}x)"
    )
    print(
        f"  specc check examples/mlp.yaml               {check / 1e6:6.0f}M  ({check / base:.2f}x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, default=200)
    ap.add_argument("--startup-only", action="store_true", help="only the start-up ratio")
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    startup()
    if a.startup_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "stage.py"
        script.write_text(STAGE_SCRIPT)
        spec = Path(tmp) / "unrolled.yaml"
        spec.write_text(unrolled(a.layers))
        variables = 16 * a.layers
        print(f"unrolled, {a.layers} layers ({variables} variables), millions of instructions:")
        previous = 0
        for stage in STAGES:
            total = instructions([sys.executable, str(script), stage, str(spec)])
            per_var = f"  ({(total - previous) / variables / 1e3:.1f}K per variable)"
            if stage == "import":
                per_var = ""
            print(f"  {stage:9} +{(total - previous) / 1e6:7.0f}M{per_var}")
            previous = total
        print(f"  {'total':9}  {previous / 1e6:7.0f}M")
        rep = Path(tmp) / "repeat.yaml"
        rep.write_text(repeated(a.layers))
        total = instructions([sys.executable, "-m", "specc", "check", str(rep)])
        print(f"specc check, repeat form: {total / 1e6:.0f}M")


if __name__ == "__main__":
    main()
