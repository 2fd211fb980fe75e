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
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

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
        # bfloat16 bits (1.0, NaN): BF16 in safetensors, V2 in .npz
        "a/bf16": np.array([0x3F80, 0x7FC0], dtype=np.uint16),
    }


def _written(suffix: str) -> bytes:
    """The bytes of `_arrays()` written by specc's own writer."""
    from specc.formats.params import write_params

    arrays = _arrays()
    entries = [
        (k, a.shape, "bfloat16" if k == "a/bf16" else a.dtype)  # type: ignore[attr-defined]
        for k, a in arrays.items()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"seed{suffix}"
        write_params(path, entries, arrays.items(), {"specc_spec": "fuzz"})  # type: ignore[arg-type]
        return path.read_bytes()


def safetensors_seeds() -> Iterator[bytes]:
    yield _written(".safetensors")
    yield b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "


def npz_seeds() -> Iterator[bytes]:
    import numpy as np

    yield _written(".npz")
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


@cache
def _scratch() -> Path:
    """A folder of this process for the files the targets read."""
    return Path(tempfile.mkdtemp(prefix="specc-fuzz-"))


def _file(data: bytes, suffix: str) -> str:
    path = _scratch() / f"input{suffix}"
    path.write_bytes(data)
    return str(path)


def _read_file(suffix: str) -> Callable[[bytes], None]:
    """The readers behind `check --against` (headers) and the `checkpoint`
    initializer (data): CheckpointError is their only error, and what both
    say of a file agrees."""

    def read(data: bytes) -> None:
        from specc.formats.arrays import CheckpointError
        from specc.formats.params import read_arrays, read_params

        path = _file(data, suffix)
        try:
            infos = read_arrays(path)
        except CheckpointError:
            return
        try:
            arrays = read_params(path)
        except CheckpointError as e:
            # a valid file may hold a dtype NumPy lacks; nothing else fails
            assert "dtype" in e.reason or "dimensions" in e.reason, e
            return
        assert [i.name for i in infos] == list(arrays)
        for info in infos:
            assert arrays[info.name].shape == info.shape, info

    return read


def _module_load(data: bytes) -> None:
    """A generated module's `load()`, which may raise only ParamsError."""
    module = _generated_module()
    for suffix in (".npz", ".safetensors"):
        with contextlib.suppress(module.ParamsError):
            module.load(_file(data, suffix))


@cache
def _generated_module() -> Any:
    from specc.emit import load_module, render_module
    from specc.pipeline import compile_file

    spec = ROOT / "examples" / "mlp.yaml"
    comp = compile_file(str(spec))
    assert comp.table is not None
    source = render_module(comp.table, str(spec), str(ROOT / "examples" / "mlp.py"))
    return load_module(source, str(ROOT / "examples" / "mlp.py"))


TARGETS: dict[str, tuple[Callable[[bytes], None], Callable[[], Iterator[bytes]]]] = {
    "spec": (_check_spec, spec_seeds),
    "safetensors": (_read_file(".safetensors"), safetensors_seeds),
    "npz": (_read_file(".npz"), npz_seeds),
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
    """The libFuzzer process of one target (`--worker NAME LIBFUZZER-ARGS`):
    specc's modules are imported under atheris' instrumentation, so that its
    coverage guides the mutations; a generated module (exec'd, not imported)
    is instrumented once built."""
    import atheris

    with atheris.instrument_imports(include=["specc"]):
        import specc.formats.npz
        import specc.formats.params
        import specc.formats.safetensors
        import specc.pipeline  # noqa: F401

    if name == "load":
        module = _generated_module()
        for value in vars(module).values():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                with contextlib.suppress(Exception):
                    atheris.instrument_func(value)
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
