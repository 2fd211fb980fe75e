"""`python -m specc`."""

from specc.entry import run

run()
