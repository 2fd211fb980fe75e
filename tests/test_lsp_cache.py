"""`FileCache`, the loader hook the language server keeps parsed includes in:
an unchanged include (or the standard library) is parsed once, a changed one
again, and a cached load gives exactly what an uncached one gives."""

from __future__ import annotations

from pathlib import Path

from specc.diagnostics import codes
from specc.limits import Limits
from specc.pipeline import compile_loaded
from specc.source import FileCache, load_text

SPEC = """\
specc: 1
name: m
include: [blocks.yaml, std]
body:
  - use: block
  - use: dense
    with: {in_dim: 2, units: 3}
"""
BLOCKS = """\
specc: 1
templates:
  block:
    body:
      - var: w
        shape: [2]
"""


def _names(loaded: object) -> list[str]:
    comp = compile_loaded(loaded)  # type: ignore[arg-type]
    assert comp.ok, comp.diagnostics
    assert comp.table is not None
    return [v.name for v in comp.table.variables]


def test_an_unchanged_include_is_parsed_once(tmp_path: Path) -> None:
    (tmp_path / "blocks.yaml").write_text(BLOCKS)
    spec = str(tmp_path / "spec.yaml")
    cache = FileCache()
    first = load_text(SPEC, spec, cache=cache)
    parsed = cache.misses
    assert parsed == len(first.includes) > 10  # blocks.yaml and every std file
    second = load_text(SPEC + "\n", spec, cache=cache)
    assert cache.misses == parsed and cache.hits == len(second.includes)
    assert _names(second) == _names(first) == _names(load_text(SPEC, spec))
    del first.sources[spec], second.sources[spec]
    assert second.sources == first.sources


def test_a_changed_include_is_parsed_again(tmp_path: Path) -> None:
    blocks = tmp_path / "blocks.yaml"
    blocks.write_text(BLOCKS)
    spec = str(tmp_path / "spec.yaml")
    cache = FileCache()
    load_text(SPEC, spec, cache=cache)
    blocks.write_text(BLOCKS.replace("shape: [2]", "shape: [5]"))
    loaded = load_text(SPEC, spec, cache=cache)
    comp = compile_loaded(loaded)
    assert comp.table is not None
    assert comp.table.variables[0].shape == (5,)


def test_an_overlay_is_read_instead_of_the_disk(tmp_path: Path) -> None:
    blocks = tmp_path / "blocks.yaml"
    blocks.write_text(BLOCKS)
    cache = FileCache()
    cache.set_overlay(str(blocks.resolve()), BLOCKS.replace("var: w", "var: u"))
    loaded = load_text(SPEC, str(tmp_path / "spec.yaml"), cache=cache)
    assert _names(loaded)[0] == "block/u"
    cache.set_overlay(str(blocks.resolve()), None)
    assert _names(load_text(SPEC, str(tmp_path / "spec.yaml"), cache=cache))[0] == "block/w"


def test_a_cached_include_still_counts_toward_the_node_limit(tmp_path: Path) -> None:
    (tmp_path / "blocks.yaml").write_text(BLOCKS)
    spec = str(tmp_path / "spec.yaml")
    cache = FileCache()
    load_text(SPEC, spec, cache=cache)
    limits = Limits(max_nodes=60)
    uncached = load_text(SPEC, spec, limits)
    cached = load_text(SPEC, spec, limits, cache=cache)
    assert [d.code for d in cached.diagnostics] == [d.code for d in uncached.diagnostics]
    assert codes.LIMIT.name in [d.code for d in cached.diagnostics]


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    cache = FileCache(max_files=3)
    for i in range(5):
        (tmp_path / f"b{i}.yaml").write_text(BLOCKS.replace("block:", f"block{i}:"))
        text = SPEC.replace("blocks.yaml, std", f"b{i}.yaml").replace(
            "use: block", f"use: block{i}"
        )
        text = text.replace("  - use: dense\n    with: {in_dim: 2, units: 3}\n", "")
        load_text(text, str(tmp_path / "spec.yaml"), cache=cache)
    assert len(cache._parsed) == 3
