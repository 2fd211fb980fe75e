"""`specc lsp`: the language server, over stdin and stdout (`specc.lsp`).

It needs the `lsp` extra (`pip install -e '.[lsp]'` in specc's clone, which brings pygls); the
import happens only when the command runs, so no other command loads pygls.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from dataclasses import dataclass

from specc.cli.common import Command, ExitCode, usage_error


@dataclass(frozen=True, slots=True)
class LspOptions:
    """`specc lsp`, parsed."""

    #: a file to write the server's log to (None: no log)
    log_file: str | None


def _add_arguments(p: argparse.ArgumentParser) -> None:
    # editors' LSP clients commonly pass --stdio; it is the only transport
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    p.add_argument("--log-file", metavar="FILE", help="write a log of the session to FILE")


def _options(args: argparse.Namespace) -> LspOptions:
    return LspOptions(args.log_file)


def _run(opts: LspOptions, keep: list[object]) -> ExitCode:
    try:
        from specc.lsp.server import serve  # noqa: PLC0415 - pygls only when serving
    except ImportError as e:
        usage_error(
            f"the language server needs pygls 2 and its lsprotocol ({e}): "
            "pip install -e '.[lsp]' in specc's clone, or pip install 'pygls>=2,<3'"
        )
    if opts.log_file is not None:
        # the server's own lines (each check and its time); pygls's only when
        # something goes wrong (at INFO it logs every message it sends)
        logging.basicConfig(filename=opts.log_file, level=logging.WARNING)
        logging.getLogger("specc.lsp").setLevel(logging.INFO)
    # `specc` switches the collector off for short runs; a server runs for hours,
    # and freezing what importing made keeps full collections short
    gc.enable()
    gc.freeze()
    try:
        serve()
    finally:
        if sys.stdout.closed:
            # the server closed stdout as the protocol's `exit` asks; the CLI
            # flushes it on the way out
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    return ExitCode.OK


COMMAND = Command(
    name="lsp",
    summary="run the language server (diagnostics, hover, completion) over stdio",
    usage="[--stdio] [--log-file FILE]",
    example="specc lsp --stdio    # started by an editor; see docs/editors.md",
    add_arguments=_add_arguments,
    options=_options,
    run=_run,
)
