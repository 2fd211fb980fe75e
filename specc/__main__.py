"""`python -m specc`."""

from specc.cli.entry import run

run()
