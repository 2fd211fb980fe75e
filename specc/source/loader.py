"""Files and includes: the loading stage's entry points (DESIGN sections 1, 5, 9).

`load_file` and `load_text` read a spec and, transitively, every file it
includes (relative paths inside the top spec's folder, no cycles; `std` names
the library bundled in the package), composing each with
`specc.source.compose`. Every problem is a diagnostic in the result.
"""

from __future__ import annotations

import importlib.resources
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from specc.diagnostics import Diagnostic, codes
from specc.limits import DEFAULT_LIMITS, Limits
from specc.source.compose import Budget, compose_document
from specc.source.nodes import LoadResult, LocDict, LocList, SourceFile
from specc.span import Span

_STD: Final = "std"
_STD_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_TOP_MESSAGE: Final = "the spec must be a mapping with keys specc, name, body"
_INCLUDED_MESSAGE: Final = "an included file must be a mapping (with `templates`)"


def _stdlib_root() -> Traversable | None:
    """The folder of bundled library files, or None when the package ships none."""
    try:
        root = importlib.resources.files("specc").joinpath("stdlib")
        if root.is_dir():
            return root
    except (ImportError, OSError, TypeError, ValueError):
        pass
    # An editable install of a namespace package can defeat importlib.resources.
    local = Path(__file__).resolve().parent.parent / "stdlib"
    return local if local.is_dir() else None


def std_names() -> tuple[str, ...]:
    """The templates of the standard library (one per file, named as the file),
    without reading them: for "did you mean `include: [std]`" hints."""
    root = _stdlib_root()
    if root is None:
        return ()
    try:
        return tuple(sorted(r.name[:-5] for r in root.iterdir() if r.name.endswith(".yaml")))
    except OSError:
        return ()


def _too_big(display: str, limit: int, at: Span | None) -> Diagnostic:
    flag = Limits.flag("max_file_bytes")
    return Diagnostic(
        codes.LIMIT, f"'{display}' is larger than {limit} bytes (raise it with {flag})", at
    )


def _decode(data: bytes, display: str) -> tuple[str, Diagnostic | None]:
    """UTF-8 text of a file (BOM dropped); invalid bytes are replaced and reported."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        bad = data[exc.start : exc.start + 1].hex()
        diag = Diagnostic(
            codes.YAML_SYNTAX,
            f"the file is not valid UTF-8 (byte 0x{bad} at offset {exc.start})",
            Span(display, line, col),
        )
        return data.decode("utf-8", "replace").removeprefix("\ufeff"), diag
    return text.removeprefix("\ufeff"), None


@dataclass
class _File:
    key: str  # identity for cycles and loading once: a real path or "<std>/NAME.yaml"
    display: str
    logical: str | None  # absolute, unresolved path; None for library files
    source: SourceFile
    diags: list[Diagnostic]


@dataclass
class _Target:
    at: Span
    key: str
    display: str
    logical: str | None
    read: Callable[[int], bytes]  # reads at most n bytes


def _read_path(path: str) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with open(path, "rb") as f:
            return f.read(n)

    return read


def _read_resource(res: Traversable) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with res.open("rb") as f:
            return f.read(n)

    return read


@dataclass(frozen=True)
class _Parsed:
    """An included file as `FileCache` keeps it: what it was parsed from, the YAML
    nodes the parse counted, and its result."""

    data: bytes | str
    limits: Limits
    nodes: int
    source: SourceFile
    diags: tuple[Diagnostic, ...]


class FileCache:
    """Included files parsed once and kept between loads, for a long-lived caller.

    A language server loads the spec being edited on every change, and with it
    the same includes and the same standard library: a `FileCache` passed to
    `load_text`/`load_file` (`cache=`) lets an unchanged included file skip
    parsing. An entry is keyed by the file's identity (its real path, or
    `<std>/NAME.yaml`) and display path, and is used only when the bytes read
    now equal the bytes it was parsed from under the same limits: the file is
    still read on every load (cheap) so a change on disk is never missed, but
    parsed only when it changed (not cheap). The top file is never cached: it is
    the one being edited.

    `set_overlay(path, text)` makes loads read `text` for the file at real path
    `path` instead of the disk: an editor's unsaved buffer of an included file.

    Parsed trees are shared by the loads that reuse them; the located tree is
    read-only by contract (`LocDict`), so sharing is safe. Not thread-safe: use
    one cache per thread.
    """

    def __init__(self, max_files: int = 256) -> None:
        self.max_files = max_files
        self._parsed: OrderedDict[tuple[str, str], _Parsed] = OrderedDict()
        self._overlays: dict[str, str] = {}
        #: parses done and avoided, for tests and benchmarks
        self.misses = 0
        self.hits = 0

    def set_overlay(self, real_path: str, text: str | None) -> None:
        """Read `text` for the file at `real_path` (None: the disk again)."""
        if text is None:
            self._overlays.pop(real_path, None)
        else:
            self._overlays[real_path] = text

    def read(self, key: str, read: Callable[[int], bytes], limit: int) -> bytes | str:
        """The content of an included file: its overlay, else at most `limit` bytes."""
        found = self._overlays.get(key)
        return found if found is not None else read(limit)

    def get(self, key: str, display: str, data: bytes | str, limits: Limits) -> _Parsed | None:
        """The parse of `data` kept for this file, if `data` and `limits` match it."""
        entry = self._parsed.get((key, display))
        if entry is None or entry.limits != limits or entry.data != data:
            self.misses += 1
            return None
        self._parsed.move_to_end((key, display))
        self.hits += 1
        return entry

    def put(self, key: str, display: str, entry: _Parsed) -> None:
        """Keep a parse, dropping the least recently used beyond `max_files`."""
        self._parsed[(key, display)] = entry
        self._parsed.move_to_end((key, display))
        while len(self._parsed) > self.max_files:
            self._parsed.popitem(last=False)


class _Loader:
    def __init__(self, limits: Limits, top_dir: str, cache: FileCache | None = None) -> None:
        self.limits = limits
        self.top_real = os.path.realpath(top_dir)
        self.budget = Budget()
        self.sources: dict[str, str] = {}
        self.cache = cache

    def parse(
        self, key: str, display: str, logical: str | None, data: bytes | str, *, top: bool
    ) -> _File:
        diags: list[Diagnostic] = []
        if isinstance(data, bytes):
            text, bad = _decode(data, display)
        else:
            text, bad = data.removeprefix("\ufeff"), None
        self.sources[display] = text
        document: LocDict | None = None
        if bad is not None:
            diags.append(bad)
        else:
            root, root_span, found = compose_document(text, display, self.limits, self.budget)
            diags.extend(found)
            fatal = any(
                d.info is codes.LIMIT or (root is None and d.info is codes.YAML_SYNTAX)
                for d in found
            )
            if isinstance(root, LocDict):
                document = root
            elif not fatal:
                span = root_span or Span(display, 1, 1)
                diags.append(
                    Diagnostic(codes.SCHEMA, _TOP_MESSAGE if top else _INCLUDED_MESSAGE, span)
                )
        return _File(key, display, logical, SourceFile(display, text, document), diags)

    def parse_include(self, t: _Target, data: bytes | str) -> _File:
        """`parse` for an included file, through the cache when there is one.

        A kept parse counts its nodes toward this load's budget as a new parse
        would; one that would cross the budget, and one that hit a limit, is
        parsed again so the limit error comes out exactly as without a cache."""
        cache = self.cache
        if cache is None:
            return self.parse(t.key, t.display, t.logical, data, top=False)
        entry = cache.get(t.key, t.display, data, self.limits)
        if entry is not None and self.budget.used + entry.nodes <= self.limits.max_nodes:
            self.budget.used += entry.nodes
            self.sources[t.display] = entry.source.text
            return _File(t.key, t.display, t.logical, entry.source, list(entry.diags))
        before = self.budget.used
        f = self.parse(t.key, t.display, t.logical, data, top=False)
        if not any(d.info is codes.LIMIT for d in f.diags):
            nodes = self.budget.used - before
            cache.put(t.key, t.display, _Parsed(data, self.limits, nodes, f.source, tuple(f.diags)))
        return f

    def targets(self, f: _File) -> Iterator[_Target]:
        """The files `f` includes, in order; bad entries become diagnostics on `f`."""
        doc = f.source.document
        if doc is None or "include" not in doc:
            return
        entries = doc["include"]
        if not isinstance(entries, LocList):
            f.diags.append(
                Diagnostic(
                    codes.SCHEMA,
                    "`include` must be a list of file names",
                    doc.value_span("include"),
                )
            )
            return
        for entry, at in zip(entries, entries.item_spans, strict=True):
            if not isinstance(entry, str):
                shown = "null" if entry is None else type(entry).__name__
                f.diags.append(
                    Diagnostic(
                        codes.INCLUDE, f"an include entry must be a file name, not {shown}", at
                    )
                )
            elif entry == _STD or entry.startswith(_STD + "/"):
                yield from self._std_targets(f, entry, at)
            elif f.logical is None:
                f.diags.append(
                    Diagnostic(
                        codes.INCLUDE,
                        f"a library file can only include `std` names, not '{entry}'",
                        at,
                    )
                )
            else:
                target = self._path_target(f, entry, at)
                if target is not None:
                    yield target

    def _std_targets(self, f: _File, entry: str, at: Span) -> Iterator[_Target]:
        root = _stdlib_root()
        if entry == _STD:
            if root is None:
                return
            try:
                found = sorted(
                    (r for r in root.iterdir() if r.name.endswith(".yaml") and r.is_file()),
                    key=lambda r: r.name,
                )
            except OSError as exc:
                f.diags.append(Diagnostic(codes.INCLUDE, f"cannot list the library: {exc}", at))
                return
            for item in found:
                shown = "<std>/" + item.name
                yield _Target(at, shown, shown, None, _read_resource(item))
            return
        name = entry[len(_STD) + 1 :]
        if not _STD_NAME.fullmatch(name):
            f.diags.append(
                Diagnostic(
                    codes.INCLUDE,
                    f"'{entry}' is not a standard library name",
                    at,
                    help="write `std/NAME` with NAME made of letters, digits, '_' and '-'",
                )
            )
            return
        try:
            res = root.joinpath(name + ".yaml") if root is not None else None
            exists = res is not None and res.is_file()
        except OSError:
            exists = False
        if res is None or not exists:
            f.diags.append(Diagnostic(codes.INCLUDE, f"the standard library has no '{entry}'", at))
            return
        display = f"<std>/{name}.yaml"
        yield _Target(at, display, display, None, _read_resource(res))

    def _path_target(self, f: _File, entry: str, at: Span) -> _Target | None:
        assert f.logical is not None
        if "\0" in entry:
            f.diags.append(Diagnostic(codes.INCLUDE, "an include path cannot contain a NUL", at))
            return None
        if os.path.isabs(entry):
            f.diags.append(
                Diagnostic(
                    codes.INCLUDE,
                    f"the include path '{entry}' is absolute",
                    at,
                    help="write it relative to the including file's folder",
                )
            )
            return None
        try:
            logical = os.path.normpath(os.path.join(os.path.dirname(f.logical), entry))
            real = os.path.realpath(logical)
            inside = os.path.commonpath([self.top_real, real]) == self.top_real
            is_file = inside and os.path.isfile(real)
        except (OSError, ValueError) as exc:
            f.diags.append(Diagnostic(codes.INCLUDE, f"bad include path '{entry}': {exc}", at))
            return None
        if not inside:
            f.diags.append(
                Diagnostic(
                    codes.INCLUDE,
                    f"the include '{entry}' leaves the spec's folder",
                    at,
                    help="includes must stay inside the folder of the top spec file",
                )
            )
            return None
        if not is_file:
            what = "is not a file" if os.path.isdir(real) else "was not found"
            f.diags.append(Diagnostic(codes.INCLUDE, f"the included file '{entry}' {what}", at))
            return None
        display = os.path.normpath(os.path.join(os.path.dirname(f.display), entry))
        return _Target(at, real, display, logical, _read_path(real))

    def load_includes(self, main: _File) -> list[_File]:
        """Follow includes depth-first with an explicit stack (no recursion)."""
        loaded: dict[str, _File] = {main.key: main}
        order: list[_File] = []
        stack: list[tuple[_File, Iterator[_Target]]] = [(main, self.targets(main))]
        on_stack = [main.key]
        limit = self.limits.max_file_bytes
        while stack:
            f, pending = stack[-1]
            t = next(pending, None)
            if t is None:
                stack.pop()
                on_stack.pop()
                continue
            if t.key in on_stack:
                chain = [loaded[k].display for k in on_stack[on_stack.index(t.key) :]]
                f.diags.append(
                    Diagnostic(
                        codes.INCLUDE, "include cycle: " + " -> ".join([*chain, t.display]), t.at
                    )
                )
                continue
            if t.key in loaded:
                continue
            if self.budget.used > self.limits.max_nodes:
                break  # the node budget is spent; every further file would fail too
            try:
                data = (
                    t.read(limit + 1)
                    if self.cache is None
                    else self.cache.read(t.key, t.read, limit + 1)
                )
            except OSError as exc:
                f.diags.append(
                    Diagnostic(
                        codes.INCLUDE,
                        f"cannot read the included file '{t.display}': {exc.strerror or exc}",
                        t.at,
                    )
                )
                continue
            size = len(data) if isinstance(data, bytes) else _utf8_size(data, limit)
            if size > limit:
                f.diags.append(_too_big(t.display, limit, t.at))
                continue
            child = self.parse_include(t, data)
            loaded[t.key] = child
            order.append(child)
            stack.append((child, self.targets(child)))
            on_stack.append(t.key)
        return order


def by_position(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics of one file in source order."""
    return sorted(diags, key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))


def _load(
    data: bytes | str,
    display: str,
    key: str,
    logical: str,
    limits: Limits,
    *,
    cache: FileCache | None,
) -> LoadResult:
    loader = _Loader(limits, os.path.dirname(logical), cache)
    main = loader.parse(key, display, logical, data, top=True)
    includes = loader.load_includes(main)
    diags: list[Diagnostic] = []
    for f in (main, *includes):
        diags.extend(by_position(f.diags))
    return LoadResult(
        main=main.source,
        includes=[f.source for f in includes],
        sources=loader.sources,
        diagnostics=diags,
        folder=os.path.dirname(logical),
    )


def _utf8_size(text: str, limit: int) -> int:
    """The UTF-8 size of `text`, computed only when it could exceed `limit`."""
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def load_text(
    text: str | bytes,
    filename: str = "<string>",
    limits: Limits = DEFAULT_LIMITS,
    *,
    base_dir: str | None = None,
    cache: FileCache | None = None,
) -> LoadResult:
    """Load a spec from text (and, transitively, the files it includes).

    `filename` is used for display only. Includes resolve against `base_dir`,
    by default the folder of `filename`, or the current directory when
    `filename` is a pseudo name like `<string>` or `<stdin>`. `cache` keeps
    parsed includes between calls (see `FileCache`). Never raises: every
    problem is a diagnostic in the result.
    """
    pseudo = filename.startswith("<") and filename.endswith(">")
    if base_dir is None:
        base_dir = os.getcwd() if pseudo else os.path.dirname(os.path.abspath(filename))
    logical = os.path.join(os.path.abspath(base_dir), os.path.basename(filename) or "spec")
    key = "<top>" if pseudo else os.path.realpath(logical)
    size = len(text) if isinstance(text, bytes) else _utf8_size(text, limits.max_file_bytes)
    if size > limits.max_file_bytes:
        return LoadResult(
            main=None,
            diagnostics=[_too_big(filename, limits.max_file_bytes, Span(filename, 1, 1))],
        )
    return _load(text, filename, key, logical, limits, cache=cache)


def load_file(
    path: str | os.PathLike[str],
    limits: Limits = DEFAULT_LIMITS,
    *,
    cache: FileCache | None = None,
) -> LoadResult:
    """Load the spec file at `path` and, transitively, the files it includes
    (`cache`: see `FileCache`).

    Raises `FileNotFoundError` when `path` does not exist (the CLI's usage
    error). Any other failure, including an unreadable top file, is a
    diagnostic in the result; an unreadable or too large top file gives
    `main=None`.
    """
    display = os.fspath(path)
    try:
        with open(display, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        return LoadResult(
            main=None,
            diagnostics=[
                Diagnostic(
                    codes.YAML_SYNTAX, f"cannot read '{display}': {exc.strerror or exc}", None
                )
            ],
        )
    if len(data) > limits.max_file_bytes:
        return LoadResult(
            main=None,
            diagnostics=[_too_big(display, limits.max_file_bytes, Span(display, 1, 1))],
        )
    logical = os.path.abspath(display)
    return _load(data, display, os.path.realpath(logical), logical, limits, cache=cache)
