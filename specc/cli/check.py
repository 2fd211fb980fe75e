"""`specc check SPEC [--json] [--against PARAMS]`: validate and resolve a spec,
report every error; with `--against`, also compare a parameter file with the
table (the comparison itself is `specc.reports.against`).

`check` runs on every save in an editor, so it loads the pipeline and nothing
else: no NumPy, no jinja2, no other command's code.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    compile_specs,
    pipeline_options,
    settle,
    shown,
    usage_error,
)
from specc.counts import counted

if TYPE_CHECKING:
    from specc.formats.arrays import ArrayInfo
    from specc.table import VariableTable


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """`specc check`, parsed."""

    spec: str
    pipeline: PipelineOptions
    json: bool
    #: a .npz or .safetensors file or TF checkpoint to compare with the table
    against: str | None


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML); - reads it from stdin")
    p.add_argument("--json", action="store_true", help="print errors (or counts) as JSON")
    p.add_argument(
        "--against",
        metavar="PARAMS",
        help="also compare with a .npz or .safetensors file or a TF checkpoint "
        "(model.ckpt): missing, extra or mismatched arrays exit 1",
    )
    add_pipeline_arguments(p)


def _options(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(args.spec, pipeline_options(args), args.json, args.against)


def _run(opts: CheckOptions, keep: list[object]) -> ExitCode:
    (comp,) = compile_specs([opts.spec], opts.pipeline, keep, stdin=True)
    if not comp.ok or not opts.json:
        # errors, or warnings rendered on stderr (JSON carries them below)
        code = settle([comp], opts.pipeline, as_json=opts.json)
        if code is not None:
            return code
    warnings: list[dict[str, object]] = []
    if opts.json:
        from specc.diagnostics import to_json, with_ends  # noqa: PLC0415

        warnings = [to_json(d) for d in with_ends(comp.diagnostics, comp.sources)]
    # --strict: a warning fails the check (rendered warnings were settled above)
    failed = bool(warnings) and opts.pipeline.strict
    if opts.against is not None:
        assert comp.table is not None
        matches = _against(opts, opts.against, comp.table, warnings)
        return ExitCode.ERRORS if failed or not matches else ExitCode.OK
    count, params, size = comp.summary()
    if not opts.json:
        print(
            f"{shown(opts.spec)}: ok: {counted(count, 'variable')}, "
            f"{counted(params, 'parameter')}, {counted(size, 'byte')}"
        )
        return ExitCode.OK
    counts = {"variables": count, "parameters": params, "bytes": size}
    print(json.dumps({"errors": [], "warnings": warnings, **counts}))
    return ExitCode.ERRORS if failed else ExitCode.OK


def read_params(path: str) -> list[ArrayInfo]:
    """The keys, shapes and dtypes of a parameter file, from its headers only.
    An unreadable file is a usage error: nothing can be compared.

    The one place the command reads a parameter file (repoint the import here
    when the reader moves)."""
    from specc.formats.arrays import CheckpointError  # noqa: PLC0415
    from specc.formats.params import read_arrays  # noqa: PLC0415

    try:
        return read_arrays(path)
    except FileNotFoundError:
        usage_error(f"no such parameter file: {path}")
    except CheckpointError as e:
        usage_error(str(e))
    except OSError as e:
        usage_error(f"{path}: {e.strerror or e}")


def _against(
    opts: CheckOptions, path: str, table: VariableTable, warnings: list[dict[str, object]]
) -> bool:
    """The `--against` half, after a successful compile: report, and whether
    the file matches the table exactly (`warnings` go into the JSON)."""
    from specc.reports.against import compare, render_lines, summary, to_json  # noqa: PLC0415

    result = compare(table, read_params(path), path)
    if opts.json:
        counts = {
            "variables": len(table.variables),
            "parameters": table.parameters,
            "bytes": table.bytes,
        }
        report = {"errors": [], "warnings": warnings, **counts, "against": to_json(result)}
        print(json.dumps(report))
    else:
        for line in render_lines(result, shown(opts.spec)):
            print(line)
        print(summary(result, table, shown(opts.spec)))
    return result.ok


COMMAND = Command(
    name="check",
    summary="validate and resolve a spec; report every error",
    usage="[options] SPEC",
    example="specc check examples/mlp.yaml -D hidden=128\n"
    "specc check examples/mlp.yaml --against params.npz",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
