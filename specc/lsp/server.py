"""The language server: one pygls `LanguageServer` that owns all state.

State (open documents, their latest analyses, the cache of parsed includes,
the client's settings) lives in the server object, never in module globals.

Scheduling: a change is re-checked after `debounce` seconds of quiet (the
timer restarts on every change); opening a document checks it at once, and so
does any request (hover, completion, ...) on a document whose text changed
since its last check, so every answer describes the text the client has.
Checks run on the event loop's thread: the work is CPU-bound Python, which a
thread would only slow down under the GIL, and running requests in order
keeps every analysis consistent with its document's version.

Included files are parsed once (`FileCache`, keyed by content): an unchanged
include or the standard library costs a file read per check, not a parse. The
text of an open document is handed to the cache as an overlay, so a spec that
includes it sees the unsaved buffer, and a change to it re-checks the open
specs that include it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from specc import __version__
from specc.limits import Limits
from specc.lsp.actions import code_actions, include_std_edits
from specc.lsp.analysis import Analysis, Settings, analyze, looks_like_spec
from specc.lsp.completion import Knowledge, complete
from specc.lsp.diagnostics import Published, location, publishable
from specc.lsp.docs import CodeDocs
from specc.lsp.files import uri_of
from specc.lsp.hover import hover_markdown
from specc.lsp.outline import outline
from specc.lsp.positions import UTF8, UTF16, UTF32, split_lines
from specc.lsp.symbols import document_symbols, inlay_hints
from specc.lsp.tree import templates_of
from specc.source import FileCache, LocDict, load_text

log = logging.getLogger("specc.lsp")

R = TypeVar("R")
P = ParamSpec("P")

#: the characters after which a client asks for completions unprompted
TRIGGERS = ["$", ":", " ", "{", "[", ",", "-"]


@dataclass(eq=False)
class OpenDocument:
    """A document the client has open."""

    uri: str
    #: its file, or None for an unsaved (untitled) one
    path: str | None
    analysis: Analysis | None = None
    #: the latest analysis whose text loaded as YAML (for completion while the
    #: text being typed is not YAML)
    loaded: Analysis | None = None
    published: list[Published] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    #: a file it includes changed since its last check
    stale: bool = False


def _settings(options: Any) -> Settings:
    """Settings from `initializationOptions` (unknown or ill-typed ones ignored)."""
    if not isinstance(options, dict):
        return Settings()
    debounce = options.get("debounceMs", 150)
    params = options.get("params")
    limits = options.get("limits")
    try:
        lim = Limits(**limits) if isinstance(limits, dict) else Limits()
    except (TypeError, ValueError):
        lim = Limits()
    return Settings(
        params=dict(params) if isinstance(params, dict) else {},
        limits=lim,
        debounce=max(0.0, float(debounce)) / 1000 if isinstance(debounce, int | float) else 0.15,
        docs_url=options.get("docsUrl") if isinstance(options.get("docsUrl"), str) else None,
    )


def _safe(f: Callable[P, R]) -> Callable[P, R | None]:
    """Log a handler's unexpected error and answer null: an editor request must
    never take the server down."""

    @functools.wraps(f)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return f(*args, **kwargs)
        except Exception:
            log.exception("%s failed", f.__name__)
            return None

    return run


class SpeccLanguageServer(LanguageServer):
    """`specc lsp`: diagnostics, hover, definitions, references, completion,
    symbols, inlay hints and quick fixes for spec files."""

    def __init__(self) -> None:
        super().__init__(
            "specc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.settings = Settings()
        self.documents: dict[str, OpenDocument] = {}
        self.cache = FileCache()
        self.code_docs = CodeDocs()
        self._std: dict[str, tuple[LocDict, str]] | None = None
        self._register()

    # ------------------------------------------------------------------ registration

    def _register(self) -> None:
        def on(method: str, options: Any = None) -> Callable[[Callable[[Any], Any]], Any]:
            # pygls marks the function it registers, which a bound method cannot
            # carry: register a plain function that calls it
            def register(bound: Callable[[Any], Any]) -> Any:
                def handler(params: Any) -> Any:
                    return bound(params)

                handler.__name__ = bound.__name__
                return self.feature(method, options)(handler)

            return register

        on(types.INITIALIZE)(self.initialize)
        on(types.TEXT_DOCUMENT_DID_OPEN)(self.did_open)
        on(types.TEXT_DOCUMENT_DID_CHANGE)(self.did_change)
        on(types.TEXT_DOCUMENT_DID_CLOSE)(self.did_close)
        on(types.SHUTDOWN)(self.on_shutdown)
        on(types.TEXT_DOCUMENT_HOVER)(self.hover)
        on(types.TEXT_DOCUMENT_DEFINITION)(self.definition)
        on(types.TEXT_DOCUMENT_REFERENCES)(self.references)
        on(
            types.TEXT_DOCUMENT_COMPLETION,
            types.CompletionOptions(trigger_characters=TRIGGERS),
        )(self.completion)
        on(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(self.symbols)
        on(types.TEXT_DOCUMENT_INLAY_HINT)(self.inlay_hint)
        on(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
        )(self.code_action)

    def initialize(self, params: types.InitializeParams) -> None:
        """Read the client's settings."""
        self.settings = _settings(params.initialization_options)
        self.code_docs = CodeDocs(self.settings.docs_url)

    def on_shutdown(self, params: Any) -> None:
        """Stop pending checks."""
        for doc in self.documents.values():
            if doc.timer is not None:
                doc.timer.cancel()

    # ------------------------------------------------------------------ documents

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client."""
        kind = self.workspace.position_encoding
        value = getattr(kind, "value", kind)
        return value if value in (UTF8, UTF16, UTF32) else UTF16

    def _text(self, uri: str) -> tuple[str, int | None]:
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.version

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        """Check a document as soon as it opens."""
        uri = params.text_document.uri
        path = to_fs_path(uri) if uri.startswith("file:") else None
        before = self.documents.get(uri)
        if before is not None and before.timer is not None:
            before.timer.cancel()
        self.documents[uri] = OpenDocument(uri, path)
        self._overlay(uri)
        self.check(uri)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        """Re-check after a pause in typing, with the specs that include it."""
        uri = params.text_document.uri
        if uri not in self.documents:
            return
        self._overlay(uri)
        self.schedule(uri)
        self._recheck_includers(self.documents[uri])

    def _recheck_includers(self, doc: OpenDocument) -> None:
        """Re-check the open specs that include `doc` (its text changed)."""
        if doc.path is None:
            return
        real = os.path.realpath(doc.path)
        for other in self.documents.values():
            if other is not doc and other.analysis is not None and _includes(other.analysis, real):
                other.stale = True
                self.schedule(other.uri)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        """Forget a document and clear its diagnostics."""
        doc = self.documents.pop(params.text_document.uri, None)
        if doc is None:
            return
        if doc.timer is not None:
            doc.timer.cancel()
        if doc.path is not None:
            # the specs that include it read the file on disk again
            self.cache.set_overlay(os.path.realpath(doc.path), None)
            self._recheck_includers(doc)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[])
        )

    def _overlay(self, uri: str) -> None:
        doc = self.documents[uri]
        if doc.path is not None:
            self.cache.set_overlay(os.path.realpath(doc.path), self._text(uri)[0])

    def schedule(self, uri: str) -> None:
        """Check `uri` after the debounce delay (restarting a pending one)."""
        doc = self.documents[uri]
        if doc.timer is not None:
            doc.timer.cancel()
            doc.timer = None
        if self.settings.debounce <= 0:
            self.check(uri)
            return
        loop = asyncio.get_running_loop()
        doc.timer = loop.call_later(self.settings.debounce, self.check, uri)

    def check(self, uri: str) -> Analysis | None:
        """Analyze the document's current text (if not done yet) and publish its
        diagnostics."""
        doc = self.documents.get(uri)
        if doc is None:
            return None
        if doc.timer is not None:
            doc.timer.cancel()
            doc.timer = None
        text, version = self._text(uri)
        misses = self.cache.misses
        old = doc.analysis
        if old is not None and old.version == version and old.text == text and not doc.stale:
            return old
        doc.stale = False
        if not looks_like_spec(text):
            self._not_a_spec(doc, version)
            return None
        try:
            analysis = analyze(
                uri,
                version,
                text,
                doc.path,
                self.settings,
                cache=self.cache,
                encoding=self.encoding,
                base_dir=self._base_dir(doc),
            )
        except Exception:
            log.exception("checking %s failed", uri)
            return None
        doc.analysis = analysis
        if analysis.root is not None:
            doc.loaded = analysis
        # an empty file is a spec not written yet, not one missing every key
        doc.published = publishable(analysis, self.code_docs) if text.strip() else []
        log.info(
            "checked %s (version %s) in %.1f ms; %d included files parsed, %d reused",
            uri,
            version,
            analysis.seconds * 1000,
            self.cache.misses - misses,
            len(analysis.loaded.includes) - (self.cache.misses - misses),
        )
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, diagnostics=[p.lsp for p in doc.published], version=version
            )
        )
        # `old` (a whole compilation) is freed here, after the client was answered
        del old
        return analysis

    def _not_a_spec(self, doc: OpenDocument, version: int | None) -> None:
        """Leave a YAML file that is no spec alone (and clear what it showed)."""
        doc.analysis, doc.loaded, doc.published = None, None, []
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[], version=version)
        )

    def _base_dir(self, doc: OpenDocument) -> str | None:
        if doc.path is not None:
            return None
        root = self.workspace.root_path
        return root if root else None

    def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's current text (checked now if stale)."""
        doc = self.documents.get(uri)
        if doc is None:
            return None
        return self.check(uri)

    def std_templates(self) -> dict[str, tuple[LocDict, str]]:
        """Every template of the standard library (loaded once, through the cache)."""
        if self._std is None:
            loaded = load_text(
                "specc: 1\nname: std\ninclude: [std]\nbody: []\n", "<std>", cache=self.cache
            )
            self._std = {
                name: (definition, f.path)
                for f in loaded.includes
                for name, definition in templates_of(f.document).items()
            }
        return self._std

    # ------------------------------------------------------------------ features

    @_safe
    def hover(self, params: types.HoverParams) -> types.Hover | None:
        """Hover on the name, statement or kind under the cursor."""
        a = self.current(params.text_document.uri)
        if a is None:
            return None
        line, col = a.positions.cursor(a.path, params.position)
        found = hover_markdown(a, line, col)
        if found is None:
            return None
        text, hit = found
        rng = None
        if hit is not None and hit.role != "inside":
            rng = a.positions.range_of(a.path, hit.line, hit.start, hit.end)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=rng
        )

    @_safe
    def definition(self, params: types.DefinitionParams) -> list[types.Location] | None:
        """Where the template, argument, param, loop variable, capture, instance or
        included file under the cursor is defined."""
        a = self.current(params.text_document.uri)
        if a is None:
            return None
        line, col = a.positions.cursor(a.path, params.position)
        index = a.index()
        occ = index.at(a.path, line, col)
        if occ is None:
            return None
        if occ.key[0] == "include":
            zero = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
            uris = [uri_of(t) for t in index.include_targets.get(occ.key, [])]
            return [types.Location(uri=u, range=zero) for u in uris if u is not None] or None
        found = [location(a, o.span) for o in index.definitions(occ.key)]
        return [f for f in found if f is not None] or None

    @_safe
    def references(self, params: types.ReferenceParams) -> list[types.Location] | None:
        """Every place the symbol under the cursor is written."""
        a = self.current(params.text_document.uri)
        if a is None:
            return None
        line, col = a.positions.cursor(a.path, params.position)
        index = a.index()
        occ = index.at(a.path, line, col)
        if occ is None:
            return None
        decl = params.context.include_declaration
        found = [location(a, o.span) for o in index.references(occ.key, declarations=decl)]
        return [f for f in found if f is not None] or None

    @_safe
    def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        """Keys, kinds, templates, arguments, names and values at the cursor."""
        uri = params.text_document.uri
        a = self.current(uri)
        doc = self.documents.get(uri)
        if a is None or doc is None:
            return None
        lines = split_lines(a.text)
        row = params.position.line
        line = lines[row] if row < len(lines) else ""
        _, col = a.positions.cursor(a.path, params.position)
        where = outline(lines, row, col - 1)
        knowledge = self.knowledge(doc)
        items = complete(where, knowledge, line, row=row, column=col - 1, encoding=self.encoding)
        return types.CompletionList(is_incomplete=False, items=items)

    def knowledge(self, doc: OpenDocument) -> Knowledge:
        """What the document defines, from its latest analysis that loaded."""
        a = doc.loaded or doc.analysis
        k = Knowledge(std=self.std_templates())
        if a is None:
            return k
        for f in a.files:
            for name, definition in templates_of(f.document).items():
                k.templates.setdefault(name, (definition, f.path))
        current = doc.analysis
        if current is not None and current.root is not None and not current.library:
            k.include_std = include_std_edits(current)
        res = a.compilation.resolution
        root = a.loaded.main.document if a.loaded.main is not None else None
        written = root.get("params") if isinstance(root, LocDict) else None
        if isinstance(written, LocDict):
            k.params = {n: (res.params.get(n, v) if res else v) for n, v in written.items()}
        k.index = a.index
        if doc.path is not None:
            k.files = _spec_files(Path(doc.path))
        return k

    @_safe
    def symbols(self, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
        """The outline of params, templates, scopes and variables."""
        a = self.current(params.text_document.uri)
        return document_symbols(a) if a is not None else None

    @_safe
    def inlay_hint(self, params: types.InlayHintParams) -> list[types.InlayHint] | None:
        """Each variable's full name and shape after its `var`."""
        a = self.current(params.text_document.uri)
        return inlay_hints(a, params.range) if a is not None else None

    @_safe
    def code_action(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        """Quick fixes for the diagnostics in the range."""
        uri = params.text_document.uri
        a = self.current(uri)
        doc = self.documents.get(uri)
        if a is None or doc is None:
            return None
        return code_actions(a, doc.published, params.range, self.std_templates()) or None


def _includes(analysis: Analysis, real: str) -> bool:
    """Whether an analysis loaded the file at real path `real` as an include."""
    return any(
        f.path != analysis.path and os.path.realpath(f.path) == real
        for f in analysis.loaded.includes
    )


def _spec_files(path: Path) -> list[str]:
    """YAML files in a spec's folder (and one level below) it could include."""
    here = path.parent
    try:
        found = [*here.glob("*.yaml"), *here.glob("*.yml"), *here.glob("*/*.yaml")]
    except OSError:
        return []
    return sorted(
        str(p.relative_to(here)) for p in found if p != path and not p.name.startswith(".")
    )[:200]


def serve() -> None:
    """Run the server over stdin and stdout until the client says `exit`."""
    SpeccLanguageServer().start_io()
