"""`python -m specc`."""

from specc.cli import run

run()
