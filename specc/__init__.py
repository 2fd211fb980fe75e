"""specc: a compiler for declarative model specs with TensorFlow-1 variable-scope
semantics.

    from specc import compile_file
    result = compile_file("model.yaml")
    if result.ok:
        for row in result.table.variables:
            print(row.name, row.shape)
"""

from __future__ import annotations

__version__ = "0.1.0"

from specc.compiler import Compilation, UnknownParamError, compile_file, compile_text
from specc.diagnostics import Diagnostic, SpecError
from specc.table import Row, VariableTable

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
