"""specc diagnostics as LSP diagnostics.

Each keeps its exact range (spans with ends, as `specc check` underlines
them), its severity, its code with a link to the code's page, and its notes:
located notes (where the conflicting variable was created, the `use` that ran
a template body) become related locations, the others and the help text
follow the message.

Diagnostics are published to the document being checked only. One located in
another file (a template body in an included file) is shown at the place in
this document that led there: the `use` named by one of its notes, else the
`include` entry of that file; its related locations include the real place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lsprotocol import types

from specc.diagnostics import Diagnostic, Severity
from specc.lsp.analysis import Analysis
from specc.lsp.docs import CodeDocs
from specc.lsp.files import STD_PREFIX, uri_of
from specc.source import LocDict, LocList
from specc.span import Span

SOURCE = "specc"


@dataclass(frozen=True, slots=True)
class Published:
    """An LSP diagnostic and the specc diagnostic it shows (for code actions)."""

    lsp: types.Diagnostic
    diagnostic: Diagnostic


def file_uri(analysis: Analysis, display: str) -> str | None:
    """The URI of a file of the analysis by display path."""
    if display == analysis.path:
        return analysis.uri
    return uri_of(display)


def location(analysis: Analysis, span: Span) -> types.Location | None:
    """The LSP location of a span in any file of the analysis."""
    uri = file_uri(analysis, span.file)
    if uri is None:
        return None
    return types.Location(uri=uri, range=analysis.positions.range(span))


def _include_anchor(analysis: Analysis, file: str) -> Span | None:
    """The `include` entry of this document that brought `file` in (or the
    `include` key when it came in through another include)."""
    root = analysis.root
    entries = root.get("include") if root is not None else None
    if not isinstance(root, LocDict) or not isinstance(entries, LocList):
        return None
    here = os.path.dirname(analysis.path)
    for i, entry in enumerate(entries):
        if not isinstance(entry, str):
            continue
        if entry == "std" and file.startswith(STD_PREFIX):
            return entries.item_span(i)
        target = (
            f"{STD_PREFIX}{entry[4:]}.yaml"
            if entry.startswith("std/")
            else os.path.normpath(os.path.join(here, entry))
        )
        if target == file:
            return entries.item_span(i)
    return root.key_span("include")


def _anchor(analysis: Analysis, d: Diagnostic) -> Span | None:
    for note in d.notes:
        if note.span is not None and note.span.file == analysis.path:
            return note.span
    assert d.span is not None
    return _include_anchor(analysis, d.span.file)


def convert(analysis: Analysis, d: Diagnostic, docs: CodeDocs | None) -> types.Diagnostic:
    """One specc diagnostic as an LSP diagnostic of the analysed document."""
    positions = analysis.positions
    message = d.message
    related: list[types.DiagnosticRelatedInformation] = []
    span = d.span
    if span is not None and span.file != analysis.path:
        message = f"{span}: {message}"
        at = location(analysis, span)
        if at is not None:
            related.append(types.DiagnosticRelatedInformation(at, "the problem is here"))
        anchor = _anchor(analysis, d)
        range_ = positions.range(anchor) if anchor is not None else positions.range(None)
    else:
        range_ = positions.range(span)
    extra: list[str] = []
    for note in d.notes:
        at = location(analysis, note.span) if note.span is not None else None
        if at is not None:
            related.append(types.DiagnosticRelatedInformation(at, note.message))
        else:
            extra.append(f"note: {note.message}")
    if d.help:
        extra.append(f"help: {d.help}")
    if extra:
        message = "\n".join([message, *extra])
    href = docs.href(d.code) if docs is not None else None
    return types.Diagnostic(
        range=range_,
        message=message,
        severity=(
            types.DiagnosticSeverity.Warning
            if d.severity is Severity.WARNING
            else types.DiagnosticSeverity.Error
        ),
        code=d.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
        data={"variable": d.variable} if d.variable else None,
    )


def publishable(analysis: Analysis, docs: CodeDocs | None) -> list[Published]:
    """Every diagnostic of the analysis, converted, in the compiler's order."""
    return [Published(convert(analysis, d, docs), d) for d in analysis.diagnostics]
