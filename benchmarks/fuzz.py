"""Fuzz specc's input surfaces and print inputs tried and failures found.

    python benchmarks/fuzz.py [--runs 100000] [--target NAME ...] [--engine atheris|hypothesis]

Targets (each must never raise anything but its documented error, hang or
blow memory up, whatever the bytes):

- `spec`: the spec loader and checker (`specc.pipeline.compile_text`), seeded
  with tests/bad, the conformance cases and the examples;
- `safetensors` and `npz`: the parameter-file readers behind `check --against`,
  `diff` and the `checkpoint` initializer (header listing and array reading),
  seeded with files written by specc;
- `load`: a generated module's `load()`, which may raise only `ParamsError`.

With atheris installed (`pip install atheris`) each target runs under
libFuzzer, coverage-guided, in a process of its own with a 10 s per-input
timeout and a 2 GB memory cap; otherwise hypothesis mutates the seeds. Each
target prints the inputs tried and the failures (a crash, a timeout, an
out-of-memory) with the reproducer's path.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ seeds


def spec_seeds() -> Iterator[bytes]:
    for folder in ("tests/bad", "tests/conformance/cases", "examples", "specc/stdlib"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            yield path.read_bytes()


def _arrays() -> dict[str, object]:
    import numpy as np

    return {
        "a/kernel": np.arange(12, dtype=np.float32).reshape(3, 4),
        "a/bias": np.zeros(4, dtype=np.float16),
        "step": np.array(7, dtype=np.int64),
        "mask": np.array([True, False]),
    }


def safetensors_seeds() -> Iterator[bytes]:
    from specc.formats import safetensors

    buf = io.BytesIO()
    safetensors.write(buf, _arrays())  # type: ignore[arg-type]
    yield buf.getvalue()


def npz_seeds() -> Iterator[bytes]:
    import numpy as np

    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression) as zf:
            for name, a in _arrays().items():
                member = io.BytesIO()
                np.lib.format.write_array(member, a)  # type: ignore[arg-type]
                zf.writestr(name + ".npy", member.getvalue())
        yield buf.getvalue()


# ------------------------------------------------------------------ targets


def _check_spec(data: bytes) -> None:
    from specc.pipeline import compile_text

    comp = compile_text(data, "fuzz.yaml", base_dir=tempfile.gettempdir())
    for d in comp.diagnostics:
        assert d.code, d


def _read_file(fmt: str) -> Callable[[bytes], None]:
    def read(data: bytes) -> None:
        from specc.formats.errors import FormatError

        from specc.formats import npz, safetensors

        module = npz if fmt == "npz" else safetensors
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "f." + fmt)
            with open(path, "wb") as f:
                f.write(data)
            try:
                infos = module.list_arrays(path)
                arrays = module.read(path)
            except FormatError:
                return
            assert [i.name for i in infos] == list(arrays)

    return read


def _module_load(data: bytes) -> None:
    module = _generated_module()
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".npz", ".safetensors"):
            path = os.path.join(tmp, "p" + suffix)
            with open(path, "wb") as f:
                f.write(data)
            with contextlib.suppress(module.ParamsError):
                module.load(path)


_MODULE: list[object] = []


def _generated_module() -> object:
    if not _MODULE:
        from specc.emit import load_module, render_module
        from specc.pipeline import compile_file

        comp = compile_file(ROOT / "examples" / "mlp.yaml")
        assert comp.table is not None
        source = render_module(comp.table, str(ROOT / "examples/mlp.yaml"), "mlp.py")
        _MODULE.append(load_module(source, str(ROOT / "examples" / "mlp.py")))
    return _MODULE[0]


TARGETS: dict[str, tuple[Callable[[bytes], None], Callable[[], Iterator[bytes]]]] = {
    "spec": (_check_spec, spec_seeds),
    "safetensors": (_read_file("safetensors"), safetensors_seeds),
    "npz": (_read_file("npz"), npz_seeds),
    "load": (_module_load, lambda: iter([*safetensors_seeds(), *npz_seeds()])),
}


# ------------------------------------------------------------------ engines


def run_atheris(name: str, runs: int) -> tuple[int, int, str]:
    """(inputs tried, failures, reproducer folder) of one libFuzzer run, in a
    process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, seed in enumerate(TARGETS[name][1]()):
            (corpus / f"seed{i}").write_bytes(seed)
        crashes = ROOT / "benchmarks" / "fuzz-failures" / name
        crashes.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                name,
                f"-runs={runs}",
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-max_len=65536",
                f"-artifact_prefix={crashes}/",
                str(corpus),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        done = re.findall(r"Done (\d+) runs", proc.stderr)
        tried = int(done[-1]) if done else 0
        failed = proc.returncode != 0
        if failed:
            (crashes / "last.log").write_text(proc.stderr[-20000:])
        elif not any(crashes.iterdir()):
            shutil.rmtree(crashes)
        return tried, int(failed), str(crashes)


def run_hypothesis(name: str, runs: int) -> tuple[int, int, str]:
    """(inputs tried, failures, '') of a hypothesis run mutating the seeds."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    fn, seeds = TARGETS[name]
    pool = list(seeds())
    tried = 0

    def mutate(seed: bytes, edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(seed)
        for at, byte in edits:
            if data:
                data[at % len(data)] = byte
        return bytes(data)

    @settings(max_examples=runs, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(pool),
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
        st.binary(max_size=64),
    )
    def target(seed: bytes, edits: list[tuple[int, int]], tail: bytes) -> None:
        nonlocal tried
        tried += 1
        data = mutate(seed, edits)
        fn(data + tail if tail and tried % 2 else data)

    try:
        target()
    except Exception as e:
        print(f"  {name}: {type(e).__name__}: {e}", file=sys.stderr)
        return tried, 1, ""
    return tried, 0, ""


def worker(name: str) -> None:
    """The libFuzzer process of one target (`--worker NAME LIBFUZZER-ARGS`)."""
    import atheris

    with atheris.instrument_imports(include=["specc"]):
        import specc.pipeline  # noqa: F401

    fn = TARGETS[name][0]
    atheris.Setup([sys.argv[0], *sys.argv[3:]], fn)
    atheris.Fuzz()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--target", action="append", choices=sorted(TARGETS))
    ap.add_argument("--engine", choices=("atheris", "hypothesis"))
    a = ap.parse_args()
    engine = a.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    run = run_atheris if engine == "atheris" else run_hypothesis
    print(f"engine: {engine}, {a.runs:,} runs per target")
    for name in a.target or list(TARGETS):
        tried, failures, where = run(name, a.runs)
        extra = f" (reproducers in {where})" if failures and where else ""
        print(f"{name:12} {tried:>9,} inputs tried  {failures} failures{extra}")


if __name__ == "__main__":
    main()
