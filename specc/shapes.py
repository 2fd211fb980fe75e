"""Shapes as text: the one formatter of each form.

- `shape_list((2, 3))` -> `[2, 3]`: how a spec writes a shape, and how every
  report (table, tree, diff, against, warm start) shows one;
- `tf_shape((4,))` -> `(4,)`: `TensorShape`'s `str()`, kept verbatim in the
  messages that reproduce TF's own errors.
"""

from __future__ import annotations


def shape_list(shape: tuple[int, ...]) -> str:
    """`[2, 3]`, `[4]`, `[]`."""
    return "[" + ", ".join(map(str, shape)) + "]"


def tf_shape(shape: tuple[int, ...] | None) -> str:
    """TensorShape's str(): `(2, 3)`, `(4,)`, `()`; `<unknown>` when unknown."""
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
