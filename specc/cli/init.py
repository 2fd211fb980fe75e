"""`specc init SPEC -o params.npz|params.safetensors|model.ckpt|DIR [--seed N]
[--threads N] [--shard-size 5GB] [--workers N] [--executor process|dask]
[--scheduler ADDRESS] [--resume] [--force] [--warm-start OLD [--rename OLD=NEW
...]]`: materialize a spec's initial values, through its generated module.

A `.npz` or `.safetensors` file is written by the module's `init_file`, which
streams (a chunk of values in memory at a time); a folder of Hugging Face
shards (`-o DIR`), or a `.safetensors` file written by several workers,
through the module's tasks (`specc.cli.init_tasks`); a TF checkpoint
(`model.ckpt`: `model.ckpt.index` and `model.ckpt.data-00000-of-00001`) by
specc's own writer, from the module's `init_variable`, in the order TF's Saver
writes. With `--warm-start`, the variables an old checkpoint holds (under the
same name or a renamed one, with the same shape and dtype) are copied instead
(`specc.reports.warm_start`). An existing output is replaced only when specc
wrote it (`specc.formats.manifest`), or with `--force`.

NumPy and the emitter are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    pipeline_options,
    usage_error,
)
from specc.counts import counted

if TYPE_CHECKING:
    import types

    import numpy.typing as npt

    from specc.cli.init_tasks import TaskRun
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
    #: the largest shard of a folder, in bytes (None: 5GB)
    shard_size: int | None = None
    #: the bytes one task writes (None: the module's TASK_BYTES)
    task_size: int | None = None
    #: "inline" (this process), "process" or "dask", and where
    executor: str = "inline"
    workers: int = 1
    scheduler: str | None = None
    retries: int = 2
    resume: bool = False
    force: bool = False
    #: show the progress bar: None on a terminal only
    progress: bool | None = None
    quiet: bool = False


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="params.npz, params.safetensors, model.ckpt (a TF checkpoint: "
        "model.ckpt.index and model.ckpt.data-00000-of-00001) or a folder DIR of "
        "Hugging Face safetensors shards (a path without a suffix, or ending in /)",
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
    _add_scale_arguments(p)
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


def _size(text: str) -> int:
    """An argparse `type` for sizes: 5GB, 500MB (decimal, as huggingface_hub
    reads them), 64MiB (binary) or bytes."""
    from specc.formats.sharded import parse_size  # noqa: PLC0415

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_scale_arguments(p: argparse.ArgumentParser) -> None:
    """The options of large and distributed runs (docs/scale-out.md)."""
    p.add_argument(
        "--shard-size",
        type=_size,
        metavar="SIZE",
        help="with -o DIR: the largest shard, e.g. 5GB or 500MB (default 5GB; a larger "
        "variable gets a shard of its own)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes writing a .safetensors file or a folder (default 1: this process)",
    )
    p.add_argument(
        "--executor",
        choices=("process", "dask"),
        help="process: the standard library's process pool (the default with --workers); "
        "dask: a Dask LocalCluster of --workers processes (needs the dask extra)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS (tcp://HOST:PORT), e.g. started by "
        "dask-jobqueue or the Dask Kubernetes operator",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="attempts after the first for a failing task (default 2)",
    )
    p.add_argument(
        "--task-size", type=_size, metavar="SIZE", help="bytes one task writes (default 64MiB)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with -o DIR: keep the files an earlier run completed (re-hashed against "
        "its record) and write the rest",
    )
    p.add_argument("--force", action="store_true", help="overwrite an output specc did not write")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show the progress bar even when stderr is not a terminal",
    )
    shown.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar, no warm-start report and no summary line (warnings and "
        "errors still show)",
    )


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
    from specc.formats.tf_checkpoint import tf_checkpoint_prefix  # noqa: PLC0415

    out: str = args.output
    fmt = _output_format(out, args.shard_size is not None)
    if fmt == "tf":
        out = tf_checkpoint_prefix(out) or out
    if fmt == "sharded":
        out = out.rstrip("/") or "/"
    executor = _executor(args, fmt)
    if args.rename and args.warm_start is None:
        usage_error("--rename needs --warm-start")
    if args.seed is not None and not 0 <= args.seed < 2**64:
        usage_error(f"--seed {args.seed}: expected an integer in [0, 2**64)")
    if args.threads is not None and args.threads < 1:
        usage_error(f"--threads {args.threads}: expected at least 1")
    if args.warm_start is not None and (fmt == "sharded" or executor != "inline"):
        usage_error("--warm-start writes one .npz, .safetensors or TF checkpoint, in one process")
    return InitOptions(
        args.spec,
        pipeline_options(args),
        out,
        fmt,
        args.seed,
        args.threads,
        args.warm_start,
        _renames(args.rename),
        shard_size=args.shard_size,
        task_size=args.task_size,
        executor=executor,
        workers=args.workers,
        scheduler=args.scheduler,
        retries=args.retries,
        resume=args.resume,
        force=args.force,
        progress=args.progress,
        quiet=args.quiet,
    )


def _output_format(out: str, sharded: bool) -> str:
    """npz, safetensors, tf, or sharded: a folder (an existing one, a path
    ending in /, a name without a suffix, or any path with --shard-size)."""
    from specc.formats.params import params_format  # noqa: PLC0415

    fmt = params_format(out)
    name = os.path.basename(out.rstrip("/"))
    folder = out.endswith("/") or os.path.isdir(out) or (bool(name) and "." not in name)
    if fmt is None and (folder or sharded):
        fmt = "sharded"
    if fmt is None:
        usage_error(
            f"-o {out}: expected a .npz or .safetensors file, a TF checkpoint (.ckpt) or a "
            "folder (DIR/)"
        )
    if sharded and fmt != "sharded":
        usage_error(f"--shard-size writes a folder of shards, not {out}: use -o DIR")
    return fmt


def _executor(args: argparse.Namespace, fmt: str) -> str:
    """Where tasks run, checked against the output and what is installed."""
    if args.workers < 1:
        usage_error(f"--workers {args.workers}: expected at least 1")
    if args.retries < 0:
        usage_error(f"--retries {args.retries}: expected 0 or more")
    kind: str = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and kind != "dask":
        usage_error("--scheduler is a Dask scheduler's address: it needs --executor dask")
    if kind == "process" and args.workers == 1 and args.executor is None:
        kind = "inline"
    if args.resume and fmt != "sharded":
        usage_error("--resume continues a folder of shards (-o DIR)")
    if kind != "inline" and fmt not in ("safetensors", "sharded"):
        usage_error(
            f"--{'workers' if kind == 'process' else 'executor'} writes .safetensors "
            "files or folders of shards"
        )
    if kind == "dask" and importlib.util.find_spec("distributed") is None:
        usage_error(
            "--executor dask needs Dask: pip install -e '.[dask]' in specc's clone, "
            "or pip install 'dask[distributed]'"
        )
    return kind


class Bar:
    """The progress bar: tqdm's (bytes done, throughput, ETA), on stderr,
    redrawn at most ten times a second however often it is told. tqdm pads
    and clears its line itself, so nothing stale is left when it shrinks;
    `close` ends the line, so that what follows (an error, a stop) starts a
    line of its own."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        from tqdm import tqdm  # noqa: PLC0415 - only when writing

        self._bar = tqdm(
            total=total,
            disable=not enabled,
            file=sys.stderr,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            mininterval=0.1,
            dynamic_ncols=True,
            desc="init",
        )

    def __call__(self, done: int, total: int | None = None) -> None:
        """`done` bytes written so far (of `total`, when it changes)."""
        if total is not None and total != self._bar.total:
            self._bar.total = total
            self._bar.refresh()
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _show_progress(opts: InitOptions) -> bool:
    if opts.quiet:
        return False
    return opts.progress if opts.progress is not None else sys.stderr.isatty()


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


def _task_run(opts: InitOptions, module: types.ModuleType) -> TaskRun:
    from specc.cli.distribute import ExecutorOptions  # noqa: PLC0415
    from specc.cli.init_tasks import TaskRun  # noqa: PLC0415

    seed = opts.seed if opts.seed is not None else int(module.DEFAULT_SEED)
    executor = ExecutorOptions(
        opts.executor, opts.workers, opts.scheduler, opts.threads, opts.retries
    )
    return TaskRun(
        os.path.abspath(opts.output),
        opts.output_format == "sharded",
        seed,
        opts.shard_size,
        opts.task_size if opts.task_size is not None else int(module.TASK_BYTES),
        opts.resume,
        executor,
    )


def _write(
    opts: InitOptions,
    table: VariableTable,
    module: types.ModuleType,
    plan: WarmStart | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Write the output file(s) in this process."""
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
    from specc.reports.warm_start import (  # noqa: PLC0415
        WarmStartError,
        nothing_copied,
        plan,
        render_lines,
    )

    try:
        ws = plan(table.variables, opts.warm_start, arrays, dict(opts.renames))
    except WarmStartError as e:
        usage_error(str(e))
    if not opts.quiet:
        for line in render_lines(ws):
            print(line)
    warning = nothing_copied(ws)
    if warning is not None:
        sys.stdout.flush()
        sys.stderr.write(warning + "\n")
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
    check_output(opts)
    refuse_foreign_output(opts, table)
    plan = _warm_start_plan(opts, table, old)
    sys.stdout.flush()
    failure, code, note = _write_all(
        opts, table, module, plan, source=source, module_path=module_path
    )
    if failure is not None:
        sys.stderr.write(f"specc: error: {failure}\n")
        return code
    if not opts.quiet:
        if note:
            print(note)
        print(
            f"{_describe(opts)}: {counted(len(table.variables), 'variable')}, "
            f"{counted(table.bytes, 'byte')}"
        )
    return ExitCode.OK


def _write_all(
    opts: InitOptions,
    table: VariableTable,
    module: types.ModuleType,
    plan: WarmStart | None,
    *,
    source: str,
    module_path: str,
) -> tuple[str | None, ExitCode, str]:
    """Write the output with a progress bar; (the error, if any, its exit
    code, a note to print)."""
    from specc.cli.init_tasks import InitFailedError, write_with_tasks  # noqa: PLC0415
    from specc.formats.arrays import CheckpointError  # noqa: PLC0415
    from specc.formats.atomic import OutputError  # noqa: PLC0415

    bar = Bar(table.bytes, enabled=_show_progress(opts))
    through_tasks = opts.output_format == "sharded" or opts.executor != "inline"
    try:
        if through_tasks:
            run = _task_run(opts, module)
            return None, ExitCode.OK, write_with_tasks(run, module, source, module_path, bar)
        _write(opts, table, module, plan, bar)
    except CheckpointError as e:
        # specc's own readers raise it only for the --warm-start input (the
        # module has its own class): a bad input file, as for `check --against`
        return str(e), ExitCode.USAGE, ""
    except (OutputError, module.OutputError) as e:
        # the target cannot be written (specc's writers or the module's own):
        # a usage error, as for `compile -o` and `schema -o`
        return str(e), ExitCode.USAGE, ""
    except MemoryError:
        return _memory_limit(opts), ExitCode.ERRORS, ""
    except (OSError, ValueError, KeyError, InitFailedError) as e:
        return str(e), ExitCode.ERRORS, ""
    finally:
        # end the bar's line before anything else is written to the terminal
        bar.close()
    return None, ExitCode.OK, ""


def _memory_limit(opts: InitOptions) -> str:
    """The one line for a variable that does not fit in memory."""
    if opts.output_format == "tf":
        why = "TF checkpoints are written a whole variable at a time"
    else:
        why = (
            "its initializer builds the whole variable (orthogonal, identity, constant, "
            "value, checkpoint)"
        )
    return (
        f"limit: a variable does not fit in memory: {why}; .safetensors and .npz "
        "outputs stream element-wise initializers a chunk at a time"
    )


def check_output(opts: InitOptions) -> None:
    """A usage error when the output cannot be written, found from the file
    system's metadata alone (nothing is opened: a FIFO would block), before
    anything is printed or computed. One file (or a TF checkpoint's two) goes
    into a folder that must exist; a folder of shards is created with its
    missing parents, under an existing folder."""
    from specc.formats.atomic import OutputError, check_target  # noqa: PLC0415
    from specc.formats.tf_checkpoint import tf_data_path  # noqa: PLC0415

    out = opts.output
    try:
        if opts.output_format == "tf":
            check_target(out + ".index")
            check_target(tf_data_path(out, 0, 1))
        elif opts.output_format != "sharded":
            check_target(out)
    except OutputError as e:
        usage_error(str(e))
    if opts.output_format != "sharded":
        return
    if os.path.lexists(out) and not os.path.isdir(out):
        usage_error(f"-o {out}: a file, not a folder")
    above = os.path.dirname(os.path.abspath(out))
    while not os.path.lexists(above):
        above = os.path.dirname(above)
    if not os.path.isdir(above):
        usage_error(f"cannot write {out}: {above} is not a folder")


def refuse_foreign_output(opts: InitOptions, table: VariableTable) -> None:
    """A usage error when the output exists and specc did not write it
    (`specc.formats.manifest` says how it knows), unless --force."""
    from specc.formats.manifest import written_by_specc  # noqa: PLC0415

    out = opts.output
    if opts.force:
        return
    if opts.output_format == "tf":
        if os.path.exists(out + ".index") and not _same_checkpoint(out, table):
            usage_error(
                f"{out} is a TF checkpoint of other variables (or unreadable); pass --force "
                "to overwrite it"
            )
        return
    if not os.path.exists(out):
        return
    try:
        ours = written_by_specc(out, opts.output_format)
    except OSError as e:
        usage_error(f"{out}: {e.strerror or e}")
    if not ours:
        what = "holds files" if opts.output_format == "sharded" else "exists and was"
        usage_error(f"{out} {what} not written by specc; pass --force to overwrite it")


def _same_checkpoint(prefix: str, table: VariableTable) -> bool:
    """Whether a TF checkpoint holds exactly the table's variables."""
    from specc.formats.arrays import CheckpointError  # noqa: PLC0415
    from specc.formats.tf_checkpoint import read_tf_checkpoint  # noqa: PLC0415

    try:
        found = {(a.name, tuple(a.shape), a.dtype) for a in read_tf_checkpoint(prefix)}
    except (CheckpointError, OSError):
        return False
    want = {(r.name, tuple(r.shape), r.dtype) for r in table.variables}
    return found == want


COMMAND = Command(
    name="init",
    summary="materialize initial values into .npz, .safetensors, a TF checkpoint or a "
    "folder of Hugging Face shards",
    usage="[options] SPEC -o OUT",
    example="specc init examples/seq2seq.yaml -o seq2seq.npz --seed 1\n"
    "specc init examples/mlp.yaml -o mlp.safetensors -D hidden=128\n"
    "specc init examples/mlp.yaml -o mlp.ckpt\n"
    "specc init big.yaml -o weights/ --shard-size 5GB --workers 4\n"
    "specc init new.yaml --warm-start old.ckpt --rename enc/w=encoder/w -o new.ckpt",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
