"""`specc schema [-o FILE]`: the JSON Schema of the spec language, generated
from its pydantic models (`specc.lang.schema`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from specc.cli.common import Command, ExitCode


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    """`specc schema`, parsed."""

    #: the file to write; None: stdout
    output: str | None


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE", help="write it to this file")


def _options(args: argparse.Namespace) -> SchemaOptions:
    return SchemaOptions(args.output)


def _run(opts: SchemaOptions, keep: list[object]) -> ExitCode:
    from specc.lang.schema import schema_text  # noqa: PLC0415 - pydantic schema generation

    text = schema_text()
    if opts.output is None:
        sys.stdout.write(text)
    else:
        from specc.formats.atomic import write_atomic  # noqa: PLC0415

        write_atomic(opts.output, text)
    return ExitCode.OK


COMMAND = Command(
    name="schema",
    summary="print the JSON Schema of the spec language",
    usage="[-o FILE]",
    example="specc schema -o schemas/specc.schema.json",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
