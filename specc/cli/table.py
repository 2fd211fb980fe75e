"""`specc table SPEC [--json | --format text|markdown|csv|json|tree]`: print the
resolved variable table (the renderers are `specc.reports.table` and
`specc.reports.tree`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Literal, cast, get_args

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    compile_specs,
    pipeline_options,
    settle,
    usage_error,
    use_color,
)

Format = Literal["text", "markdown", "csv", "json", "tree"]


@dataclass(frozen=True, slots=True)
class TableOptions:
    """`specc table`, parsed (`--json` is `--format json`)."""

    spec: str
    pipeline: PipelineOptions
    format: Format


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML); - reads it from stdin")
    p.add_argument("--json", action="store_true", help="the JSON table (same as --format json)")
    p.add_argument(
        "--format",
        choices=get_args(Format),
        default=None,
        help="text (the default), markdown, csv, json, or the scope tree",
    )
    add_pipeline_arguments(p)


def _options(args: argparse.Namespace) -> TableOptions:
    fmt: str = args.format or "text"
    if args.json:
        # `--json --format json` says the same thing twice; any other pair asks
        # for two outputs at once
        if args.format not in (None, "json"):
            usage_error(f"--json contradicts --format {args.format}; pass one of them")
        fmt = "json"
    return TableOptions(args.spec, pipeline_options(args), cast(Format, fmt))


def _run(opts: TableOptions, keep: list[object]) -> ExitCode:
    (comp,) = compile_specs([opts.spec], opts.pipeline, keep, stdin=True)
    if (code := settle([comp], opts.pipeline, as_json=opts.format == "json")) is not None:
        return code
    assert comp.table is not None
    if opts.format == "tree":
        from specc.reports.tree import render_tree  # noqa: PLC0415

        color = use_color(opts.pipeline.color, sys.stdout)
        sys.stdout.write(render_tree(comp.table, color=color))
    else:
        from specc.reports.table import render_table  # noqa: PLC0415

        sys.stdout.write(render_table(comp.table, opts.format))
    return ExitCode.OK


COMMAND = Command(
    name="table",
    summary="print the resolved variable table",
    usage="[options] SPEC",
    example="specc table examples/mlp.yaml --format markdown\n"
    "specc table examples/seq2seq.yaml --format tree",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
