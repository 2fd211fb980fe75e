"""Diagnostics: the data, the code registry, the collection and the renderers.

The concerns are kept apart, as in mypy and miette:

- `codes`: the registry, one `Final` constant per code (`codes.VARIABLE_EXISTS`);
- `model`: `Diagnostic` and `Note`, plain frozen data;
- `collect`: `DiagnosticSink` (one compilation's diagnostics, de-duplicated),
  `source_order`, and `SpecError`;
- `locate`: `with_ends`, which fills a span's unknown end from the source;
- `render`: `render_human`/`render_all` and `to_json`/`errors_json`, pure
  functions of the diagnostics and the source text;
- `escape`: control and bidi characters made visible, for people and JSON;
- `explain`: each code's explanation, failing spec and fix, read from data
  files beside it (only `specc explain-code`, the docs and tests import it).

The names below are re-exported so that `from specc.diagnostics import ...`
keeps working.
"""

from __future__ import annotations

from specc.diagnostics import codes
from specc.diagnostics.codes import CODES, Code, Severity
from specc.diagnostics.collect import (
    DiagnosticSink,
    SpecError,
    source_order,
    without_ignored,
)
from specc.diagnostics.locate import with_ends
from specc.diagnostics.model import Diagnostic, Note
from specc.diagnostics.render import (
    count_line,
    errors_json,
    render_all,
    render_human,
    to_json,
)

__all__ = [
    "CODES",
    "Code",
    "Diagnostic",
    "DiagnosticSink",
    "Note",
    "Severity",
    "SpecError",
    "codes",
    "count_line",
    "errors_json",
    "render_all",
    "render_human",
    "source_order",
    "to_json",
    "with_ends",
    "without_ignored",
]
