"""`specc init SPEC -o params.npz|params.safetensors [--seed N] [--threads N]`:
materialize a spec's initial values, through its generated module.

NumPy and the emitter are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    pipeline_options,
    usage_error,
)


@dataclass(frozen=True, slots=True)
class InitOptions:
    """`specc init`, parsed and checked."""

    spec: str
    pipeline: PipelineOptions
    #: a .npz or .safetensors file
    output: str
    #: None: the spec's seed, else 0
    seed: int | None
    #: None: the CPU count
    threads: int | None


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="params.npz or params.safetensors",
    )
    p.add_argument(
        "--seed", type=int, default=None, help="the seed (default: the spec's seed, else 0)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads filling blocks (default: CPU count; values do not depend on it)",
    )
    add_pipeline_arguments(p)


def _options(args: argparse.Namespace) -> InitOptions:
    out: str = args.output
    if not out.endswith((".npz", ".safetensors")):
        usage_error(f"-o {out}: expected a .npz or .safetensors file")
    if args.seed is not None and not 0 <= args.seed < 2**64:
        usage_error(f"--seed {args.seed}: expected an integer in [0, 2**64)")
    if args.threads is not None and args.threads < 1:
        usage_error(f"--threads {args.threads}: expected at least 1")
    return InitOptions(args.spec, pipeline_options(args), out, args.seed, args.threads)


class Progress:
    """A one-line progress bar on a terminal's stderr: bytes, rate, ETA."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int) -> None:
        from specc.reports.table import format_bytes  # noqa: PLC0415 - loaded by then

        now = time.monotonic()
        # redraw at most ten times a second: a terminal write per block is slow
        if now - self.last < 0.1 and done < self.total:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        frac = done / self.total if self.total else 1.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        width = 30
        bar = "#" * int(frac * width)
        self.stream.write(
            f"\r[{bar:<{width}}] {format_bytes(done)} / {format_bytes(self.total)} "
            f"{format_bytes(int(rate))}/s ETA {eta:4.0f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        self.stream.write("\n")
        self.stream.flush()


def _run(opts: InitOptions, keep: list[object]) -> ExitCode:
    from specc.cli.compile import compiled_table, render  # noqa: PLC0415
    from specc.emit import default_output, load_module  # noqa: PLC0415 - jinja2, NumPy

    table = compiled_table(opts.spec, opts.pipeline, keep)
    if table is None:
        return ExitCode.ERRORS
    # the module is rendered as if written beside the spec, where `compile`
    # puts it: checkpoint initializers' paths resolve from there
    module_path = default_output(opts.spec)
    source = render(table, opts.spec, module_path)
    if source is None:
        return ExitCode.ERRORS
    module = load_module(source, module_path)
    progress = Progress(table.bytes) if sys.stderr.isatty() else None
    failure: str | None = None
    try:
        module.init_file(opts.output, opts.seed, threads=opts.threads, progress=progress)
    except (OSError, ValueError, KeyError) as e:
        failure = str(e)
    finally:
        # end the bar's line before anything else is written to the terminal
        if progress is not None:
            progress.close()
    if failure is not None:
        sys.stderr.write(f"specc: error: {failure}\n")
        return ExitCode.ERRORS
    print(f"{opts.output}: {len(table.variables)} variables, {table.bytes:,} bytes")
    return ExitCode.OK


COMMAND = Command(
    name="init",
    summary="materialize initial values into .npz or .safetensors",
    usage="[options] SPEC -o OUT",
    example="specc init examples/seq2seq.yaml -o seq2seq.npz --seed 1\n"
    "specc init examples/mlp.yaml -o mlp.safetensors -D hidden=128",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
