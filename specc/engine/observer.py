"""Watching resolution: the events the scope engine reports to an observer.

Tools that need to know *why* a name came out as it did (`specc explain`, the
language server) pass an `Observer` to the engine instead of subclassing it.
The engine calls one method per decision TF's rules make; each gets a small
immutable event. `origin` is whatever the driver passed along with the call (the
resolver passes the statement's `Span`): the engine never looks inside it.

With no observer the engine pays one `is None` test per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from specc.engine.scopes import Reuse, VariableScope
    from specc.engine.store import Got


@dataclass(frozen=True, slots=True)
class ScopeOpened:
    """A variable scope was entered (`variable_scope(...).__enter__`)."""

    scope: VariableScope
    parent: VariableScope
    #: the reuse the call asked for (INHERIT when none)
    requested: Reuse
    #: re-entry of a captured scope object rather than a new name
    reentry: bool
    #: the name scope it opened, with its trailing "/" (None: none opened)
    name_scope: str | None
    #: the `default_name` asked for when the scope had no name of its own
    default_name: str | None
    origin: object


@dataclass(frozen=True, slots=True)
class NameUsed:
    """A graph name was taken through `Graph.unique_name`: `wanted` came out as
    `got` (they differ when the name was made unique)."""

    wanted: str
    got: str
    #: what took it: "variable", "partition initializer", "op", "name scope" or
    #: "variable scope"
    kind: str
    origin: object


class VariableGot(NamedTuple):
    """`get_variable` returned a variable: `created` when this call made it.

    A named tuple rather than a frozen dataclass like the other events: one is
    made per variable on every check the language server runs, and a tuple is
    built in a third of the time (290 against 870 ns)."""

    name: str
    created: bool
    variable: Got
    scope: VariableScope
    origin: object


@dataclass(frozen=True, slots=True)
class TemplateEntered:
    """A template's body is about to run inside `scope`: a `make_template`
    object's call (`instance` set; `first` on its first call) or a plain use."""

    name: str
    instance: str | None
    first: bool
    scope: VariableScope
    origin: object


class Observer:
    """Receives the engine's events; every method does nothing here, so a
    subclass overrides only what it needs."""

    def scope_opened(self, event: ScopeOpened) -> None:
        """A variable scope was entered."""

    def name_used(self, event: NameUsed) -> None:
        """A graph name was taken (and perhaps made unique)."""

    def variable_got(self, event: VariableGot) -> None:
        """A variable was created or shared."""

    def op_created(self, name: str, origin: object) -> None:
        """An op got its final name."""

    def reuse_set(self, scope: VariableScope, origin: object) -> None:
        """`reuse_variables()` made `scope` reuse."""

    def template_entered(self, event: TemplateEntered) -> None:
        """A template's body starts."""
