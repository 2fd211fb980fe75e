"""One document's analysis: the pipeline's result for its text, with what the
scope engine did at each statement.

`analyze` runs the one pipeline (load with the server's `FileCache`, then
`compile_loaded`) with a `Recorder` watching the engine. The recorder keys
every event by its `origin`, the span of the statement that caused it, so a
hover or an inlay hint on a `var` finds every variable that statement made or
shared (each `use` of its template, each turn of its `repeat`).

A file with `templates` and no `body` is a library meant to be included; it
is analyzed as the one include of a spec that uses none of its templates, so
its templates are validated without the top-level keys a spec needs.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from specc.diagnostics import Diagnostic, codes, with_ends
from specc.engine.observer import Observer, ScopeOpened, TemplateEntered, VariableGot
from specc.lang.expr import Value
from specc.limits import DEFAULT_LIMITS, Limits
from specc.lsp.positions import UTF16, PositionMap
from specc.pipeline import Compilation, UnknownParamError, compile_loaded, gc_paused
from specc.source import FileCache, LoadResult, LocDict, SourceFile, load_text
from specc.span import Span

if TYPE_CHECKING:
    from specc.lsp.index import SymbolIndex

#: the name of the spec a library file is checked through (never written)
LIBRARY_SPEC: Final = ".specc-lsp-library.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the client configured (`initializationOptions`)."""

    #: `-D` overrides; names the spec does not declare are ignored
    params: Mapping[str, Value] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS
    #: seconds to wait after a change before re-checking
    debounce: float = 0.15
    #: base URL of the diagnostics page (`...#code` is appended); None: local files
    docs_url: str | None = None


class Recorder(Observer):
    """Keeps the engine's events by the span of the statement behind them.

    Variables are the hot path (one event per variable a spec touches, on every
    check after every edit): their events are only appended to a list, and
    grouped by statement when a request first asks (`vars`)."""

    def __init__(self) -> None:
        self._got: list[VariableGot] = []
        self._vars: dict[Span, list[VariableGot]] | None = None
        self.scopes: dict[Span, list[ScopeOpened]] = {}
        self.templates: dict[Span, list[TemplateEntered]] = {}
        self.ops: dict[Span, list[str]] = {}

    @property
    def vars(self) -> dict[Span, list[VariableGot]]:
        """The variables each `var` statement made or shared, by its span."""
        if self._vars is None:
            grouped: dict[Span, list[VariableGot]] = {}
            for event in self._got:
                if isinstance(event.origin, Span):
                    grouped.setdefault(event.origin, []).append(event)
            self._vars = grouped
        return self._vars

    def variable_got(self, event: VariableGot) -> None:
        """Record a variable made or shared."""
        self._got.append(event)

    def scope_opened(self, event: ScopeOpened) -> None:
        """Record a scope a `scope` or `use` statement opened."""
        if isinstance(event.origin, Span):
            self.scopes.setdefault(event.origin, []).append(event)

    def template_entered(self, event: TemplateEntered) -> None:
        """Record a template body a `use` ran."""
        if isinstance(event.origin, Span):
            self.templates.setdefault(event.origin, []).append(event)

    def op_created(self, name: str, origin: object) -> None:
        """Record the name an `op` statement got."""
        if isinstance(origin, Span):
            self.ops.setdefault(origin, []).append(name)


@dataclass(eq=False)
class Analysis:
    """The result of checking one version of one document."""

    uri: str
    version: int | None
    text: str
    #: this document's display path in the load (its file path, or a pseudo name)
    path: str
    #: this document as loaded (None when it could not be read)
    source: SourceFile | None
    loaded: LoadResult
    compilation: Compilation
    recorder: Recorder
    #: the compilation's diagnostics with every span's end filled in
    diagnostics: list[Diagnostic]
    positions: PositionMap
    library: bool = False
    seconds: float = 0.0
    _index: SymbolIndex | None = field(default=None, repr=False)

    @property
    def root(self) -> LocDict | None:
        """The located tree of this document (None when it is not a YAML mapping)."""
        return self.source.document if self.source is not None else None

    @property
    def files(self) -> list[SourceFile]:
        """Every file loaded: this document's spec first, then its includes."""
        main = [self.loaded.main] if self.loaded.main is not None else []
        return [*main, *self.loaded.includes]

    def line(self, number: int) -> str:
        """Line `number` (1-based) of this document."""
        return self.positions.line(self.path, number)

    def index(self) -> SymbolIndex:
        """Definitions and references of this load (built on first use)."""
        if self._index is None:
            from specc.lsp.index import SymbolIndex  # noqa: PLC0415 - a cycle otherwise

            self._index = SymbolIndex.build(self)
        return self._index


_TOP_KEY: Final = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:", re.MULTILINE)
#: a top-level key only a spec or a library of templates has
_SPEC_KEYS: Final = frozenset({"specc", "templates", "body"})


def looks_like_spec(text: str) -> bool:
    """Whether a YAML document is a spec (or a library of templates), or empty.

    Editors hand a YAML language server every YAML file (a CI workflow, a
    compose file); those have top-level keys, none of them `specc`,
    `templates` or `body`, and are left alone rather than reported as specs
    missing every required key."""
    keys = {m.group(1) for m in _TOP_KEY.finditer(text)}
    return not keys or bool(keys & _SPEC_KEYS)


def _is_library(loaded: LoadResult) -> bool:
    doc = loaded.main.document if loaded.main is not None else None
    return isinstance(doc, LocDict) and "templates" in doc and "body" not in doc


def _compile(loaded: LoadResult, settings: Settings, recorder: Recorder) -> Compilation:
    """`compile_loaded`, dropping overrides of params the spec does not declare
    (the client's settings apply to every spec it opens)."""
    params = dict(settings.params)
    while True:
        try:
            return compile_loaded(loaded, params, settings.limits, recorder)
        except UnknownParamError as e:
            del params[e.name]


def _library_diagnostics(diags: list[Diagnostic], path: str) -> list[Diagnostic]:
    """A library's own diagnostics: those in its file, without unknown `$names`
    (its template bodies may use the params of the specs that include it)."""
    return [
        d
        for d in diags
        if d.span is not None
        and d.span.file == path
        and not (d.code == codes.EXPRESSION.name and d.message.startswith("unknown name $"))
    ]


def analyze(
    uri: str,
    version: int | None,
    text: str,
    path: str | None,
    settings: Settings,
    *,
    cache: FileCache | None = None,
    encoding: str = UTF16,
    base_dir: str | None = None,
) -> Analysis:
    """Check `text`, the content of the document `uri` (at file `path`, None for
    an unsaved one), through the pipeline. Never raises for any text."""
    start = time.perf_counter()
    recorder = Recorder()
    filename = os.path.normpath(path) if path is not None else "<untitled>"
    with gc_paused():
        loaded = load_text(text, filename, settings.limits, base_dir=base_dir, cache=cache)
        source, library = loaded.main, False
        if path is not None and _is_library(loaded) and os.path.isfile(filename):
            # the include is read through the cache, which must see this text
            lib_cache = cache if cache is not None else FileCache()
            lib_cache.set_overlay(os.path.realpath(filename), text)
            spec = os.path.join(os.path.dirname(filename), LIBRARY_SPEC)
            entry = json.dumps(os.path.basename(filename))
            top = f"specc: 1\nname: library\ninclude: [{entry}]\nbody: []\n"
            through = load_text(top, spec, settings.limits, cache=lib_cache)
            mine = [f for f in through.includes if f.path == filename]
            if mine:
                loaded, source, library = through, mine[0], True
        comp = _compile(loaded, settings, recorder)
    diags = with_ends(comp.diagnostics, comp.sources)
    if library:
        diags = _library_diagnostics(diags, filename)
    sources: dict[str, Any] = dict(loaded.sources)
    sources.setdefault(filename, text)
    return Analysis(
        uri=uri,
        version=version,
        text=text,
        path=filename,
        source=source,
        loaded=loaded,
        compilation=comp,
        recorder=recorder,
        diagnostics=diags,
        positions=PositionMap(sources, encoding),
        library=library,
        seconds=time.perf_counter() - start,
    )
