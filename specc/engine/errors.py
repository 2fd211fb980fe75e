"""The one exception the scope engine raises: a TF-equivalent error with its code."""

from __future__ import annotations

from specc.diagnostics.codes import Code
from specc.span import Span


class EngineError(Exception):
    """TF would raise here. `code` is the DESIGN section 5 code, `message` TF's text
    (or specc's clearer wording), `variable` the full variable name when the error is
    about one, `related` where the variable was first created, `hint` the fix."""

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        variable: str | None = None,
        related: Span | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.variable = variable
        self.related = related
        self.hint = hint
