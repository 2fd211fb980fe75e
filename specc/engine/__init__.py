"""TF1's variable-scope semantics, driven from Python (no YAML here).

from specc.engine import Engine, Reuse

eng = Engine()
with eng.variable_scope("foo"):
    eng.get_variable("v", shape=(1,))
with eng.variable_scope("foo", reuse=Reuse.YES):
    eng.get_variable("v", shape=(1,))   # the same variable
"""

from __future__ import annotations

from specc.engine.engine import Engine, Template
from specc.engine.errors import EngineError
from specc.engine.options import LiteralValue, Option
from specc.engine.scopes import Reuse, ScopeOptions, VariableScope
from specc.engine.store import PartitionedVariable, Variable

__all__ = [
    "Engine",
    "EngineError",
    "LiteralValue",
    "Option",
    "PartitionedVariable",
    "Reuse",
    "ScopeOptions",
    "Template",
    "Variable",
    "VariableScope",
]
