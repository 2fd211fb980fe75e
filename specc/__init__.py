"""specc: a compiler for declarative model specs with TensorFlow-1 variable-scope
semantics.

    from specc import compile_file
    result = compile_file("model.yaml")
    if result.ok:
        for row in result.table.variables:
            print(row.name, row.shape)

The names below are imported on first use, so that importing one stage (or
running `specc --version`) does not load the whole pipeline.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Compilation": "specc.pipeline",
    "UnknownParamError": "specc.pipeline",
    "compile_file": "specc.pipeline",
    "compile_text": "specc.pipeline",
    "Diagnostic": "specc.diagnostics",
    "SpecError": "specc.diagnostics",
    "Row": "specc.table",
    "VariableTable": "specc.table",
}

if TYPE_CHECKING:
    from specc.diagnostics import Diagnostic, SpecError
    from specc.pipeline import Compilation, UnknownParamError, compile_file, compile_text
    from specc.table import Row, VariableTable


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specc' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "Compilation",
    "Diagnostic",
    "Row",
    "SpecError",
    "UnknownParamError",
    "VariableTable",
    "__version__",
    "compile_file",
    "compile_text",
]
