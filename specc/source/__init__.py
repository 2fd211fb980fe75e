"""YAML text -> located plain data: the loading stage (DESIGN sections 1, 5, 9).

The loader turns a spec file, and every file it includes, into plain Python data
(`dict`, `list`, `str`, `int`, `float`, `bool`, `None`) in which every mapping is a
`LocDict` and every sequence a `LocList`, so later stages can point at the key or
value an error is about without ever looking at YAML text again.

- `nodes`: the located data (`LocDict`, `LocList`, `SourceFile`, `LoadResult`);
- `scalars`: the YAML 1.2 core schema and the standard tags;
- `compose`: one document's tree from parse events, counting nodes;
- `loader`: files and includes (`FileCache` keeps parsed includes between loads).
"""

from __future__ import annotations

from typing import Any

from specc.diagnostics import Diagnostic
from specc.limits import DEFAULT_LIMITS, Limits
from specc.source.compose import Budget, compose_document, yaml_depth_limit
from specc.source.loader import FileCache, by_position, load_file, load_text, std_names
from specc.source.nodes import LoadResult, LocDict, LocList, SourceFile
from specc.source.scalars import yaml_scalar

__all__ = [
    "FileCache",
    "LoadResult",
    "LocDict",
    "LocList",
    "SourceFile",
    "load_file",
    "load_text",
    "parse_yaml",
    "std_names",
    "yaml_depth_limit",
    "yaml_scalar",
]


def parse_yaml(
    text: str, filename: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[LocDict | LocList | Any, list[Diagnostic]]:
    """Parse one YAML document into located plain data; no include handling.

    Returns the root value (`None` for an empty stream or after a fatal error)
    and the diagnostics (`yaml-syntax` or `limit`), in source order. Never
    raises on any input.
    """
    root, _, diags = compose_document(text, filename, limits, Budget())
    return root, by_position(diags)
