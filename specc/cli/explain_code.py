"""`specc explain-code [CODE]`: list the diagnostic codes, or describe one with
a spec that fails with it and its fix (the registry is `specc.diagnostics`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from specc.cli.common import Command, ExitCode, did_you_mean, usage_error


@dataclass(frozen=True, slots=True)
class ExplainCodeOptions:
    """`specc explain-code`, parsed."""

    #: None: list every code
    code: str | None


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", metavar="CODE", nargs="?", help="the code (omit to list them all)")


def _options(args: argparse.Namespace) -> ExplainCodeOptions:
    return ExplainCodeOptions(args.code)


def _run(opts: ExplainCodeOptions, keep: list[object]) -> ExitCode:
    from specc.diagnostics import CODES  # noqa: PLC0415
    from specc.diagnostics.explain import explain_code_text  # noqa: PLC0415

    if opts.code is not None and opts.code not in CODES:
        hint = did_you_mean(opts.code, CODES) or "; run `specc explain-code` to list them all"
        usage_error(f"unknown code {opts.code!r}{hint}")
    print(explain_code_text(opts.code), end="")
    return ExitCode.OK


COMMAND = Command(
    name="explain-code",
    summary="describe a diagnostic code, with an example",
    usage="[CODE]",
    example="specc explain-code variable-exists\nspecc explain-code    # list every code",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
