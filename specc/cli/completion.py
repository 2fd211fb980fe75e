"""`specc completion SHELL`: a shell completion script for bash, zsh or fish.

The script is generated from the command line's own parser by shtab, once: it
completes commands, flags and file arguments without starting Python on every
Tab (argcomplete would, and `specc` starts in about 0.3 s).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from specc.cli.common import Command, ExitCode

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True, slots=True)
class CompletionOptions:
    """`specc completion`, parsed."""

    shell: str


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash, zsh or fish")


def _options(args: argparse.Namespace) -> CompletionOptions:
    return CompletionOptions(args.shell)


def _complete_codes(parser: argparse.ArgumentParser) -> None:
    """Give `explain-code`'s CODE the registered codes as choices, in this
    parser only (for shtab to complete them): the command's own parser keeps
    no choices, so that a mistyped code gets specc's "did you mean"."""
    from specc.diagnostics.codes import CODES  # noqa: PLC0415

    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            for arg in action.choices["explain-code"]._actions:
                if arg.dest == "code":
                    arg.choices = sorted(CODES)


def _run(opts: CompletionOptions, keep: list[object]) -> ExitCode:
    import shtab  # noqa: PLC0415 - only this command needs it

    from specc.cli import COMMAND_NAMES, build_parser  # noqa: PLC0415 - the whole parser

    parser = build_parser(COMMAND_NAMES)
    _complete_codes(parser)
    print(shtab.complete(parser, shell=opts.shell), end="")
    return ExitCode.OK


COMMAND = Command(
    name="completion",
    summary="print a shell completion script (bash, zsh or fish)",
    usage="SHELL",
    example="specc completion bash > ~/.local/share/bash-completion/completions/specc\n"
    # a folder of the user's: "${fpath[1]}" typed in bash would be "/_specc"
    "specc completion zsh > ~/.zfunc/_specc   # in ~/.zshrc, before compinit: "
    "fpath=(~/.zfunc $fpath)\n"
    "specc completion fish > ~/.config/fish/completions/specc.fish",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
