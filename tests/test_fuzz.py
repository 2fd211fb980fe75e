"""Property tests: no input makes the compiler raise.

Whatever the text, `compile_text` returns a `Compilation` that is either ok with
a table, or holds at least one diagnostic with a known code, a non-empty message
and a 1-based location in the file (DESIGN section 5: "No input may produce a
Python traceback").

1. Random statement trees (scopes, variables, name scopes, ops, repeats, uses of
   a small template, reuse_variables, threads), most of them valid, some not,
   serialized to YAML.
2. Random bytes, and random mutations of a valid spec's text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.diagnostics import CODES, errors_json, render_all
from specc.limits import Limits
from specc.pipeline import Compilation, compile_text

FILE = "fuzz.yaml"
# Small limits keep one example cheap, and make the limit paths part of the fuzz.
LIMITS = Limits(
    max_file_bytes=200_000,
    max_nodes=20_000,
    max_depth=12,
    max_statements=2_000,
    max_variables=500,
    max_param_bytes=1 << 30,
)
# SPECC_FUZZ_EXAMPLES=5000 runs a longer search than the default few seconds.
EXAMPLES_PER_TEST = int(os.environ.get("SPECC_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_compilation(comp: Compilation, *, file: str = FILE) -> None:
    """The result is ok with a table, or has located, readable diagnostics."""
    if comp.ok:
        assert comp.table is not None
        return
    assert comp.diagnostics, "failed without a diagnostic"
    for d in comp.diagnostics:
        assert d.code in CODES
        assert d.message.strip(), d
        assert d.span is not None, d
        assert d.span.file == file, d
        assert d.span.line >= 1 and d.span.column >= 1, d
        for note in d.notes:
            assert note.message.strip(), d
    # both renderings work on whatever was found
    render_all(comp.diagnostics, comp.sources)
    errors_json(comp.diagnostics)


# --------------------------------------------------------------------------- statement trees

# Each option draws from values that validate, plus, in a "bad" spec, values that
# phase 1 rejects; one bad option fails a whole spec, so only some specs get them.


def pool(ok: list[Any], bad: list[Any], with_bad: bool) -> st.SearchStrategy[Any]:
    return st.sampled_from(ok + bad if with_bad else ok)


def statements(with_bad: bool) -> st.SearchStrategy[Any]:
    def opt(ok: list[Any], bad: list[Any]) -> st.SearchStrategy[Any]:
        return pool(ok, bad, with_bad)

    names = opt(
        ["a", "b", "w", "layer", "dense", "Layer", "x.y", "a/b", "k-1", "$name"],
        ["_x", "a b", "", "layer_${i}", "it's"],
    )
    dims = st.one_of(
        st.integers(0, 4),
        opt(["$n", "$n * 2", "$n + 1"], [-1, 2.5, "$n / 2", "$nope", "$n +", True]),
    )
    shapes = st.one_of(st.none(), st.lists(dims, max_size=3), opt([[]], ["3", {"a": 1}]))
    dtypes = opt(
        [None, None, "float32", "float16", "bfloat16", "int32", "bool", "complex64", "$dt"],
        ["float23", 3],
    )
    inits = opt(
        [
            None,
            None,
            None,
            "zeros",
            "ones",
            "glorot_uniform",
            "he_normal",
            "orthogonal",
            "identity",
            "lecun_normal",
            {"constant": {"value": 1.5}},
            {"constant": {"value": [1, 2, 3]}},
            {"truncated_normal": {"stddev": 0.1}},
            {"random_uniform": {"minval": -1, "maxval": 1}},
            {"variance_scaling": {"scale": 2.0, "mode": "fan_avg"}},
            {"value": [1.0, 2.0]},
            {"value": [[1, 2], [3, 4]]},
            {"value": 3},
            {"orthogonal": {"gain": "$n"}},
            {"zeros": None},
        ],
        [
            {"truncated_normal": {"stdev": 1}},
            "nope",
            7,
            {"value": "$n"},
            {"variance_scaling": {"mode": "fan_middle"}},
        ],
    )
    parts = opt(
        [
            None,
            None,
            None,
            {"fixed_size": {"num_shards": 2}},
            {"fixed_size": {"num_shards": 3, "axis": 1}},
            {"fixed_size": {"num_shards": 0}},
            {"min_max": {"max_partitions": 2, "min_slice_size": 1}},
            {"variable_axis_size": {"max_shard_bytes": 8}},
        ],
        [{"fixed": {}}],
    )
    regs = opt(
        [None, None, {"l2": {"scale": 0.1}}, {"l1_l2": {"l1": 0.1, "l2": 0.2}}],
        ["l3", "l2", {"l1": {}}],
    )
    cons = opt([None, None, "non_neg", {"max_norm": {"max_value": 3}}], [{"max_norm": 3}])
    getters = opt(
        [
            None,
            None,
            None,
            "float32_storage",
            "freeze",
            {"rename": {"prefix_from": "a", "prefix_to": "b"}},
        ],
        ["os.system"],
    )
    reuse = opt([None, None, True, "auto", False, "$flag"], ["maybe"])
    bools = opt([None, None, True, False, "$flag"], ["yes", 1])
    conds = opt([None, None, None, "$flag", "$n > 1", "not $flag"], ["$i == 0", "$n"])

    var = st.builds(
        lambda name, shape, dtype, init, part, reg, con, trainable, local, cond: _drop_none(
            {
                "var": name,
                "shape": shape,
                "dtype": dtype,
                "initializer": init,
                "partitioner": part,
                "regularizer": reg,
                "constraint": con,
                "trainable": trainable,
                "local": local,
                "if": cond,
            }
        ),
        names,
        shapes,
        dtypes,
        inits,
        parts,
        regs,
        cons,
        bools,
        bools,
        conds,
    )
    leaf = st.one_of(
        var,
        var,
        st.builds(lambda n: {"op": n}, names),
        st.builds(lambda b: {"reuse_variables": b}, opt([True, True, False], [1])),
        st.builds(
            lambda inst, units, scope: _drop_none(
                {"use": "dense", "instance": inst, "with": {"units": units}, "scope": scope}
            ),
            st.sampled_from([None, None, "shared", "other"]),
            opt([1, 2, 3, "$n"], ["two"]),
            st.sampled_from([None, None, None, "head", {"ref": "top"}]),
        ),
        opt(
            [{"use": "pair"}],
            [
                {"use": "nothing"},
                {"shape": [1]},
                {"var": "v", "op": "o"},
                "text",
                None,
                {"scope": {"ref": "nope"}},
            ],
        ),
    )

    def compound(children: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[Any]:
        scope = st.builds(
            lambda name, default, reuse_, init, dtype, getter, capture, aux, body: {
                "scope": name,  # null is a scope with a default name
                **_drop_none(
                    {
                        "default_name": default,
                        "reuse": reuse_,
                        "initializer": init,
                        "dtype": dtype,
                        "custom_getter": getter,
                        "capture": capture,
                        "auxiliary_name_scope": aux,
                        "body": body,
                    }
                ),
            },
            st.one_of(names, names, st.none(), st.just({"ref": "top"})),
            st.sampled_from([None, "layer", "layer", "block"]),
            reuse,
            inits,
            dtypes,
            getters,
            st.sampled_from([None, None, "top"]),
            st.sampled_from([None, None, False]),
            children,
        )
        return st.one_of(
            scope,
            scope,
            st.builds(
                lambda name, body: {"name_scope": name, "body": body},
                st.one_of(names, st.sampled_from(["outer/", None, {"ref": "top"}])),
                children,
            ),
            st.builds(
                lambda n, body: {"repeat": n, "as": "i", "body": body},
                opt([0, 1, 2, 3, "$n"], [-1, "x"]),
                children,
            ),
            st.builds(lambda body: {"thread": "worker", "body": body}, children),
        )

    return st.recursive(leaf, lambda inner: compound(st.lists(inner, max_size=4)), max_leaves=14)


GOOD_STATEMENTS = statements(with_bad=False)
ANY_STATEMENTS = statements(with_bad=True)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    bad = draw(st.integers(0, 3)) == 0
    spec: dict[str, Any] = {
        "specc": 1,
        "name": draw(st.sampled_from(["model", "model", "my-model"] if bad else ["model"])),
        "params": {
            "n": draw(st.sampled_from([1, 2, 3, 0])),
            "flag": draw(st.booleans()),
            "dt": "float32",
            "name": "p",
        },
        "templates": {
            "dense": {
                "args": {"units": "int", "use_bias": {"type": "bool", "default": True}},
                "body": [
                    {"var": "kernel", "shape": [2, "$units"]},
                    {"var": "bias", "if": "$use_bias", "shape": ["$units"], "initializer": "zeros"},
                ],
            },
            "pair": {"body": [{"use": "dense", "with": {"units": 2}}]},
        },
        "body": draw(st.lists(ANY_STATEMENTS if bad else GOOD_STATEMENTS, max_size=6)),
    }
    if draw(st.booleans()):
        spec["defaults"] = _drop_none(
            {
                "initializer": draw(
                    st.sampled_from([None, "zeros", {"random_normal": {"stddev": 0.5}}])
                ),
                "dtype": draw(st.sampled_from([None, "float16"])),
                "partitioner": draw(st.sampled_from([None, {"fixed_size": {"num_shards": 2}}])),
            }
        )
    return spec


@FUZZ
@given(specs())
def test_random_statement_trees(spec: dict[str, Any]) -> None:
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    check_compilation(compile_text(text, FILE, limits=LIMITS))


# --------------------------------------------------------------------------- bytes and mutations

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BASE = (EXAMPLES / "transformer.yaml").read_text(encoding="utf-8")
YAML_BITS = st.sampled_from(
    [
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "!",
        "!!python/object ",
        "&a ",
        "*a",
        "<<: ",
        "#",
        "'",
        '"',
        "\t",
        "\n",
        "  ",
        "$",
        "${",
        "}",
        "null",
        "~",
        "1e400",
        "-1",
        "?",
        "|",
        ">",
        "%YAML 1.1\n",
        "---\n",
        "...",
        "\x00",
        "\ufeff",
        "\ud800",
        "é",
        "var: ",
        "scope: ",
        "body: ",
        "ref: ",
        "use: ",
        "x" * 50,
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = BASE.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["insert", "delete", "dup", "indent", "dedent", "cut", "swap"]))
        line = lines[i]
        if op == "insert":
            pos = draw(st.integers(0, len(line)))
            lines[i] = line[:pos] + draw(YAML_BITS) + line[pos:]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "indent":
            lines[i] = "  " + line
        elif op == "dedent":
            lines[i] = line[2:] if line.startswith("  ") else line
        elif op == "cut" and line:
            a = draw(st.integers(0, len(line) - 1))
            b = draw(st.integers(a, len(line)))
            lines[i] = line[:a] + line[b:]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    check_compilation(compile_text(text, FILE, limits=LIMITS))


@FUZZ
@given(st.lists(st.one_of(YAML_BITS, st.characters()), max_size=30).map("".join))
def test_random_yaml_ish_text(text: str) -> None:
    check_compilation(compile_text("specc: 1\nname: m\nbody:\n" + text, FILE, limits=LIMITS))


@settings(FUZZ, max_examples=EXAMPLES_PER_TEST * 5 // 4)
@given(mutated())
def test_mutated_valid_spec(text: str) -> None:
    check_compilation(compile_text(text, FILE, limits=LIMITS))


def test_base_spec_is_valid() -> None:
    comp = compile_text(BASE, FILE, limits=LIMITS)
    assert comp.ok, comp.diagnostics
