"""`specc diff OLD NEW [--json]`: how two specs' variable tables differ, and
whether a checkpoint written from OLD would restore NEW (the comparison and its
rendering are `specc.reports.diff`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    compile_specs,
    pipeline_options,
    settle,
    shown,
)


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """`specc diff`, parsed."""

    old: str
    new: str
    pipeline: PipelineOptions
    json: bool


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "old", metavar="OLD", help="the spec a checkpoint was written from (- for stdin)"
    )
    p.add_argument("new", metavar="NEW", help="the spec to restore it into (- for stdin)")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_pipeline_arguments(p, define_help="override a param declared by both specs")


def _options(args: argparse.Namespace) -> DiffOptions:
    return DiffOptions(args.old, args.new, pipeline_options(args), args.json)


def _run(opts: DiffOptions, keep: list[object]) -> ExitCode:
    """Exit 1 when either spec has errors (reported as by `check`) or when a
    checkpoint of OLD would not restore NEW."""
    from specc.reports.diff import diff_tables, dumps, render_human, to_json  # noqa: PLC0415

    comps = compile_specs([opts.old, opts.new], opts.pipeline, keep, stdin=True)
    if (code := settle(comps, opts.pipeline, as_json=opts.json)) is not None:
        return code
    old, new = comps[0].table, comps[1].table
    assert old is not None and new is not None
    d = diff_tables(old, new)
    if opts.json:
        sys.stdout.write(dumps(to_json(d)))
    else:
        sys.stdout.write(render_human(d, old, new, shown(opts.old), shown(opts.new)))
    return ExitCode.OK if d.restorable else ExitCode.ERRORS


COMMAND = Command(
    name="diff",
    summary="compare two specs' tables; exit 1 if a checkpoint of OLD would not restore NEW",
    usage="[options] OLD NEW",
    example="specc diff old.yaml new.yaml\nspecc diff old.yaml new.yaml --json -D layers=3",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
