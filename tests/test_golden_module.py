"""Golden test of a generated module (black/CUE style): the exact text specc emits
for a small spec is pinned, so any change to generated code shows up in review.
Rewrite it with SPECC_UPDATE_GOLDEN=1 after an intended change."""

from __future__ import annotations

import os
from pathlib import Path

from specc.emit import render_module
from specc.pipeline import compile_text

GOLDEN = Path(__file__).resolve().parent / "golden" / "tiny_module.py"
SPEC = """\
specc: 1
name: tiny
seed: 7
body:
  - scope: dense
    body:
      - var: kernel
        shape: [3, 2]
        regularizer: {l2: {scale: 0.01}}
        constraint: {max_norm: {max_value: 2}}
      - var: bias
        shape: [2]
        initializer: zeros
  - var: emb
    shape: [5, 2]
    partitioner: {fixed_size: {num_shards: 2}}
    initializer: {truncated_normal: {stddev: 0.02}}
  - var: ids
    initializer: {value: [1, 2, 3]}
"""


def _render() -> str:
    comp = compile_text(SPEC, "models/tiny.yaml")
    assert comp.ok and comp.table is not None
    return render_module(comp.table, "models/tiny.yaml", "models/tiny.py")


def test_generated_module_matches_golden() -> None:
    text = _render()
    if os.environ.get("SPECC_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "SPECC_UPDATE_GOLDEN=1 to rewrite"


def test_rendering_is_stable() -> None:
    assert _render() == _render()
