"""`specc init SPEC -o params.npz|params.safetensors|model.ckpt [--seed N]
[--threads N] [--warm-start OLD [--rename OLD=NEW ...]]`: materialize a spec's
initial values, through its generated module.

A `.npz` or `.safetensors` file is written by the module's `init_file`; a TF
checkpoint (`model.ckpt`: `model.ckpt.index` and
`model.ckpt.data-00000-of-00001`) by specc's own writer, from the module's
`init_variable`, in the order TF's Saver writes. With `--warm-start`, the
variables an old checkpoint holds (under the same name or a renamed one, with
the same shape and dtype) are copied instead (`specc.reports.warm_start`).

NumPy and the emitter are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    pipeline_options,
    usage_error,
)

if TYPE_CHECKING:
    import types

    import numpy.typing as npt

    from specc.formats.arrays import ArrayInfo
    from specc.reports.warm_start import WarmStart
    from specc.table import VariableTable


@dataclass(frozen=True, slots=True)
class InitOptions:
    """`specc init`, parsed and checked."""

    spec: str
    pipeline: PipelineOptions
    #: a .npz or .safetensors file, or a TF checkpoint's prefix
    output: str
    #: "npz", "safetensors" or "tf"
    output_format: str
    #: None: the spec's seed, else 0
    seed: int | None
    #: None: the CPU count
    threads: int | None
    #: a parameter file or TF checkpoint to copy variables from
    warm_start: str | None = None
    #: old name -> new name, for --warm-start
    renames: tuple[tuple[str, str], ...] = ()


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="params.npz, params.safetensors or model.ckpt (a TF checkpoint: "
        "model.ckpt.index and model.ckpt.data-00000-of-00001)",
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
    p.add_argument(
        "--warm-start",
        metavar="OLD",
        help="copy the variables OLD (.npz, .safetensors or a TF checkpoint) holds "
        "under the same name, shape and dtype; initialize the rest from the spec",
    )
    p.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="with --warm-start: copy OLD's entry OLD into variable NEW; @FILE reads "
        "the renames of a JSON file (`specc diff --json` output or an object)",
    )
    add_pipeline_arguments(p)


def _renames(items: list[str]) -> tuple[tuple[str, str], ...]:
    """--rename values: OLD=NEW, or @FILE of JSON; a usage error otherwise."""
    from specc.reports.warm_start import (  # noqa: PLC0415
        WarmStartError,
        add_rename,
        renames_from_json,
    )

    out: dict[str, str] = {}
    try:
        for item in items:
            if item.startswith("@"):
                try:
                    with open(item[1:], encoding="utf-8") as f:
                        text = f.read()
                except OSError as e:
                    usage_error(f"--rename {item}: {e.strerror or e}")
                for old, new in renames_from_json(text, item[1:]).items():
                    add_rename(out, old, new)
            else:
                old, eq, new = item.partition("=")
                if not eq:
                    usage_error(f"--rename {item}: expected OLD=NEW or @FILE")
                add_rename(out, old, new)
    except WarmStartError as e:
        usage_error(str(e))
    return tuple(out.items())


def _options(args: argparse.Namespace) -> InitOptions:
    from specc.formats.params import params_format  # noqa: PLC0415
    from specc.formats.tf_checkpoint import tf_checkpoint_prefix  # noqa: PLC0415

    out: str = args.output
    fmt = params_format(out)
    if fmt is None:
        usage_error(f"-o {out}: expected a .npz or .safetensors file or a TF checkpoint (.ckpt)")
    if fmt == "tf":
        out = tf_checkpoint_prefix(out) or out
    if args.rename and args.warm_start is None:
        usage_error("--rename needs --warm-start")
    if args.seed is not None and not 0 <= args.seed < 2**64:
        usage_error(f"--seed {args.seed}: expected an integer in [0, 2**64)")
    if args.threads is not None and args.threads < 1:
        usage_error(f"--threads {args.threads}: expected at least 1")
    return InitOptions(
        args.spec,
        pipeline_options(args),
        out,
        fmt,
        args.seed,
        args.threads,
        args.warm_start,
        _renames(args.rename),
    )


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


def _values(
    opts: InitOptions, module: types.ModuleType, plan: WarmStart | None
) -> Callable[[str], npt.NDArray[Any]]:
    """`value(name)`: the copied array of a warm-started variable, else the
    module's `init_variable` (the same values `init_file` writes)."""
    sources = plan.sources() if plan is not None else {}
    read: Callable[[str], npt.NDArray[Any]] | None = None
    if sources and opts.warm_start is not None:
        from specc.formats.params import params_format, read_params  # noqa: PLC0415
        from specc.formats.tf_checkpoint import TFCheckpointReader  # noqa: PLC0415

        if params_format(opts.warm_start) == "tf":
            read = TFCheckpointReader(opts.warm_start).read
        else:
            # the npz and safetensors readers open the file per call: one pass
            read = read_params(opts.warm_start).__getitem__

    def value(name: str) -> npt.NDArray[Any]:
        source = sources.get(name)
        if source is None or read is None:
            fresh: npt.NDArray[Any] = module.init_variable(name, opts.seed, threads=opts.threads)
            return fresh
        return read(source)

    return value


def _streamed(
    table: VariableTable,
    value: Callable[[str], npt.NDArray[Any]],
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[str, npt.NDArray[Any]]]:
    """(name, array) in table order, each checked against its row."""
    done = 0
    for r in table.variables:
        a = value(r.name)
        if tuple(a.shape) != r.shape or a.dtype.name != r.dtype:
            raise ValueError(f"{r.name!r}: array {list(a.shape)} {a.dtype} for {r.dtype}")
        yield r.name, a
        done += a.nbytes
        if progress is not None:
            progress(done)


def _write(
    opts: InitOptions,
    table: VariableTable,
    module: types.ModuleType,
    plan: WarmStart | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Write the output file(s)."""
    if plan is None and opts.output_format != "tf":
        module.init_file(opts.output, opts.seed, threads=opts.threads, progress=progress)
        return
    import numpy as np  # noqa: PLC0415

    from specc.formats.params import write_params  # noqa: PLC0415
    from specc.formats.tf_checkpoint_writer import (  # noqa: PLC0415
        tf_variables,
        write_tf_checkpoint,
    )

    value = _values(opts, module, plan)
    if opts.output_format == "tf":
        write_tf_checkpoint(opts.output, tf_variables(table.variables), value, progress)
    else:
        entries = [(r.name, r.shape, np.dtype(r.dtype)) for r in table.variables]
        metadata = {"specc_spec": module.SPEC_NAME, "specc_sha256": module.SPEC_SHA256}
        write_params(opts.output, entries, _streamed(table, value, progress), metadata)


def _warm_start_plan(
    opts: InitOptions, table: VariableTable, arrays: list[ArrayInfo] | None
) -> WarmStart | None:
    """The warm start's plan, printed; None without --warm-start. Renames that
    do not apply are usage errors: nothing has been written."""
    if opts.warm_start is None or arrays is None:
        return None
    from specc.reports.warm_start import WarmStartError, plan, render_lines  # noqa: PLC0415

    try:
        ws = plan(table.variables, opts.warm_start, arrays, dict(opts.renames))
    except WarmStartError as e:
        usage_error(str(e))
    for line in render_lines(ws):
        print(line)
    return ws


def _describe(opts: InitOptions) -> str:
    """The output, as the last line names it (a TF checkpoint by its files)."""
    if opts.output_format != "tf":
        return opts.output
    from specc.formats.tf_checkpoint import tf_data_path  # noqa: PLC0415

    data = os.path.basename(tf_data_path(opts.output, 0, 1))
    return f"{opts.output} (TF checkpoint: {os.path.basename(opts.output)}.index, {data})"


def _run(opts: InitOptions, keep: list[object]) -> ExitCode:
    from specc.cli.compile import compiled_table, render  # noqa: PLC0415
    from specc.emit import default_output, load_module  # noqa: PLC0415 - jinja2, NumPy

    old: list[ArrayInfo] | None = None
    if opts.warm_start is not None:
        # an unreadable old checkpoint is a usage error, before any work
        from specc.cli.check import read_params as read_headers  # noqa: PLC0415

        old = read_headers(opts.warm_start)
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
    plan = _warm_start_plan(opts, table, old)
    sys.stdout.flush()
    progress = Progress(table.bytes) if sys.stderr.isatty() else None
    from specc.formats.arrays import CheckpointError  # noqa: PLC0415

    failure: str | None = None
    code = ExitCode.ERRORS
    try:
        _write(opts, table, module, plan, progress)
    except CheckpointError as e:
        # specc's own readers raise it only for the --warm-start input (the
        # module has its own class): a bad input file, as for `check --against`
        failure, code = str(e), ExitCode.USAGE
    except (OSError, ValueError, KeyError) as e:
        failure = str(e)
    finally:
        # end the bar's line before anything else is written to the terminal
        if progress is not None:
            progress.close()
    if failure is not None:
        sys.stderr.write(f"specc: error: {failure}\n")
        return code
    print(f"{_describe(opts)}: {len(table.variables)} variables, {table.bytes:,} bytes")
    return ExitCode.OK


COMMAND = Command(
    name="init",
    summary="materialize initial values into .npz, .safetensors or a TF checkpoint",
    usage="[options] SPEC -o OUT",
    example="specc init examples/seq2seq.yaml -o seq2seq.npz --seed 1\n"
    "specc init examples/mlp.yaml -o mlp.safetensors -D hidden=128\n"
    "specc init examples/mlp.yaml -o mlp.ckpt\n"
    "specc init new.yaml --warm-start old.ckpt --rename enc/w=encoder/w -o new.ckpt",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
