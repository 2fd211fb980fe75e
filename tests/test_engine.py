"""The scope engine driven from Python alone: no YAML anywhere."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specc.catalog import default_catalogs
from specc.catalog.dtypes import DTYPES
from specc.engine.engine import Engine
from specc.engine.errors import EngineError
from specc.engine.options import LiteralValue, Option
from specc.engine.scopes import Reuse, ScopeOptions


def _partitioner(kind: str, **args: object) -> Option:  # type: ignore[type-arg]
    entry = default_catalogs().partitioner[kind]
    return Option(entry, entry.args.model_validate(args))


def test_reuse_true_shares_and_name_scopes_are_made_unique() -> None:
    eng = Engine()
    with eng.variable_scope("foo"):
        v1 = eng.get_variable("v", shape=(1,))
        eng.op("mult")
    with eng.variable_scope("foo", reuse=Reuse.YES):
        v2 = eng.get_variable("v", shape=(1,))
        eng.op("mult")
    assert v1 is v2
    assert list(eng.store.vars) == ["foo/v"]
    assert eng.ops == ["foo/mult", "foo_1/mult"]


def test_variable_exists_names_the_first_definition_and_the_fix() -> None:
    eng = Engine()
    with eng.variable_scope("foo"):
        eng.get_variable("v", shape=(1,))
        with pytest.raises(EngineError) as e:
            eng.get_variable("v", shape=(1,))
    assert e.value.code.name == "variable-exists"
    assert e.value.variable == "foo/v"
    assert "reuse" in (e.value.hint or "")


def test_default_names_count_per_parent_and_reset_when_the_parent_closes() -> None:
    eng = Engine()
    names = []
    for _ in range(2):
        with eng.variable_scope("outer"):
            for _ in range(2):
                with eng.variable_scope(None, default_name="layer") as s:
                    names.append(s.name)
    assert names == ["outer/layer", "outer/layer_1", "outer/layer", "outer/layer_1"]


def test_auto_reuse_creates_then_shares_and_inherited_true_is_relaxed_by_auto() -> None:
    eng = Engine()
    with eng.variable_scope("a", reuse=Reuse.AUTO):
        first = eng.get_variable("w", shape=(2,))
    with eng.variable_scope("a", reuse=Reuse.AUTO):
        assert eng.get_variable("w", shape=(2,)) is first
    with eng.variable_scope("b", reuse=Reuse.YES):
        with pytest.raises(EngineError) as e:
            eng.get_variable("x", shape=(1,))
        assert e.value.code.name == "variable-missing"
        with eng.variable_scope("c", reuse=Reuse.AUTO):
            eng.get_variable("x", shape=(1,))
    assert "b/c/x" in eng.store.vars


def test_shape_and_dtype_mismatch_on_share() -> None:
    eng = Engine()
    with eng.variable_scope("s"):
        eng.get_variable("w", shape=(2, 3))
    with eng.variable_scope("s", reuse=Reuse.YES):
        with pytest.raises(EngineError) as e:
            eng.get_variable("w", shape=(3, 2))
        assert e.value.code.name == "shape-mismatch"
        assert "(3, 2)" in e.value.message and "(2, 3)" in e.value.message
        with pytest.raises(EngineError) as e:
            eng.get_variable("w", dtype=DTYPES["float64"])
        assert e.value.code.name == "dtype-mismatch"


def test_captured_scope_reentry_restores_defaults_but_not_constraint() -> None:
    eng = Engine()
    inits = default_catalogs().initializer
    ones = Option(inits["ones"], inits["ones"].args())
    cons = default_catalogs().constraint["non_neg"]
    with eng.variable_scope(
        "enc", options=ScopeOptions(initializer=ones, constraint=Option(cons, cons.args()))
    ) as enc:
        a = eng.get_variable("a", shape=(1,))
    with eng.variable_scope("other"), eng.variable_scope(enc):
        b = eng.get_variable("b", shape=(1,))
        eng.op("op")
    assert a.constraint is not None and b.constraint is None
    assert b.initializer is ones
    assert b.name == "enc/b"
    assert eng.ops == ["other/enc/op"]


def test_graph_names_are_case_insensitive_and_rename_tensors_not_variables() -> None:
    eng = Engine()
    eng.op("layer/w")
    with eng.variable_scope("Layer"):
        v = eng.get_variable("w", shape=(1,))
    assert v.name == "Layer/w"
    assert v.tensor == "Layer/w_1:0"


def test_partitioned_variable_parts_and_offsets() -> None:
    eng = Engine()
    pv = eng.get_variable(
        "emb", shape=(10, 4), partitioner=_partitioner("fixed_size", num_shards=3)
    )
    assert [p.name for p in pv.parts] == ["emb/part_0", "emb/part_1", "emb/part_2"]  # type: ignore[union-attr]
    assert [p.shape for p in pv.parts] == [(4, 4), (3, 4), (3, 4)]  # type: ignore[union-attr]
    assert [p.offset for p in pv.parts] == [(0, 0), (4, 0), (7, 0)]  # type: ignore[union-attr]
    with pytest.raises(EngineError) as e:
        eng.get_variable("emb", shape=(10, 4))
    assert e.value.code.name == "partition-clash"


def test_templates_reuse_after_the_first_call_and_catch_new_trainables() -> None:
    eng = Engine()
    t = eng.make_template("dense")
    with eng.call_template(t):
        eng.get_variable("w", shape=(2,))
    with eng.call_template(t):
        eng.get_variable("w", shape=(2,))
    with (
        pytest.raises(EngineError) as e,
        eng.call_template(t),
        eng.variable_scope("inner", reuse=Reuse.AUTO),
    ):
        eng.get_variable("new", shape=(1,))
    assert e.value.code.name == "variable-missing"
    assert "Trainable variable created" in e.value.message


def test_threads_start_at_the_root_and_share_the_store() -> None:
    eng = Engine()
    with eng.variable_scope("outer"):
        with eng.thread():
            assert eng.current_scope.name == ""
            eng.get_variable("x", shape=(1,))
        assert eng.current_scope.name == "outer"
    assert "x" in eng.store.vars


def test_value_literal_infers_int32_and_rejects_an_explicit_other_dtype() -> None:
    eng = Engine()
    lit = LiteralValue.infer([1, 2, 3])
    assert lit.dtype.name == "int32" and lit.shape == (3,)
    with pytest.raises(EngineError) as e:
        eng.get_variable("ids", initializer=lit, dtype=DTYPES["float32"])
    assert e.value.code.name == "dtype-mismatch"
    v = eng.get_variable("ids", initializer=lit)
    assert v.dtype.name == "int32"


def test_two_engines_share_nothing() -> None:
    a, b = Engine(), Engine()
    with a.variable_scope("s"):
        a.get_variable("w", shape=(1,))
    with b.variable_scope("s") as s:
        b.get_variable("w", shape=(1,))
    assert s.name == "s"
    assert list(b.store.vars) == ["s/w"]


def test_every_get_variable_option_lands_in_its_field() -> None:
    """The request and the variable are built positionally on the hot path:
    every option, given a distinct value, comes out in its own field."""
    from specc.engine.store import Variable
    from specc.span import Span

    cats = default_catalogs()
    ones = Option(cats.initializer["ones"], cats.initializer["ones"].args())
    l2 = Option(cats.regularizer["l2"], cats.regularizer["l2"].args(scale=0.5))
    non_neg = Option(cats.constraint["non_neg"], cats.constraint["non_neg"].args())
    site = Span("s.yaml", 3, 4)
    e = Engine()
    with e.variable_scope("s"):
        v = e.get_variable(
            "w",
            shape=(2, 3),
            dtype=DTYPES["float64"],
            initializer=ones,
            regularizer=l2,
            constraint=non_neg,
            trainable=False,
            collections=("mine",),
            caching_device="/cpu:0",
            use_resource=True,
            synchronization="on_write",
            aggregation="sum",
            validate_shape=False,
            site=site,
        )
    assert isinstance(v, Variable)
    assert (v.name, v.tensor, v.shape, v.dtype) == ("s/w", "s/w:0", (2, 3), DTYPES["float64"])
    assert (v.trainable, v.collections) == (False, ("mine",))
    assert (v.initializer, v.regularizer, v.constraint) == (ones, l2, non_neg)
    assert (v.synchronization, v.aggregation) == ("on_write", "sum")
    assert (v.caching_device, v.use_resource, v.validate_shape) == ("/cpu:0", True, False)
    assert (v.read_dtype, v.defined_at) == (None, site)


def test_a_billion_parts_is_a_limit_before_any_part_is_made() -> None:
    """Each part counts toward --max-variables, checked before the slices are built
    (a billion parts would otherwise exhaust memory)."""
    from specc.catalog import default_catalogs
    from specc.engine.options import Option
    from specc.limits import Limits

    entry = default_catalogs().partitioner["fixed_size"]
    part = Option(entry, entry.args(num_shards=10**9))
    eng = Engine(Limits(max_variables=1000))
    with pytest.raises(EngineError) as info:
        eng.get_variable("emb", shape=(2 * 10**9, 1), partitioner=part)
    assert info.value.code.name == "limit"
    assert "1000000000 parts" in info.value.message
    assert "--max-variables" in info.value.message
    assert not eng.store.vars


class _NaiveEngine(Engine):
    """TF's own default-name search, scanning from `_1` every time."""

    def _unique_variable_scope(self, prefix: str) -> str:
        ts = self._ts
        base = f"{ts.current.name}/{prefix}" if ts.current.name else prefix
        if ts.counts.get(base, 0) == 0:
            return prefix
        idx = 1
        while ts.counts.get(f"{base}_{idx}", 0) > 0:
            idx += 1
        return f"{prefix}_{idx}"


@st.composite
def _scope_programs(draw: st.DrawFn, depth: int = 0) -> list[tuple[str, str, object]]:
    steps: list[tuple[str, str, object]] = []
    for _ in range(draw(st.integers(0, 6 if depth == 0 else 3))):
        kind = draw(st.sampled_from(["default", "named", "reenter", "var"]))
        name = draw(st.sampled_from(["a", "a_1", "a_2", "b", "A"]))
        inner = draw(_scope_programs(depth + 1)) if depth < 3 and kind != "var" else []
        steps.append((kind, name, inner))
    return steps


def _run_program(eng: Engine, steps: list[tuple[str, str, object]], names: list[str]) -> None:
    captured: list[object] = []
    for kind, name, inner in steps:
        if kind == "var":
            names.append(eng.get_variable(f"v{len(names)}", shape=(1,)).name)
            continue
        if kind == "reenter" and captured:
            target: object = captured[-1]
            cm = eng.variable_scope(target)  # type: ignore[arg-type]
        elif kind == "default":
            cm = eng.variable_scope(None, default_name=name)
        else:
            cm = eng.variable_scope(name)
        with cm as scope:
            captured.append(scope)
            names.append(scope.name)
            _run_program(eng, inner, names)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(_scope_programs())
def test_default_name_search_matches_tf_scan(steps: list[tuple[str, str, object]]) -> None:
    """The resumed default-name search gives TF's names, whatever mix of default
    names, explicit `name_N` scopes, re-entries and closings came before."""
    fast: list[str] = []
    slow: list[str] = []
    _run_program(Engine(), steps, fast)
    _run_program(_NaiveEngine(), steps, slow)
    assert fast == slow
