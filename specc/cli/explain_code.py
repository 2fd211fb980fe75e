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


def _listing() -> str:
    from specc.diagnostics import CODES  # noqa: PLC0415

    return "".join(f"{c.code:22} {c.description}\n" for c in CODES.values())


def _describe(code: str) -> str | None:
    """The description of `code` with its example, or None for no such code."""
    from specc.diagnostics import CODES  # noqa: PLC0415
    from specc.diagnostics.examples import EXAMPLES  # noqa: PLC0415

    info = CODES.get(code)
    if info is None:
        return None

    def indent(text: str) -> str:
        return "\n".join("    " + line for line in text.rstrip().splitlines())

    out = [f"{info.code}: {info.description}"]
    example = EXAMPLES.get(code)
    if example:
        out += ["", "A spec that fails with it:", "", indent(example.failing)]
        for name, text in example.files:
            out += ["", f"with {name} beside it:", "", indent(text)]
        out += ["", "The fix:", "", indent(example.fixed)]
        out += ["", "Why: " + example.explanation.strip()]
    return "\n".join(out) + "\n"


def _run(opts: ExplainCodeOptions, keep: list[object]) -> ExitCode:
    if opts.code is None:
        print(_listing(), end="")
        return ExitCode.OK
    text = _describe(opts.code)
    if text is None:
        from specc.diagnostics import CODES  # noqa: PLC0415

        hint = did_you_mean(opts.code, CODES) or "; run `specc explain-code` to list them all"
        usage_error(f"unknown code {opts.code!r}{hint}")
    print(text, end="")
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
