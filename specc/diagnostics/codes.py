"""The registry of diagnostic codes: one `Final` constant per code.

A code is a name (what users see in `error[variable-exists]` and in `--json`),
a severity and a one-line summary. The long-form documentation of each code
(explanation, failing spec, fix) lives in data files beside this module and is
read only by `specc explain-code`, the docs generator and the tests (see
`specc.diagnostics.explain`); compiling a spec never reads it.

Construct diagnostics with these constants (`Diagnostic(codes.SCHEMA, ...)`):
a misspelt constant is caught by the type checker, a misspelt string only at
run time (`Diagnostic` validates names against `CODES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Severity(StrEnum):
    """How bad a diagnostic is; an error makes the compilation fail."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    """One diagnostic code: its name, default severity and one-line summary."""

    name: str
    summary: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return self.name


YAML_SYNTAX: Final = Code(
    "yaml-syntax",
    "the file is not valid YAML, uses a tab for indentation, a non-standard "
    "tag, or repeats a mapping key",
)
SCHEMA: Final = Code(
    "schema",
    "the document does not match the spec language: a missing, unknown or "
    "ill-typed key, an unknown catalog kind or argument, a bad dtype or dimension",
)
EXPRESSION: Final = Code(
    "expression",
    "an expression names an unknown `$name`, mixes types, divides by zero or is malformed",
)
VARIABLE_EXISTS: Final = Code(
    "variable-exists",
    "a `var` names a variable that already exists in a scope that "
    "does not reuse (TF: 'Variable X already exists, disallowed')",
)
VARIABLE_MISSING: Final = Code(
    "variable-missing",
    "a `var` in a reusing scope names a variable that does not exist "
    "(TF: 'Variable X does not exist'), or a template instance's later call creates a "
    "trainable variable",
)
SHAPE_MISMATCH: Final = Code("shape-mismatch", "a shared variable is asked for with another shape")
DTYPE_MISMATCH: Final = Code(
    "dtype-mismatch",
    "a shared variable is asked for with another dtype, or a `value` "
    "literal disagrees with an explicit dtype",
)
SHAPE_UNDEFINED: Final = Code(
    "shape-undefined", "a new variable has no shape and its initializer cannot supply one"
)
INITIALIZER_REQUIRED: Final = Code(
    "initializer-required",
    "a new variable of a dtype without a default initializer (complex) has no initializer",
)
INITIALIZER_SHAPE: Final = Code(
    "initializer-shape",
    "a literal `value` or `constant` does not fit the shape, or a "
    "`value` is given together with `shape`",
)
INITIALIZER_DTYPE: Final = Code(
    "initializer-dtype",
    "an initializer cannot produce the variable's dtype (a float sampler on an integer variable)",
)
INITIALIZER_RANK: Final = Code(
    "initializer-rank",
    "an initializer needs another rank (orthogonal needs at least "
    "2 dimensions, identity exactly 2)",
)
CHECKPOINT: Final = Code(
    "checkpoint",
    "a `checkpoint` initializer's file cannot be used: it is missing, a folder, "
    "unreadable, outside the allowed folders, not `.npz` or `.safetensors`, malformed, "
    "or lacks the array's key",
)
UNSUPPORTED: Final = Code(
    "unsupported",
    "a variable TF accepts but a generated module cannot hold: one of more than "
    "64 dimensions (NumPy's limit)",
)
REUSE_WITHOUT_NAME: Final = Code(
    "reuse-without-name",
    "`reuse: true` or `reuse: auto` on a scope opened with `scope: null` and a `default_name`",
)
PARTITION_MISMATCH: Final = Code(
    "partition-mismatch", "a partitioned variable is reused with another partitioning"
)
PARTITION_CLASH: Final = Code(
    "partition-clash", "partitioned and unpartitioned versions of one name meet"
)
PARTITION_INVALID: Final = Code(
    "partition-invalid",
    "a partitioner cannot split the variable (zero shards, an axis "
    "outside the rank, a non-positive size)",
)
UNKNOWN_REF: Final = Code(
    "unknown-ref", "a `{ref}`, `use`, `values` entry or `capture` names nothing"
)
INVALID_NAME: Final = Code(
    "invalid-name", "a variable, scope, name scope or op name breaks TF's naming rules"
)
INCLUDE: Final = Code(
    "include",
    "an include is absolute, leaves the spec's folder, is missing or forms a cycle",
)
LIMIT: Final = Code(
    "limit", "a resource limit was exceeded; the message names the flag that raises it"
)

# ------------------------------------------------------------------ warnings:
# legal, but likely not what was meant; exit 0 unless --strict

UNUSED_PARAM: Final = Code(
    "unused-param", "a param no expression of the spec uses", Severity.WARNING
)
UNUSED_TEMPLATE: Final = Code(
    "unused-template",
    "a template of the spec (or of a file it includes, not the standard library) "
    "that no `use` names",
    Severity.WARNING,
)
UNUSED_ARGUMENT: Final = Code(
    "unused-argument", "a template argument its body never uses", Severity.WARNING
)
UNUSED_CAPTURE: Final = Code(
    "unused-capture",
    "a `capture:` no `{ref}` names, or an `instance:` used only once (it shares nothing)",
    Severity.WARNING,
)
NEAR_DUPLICATE: Final = Code(
    "near-duplicate",
    "`reuse: auto` created a variable whose name differs from an existing one only by "
    "`_N` suffixes: a default name made unique where sharing was meant",
    Severity.WARNING,
)
LOCAL_NOT_TRAINABLE: Final = Code(
    "local-not-trainable",
    "`local: true` beside `trainable: true`: a local variable is never trainable",
    Severity.WARNING,
)
UNUSED_PARTITIONER: Final = Code(
    "unused-partitioner",
    "a partitioner that partitions no variable (every variable it could apply to is "
    "a scalar, shared, or has a partitioner of its own)",
    Severity.WARNING,
)
CONSTANT_IF: Final = Code(
    "constant-if",
    "an `if:` whose condition names no param or argument: always or never true",
    Severity.WARNING,
)

#: Every code by name, in the order the docs list them (read-only).
CODES: Final[Mapping[str, Code]] = MappingProxyType(
    {
        c.name: c
        for c in (
            YAML_SYNTAX,
            SCHEMA,
            EXPRESSION,
            VARIABLE_EXISTS,
            VARIABLE_MISSING,
            SHAPE_MISMATCH,
            DTYPE_MISMATCH,
            SHAPE_UNDEFINED,
            INITIALIZER_REQUIRED,
            INITIALIZER_SHAPE,
            INITIALIZER_DTYPE,
            INITIALIZER_RANK,
            CHECKPOINT,
            UNSUPPORTED,
            REUSE_WITHOUT_NAME,
            PARTITION_MISMATCH,
            PARTITION_CLASH,
            PARTITION_INVALID,
            UNKNOWN_REF,
            INVALID_NAME,
            INCLUDE,
            LIMIT,
            UNUSED_PARAM,
            UNUSED_TEMPLATE,
            UNUSED_ARGUMENT,
            UNUSED_CAPTURE,
            NEAR_DUPLICATE,
            LOCAL_NOT_TRAINABLE,
            UNUSED_PARTITIONER,
            CONSTANT_IF,
        )
    }
)


def lookup(code: Code | str) -> Code:
    """The registered code for a constant or a name; ValueError for an unknown name."""
    name = code.name if isinstance(code, Code) else code
    found = CODES.get(name)
    if found is None:
        raise ValueError(f"unknown diagnostic code {name!r}")
    return found
