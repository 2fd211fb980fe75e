"""The package's layering, read from its imports (ast over specc/**/*.py, every
import anywhere in a file, `if TYPE_CHECKING:` ones included) and checked in a
fresh interpreter for what importing a module loads (docs/design.md, "Where
each concept lives")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: package (or module) -> what it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "specc.engine": (
        "yaml",
        "specc.source",
        "specc.lang",
        "specc.resolve",
        "specc.emit",
        "specc.reports",
        "specc.formats",
        "specc.runtime",
        "numpy",
        "jinja2",
    ),
    "specc.source": ("specc.lang", "specc.engine", "specc.resolve", "specc.emit", "pydantic"),
    "specc.lang": ("specc.engine", "specc.resolve", "specc.emit", "specc.reports"),
    "specc.table": ("specc.engine", "specc.lang", "specc.source", "pydantic", "yaml"),
    "specc.emit": ("specc.engine", "specc.lang", "specc.source", "specc.resolve", "yaml"),
    "specc.diagnostics": ("specc.source", "specc.lang", "specc.engine", "specc.resolve"),
    "specc.reports": ("specc.emit",),
}


def imported_modules(tree: ast.Module, package: str) -> set[str]:
    """Every module a file imports, anywhere in it (also inside functions and
    `if TYPE_CHECKING:`), with relative imports resolved against `package`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules() -> list[tuple[str, set[str]]]:
    out = []
    for path in sorted((ROOT / "specc").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
        package = ".".join(rel.parts[:-1])
        out.append((".".join(parts), imported_modules(ast.parse(path.read_text()), package)))
    return out


MODULES = _modules()


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downward(layer: str) -> None:
    offenders = [
        f"{module} imports {imp}"
        for module, imports in MODULES
        if _under(module, layer)
        for imp in sorted(imports)
        if any(_under(imp, bad) for bad in FORBIDDEN[layer])
    ]
    assert offenders == []


def test_no_module_outside_the_cli_imports_it() -> None:
    """The library does not depend on its command line. `specc/__main__.py` is
    `python -m specc`, an entry point like the console scripts, imported by no one."""
    offenders = [
        module
        for module, imports in MODULES
        if not _under(module, "specc.cli") and module != "specc.__main__"
        if any(_under(m, "specc.cli") for m in imports)
    ]
    assert offenders == []


def test_embedded_code_imports_only_numpy_and_the_stdlib() -> None:
    """specc/runtime and specc/formats are copied into generated modules, which
    need nothing but NumPy and the standard library (and ml_dtypes when present)."""
    allowed = set(sys.stdlib_module_names) | {"numpy", "ml_dtypes", "specc"}
    # the stand-ins, in the package, for the tables the emitter writes into each
    # module from the one dtype table: imported by specc, never embedded
    stand_ins = {"specc.formats.tables", "specc.runtime.generated"}
    offenders = [
        f"{module} imports {imp}"
        for module, imports in MODULES
        if (_under(module, "specc.runtime") or _under(module, "specc.formats"))
        and module not in stand_ins
        for imp in sorted(imports)
        if imp.split(".")[0] not in allowed
        or (
            _under(imp, "specc")
            and not (_under(imp, "specc.runtime") or _under(imp, "specc.formats"))
        )
    ]
    assert offenders == []


def test_the_import_reader_sees_every_spelling() -> None:
    """The reader above catches each way of importing a module."""
    for text in (
        "import specc.cli",
        "from specc import cli",
        "from specc.cli import main",
        "def f():\n    from specc.cli.check import COMMAND",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from specc.cli import ExitCode",
        "from .. import cli",
        "from ..cli import main",
    ):
        imports = imported_modules(ast.parse(text), "specc.reports")
        assert any(_under(m, "specc.cli") for m in imports), text


@pytest.mark.parametrize("module", ["specc.table", "specc.emit", "specc.diagnostics"])
def test_plain_data_modules_load_no_compiler(module: str) -> None:
    """Importing the table, the emitter or the diagnostics loads neither the
    engine, nor pydantic, nor yaml."""
    code = (
        f"import sys, {module}\n"
        "bad = ('specc.engine', 'specc.lang', 'specc.source', 'pydantic', 'yaml')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'yaml')"
        " or any(m == b or m.startswith(b + '.') for b in bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: functions allowed past the size rule, each with the figure that keeps it
#: whole in its docstring (docs/design.md, "Performance notes")
LONG_ON_PURPOSE = {"specc/source/compose.py:_build"}


def test_no_function_is_long() -> None:
    """No function over 80 lines (cyclomatic complexity over 15 is ruff's C901,
    configured in pyproject.toml), except the measured hot loop."""
    long = []
    for path in sorted((ROOT / "specc").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                where = f"{path.relative_to(ROOT)}:{node.name}"
                if size > 80 and where not in LONG_ON_PURPOSE:
                    long.append(f"{where} ({size} lines)")
    assert long == []
    for where in LONG_ON_PURPOSE:
        file, name = where.split(":")
        tree = ast.parse((ROOT / file).read_text())
        (fn,) = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
        assert "instructions" in (ast.get_docstring(fn) or ""), where
