"""`specc schema [-o FILE]`: the JSON Schema of the spec language, generated
from its pydantic models (`specc.lang.schema`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from specc.cli.common import Command, ExitCode, usage_error


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    """`specc schema`, parsed."""

    #: the file to write; None: stdout
    output: str | None
    #: print where the installed package holds it instead
    path: bool = False


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE", help="write it to this file")
    p.add_argument(
        "--path",
        action="store_true",
        help="print where the installed package holds it (for an editor's $schema)",
    )


def _options(args: argparse.Namespace) -> SchemaOptions:
    if args.path and args.output:
        usage_error("--path contradicts -o; pass one of them")
    return SchemaOptions(args.output, args.path)


def _run(opts: SchemaOptions, keep: list[object]) -> ExitCode:
    if opts.path:
        from specc.lang.schema import installed_path  # noqa: PLC0415

        print(installed_path())
        return ExitCode.OK
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
    usage="[-o FILE | --path]",
    example="specc schema -o specc/schemas/specc.schema.json",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
