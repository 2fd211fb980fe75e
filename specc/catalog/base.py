"""The shape of a catalog entry, shared by every catalog.

A catalog (initializers, partitioners, regularizers, constraints, custom
getters) is a `Registry` of small typed `Entry` values: a kind name, a pydantic
model of its arguments (field defaults are TF1's defaults, field descriptions
document them), a docstring and the TF API it mirrors. Adding a kind is adding
one entry to one registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from specc.catalog.dtypes import DType


class Args(BaseModel):
    """Base of every argument model: unknown arguments are errors, values immutable."""

    # built on first use: a spec names a few kinds of each catalog, not all of them
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)


class NoArgs(Args):
    """A kind that takes no arguments."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a kind cannot serve a variable: a diagnostic code (specc.diagnostics
    CODES), a message, and optionally how to fix it."""

    code: str
    message: str
    help: str | None = None


#: A static check: (arguments, the variable's full shape, its dtype) -> Problem.
Check = Callable[[Args, tuple[int, ...], DType], Problem | None]


def no_rule(args: Args, shape: tuple[int, ...], dtype: DType) -> Problem | None:
    """The check of a kind that TF applies to any variable it can be given."""
    del args, shape, dtype
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalog kind."""

    kind: str
    args: type[Args]
    doc: str
    tf_api: str


E = TypeVar("E", bound=Entry)


class Registry(Generic[E]):
    """An immutable, ordered mapping of kind name to entry for one catalog."""

    def __init__(self, catalog: str, entries: list[E]) -> None:
        self.catalog = catalog
        self._entries: dict[str, E] = {}
        for e in entries:
            if e.kind in self._entries:
                raise ValueError(f"{catalog}: kind {e.kind!r} registered twice")
            self._entries[e.kind] = e

    def __getitem__(self, kind: str) -> E:
        return self._entries[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, kind: str) -> E | None:
        return self._entries.get(kind)

    def kinds(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def entries(self) -> Mapping[str, E]:
        return dict(self._entries)
