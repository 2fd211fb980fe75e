"""Hostile specs do bounded work: limits are hit before anything is expanded,
and what must grow with the spec grows linearly (counted, not timed: the times
are printed by benchmarks/hostile.py)."""

from __future__ import annotations

import tracemalloc

import pytest

from specc.engine.engine import Engine
from specc.limits import Limits
from specc.pipeline import compile_text
from specc.source import nodes

HEADER = "specc: 1\nname: m\n"


def codes_of(text: str, limits: Limits | None = None) -> list[str]:
    comp = compile_text(text, limits=limits or Limits())
    return [d.code for d in comp.diagnostics]


def fan_out(levels: int) -> str:
    """A template that uses the next one twice, `levels` deep: 2**levels leaves."""
    lines = [HEADER + "templates:\n"]
    for i in range(levels):
        lines.append(f"  t{i}:\n    body:\n      - use: t{i + 1}\n      - use: t{i + 1}\n")
    lines.append(f"  t{levels}:\n    body:\n      - var: v\n        shape: [1]\n")
    lines.append("body:\n  - use: t0\n")
    return "".join(lines)


def test_an_empty_repeat_counts_its_iterations() -> None:
    tracemalloc.start()
    try:
        found = codes_of(HEADER + "body:\n  - repeat: 1000000000000\n    body: []\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == ["limit"]
    assert peak < 50 << 20


def test_a_fan_out_past_the_limit_fails_before_expanding() -> None:
    tracemalloc.start()
    try:
        comp = compile_text(fan_out(40))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.code for d in comp.diagnostics] == ["limit"]
    message = comp.diagnostics[0].message
    assert "template 't0' runs at least" in message and "--max-statements" in message
    span = comp.diagnostics[0].span
    assert span is not None and (span.line, span.column) == (3 + 4 * 41 + 2, 5)  # the `use: t0`
    assert peak < 50 << 20


def test_a_fan_out_within_the_limit_runs() -> None:
    comp = compile_text(fan_out(4))
    assert comp.ok, comp.diagnostics
    assert comp.summary()[0] == 2**4  # each leaf use opens a scope of its own


def test_if_keeps_a_fan_out_from_being_refused_in_advance() -> None:
    """Only statements that must run count in advance: a conditional body may
    be skipped, so it is counted as it runs."""
    text = HEADER + (
        "params: {on: false}\n"
        "body:\n  - repeat: 100000000\n    body:\n      - op: o\n        if: $on\n"
    )
    found = codes_of(text, Limits(max_statements=1000))
    assert found == ["limit"]  # each iteration still counts itself


@pytest.mark.parametrize("n", [500, 2000])
def test_default_names_are_found_in_linear_work(n: int) -> None:
    eng = Engine()
    for _ in range(n):
        with eng.variable_scope(None, default_name="layer"):
            pass
    assert eng._ts.probes <= 2 * n


def test_chained_params_make_linear_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    made = 0
    real = nodes.unpack

    def counting(file: str, pos: int) -> object:
        nonlocal made
        made += 1
        return real(file, pos)

    monkeypatch.setattr(nodes, "unpack", counting)
    n = 1000
    lines = [HEADER + "params:\n  p0: 1\n"]
    lines += [f"  p{i}: $p{i - 1} + 1\n" for i in range(1, n)]
    lines.append(f"body:\n  - var: v\n    shape: [$p{n - 1}]\n")
    comp = compile_text("".join(lines))
    assert comp.ok
    assert comp.summary()[1] == n
    assert made <= 5 * n
