"""Graph names: TF's `Graph.unique_name` and name-scope rules.

Names in use are shared by every thread of one graph and compared
case-insensitively; the name-scope stack itself is per thread and lives in the
engine's thread state.
"""

from __future__ import annotations

import re

from specc.diagnostics import codes
from specc.engine.errors import EngineError

#: TF's `_VALID_OP_NAME_REGEX` (a root name scope or op) and
#: `_VALID_SCOPE_NAME_REGEX` (a name inside a scope). Matched in full, so a
#: trailing newline is rejected too (TF's `re.match` with `$` would let one by).
VALID_ROOT_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*")
VALID_SCOPE_NAME = re.compile(r"[A-Za-z0-9_.\\/>-]*")


class Graph:
    """The names used in one graph (`Graph._names_in_use`)."""

    __slots__ = ("names_in_use", "nodes")

    def __init__(self) -> None:
        self.names_in_use: dict[str, int] = {}
        #: the exact names of the nodes made so far (ops, variables, parts)
        self.nodes: set[str] = set()

    def add_node(self, name: str) -> None:
        """A node of this exact name is created: TF's C API rejects a duplicate
        (possible only through an op name ending in "/", which is used as is)."""
        if name in self.nodes:
            raise EngineError(
                codes.INVALID_NAME,
                f"Duplicate node name in graph: '{name}'",
                hint="an op name ending in '/' is used exactly as written; another node "
                "already has that name",
            )
        self.nodes.add(name)

    def unique_name(self, name: str, stack: str) -> str:
        """`Graph.unique_name(name)` under the name-scope `stack`; marks it used."""
        if stack:
            name = stack + "/" + name
        key = name.lower()
        used = self.names_in_use
        i = used.get(key, 0)
        used[key] = i + 1
        if i > 0:
            base = key
            while key in used:
                key = f"{base}_{i}"
                i += 1
            used[key] = 1
            name = f"{name}_{i - 1}"
        return name

    def is_used(self, name: str) -> bool:
        return name.lower() in self.names_in_use


def _shown(name: str) -> str:
    """A name as it may be printed on one line (control characters escaped)."""
    return name if name.isprintable() else repr(name)[1:-1]


def check_scope_name(name: str, stack: str) -> None:
    """TF's validation in `Graph.name_scope`: stricter at the root."""
    if stack:
        if not VALID_SCOPE_NAME.fullmatch(name):
            raise EngineError(
                codes.INVALID_NAME,
                f"'{_shown(name)}' is not a valid scope name. A scope name has to match the "
                f"following pattern: ^{VALID_SCOPE_NAME.pattern}$",
                hint="names may use letters, digits and _ . \\ / > -",
            )
    elif not VALID_ROOT_NAME.fullmatch(name):
        raise EngineError(
            codes.INVALID_NAME,
            f"'{_shown(name)}' is not a valid root scope name. A root scope name has to match the "
            f"following pattern: ^{VALID_ROOT_NAME.pattern}$",
            hint="a name at the root starts with a letter, digit or '.', and may use "
            "letters, digits and _ . \\ / > -",
        )


def check_node_name(name: str) -> None:
    """TF's final check on a node's name (`_VALID_OP_NAME_REGEX`, whatever the
    name scope): only a name used as written (`op: "_x/"`) can fail it."""
    if not VALID_ROOT_NAME.fullmatch(name):
        raise EngineError(
            codes.INVALID_NAME,
            f"`{name}` is not a valid node name. Accepted names conform to Regex "
            f"/^{VALID_ROOT_NAME.pattern}$/",
            hint="a node name starts with a letter, digit or '.'",
        )
