"""The `specc` executable's entry point.

A `specc` process is short-lived and allocates hundreds of thousands of small,
acyclic objects (the models' classes while importing, then the spec's nodes), so
the cyclic garbage collector is switched off before anything heavy is imported:
its passes over those objects would cost a tenth of the run and free nothing.
Library callers (`specc.compile_file`) keep their collector; compilation pauses
it only while it runs.
"""

from __future__ import annotations

import gc


def run() -> None:
    """Run the command line in this process and exit with its code."""
    gc.disable()
    from specc.cli import run as run_cli  # noqa: PLC0415 - after the collector is off

    run_cli()
