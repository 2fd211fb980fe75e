"""The `specc` command line: `main(argv) -> int`, the parser factory, and the
console script's `run`.

Each command is one module of this package (`check`, `table`, `diff`, `compile`,
`init`, `schema`, `explain`, `explain_code`) exporting a `Command`: its
arguments, its typed options and its action. A command module imports none of
its implementation until it runs, and `main` imports only the module of the
command it runs (`specc check` loads the pipeline and nothing else). Exit codes
are `ExitCode`; every usage error is a `UsageError`, printed here.

No module outside `specc.cli` imports it: the library does not depend on its
command line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from specc import __version__
from specc.cli.common import (
    Command,
    CommandParser,
    ExitCode,
    Parser,
    Stopped,
    UsageError,
    did_you_mean,
    stop_on_signals,
    usage_error,
)
from specc.formats.atomic import OutputError

__all__ = ["COMMAND_NAMES", "ExitCode", "UsageError", "build_parser", "load_command", "main", "run"]

#: every command, in the order `specc --help` lists them; the module
#: `specc.cli.<name, with _ for ->` defines it as `COMMAND`
COMMAND_NAMES: Final = (
    "check",
    "table",
    "diff",
    "compile",
    "init",
    "schema",
    "explain",
    "explain-code",
    "completion",
    "lsp",
)

_EPILOG = """\
Examples:
  specc check examples/mlp.yaml
  specc table examples/mlp.yaml --format tree
  specc compile examples/mlp.yaml -D hidden=128
Run `specc COMMAND --help` for a command's options.
"""


def load_command(name: str) -> Command[Any]:
    """The command `name` (one of `COMMAND_NAMES`); imports its module only."""
    module = importlib.import_module(f"specc.cli.{name.replace('-', '_')}")
    command: Command[Any] = module.COMMAND
    return command


def build_parser(commands: Sequence[str] = COMMAND_NAMES) -> argparse.ArgumentParser:
    """The argument parser (a factory, so tests and docs can inspect it).

    `commands` are the subcommands it knows. `main` passes only the one it runs:
    importing the other seven command modules and building their parsers costs
    6 ms or more (measured with cached bytecode; the pipeline's import takes
    about 160 ms), on every `specc check` an editor runs."""
    parser = Parser(
        prog="specc",
        description="Compile declarative model specs with TensorFlow-1 variable-scope\n"
        "semantics into a variable table and a standalone NumPy module.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser
    )
    for name in commands:
        load_command(name).add_to(sub)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The command `argv` names (None if none), or a usage error with the
    closest command. It is the first word that is not an option, as `specc`
    itself takes no option values."""
    for arg in argv:
        if arg == "--":
            break
        if not arg.startswith("-"):
            if arg not in COMMAND_NAMES:
                usage_error(f"unknown command {arg!r}{did_you_mean(arg, COMMAND_NAMES)}")
            return arg
    return None


def _stopped_line(message: str) -> None:
    """The one-line message of a stop, on a line of its own (the signal may have
    arrived in the middle of a progress line)."""
    sys.stderr.write(("\n" if sys.stderr.isatty() else "") + message + "\n")


def main(argv: Sequence[str] | None = None, *, keep: list[object] | None = None) -> int:
    """Run the command line; returns the exit code. What the command built is
    appended to `keep`, if given, so that the caller decides when it is freed."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    try:
        name = _command_name(args_in)
        args = build_parser([name] if name else COMMAND_NAMES).parse_args(args_in)
        command = load_command(args.command)
        with stop_on_signals():
            return command.run(command.options(args), keep if keep is not None else [])
    except UsageError as e:
        sys.stderr.write(e.render())
        return ExitCode.USAGE
    except OutputError as e:
        sys.stderr.write(f"specc: error: {e}\n")
        return ExitCode.USAGE
    except SystemExit as e:  # --help and --version
        return e.code if isinstance(e.code, int) else ExitCode.USAGE
    except Stopped as e:
        _stopped_line(e.message())
        return e.exit_code
    except KeyboardInterrupt:
        _stopped_line("specc: interrupted; nothing was written")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`specc table ... | head`): nothing left to say
        return ExitCode.OK


def run() -> None:
    """Console-script entry point (see `specc.cli.entry`).

    Exits without tearing down the interpreter, and without freeing what the
    command built (`keep` holds it until `os._exit`): freeing a large spec's
    hundreds of thousands of objects one by one costs about a tenth of compiling
    it. Every file specc writes is closed (and renamed into place) before here."""
    keep: list[object] = []
    code = main(keep=keep)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)
