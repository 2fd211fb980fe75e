"""Counts as words: `counted(1, "variable")` is `1 variable`, `counted(1024,
"parameter")` is `1,024 parameters`. The one place a report puts a number
before a noun, so that no message says "1 variables"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun`, the noun in the plural unless `n` is 1 (`plural` for
    nouns that do not take an s); thousands separated by commas."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
