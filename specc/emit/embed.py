"""The code a generated module embeds, assembled from real Python files.

The runtime lives in `specc/runtime/` as ordinary modules (importable, linted,
type-checked, unit-tested). A generated module must stand alone, so the
emitter copies their source: each file is parsed with `ast`, and its module
docstring, `from __future__` line, imports, `if TYPE_CHECKING:` blocks and
`__all__` are dropped; everything else (comments included) is kept verbatim.
The module template holds the one import block that serves them all
(`tests/test_emit.py` checks that it covers every import of every file).

Each initializer, regularizer and constraint has its NumPy code in its catalog
entry (`impl=...` in `specc/catalog/*.py`): those functions are copied too,
verbatim, and the dispatch tables that map kinds to them are written here.

Files are read as text, never imported: the emitter runs without NumPy or the
catalog's pydantic models. The assembled code depends only on the package's
files, so it is built once per process (`embedded_code`, an immutable value);
the invariants it relies on (no import left in kept code, no name defined
twice) are checked by `check_embedded`, which the tests run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from specc.catalog.dtypes import npy_dtypes, safetensors_bits, safetensors_dtypes, tf_dtypes

#: The `specc` package folder; embedded files are named relative to it.
PACKAGE: Final = Path(__file__).resolve().parent.parent

#: The runtime's files, in the order the module holds them (a file may use
#: names of a later one inside its functions, never at import time).
RUNTIME_FILES: Final = (
    "runtime/prelude.py",
    "runtime/table.py",
    "runtime/streams.py",
    "runtime/workers.py",
    "runtime/samplers.py",
    "runtime/kinds.py",
    "runtime/norms.py",
    "formats/arrays.py",
    "formats/atomic.py",
    "formats/bfloat16.py",
    "formats/npz.py",
    "formats/npz_stream.py",
    "formats/safetensors.py",
    "formats/sharded.py",
    "formats/tf_checkpoint.py",
    "formats/params.py",
    "runtime/api.py",
    "runtime/tasks.py",
)

#: The catalogs whose kinds carry NumPy code, their files, and the dispatch
#: table(s) of the module, by what the code returns: an initializer returns a
#: block sampler (`_Sampler`) or builds the whole variable (`Array`).
CATALOG_FILES: Final = (
    ("initializer", "catalog/initializers.py", {"_Sampler": "_SAMPLERS", "Array": "_BUILDERS"}),
    ("regularizer", "catalog/regularizers.py", {"float": "_REGULARIZERS"}),
    ("constraint", "catalog/constraints.py", {"Array": "_CONSTRAINTS"}),
)

#: Three or more blank lines (left where a dropped statement stood) become two.
_BLANK_RUN = re.compile(r"\n{4,}")


class EmbedError(Exception):
    """A runtime file cannot be embedded (an import the module would lack)."""


def _is_type_checking(node: ast.stmt) -> bool:
    """`if TYPE_CHECKING:`, with or without an `else:` (which holds what the
    importable file uses instead, e.g. a lazily imported NumPy)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _is_all(node: ast.stmt) -> bool:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def dropped(tree: ast.Module) -> list[ast.stmt]:
    """The top-level statements of a file that its embedded copy leaves out."""
    out: list[ast.stmt] = []
    for i, node in enumerate(tree.body):
        if (
            (i == 0 and _is_docstring(node))
            or isinstance(node, ast.Import | ast.ImportFrom)
            or _is_type_checking(node)
            or _is_all(node)
        ):
            out.append(node)
    return out


def _strip(source: str, tree: ast.Module) -> str:
    """`source` without the statements `dropped` names, the rest verbatim, with
    no leading or trailing blank lines."""
    gone: set[int] = set()
    for node in dropped(tree):
        end = node.end_lineno if node.end_lineno is not None else node.lineno
        gone.update(range(node.lineno, end + 1))
    lines = source.splitlines(keepends=True)
    text = "".join(line for no, line in enumerate(lines, 1) if no not in gone)
    return _BLANK_RUN.sub("\n\n\n", text).strip("\n")


def embeddable(source: str, name: str) -> str:
    """What the module keeps of a file's `source` (see the module docstring)."""
    return _strip(source, ast.parse(source, name))


def read(relative: str) -> str:
    """The text of a file of the `specc` package."""
    return (PACKAGE / relative).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Impl:
    """A catalog kind's NumPy code: the function an entry names as `impl=`."""

    catalog: str
    kind: str
    #: the function's name, which the module keeps
    name: str
    #: the dispatch table of the module that holds it
    table: str
    #: the function's source, verbatim
    source: str


def _impl_calls(tree: ast.Module) -> list[tuple[str, str]]:
    """(kind, function name) of every call `X("kind", ..., impl=function, ...)`
    in the top-level assignments of a catalog file (its registry and any entry
    kept apart), in source order."""
    found: list[tuple[int, int, str, str]] = []
    for top in tree.body:
        if not isinstance(top, ast.Assign | ast.AnnAssign):
            continue
        for node in ast.walk(top):
            if not isinstance(node, ast.Call):
                continue
            impl = next((k.value for k in node.keywords if k.arg == "impl"), None)
            if impl is None:
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(impl, ast.Name) and isinstance(first, ast.Constant)):
                msg = f"line {node.lineno}: impl= needs a kind literal and a function name"
                raise EmbedError(msg)
            found.append((node.lineno, node.col_offset, str(first.value), impl.id))
    return [(kind, name) for _, _, kind, name in sorted(found)]


def catalog_impls(catalog: str, relative: str, tables: dict[str, str]) -> list[Impl]:
    """The kinds of one catalog file and their code, in source order."""
    source = read(relative)
    tree = ast.parse(source, relative)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    lines = source.splitlines(keepends=True)
    out: list[Impl] = []
    for kind, name in _impl_calls(tree):
        fn = functions.get(name)
        if fn is None or fn.decorator_list or fn.end_lineno is None or fn.returns is None:
            raise EmbedError(f"{relative}: {kind}: impl {name} is not a plain top-level function")
        returns = ast.unparse(fn.returns)
        if returns not in tables:
            raise EmbedError(f"{relative}: {name} returns {returns}, not one of {list(tables)}")
        text = "".join(lines[fn.lineno - 1 : fn.end_lineno]).rstrip("\n")
        out.append(Impl(catalog, kind, name, tables[returns], text))
    return out


def all_impls() -> list[Impl]:
    """Every catalog kind's code, catalog by catalog."""
    return [i for c, f, tables in CATALOG_FILES for i in catalog_impls(c, f, tables)]


def mapping_literal(pairs: list[tuple[str, str]]) -> str:
    """`MappingProxyType({key: value, ...})` as ruff's formatter writes it; keys
    are written as string literals, values as given (names or literals)."""
    rows = "".join(f'        "{key}": {value},\n' for key, value in pairs)
    return f"MappingProxyType(\n    {{\n{rows}    }}\n)"


def _dispatch_table(impls: list[Impl], table: str) -> str:
    """The literal of one dispatch table: kind -> its function."""
    return mapping_literal([(i.kind, i.name) for i in impls if i.table == table])


def _strings(table: dict[str, str]) -> str:
    return mapping_literal([(k, f'"{v}"') for k, v in table.items()])


def _tf_dtypes_literal(table: dict[int, tuple[str, int]]) -> str:
    """The TF dtype table, keyed by number, as ruff's formatter writes it."""
    rows = "".join(f'        {k}: ("{name}", {size}),\n' for k, (name, size) in table.items())
    return f"MappingProxyType(\n    {{\n{rows}    }}\n)"


@dataclass(frozen=True, slots=True)
class EmbeddedCode:
    """The template's code values: the dtype tables, the runtime, the kinds'
    code and their dispatch tables (each a literal or source text)."""

    npy_dtypes: str
    safetensors_dtypes: str
    tf_dtypes: str
    safetensors_bits: str
    runtime: str
    impls: str
    samplers: str
    builders: str
    regularizers: str
    constraints: str


@cache
def embedded_code() -> EmbeddedCode:
    """The code every generated module holds, assembled from the package's files
    (built once per process: it depends on nothing else)."""
    impls = all_impls()
    return EmbeddedCode(
        npy_dtypes=_strings(npy_dtypes()),
        safetensors_dtypes=_strings(safetensors_dtypes()),
        tf_dtypes=_tf_dtypes_literal(tf_dtypes()),
        safetensors_bits=mapping_literal([(k, str(v)) for k, v in safetensors_bits().items()]),
        runtime="\n\n\n".join(embeddable(read(f), f) for f in RUNTIME_FILES),
        impls="\n\n\n".join(i.source for i in impls),
        samplers=_dispatch_table(impls, "_SAMPLERS"),
        builders=_dispatch_table(impls, "_BUILDERS"),
        regularizers=_dispatch_table(impls, "_REGULARIZERS"),
        constraints=_dispatch_table(impls, "_CONSTRAINTS"),
    )


def defined_names(tree: ast.Module) -> list[str]:
    """The names the top-level statements of a tree define, in order (with
    repeats: the module is one namespace, so a repeat is a clash)."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def check_embedded(code: EmbeddedCode) -> None:
    """Raise EmbedError when the assembled code breaks what the module relies on:
    an import left in kept code (inside a function, say), which the module's
    one import block would not provide, or a name two files (or kinds) define.
    (Run by the tests; a render does not pay for it.)"""
    tree = ast.parse(code.runtime + "\n\n\n" + code.impls)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise EmbedError(f"line {node.lineno}: an import the generated module would lack")
    seen: set[str] = set()
    for name in defined_names(tree):
        if name in seen:
            raise EmbedError(f"{name} is defined twice in the generated module")
        seen.add(name)
