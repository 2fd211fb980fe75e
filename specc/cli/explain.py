"""`specc explain SPEC NAME`: why a variable, tensor, op or scope got its name
and how it is shared (the report is `specc.reports.explain`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from specc.cli.common import (
    Command,
    ExitCode,
    PipelineOptions,
    add_pipeline_arguments,
    pipeline_options,
    usage_errors_of_pipeline,
)
from specc.counts import counted


@dataclass(frozen=True, slots=True)
class ExplainOptions:
    """`specc explain`, parsed."""

    spec: str
    pipeline: PipelineOptions
    #: a variable, tensor, op or variable-scope name
    name: str


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")
    p.add_argument("name", metavar="NAME", help="a variable, tensor, op or variable-scope name")
    add_pipeline_arguments(p)


def _options(args: argparse.Namespace) -> ExplainOptions:
    return ExplainOptions(args.spec, pipeline_options(args), args.name)


def _run(opts: ExplainOptions, keep: list[object]) -> ExitCode:
    from specc.reports.explain import explain  # noqa: PLC0415

    with usage_errors_of_pipeline(opts.spec):
        result = explain(
            opts.spec,
            opts.name,
            opts.pipeline.params,
            opts.pipeline.limits,
            opts.pipeline.checkpoint_roots,
        )
    keep.append(result)
    if result.diagnostics:
        sys.stderr.write(
            f"note: the spec has {counted(len(result.diagnostics), 'error')}; explaining what was "
            "resolved before and around them (run `specc check` for the errors)\n"
        )
    if result.text is None:
        import difflib  # noqa: PLC0415

        close = difflib.get_close_matches(opts.name, result.names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        sys.stderr.write(f"specc: no variable, op or scope named {opts.name!r}{hint}\n")
        return ExitCode.ERRORS
    sys.stdout.write(result.text)
    return ExitCode.OK


COMMAND = Command(
    name="explain",
    summary="why a variable or op got its name and how it is shared",
    usage="[options] SPEC NAME",
    example="specc explain examples/mlp.yaml mlp/dense_1/kernel",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
