"""The `specc` command line: argument parsing, exit codes and output files.

Exit codes: 0 success, 1 errors in the spec (or a stale output with --check),
2 usage errors (bad flags, unknown -D name, missing file). `main(argv)` returns
the code, so tests call it directly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from specc import __version__
from specc.diagnostics import CODES, errors_json, render_all
from specc.lang.expr import Value
from specc.limits import Limits
from specc.pipeline import Compilation, UnknownParamError, compile_file

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command-line mistake: printed as `specc: error: ...`, exit 2."""


@dataclass(frozen=True, slots=True)
class Options:
    """The parsed command line, typed once for the rest of the module."""

    command: str
    args: argparse.Namespace
    params: dict[str, Value]
    limits: Limits
    #: what the command built (its compilations), held until the caller lets go:
    #: the executable exits without freeing it (see `run`)
    keep: list[object] = field(default_factory=list)


def _parse_define(text: str) -> tuple[str, Value]:
    from specc.source import yaml_scalar  # noqa: PLC0415 - only when -D is used

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"-D expects NAME=VALUE, got {text!r}")
    value = yaml_scalar(raw)
    if value is None or not isinstance(value, bool | int | float | str):
        raise UsageError(f"-D {name}: {raw!r} is not a number, boolean or string")
    return name.strip(), value


def _add_spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="the spec file (YAML)")
    add_compile_options(p)


def add_compile_options(
    p: argparse.ArgumentParser,
    define_help: str = "override a declared param; VALUE is read as a YAML scalar",
) -> None:
    """The options of every command that compiles a spec: -D, the limits, --color."""
    p.add_argument(
        "-D",
        dest="defines",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=define_help,
    )
    for name in Limits.field_names():
        default = getattr(Limits(), name)
        p.add_argument(
            Limits.flag(name),
            dest=name,
            type=int,
            default=default,
            metavar="N",
            help=f"limit (default {default})",
        )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diagnostics on a terminal",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (a factory, so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="specc",
        description="Compile declarative model specs with TensorFlow-1 variable-scope "
        "semantics into a variable table and a standalone NumPy module.",
    )
    parser.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="validate and resolve a spec; report every error")
    _add_spec_args(p)
    p.add_argument("--json", action="store_true", help="print errors (or counts) as JSON")
    p.add_argument(
        "--against",
        metavar="PARAMS",
        help="also compare with a .npz or .safetensors file: missing, extra or "
        "mismatched arrays exit 1",
    )

    p = sub.add_parser("table", help="print the resolved variable table")
    _add_spec_args(p)
    p.add_argument("--json", action="store_true", help="the JSON table (DESIGN section 4)")
    p.add_argument("--format", choices=("text", "markdown", "csv", "json", "tree"), default="text")

    # the arguments of every command live here, so that parsing imports no
    # command's implementation (`specc check` stays light)
    p = sub.add_parser(
        "diff",
        help="compare two specs' tables; exit 1 if a checkpoint of OLD would not restore NEW",
    )
    p.add_argument("old", metavar="OLD", help="the spec a checkpoint was written from")
    p.add_argument("new", metavar="NEW", help="the spec to restore it into")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_compile_options(p, define_help="override a param declared by both specs")

    p = sub.add_parser("compile", help="generate the standalone NumPy module of a spec")
    _add_spec_args(p)
    p.add_argument("-o", "--output", help="the module to write (default: SPEC with .py)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if OUT is stale and say what changed",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite OUT even if it is not a specc-generated file",
    )

    p = sub.add_parser("init", help="materialize initial values into .npz or .safetensors")
    _add_spec_args(p)
    p.add_argument("-o", "--output", required=True, help="params.npz or params.safetensors")
    p.add_argument(
        "--seed", type=int, default=None, help="the seed (default: the spec's seed, else 0)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads filling blocks (default: CPU count; values do not depend on it)",
    )

    p = sub.add_parser("schema", help="print the JSON Schema of the spec language")
    p.add_argument("-o", "--output", help="write it to this file")

    p = sub.add_parser("explain", help="why a variable or op got its name and how it is shared")
    _add_spec_args(p)
    p.add_argument("name", help="a variable, tensor, op or variable-scope name")

    p = sub.add_parser("explain-code", help="describe a diagnostic code, with an example")
    p.add_argument("code", nargs="?", help="the code (omit to list them all)")
    return parser


def _options(argv: Sequence[str] | None, keep: list[object]) -> Options:
    parser = build_parser()
    args = parser.parse_args(argv)
    params: dict[str, Value] = {}
    for d in getattr(args, "defines", []) or []:
        name, value = _parse_define(d)
        params[name] = value
    values = {n: getattr(args, n) for n in Limits.field_names() if hasattr(args, n)}
    for name, value in values.items():
        if value < 1:
            raise UsageError(f"{Limits.flag(name)} must be a positive integer, got {value}")
    limits = Limits(**values)
    return Options(args.command, args, params, limits, keep)


def _use_color(opts: Options, stream: TextIO) -> bool:
    mode = getattr(opts.args, "color", "never")
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _compile(opts: Options) -> Compilation:
    path = opts.args.spec
    if not os.path.isfile(path):
        raise UsageError(f"no such spec file: {path}")
    try:
        comp = compile_file(path, opts.params, opts.limits)
    except UnknownParamError as e:
        raise UsageError(str(e)) from None
    opts.keep.append(comp)
    return comp


def _report(opts: Options, comp: Compilation, *, as_json: bool) -> int:
    if as_json:
        print(errors_json(comp.diagnostics))
    else:
        sys.stderr.write(
            render_all(comp.diagnostics, comp.sources, color=_use_color(opts, sys.stderr))
        )
    return EXIT_ERRORS


def cmd_check(opts: Options) -> int:
    comp = _compile(opts)
    if not comp.ok:
        return _report(opts, comp, as_json=opts.args.json)
    if opts.args.against:
        from specc.reports.against import cmd_against  # noqa: PLC0415

        assert comp.table is not None
        return cmd_against(opts, comp.table, comp)
    count, params, size = comp.summary()
    if opts.args.json:
        print(json.dumps({"errors": [], "variables": count, "parameters": params, "bytes": size}))
    else:
        print(f"{opts.args.spec}: ok: {count} variables, {params:,} parameters, {size:,} bytes")
    return EXIT_OK


def cmd_table(opts: Options) -> int:
    fmt = "json" if opts.args.json else opts.args.format
    comp = _compile(opts)
    if not comp.ok:
        return _report(opts, comp, as_json=fmt == "json")
    assert comp.table is not None
    if fmt == "tree":
        from specc.reports.tree import render_tree  # noqa: PLC0415

        sys.stdout.write(render_tree(comp.table, color=_use_color(opts, sys.stdout)))
        return EXIT_OK
    from specc.reports import table as render  # noqa: PLC0415 - only the table command needs it

    sys.stdout.write(render.render_table(comp.table, fmt))
    return EXIT_OK


def cmd_schema(opts: Options) -> int:
    from specc.lang.schema import schema_text  # noqa: PLC0415 - pydantic schema generation

    text = schema_text()
    if opts.args.output:
        from specc.formats.atomic import write_atomic  # noqa: PLC0415

        write_atomic(opts.args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_explain(opts: Options) -> int:
    import difflib  # noqa: PLC0415

    from specc.reports.explain import explain  # noqa: PLC0415

    path = opts.args.spec
    if not os.path.isfile(path):
        raise UsageError(f"no such spec file: {path}")
    result = explain(path, opts.args.name, opts.params, opts.limits)
    if result.diagnostics:
        sys.stderr.write(
            f"note: the spec has {len(result.diagnostics)} error(s); explaining what was "
            "resolved before and around them (run `specc check` for the errors)\n"
        )
    if result.text is None:
        close = difflib.get_close_matches(opts.args.name, result.names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        sys.stderr.write(f"specc: no variable, op or scope named {opts.args.name!r}{hint}\n")
        return EXIT_ERRORS
    sys.stdout.write(result.text)
    return EXIT_OK


def cmd_explain_code(opts: Options) -> int:
    from specc.diagnostics.explain import explain_code_text  # noqa: PLC0415 - reads data files

    if opts.args.code is not None and opts.args.code not in CODES:
        raise UsageError(f"unknown code {opts.args.code!r}; known: {', '.join(CODES)}")
    sys.stdout.write(explain_code_text(opts.args.code))
    return EXIT_OK


def cmd_diff(opts: Options) -> int:
    from specc.reports.diff import cmd_diff as run_diff  # noqa: PLC0415

    return run_diff(opts)


def cmd_compile(opts: Options) -> int:
    from specc.cli.build import run_compile  # noqa: PLC0415

    return run_compile(opts)


def cmd_init(opts: Options) -> int:
    from specc.cli.build import run_init  # noqa: PLC0415

    return run_init(opts)


COMMANDS: dict[str, Callable[[Options], int]] = {
    "compile": cmd_compile,
    "init": cmd_init,
    "check": cmd_check,
    "table": cmd_table,
    "schema": cmd_schema,
    "explain": cmd_explain,
    "diff": cmd_diff,
    "explain-code": cmd_explain_code,
}


def main(argv: Sequence[str] | None = None, *, keep: list[object] | None = None) -> int:
    """Run the command line; returns the exit code. What the command built is
    appended to `keep`, if given, so that the caller decides when it is freed."""
    try:
        opts = _options(argv, keep if keep is not None else [])
        return COMMANDS[opts.command](opts)
    except UsageError as e:
        sys.stderr.write(f"specc: error: {e}\n")
        return EXIT_USAGE
    except SystemExit as e:  # argparse's own usage errors and --help
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("specc: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


def run() -> None:
    """Console-script entry point.

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
