"""The data of a diagnostic: plain frozen values, no rendering and no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from specc.diagnostics.codes import Code, Severity, lookup
from specc.span import Span


@dataclass(frozen=True, slots=True)
class Note:
    """A secondary message, optionally located (first definition, `use` site, ...)."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True, init=False)
class Diagnostic:
    """One problem found in a spec.

    `code` is stored as the code's name (what JSON and tests compare against);
    the constructor takes a `Code` constant or a name, and rejects names that
    are not registered. `severity` is the code's unless given. Past the first
    three, arguments are keyword-only.
    """

    code: str
    message: str
    span: Span | None
    variable: str | None
    notes: tuple[Note, ...]
    help: str | None
    severity: Severity

    def __init__(
        self,
        code: Code | str,
        message: str,
        span: Span | None,
        *,
        variable: str | None = None,
        notes: tuple[Note, ...] = (),
        help: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        info = lookup(code)
        # a frozen dataclass with a hand-written __init__ sets its fields this way
        set_ = object.__setattr__
        set_(self, "code", info.name)
        set_(self, "message", message)
        set_(self, "span", span)
        set_(self, "variable", variable)
        set_(self, "notes", tuple(notes))
        set_(self, "help", help)
        set_(self, "severity", info.severity if severity is None else severity)

    @property
    def info(self) -> Code:
        """The registered `Code` (summary, default severity)."""
        return lookup(self.code)
