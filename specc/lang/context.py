"""The state one compilation's validation shares, passed to pydantic as the
validation context (`model_validate(raw, context=ctx)`).

Specs repeat the same expressions and options on thousands of statements: each
distinct text is compiled, and each distinct plain option validated, once per
compilation, and the immutable results shared. Nothing here outlives the
compilation; validating without a context (a model used on its own) simply
shares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specc.catalog import Catalogs, Entry, default_catalogs
from specc.catalog.getters import load_getters
from specc.lang.expr import Compiled, compile_value

if TYPE_CHECKING:
    from specc.lang.options import CatalogRef

#: an interning table stops growing here: real specs hold a few hundred
#: distinct texts, and a generated one should not grow memory without bound
INTERN_LIMIT = 4096


@dataclass(slots=True)
class ValidationContext:
    """The catalogs one compilation validates against (custom-getter plugins
    loaded on first need), the options validated so far and the expressions
    compiled so far."""

    catalogs: Catalogs = field(default_factory=default_catalogs)
    options: dict[tuple[Any, ...], CatalogRef] = field(default_factory=dict)
    expressions: dict[str, Compiled] = field(default_factory=dict)
    _with_plugins: Catalogs | None = None

    def _plugins(self) -> Catalogs:
        # reading entry points costs tens of milliseconds: only when a spec names
        # a custom getter that is not built in
        if self._with_plugins is None:
            base = self.catalogs
            self._with_plugins = Catalogs(
                base.initializer,
                base.partitioner,
                base.regularizer,
                base.constraint,
                load_getters(),
            )
        return self._with_plugins

    def lookup(self, catalog: str, kind: str) -> Entry | None:
        """The entry of `kind` in `catalog`; custom getters from installed plugins too."""
        entry = self.catalogs.registry(catalog).get(kind)
        if entry is None and catalog == "custom_getter":
            entry = self._plugins().registry(catalog).get(kind)
        return entry

    def known_kinds(self, catalog: str) -> tuple[str, ...]:
        """Every kind `lookup` can find (plugins included for custom getters)."""
        if catalog == "custom_getter":
            return self._plugins().registry(catalog).kinds()
        return self.catalogs.registry(catalog).kinds()

    def expression(self, text: str) -> Compiled:
        """`compile_value(text)`, once per distinct text; raises ExprError."""
        found = self.expressions.get(text)
        if found is None:
            found = compile_value(text)
            if len(self.expressions) < INTERN_LIMIT:
                self.expressions[text] = found
        return found


def context_of(info: Any) -> ValidationContext:
    """The compilation's context of a pydantic `ValidationInfo` (a fresh one when
    a model is validated on its own)."""
    ctx = getattr(info, "context", None)
    return ctx if isinstance(ctx, ValidationContext) else ValidationContext()
