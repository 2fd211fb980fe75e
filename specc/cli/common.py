"""What every command shares: exit codes, usage errors, the parser helpers, and
the one path from `-D`, the limits and `--color` to a compilation.

This module imports only the standard library and `specc.limits`: building the
parser (`specc --help`, `specc explain-code`) must not load the pipeline, and
`specc check` must load nothing but it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    NoReturn,
    TextIO,
    TypeVar,
    cast,
    get_args,
)

from specc.limits import MAXIMA, Limits

if TYPE_CHECKING:
    from specc.lang.expr import Value
    from specc.pipeline import Compilation


class ExitCode(IntEnum):
    """The exit codes of every specc command (docs/cli.md, "Exit codes")."""

    OK = 0
    #: the spec has errors, or the command's check failed (a stale module, a
    #: checkpoint that would not restore, a parameter file that disagrees)
    ERRORS = 1
    #: a command-line mistake: a bad flag, an undeclared `-D` name, a missing file
    USAGE = 2
    #: stopped by a signal, by the shell convention 128 + signal number:
    #: SIGHUP 129, SIGINT (Ctrl-C) 130, SIGTERM 143
    INTERRUPTED = 128 + signal.SIGINT
    HANGUP = 128 + signal.SIGHUP
    TERMINATED = 128 + signal.SIGTERM


#: the signals that stop a command cleanly: what `timeout`, systemd and
#: Kubernetes send (SIGTERM), a closed terminal (SIGHUP) and Ctrl-C (SIGINT)
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """A stop signal arrived: raised in the main thread so that every `with`
    block (an output being written) cleans up on the way out. A BaseException,
    like KeyboardInterrupt, so that no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    def message(self) -> str:
        """What the command says as it stops."""
        if self.signum == signal.SIGINT:
            return "specc: interrupted; nothing was written"
        return f"specc: stopped by {self.name}; nothing was written"


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into `Stopped` while the block runs (in
    the main thread; elsewhere, and for a signal ignored on entry, nothing
    changes), then restore the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    previous: dict[signal.Signals, Any] = {}
    for signum in STOP_SIGNALS:
        current = signal.getsignal(signum)
        if current is not signal.SIG_IGN:  # `nohup` asked to ignore SIGHUP
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class UsageError(Exception):
    """A command-line mistake: printed as `PROG: error: MESSAGE`, exit 2.

    `usage` is the usage line of the parser that refused the arguments, printed
    first when given (argparse's own errors carry it; errors found after parsing
    do not repeat it)."""

    def __init__(self, message: str, *, prog: str = "specc", usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.prog = prog
        self.usage = usage

    def render(self) -> str:
        """The text written to stderr: one line after the usage, whatever the
        message quotes (a path with a newline or a terminal escape in it)."""
        from specc.diagnostics.escape import escape_text  # noqa: PLC0415 - on errors only

        return f"{self.usage or ''}{self.prog}: error: {escape_text(self.message)}\n"


def usage_error(message: str) -> NoReturn:
    """Refuse the command line: the one way a command reports a usage error."""
    raise UsageError(message)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`"; did you mean 'x'?"` for the closest of `choices`, or `""`."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors go through `UsageError` rather than
    `sys.exit`, so that `main` returns every exit code itself."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog, usage=self.format_usage())


class CommandParser(Parser):
    """A command's parser: it refuses what it does not know itself, with its
    own usage line and the closest of its options (the top-level parser would
    answer with `specc`'s usage)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        try:
            parsed, extras = super().parse_known_args(args, namespace)
        except UsageError as e:
            # argparse checks required arguments before it reports unknown
            # ones: `--ouput x` is first "-o is required"; name the typo
            typos = [a for a in args or () if self._unknown_option(a)]
            if not typos or "required" not in e.message:
                raise
            parsed, extras = argparse.Namespace(), typos
        if extras:
            # an empty or spaced argument is shown quoted, so that it shows
            shown = " ".join(a if a.strip() and " " not in a else repr(a) for a in extras)
            flag = extras[0].split("=", 1)[0]
            hint = did_you_mean(flag, self._option_string_actions) if flag.startswith("-") else ""
            self.error(f"unrecognized arguments: {shown}{hint}")
        return parsed, extras

    def _unknown_option(self, arg: str) -> bool:
        """Whether `arg` is an option this parser does not know (abbreviations
        of known options are known)."""
        if not arg.startswith("-") or arg in {"-", "--"}:
            return False
        if arg[1:2] != "-":
            return arg[:2] not in self._option_string_actions
        flag = arg.split("=", 1)[0]
        return not any(known.startswith(flag) for known in self._option_string_actions)


OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class Command(Generic[OptionsT]):
    """One `specc` command: its arguments, its typed options, and its action.

    Its module is imported to build the parser (`specc --help` imports them
    all), so it imports its implementation's dependencies inside `run`."""

    name: str
    summary: str
    #: the usage line after `specc NAME`, e.g. `[options] SPEC`
    usage: str
    #: command lines shown under "Example:" in `--help` (with their output, if any)
    example: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    options: Callable[[argparse.Namespace], OptionsT]
    #: runs the command; what it builds goes into the list (see `specc.cli.main`)
    run: Callable[[OptionsT, list[object]], ExitCode]

    def add_to(self, commands: argparse._SubParsersAction[CommandParser]) -> CommandParser:
        """Add this command's subparser: usage line, help example, arguments."""
        p = commands.add_parser(
            self.name,
            help=self.summary,
            description=self.summary[0].upper() + self.summary[1:] + ".",
            usage=f"%(prog)s {self.usage}",
            epilog="Example:\n" + "".join(f"  {line}\n" for line in self.example.splitlines()),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.add_arguments(p)
        return p


# ------------------------------------------------------------------ compiling

Color = Literal["auto", "always", "never"]

#: what each limit bounds, for `--help` (DESIGN section 9)
_LIMIT_HELP: Final[Mapping[str, str]] = MappingProxyType(
    {
        "max_file_bytes": "size of each file read",
        "max_nodes": "YAML nodes after alias and merge expansion",
        "max_depth": "statement nesting depth (scopes, templates, repeats)",
        "max_statements": "statements executed (after repeat and use)",
        "max_variables": "variables created",
        "max_param_bytes": "total parameter bytes",
    }
)


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """The options of every command that compiles a spec: what `-D`, the limits
    and `--color` asked for."""

    params: Mapping[str, Value]
    limits: Limits
    color: Color
    #: folders besides the spec's own that `checkpoint` initializers may read
    checkpoint_roots: tuple[str, ...] = ()
    #: warnings fail the command (`--strict`, `-W error`)
    strict: bool = False


def _define(text: str) -> tuple[str, Value]:
    """An argparse `type` for `-D NAME=VALUE`: VALUE is read as a YAML scalar."""
    from specc.source import yaml_scalar  # noqa: PLC0415 - YAML machinery only when -D is used

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    value = yaml_scalar(raw)
    if not isinstance(value, bool | int | float | str):
        raise argparse.ArgumentTypeError(
            f"{name.strip()}: {raw!r} is not a number, boolean or string"
        )
    return name.strip(), value


def _limit_value(top: int | None) -> Callable[[str], int]:
    """An argparse `type` for a limit: a positive integer, at most `top`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
        if top is not None and value > top:
            raise argparse.ArgumentTypeError(f"at most {top} is supported, got {value}")
        return value

    return parse


#: the argparse `type` of each limit flag (one function per limit, shared by
#: every command)
_LIMIT_TYPES: Final[Mapping[str, Callable[[str], int]]] = MappingProxyType(
    {name: _limit_value(MAXIMA.get(name)) for name in Limits.field_names()}
)


def add_pipeline_arguments(
    p: argparse.ArgumentParser,
    define_help: str = "override a declared param; VALUE is read as a YAML scalar",
) -> None:
    """Add `-D`, `--color` and the "limits" group: the same in every command
    that compiles a spec (read back with `pipeline_options`)."""
    p.add_argument(
        "-D",
        dest="defines",
        action="append",
        type=_define,
        default=[],
        metavar="NAME=VALUE",
        help=define_help,
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="warnings fail the command (exit 1), as errors do",
    )
    p.add_argument(
        "-W",
        dest="warnings",
        choices=("error",),
        help="-W error: the same as --strict",
    )
    p.add_argument(
        "--checkpoint-root",
        dest="checkpoint_roots",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a folder `checkpoint` initializers may read besides the spec's own "
        "(repeatable; for warm starts from a shared weight store)",
    )
    p.add_argument(
        "--color",
        choices=get_args(Color),
        default="auto",
        metavar="WHEN",
        help="colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never",
    )
    group = p.add_argument_group(
        "limits", "Exceeding a limit is a `limit` error that names its flag."
    )
    defaults = Limits()
    for name in Limits.field_names():
        default = getattr(defaults, name)
        top = MAXIMA.get(name)
        most = f", at most {top:,}" if top is not None else ""
        group.add_argument(
            Limits.flag(name),
            dest=name,
            type=_LIMIT_TYPES[name],
            default=default,
            metavar="N",
            help=f"{_LIMIT_HELP.get(name, 'limit')} (default {default:,}{most})",
        )


def pipeline_options(args: argparse.Namespace) -> PipelineOptions:
    """The typed value of the arguments `add_pipeline_arguments` added (a later
    `-D` of the same name wins)."""
    defines: list[tuple[str, Value]] = args.defines
    limits = Limits(**{name: getattr(args, name) for name in Limits.field_names()})
    return PipelineOptions(
        MappingProxyType(dict(defines)),
        limits,
        cast(Color, args.color),
        tuple(args.checkpoint_roots),
        bool(args.strict or args.warnings == "error"),
    )


def use_color(color: Color, stream: TextIO) -> bool:
    """Whether to colour what is written to `stream`."""
    if color != "auto":
        return color == "always"
    return not os.environ.get("NO_COLOR") and stream.isatty()


#: the SPEC argument that means "read the spec from standard input"
STDIN: Final = "-"
#: how a spec read from standard input is named in diagnostics
STDIN_NAME: Final = "<stdin>"


def shown(path: str) -> str:
    """How a SPEC argument is named in what a command prints."""
    return STDIN_NAME if path == STDIN else path


def compile_specs(
    paths: Sequence[str], opts: PipelineOptions, keep: list[object], *, stdin: bool = False
) -> list[Compilation]:
    """Compile each spec with the command line's params and limits, through the
    one pipeline. A missing file or an undeclared `-D` name is a usage error (it
    names the spec when there are several, as only one may lack the param).
    With `stdin`, a path `-` is the spec read from standard input (its includes
    resolve from the current folder), as editors' linters hand a buffer over."""
    from specc.pipeline import compile_file, compile_text  # noqa: PLC0415 - not for the parser

    if stdin and paths.count(STDIN) > 1:
        usage_error("only one spec can come from standard input")
    comps = []
    for path in paths:
        with usage_errors_of_pipeline(path, name_spec=len(paths) > 1, stdin=stdin):
            if path == STDIN:
                data = sys.stdin.buffer.read(opts.limits.max_file_bytes + 1)
                comp = compile_text(
                    data,
                    STDIN_NAME,
                    opts.params,
                    opts.limits,
                    checkpoint_roots=opts.checkpoint_roots,
                )
            else:
                comp = compile_file(
                    path, opts.params, opts.limits, checkpoint_roots=opts.checkpoint_roots
                )
        keep.append(comp)
        comps.append(comp)
    return comps


@contextmanager
def usage_errors_of_pipeline(
    path: str, *, name_spec: bool = False, stdin: bool = False
) -> Iterator[None]:
    """Run a compilation of `path` (by `compile_file`, or a report built on it)
    with the command line's mistakes turned into usage errors: the spec file is
    missing, or a `-D` names no declared param or gives one a value of another
    type. `stdin`: the caller reads `-` from standard input."""
    from specc.pipeline import ParamError  # noqa: PLC0415 - see compile_specs

    if path == STDIN and not stdin:
        usage_error("this command reads its spec from a file (`-` is for check, table and diff)")
    if path != STDIN and not os.path.isfile(path):
        if os.path.isdir(path):
            usage_error(f"{path} is a folder: give the spec file (a .yaml file in it)")
        if os.path.exists(path):
            usage_error(f"{path} is not a regular file: give the spec file")
        if os.path.islink(path):
            usage_error(f"{path} is a symbolic link to nothing (or a loop of links)")
        usage_error(f"no such spec file: {path}")
    if path != STDIN and not os.access(path, os.R_OK):
        usage_error(f"cannot read {path}: permission denied")
    try:
        yield
    except ParamError as e:
        usage_error(f"{shown(path)}: {e}" if name_spec else str(e))


def settle(
    comps: Sequence[Compilation], opts: PipelineOptions, *, as_json: bool
) -> ExitCode | None:
    """Report what the compilations found and say whether the command stops:
    errors (with the warnings beside them) are reported as `check` reports them
    (JSON on stdout, or rendered on stderr) and stop it with exit 1; warnings
    alone are rendered on stderr (JSON output stays clean) and stop it only
    with `--strict`. None: the command goes on."""
    from specc.diagnostics import errors_json, render_all  # noqa: PLC0415

    failed = [c for c in comps if not c.ok]
    if failed:
        if as_json:
            sources = {f: text for c in failed for f, text in c.sources.items()}
            print(errors_json([d for c in failed for d in c.diagnostics], sources))
        else:
            color = use_color(opts.color, sys.stderr)
            for c in failed:
                sys.stderr.write(render_all(c.diagnostics, c.sources, color=color))
        return ExitCode.ERRORS
    warned = [c for c in comps if c.diagnostics]
    color = use_color(opts.color, sys.stderr)
    for c in warned:
        sys.stderr.write(render_all(c.diagnostics, c.sources, color=color))
    return ExitCode.ERRORS if warned and opts.strict else None
