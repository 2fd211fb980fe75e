"""Tests of the loading stage: YAML text -> located plain data, includes, limits."""

from __future__ import annotations

import copy
import gc
import math
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc import source
from specc.limits import DEFAULT_LIMITS, Limits
from specc.source import (
    LoadResult,
    LocDict,
    LocList,
    load_file,
    load_text,
    parse_yaml,
    yaml_depth_limit,
    yaml_scalar,
)
from specc.span import Span

HEADER = "specc: 1\nname: m\n"


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, list[Any]]:
    return parse_yaml(text, "t.yaml", limits)


def codes(result: LoadResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml and with the pure-Python fallback."""
    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML without libyaml")
    else:
        monkeypatch.setattr(source.compose, "WITH_LIBYAML", False)
    return str(request.param)


# ---------------------------------------------------------------- spans


def test_spans_of_nested_statements(parser: str) -> None:
    text = (
        "specc: 1\n"  # 1
        "name: m\n"  # 2
        "body:\n"  # 3
        "  - var: v\n"  # 4
        "    shape: [2, 3]\n"  # 5
        "  - scope: outer\n"  # 6
        "    body:\n"  # 7
        "      - var: w\n"  # 8
        "        initializer: {truncated_normal: {stddev: 0.02}}\n"  # 9
    )
    doc, diags = parse(text)
    assert diags == []
    assert isinstance(doc, LocDict)
    assert doc.span == Span("t.yaml", 1, 1)
    assert doc.key_spans["body"] == Span("t.yaml", 3, 1)
    body = doc["body"]
    assert isinstance(body, LocList)
    assert body.span == Span("t.yaml", 4, 3)
    assert body.item_spans == [Span("t.yaml", 4, 5), Span("t.yaml", 6, 5)]
    first = body[0]
    assert isinstance(first, LocDict)
    # `- var: v`: the statement is located at its first key, `var`
    assert first.span == Span("t.yaml", 4, 5)
    assert first.key_spans["var"] == Span("t.yaml", 4, 5)
    assert first.value_spans["var"] == Span("t.yaml", 4, 10)
    assert first.value_spans["shape"] == Span("t.yaml", 5, 12)
    assert first["shape"].item_spans == [Span("t.yaml", 5, 13), Span("t.yaml", 5, 16)]
    inner = body[1]["body"][0]
    assert inner.span == Span("t.yaml", 8, 9)
    init = inner["initializer"]
    assert init.span == Span("t.yaml", 9, 22)
    assert init["truncated_normal"].key_spans["stddev"] == Span("t.yaml", 9, 42)
    assert init["truncated_normal"].value_spans["stddev"] == Span("t.yaml", 9, 50)
    assert inner == {"var": "w", "initializer": {"truncated_normal": {"stddev": 0.02}}}


def test_non_ascii_columns_count_characters(parser: str) -> None:
    doc, diags = parse("é: ü\nb: [ü, x]\n")
    assert diags == []
    assert doc.value_spans["é"] == Span("t.yaml", 1, 4)
    assert doc["b"].item_spans[1] == Span("t.yaml", 2, 8)


def test_locdict_survives_copy_and_pickle() -> None:
    doc, _ = parse("a: {b: [1, 2]}\n")
    for clone in (copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert clone == doc
        assert isinstance(clone["a"], LocDict)
        assert clone["a"].key_spans == doc["a"].key_spans
        assert clone["a"]["b"].item_spans == doc["a"]["b"].item_spans


# ---------------------------------------------------------------- scalars


def test_core_schema_scalars(parser: str) -> None:
    text = """
strings: [on, off, yes, no, y, n, On, NO, 0b1, 1_000, "1:30", 1:30, 0x, 0o8, -0x1F, nan, inf,
          .Inf_, tRue, nULL, 1e, e1, '1', "true", "null", '']
ints: [0, 7, -3, +4, 007, 0o17, 0x1F, 0xff, 123456789012345678901234567890]
floats: [1e-4, 1.0e-4, 1., .5, -2.5, +1E3, 6.02e+23, 1e4]
special: [.inf, -.Inf, +.INF, .nan, .NaN]
bools: [true, True, TRUE, false, False, FALSE]
nulls: [~, null, Null, NULL, ]
empty:
1: numeric key
true: bool key
null: null key
"""
    doc, diags = parse(text)
    assert diags == []
    assert doc["strings"] == [
        "on", "off", "yes", "no", "y", "n", "On", "NO", "0b1", "1_000", "1:30", "1:30", "0x",
        "0o8", "-0x1F", "nan", "inf", ".Inf_", "tRue", "nULL", "1e", "e1", "1", "true", "null",
        "",
    ]  # fmt: skip
    ints = doc["ints"]
    assert ints == [0, 7, -3, 4, 7, 15, 31, 255, 123456789012345678901234567890]
    assert all(type(i) is int for i in ints)
    floats = doc["floats"]
    assert floats == [1e-4, 1e-4, 1.0, 0.5, -2.5, 1000.0, 6.02e23, 10000.0]
    assert all(type(f) is float for f in floats)
    special = doc["special"]
    assert special[:3] == [math.inf, -math.inf, math.inf]
    assert all(math.isnan(x) for x in special[3:])
    assert doc["bools"] == [True, True, True, False, False, False]
    assert doc["nulls"] == [None, None, None, None]
    assert doc["empty"] is None
    # keys are always their text
    assert set(doc) >= {"1", "true", "null"}


def test_block_and_quoted_scalars_are_strings(parser: str) -> None:
    doc, diags = parse("a: |\n  12\nb: >-\n  true\nc: '0x1F'\nd: \"1e-4\"\n")
    assert diags == []
    assert doc == {"a": "12\n", "b": "true", "c": "0x1F", "d": "1e-4"}


def test_explicit_standard_tags(parser: str) -> None:
    text = (
        "a: !!str 1\nb: !!int '12'\nc: !!float 1\nd: !!bool 'true'\ne: !!null ''\n"
        "f: !!map {x: 1}\ng: !!seq [1]\nh: ! 12\ni: !!int 0x10\nj: !!float .inf\n"
    )
    doc, diags = parse(text)
    assert diags == []
    assert doc == {
        "a": "1", "b": 12, "c": 1.0, "d": True, "e": None, "f": {"x": 1}, "g": [1],
        "h": "12", "i": 16, "j": math.inf,
    }  # fmt: skip
    assert type(doc["c"]) is float


def test_ill_typed_standard_tags(parser: str) -> None:
    _, diags = parse("a: !!int x\nb: !!bool yes\nc: !!map 1\nd: !!seq {x: 1}\n")
    assert [(d.code, d.span.line) for d in diags] == [("yaml-syntax", i) for i in (1, 2, 3, 4)]
    assert "!!int" in diags[0].message
    assert "!!seq" in diags[3].message


def test_yaml_scalar() -> None:
    assert yaml_scalar("16000") == 16000
    assert yaml_scalar("-3") == -3
    assert yaml_scalar("0x10") == 16
    assert yaml_scalar("1e-4") == 1e-4
    assert yaml_scalar("true") is True
    assert yaml_scalar("FALSE") is False
    assert yaml_scalar("") is None
    assert yaml_scalar("~") is None
    assert yaml_scalar("on") == "on"
    assert yaml_scalar("no") == "no"
    assert yaml_scalar("1_000") == "1_000"
    assert yaml_scalar("float16") == "float16"
    assert yaml_scalar("-.inf") == -math.inf
    assert math.isnan(yaml_scalar(".nan"))
    assert yaml_scalar("9" * 5000) == "9" * 5000


def test_overlong_integer_is_a_diagnostic(parser: str) -> None:
    _, diags = parse("a: " + "9" * 5000 + "\n")
    assert [d.code for d in diags] == ["yaml-syntax"]


# ---------------------------------------------------------------- keys, merges, aliases


def test_duplicate_key_names_both_places(parser: str) -> None:
    doc, diags = parse("body:\n  - var: a\n    shape: [1]\n    var: b\n")
    assert len(diags) == 1
    (d,) = diags
    assert d.code == "yaml-syntax"
    assert "var" in d.message
    assert d.span == Span("t.yaml", 4, 5)
    assert [(n.message, n.span) for n in d.notes] == [("first defined here", Span("t.yaml", 2, 5))]
    assert doc["body"][0]["var"] == "a"


def test_duplicate_keys_compare_as_text(parser: str) -> None:
    _, diags = parse("1: a\n'1': b\n")
    assert [d.code for d in diags] == ["yaml-syntax"]


def test_merge_keys(parser: str) -> None:
    text = (
        "base: &base {initializer: zeros, dtype: float32, trainable: true}\n"  # 1
        "other: &other {dtype: float16, shape: [3]}\n"  # 2
        "one:\n"  # 3
        "  <<: *base\n"  # 4
        "  dtype: int32\n"  # 5
        "many:\n"  # 6
        "  <<: [*other, *base]\n"  # 7
        "  var: v\n"  # 8
        "inline: {<<: {a: 1}, b: 2}\n"  # 9
    )
    doc, diags = parse(text)
    assert diags == []
    # explicit keys win over merged ones
    assert doc["one"] == {"dtype": "int32", "initializer": "zeros", "trainable": True}
    assert doc["one"].key_spans["dtype"] == Span("t.yaml", 5, 3)
    # merged keys keep the spans of the mapping they come from
    assert doc["one"].key_spans["initializer"] == Span("t.yaml", 1, 14)
    assert doc["one"].value_spans["initializer"] == Span("t.yaml", 1, 27)
    # earlier merged maps win over later ones
    assert doc["many"] == {
        "var": "v", "dtype": "float16", "shape": [3], "initializer": "zeros", "trainable": True,
    }  # fmt: skip
    assert doc["inline"] == {"a": 1, "b": 2}
    assert "<<" not in doc["one"]


def test_quoted_merge_key_is_a_plain_key(parser: str) -> None:
    doc, diags = parse("'<<': {a: 1}\n")
    assert diags == []
    assert doc == {"<<": {"a": 1}}


def test_bad_merge_values(parser: str) -> None:
    _, diags = parse("a: &a [1]\nb:\n  <<: *a\nc:\n  <<: [{x: 1}, 3]\n")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [
        ("yaml-syntax", 3, 7),
        ("yaml-syntax", 5, 16),
    ]


def test_aliases_share_the_anchored_value(parser: str) -> None:
    doc, diags = parse("a: &x {k: [1, 2]}\nb: *x\nc: &s 5\nd: *s\n")
    assert diags == []
    assert doc["b"] is doc["a"]
    assert doc["d"] == 5
    # the value span of an alias is where the alias is written
    assert doc.value_spans["b"] == Span("t.yaml", 2, 4)


def test_undefined_and_recursive_aliases(parser: str) -> None:
    _, diags = parse("a: *nope\nb: &r [*r]\n")
    assert [(d.code, d.span.line) for d in diags] == [("yaml-syntax", 1), ("yaml-syntax", 2)]
    assert "nope" in diags[0].message


def test_collection_keys_are_rejected(parser: str) -> None:
    doc, diags = parse("? [a]\n: b\nc: d\n{x: 1}: 2\n")
    assert [(d.code, d.span) for d in diags] == [
        ("yaml-syntax", Span("t.yaml", 1, 3)),
        ("yaml-syntax", Span("t.yaml", 4, 1)),
    ]
    assert diags[0].message == "a mapping key must be a scalar"
    assert doc == {"c": "d"}
    doc, diags = parse("{[a]: b, c: d}\n")
    assert [d.code for d in diags] == ["yaml-syntax"]
    assert doc == {"c": "d"}
    _, diags = parse("a: &k [1]\n*k : 2\n")
    assert [d.code for d in diags] == ["yaml-syntax"]


def test_alias_of_a_scalar_as_key(parser: str) -> None:
    doc, diags = parse("a: &k name\n*k : 2\n")
    assert diags == []
    assert doc == {"a": "name", "name": 2}


# ---------------------------------------------------------------- tags and syntax


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a: !!python/object:os.system x\n", 4),
        ("a: !!python/object/apply:os.system [ls]\n", 4),
        ("a: &anchor !foo {x: 1}\n", 12),
        ("a: !<tag:example.com,2000:x> 1\n", 4),
        ("!custom key: 1\n", 1),
        ("a: !!set {x}\n", 4),
        ("a: !!binary aGk=\n", 4),
        ("a: !!timestamp 2001-12-14\n", 4),
    ],
)
def test_custom_tags_are_rejected(parser: str, text: str, column: int) -> None:
    _, diags = parse(text)
    assert [d.code for d in diags] == ["yaml-syntax"]
    assert diags[0].span == Span("t.yaml", 1, column)
    assert "tag" in diags[0].message


def test_safe_loading_never_constructs_objects() -> None:
    doc, _ = parse("a: !!python/object/apply:os.system ['exit 1']\n")
    assert doc == {"a": ["exit 1"]}


def test_tab_indentation(parser: str) -> None:
    result = load_text("specc: 1\nbody:\n\t- var: v\n", "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    (d,) = result.diagnostics
    assert d.span == Span("m.yaml", 3, 1)
    assert "tabs for indentation" in d.message
    assert "\t" not in d.message


def test_syntax_error_location(parser: str) -> None:
    result = load_text("specc: 1\nname: [a, b\nbody: []\n", "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    assert result.diagnostics[0].span is not None
    assert result.diagnostics[0].span.file == "m.yaml"
    assert result.main is not None
    assert result.main.document is None
    assert result.sources["m.yaml"].startswith("specc: 1")


def test_control_character(parser: str) -> None:
    result = load_text("a: é\nb: x\x01y\n", "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    assert result.diagnostics[0].span == Span("m.yaml", 2, 5)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    result = load_text(b"specc: 1\nname: caf\xe9\n", "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    assert result.diagnostics[0].span == Span("m.yaml", 2, 10)
    assert "UTF-8" in result.diagnostics[0].message
    assert result.main is not None
    assert result.main.document is None
    assert "\ufffd" in result.sources["m.yaml"]

    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"\xff\xfe" + "a: 1\n".encode("utf-16-le"))
    assert codes(load_file(path)) == ["yaml-syntax"]


def test_lone_surrogate_text() -> None:
    assert codes(load_text("a: '\ud800'\n")) == ["yaml-syntax"]


def test_utf8_bom_is_accepted() -> None:
    result = load_text(b"\xef\xbb\xbf" + (HEADER + "body: []\n").encode())
    assert result.diagnostics == []
    assert result.main is not None
    assert result.main.document == {"specc": 1, "name": "m", "body": []}


def test_multiple_documents(parser: str) -> None:
    result = load_text("specc: 1\n---\nname: m\n", "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    assert result.diagnostics[0].span == Span("m.yaml", 2, 1)
    # explicit start and end markers around one document are fine
    assert load_text("---\n" + HEADER + "body: []\n...\n").diagnostics == []


@pytest.mark.parametrize("text", ["", "# nothing\n", "---\n", "- a\n", "hello\n", "~\n"])
def test_empty_or_non_mapping_document(parser: str, text: str) -> None:
    result = load_text(text, "m.yaml")
    assert codes(result) == ["schema"]
    assert result.diagnostics[0].message == "the spec must be a mapping with keys specc, name, body"
    assert result.main is not None
    assert result.main.document is None


def test_document_is_returned_with_recoverable_errors() -> None:
    result = load_text(HEADER + "body: []\nbody: [1]\n")
    assert codes(result) == ["yaml-syntax"]
    assert result.main is not None
    assert result.main.document == {"specc": 1, "name": "m", "body": []}


@dataclass
class Counter:
    n: int = 0


def count_events(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Count the parse events the composer asks for: work done, where a
    wall-clock bound would flake on a loaded machine."""
    counter = Counter()
    real = source.compose._event_source

    def counting(text: str) -> tuple[Callable[[], Any], bool]:
        get_event, in_bytes = real(text)

        def get() -> Any:
            counter.n += 1
            return get_event()

        return get, in_bytes

    monkeypatch.setattr(source.compose, "_event_source", counting)
    return counter


# ---------------------------------------------------------------- limits


def billion_laughs(levels: int = 20) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast(parser: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Aliases are counted as they are expanded, not built: the loader stops within
    the document's own events, whatever the expansion would be."""
    events = count_events(monkeypatch)
    text = billion_laughs()
    result = load_text(text, "m.yaml")
    assert codes(result) == ["limit"]
    assert "--max-nodes" in result.diagnostics[0].message
    assert "1000000" in result.diagnostics[0].message
    assert events.n <= text.count("*") + text.count("lol") + 100


def test_merge_keys_count_toward_the_node_limit() -> None:
    text = "a: &a {k0: 0, k1: 1, k2: 2, k3: 3}\n" + "".join(
        f"m{i}: {{<<: *a}}\n" for i in range(10)
    )
    small = Limits(max_nodes=40)
    doc, diags = parse(text, Limits(max_nodes=1000))
    assert diags == []
    assert doc["m9"] == {"k0": 0, "k1": 1, "k2": 2, "k3": 3}
    _, diags = parse(text, small)
    assert [d.code for d in diags] == ["limit"]


def test_node_limit_counts_plain_documents() -> None:
    text = HEADER + "body: [" + ", ".join(["1"] * 100) + "]\n"
    assert codes(load_text(text, limits=Limits(max_nodes=50))) == ["limit"]
    assert codes(load_text(text, limits=Limits(max_nodes=200))) == []


@pytest.mark.parametrize(
    "shape",
    ["flow-seq", "flow-map", "block-map", "block-seq", "unclosed"],
)
def test_deep_nesting_is_a_limit_not_a_crash(
    parser: str, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pure-Python scanner re-checks up to 1024 pending keys per token on deep
    # flow nesting (about a second); 600 levels is past the depth limit all the same,
    # and the block shapes below still go three times past Python's recursion limit.
    n = 100_000 if parser == "libyaml" else 600
    text = {
        "flow-seq": "[" * n + "]" * n,
        "flow-map": "{a: " * n + "}" * n,
        "block-map": "".join(" " * i + "k:\n" for i in range(3000)),
        "block-seq": "- " * 3000 + "x\n",
        "unclosed": "a: " + "[" * n,
    }[shape]
    events = count_events(monkeypatch)
    result = load_text(text, "m.yaml")
    assert codes(result) == ["limit"]
    assert "--max-depth" in result.diagnostics[0].message
    # stopped at the depth limit, not at the end of the document
    assert events.n <= 2 * yaml_depth_limit(DEFAULT_LIMITS) + 10
    assert yaml_depth_limit(DEFAULT_LIMITS) < n


def test_depth_limit_follows_max_depth() -> None:
    limits = Limits(max_depth=5)
    depth = yaml_depth_limit(limits)
    ok = "[" * depth + "]" * depth
    assert parse(ok, limits)[1] == []
    deep = "[" * (depth + 1) + "]" * (depth + 1)
    assert [d.code for d in parse(deep, limits)[1]] == ["limit"]


def test_file_size_limit(tmp_path: Path) -> None:
    text = HEADER + "body: []\n" + "# padding\n" * 20
    limits = Limits(max_file_bytes=64)
    result = load_text(text, "m.yaml", limits)
    assert codes(result) == ["limit"]
    assert "--max-file-bytes" in result.diagnostics[0].message
    assert result.main is None
    assert codes(load_text(text.encode(), "m.yaml", limits)) == ["limit"]

    path = write(tmp_path / "m.yaml", text)
    result = load_file(path, limits)
    assert codes(result) == ["limit"]
    assert result.main is None
    assert codes(load_file(path, Limits(max_file_bytes=len(text)))) == []

    # multi-byte characters count as bytes
    wide = HEADER + "body: []\n#" + "é" * 40 + "\n"
    assert codes(load_text(wide, "w.yaml", Limits(max_file_bytes=len(wide) + 10))) == ["limit"]


# ---------------------------------------------------------------- files and includes


def test_load_file_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_file(tmp_path / "nope.yaml")


def test_load_file_directory_is_a_diagnostic(tmp_path: Path) -> None:
    result = load_file(tmp_path)
    assert result.main is None
    assert len(result.diagnostics) == 1


def test_load_file_display_path_is_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "specs" / "m.yaml", HEADER + "body: [}\n")
    monkeypatch.chdir(tmp_path)
    result = load_file("specs/m.yaml")
    assert result.main is not None
    assert result.main.path == "specs/m.yaml"
    assert result.diagnostics[0].span is not None
    assert result.diagnostics[0].span.file == "specs/m.yaml"
    assert list(result.sources) == ["specs/m.yaml"]


def test_relative_includes_transitively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "specs"
    write(root / "m.yaml", HEADER + "include: [a.yaml, sub/b.yaml, c.yaml]\nbody: []\n")
    write(root / "a.yaml", "include: [sub/b.yaml]\ntemplates: {a: {}}\n")
    write(root / "sub" / "b.yaml", "include: [d.yaml, ../c.yaml]\ntemplates: {b: {}}\n")
    write(root / "sub" / "d.yaml", "templates: {d: {}}\n")
    write(root / "c.yaml", "templates: {c: {}}\n")
    monkeypatch.chdir(tmp_path)
    result = load_file("specs/m.yaml")
    assert result.diagnostics == []
    paths = [f.path for f in result.includes]
    # depth-first, first-include order, each file once
    assert paths == ["specs/a.yaml", "specs/sub/b.yaml", "specs/sub/d.yaml", "specs/c.yaml"]
    assert [f.document for f in result.includes][1] == {
        "include": ["d.yaml", "../c.yaml"],
        "templates": {"b": {}},
    }
    assert set(result.sources) == {"specs/m.yaml", *paths}
    d = result.includes[2].document
    assert d is not None
    assert d.span.file == "specs/sub/d.yaml"


def test_include_errors_in_included_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "m.yaml", HEADER + "include: [a.yaml]\nbody: []\n")
    write(tmp_path / "a.yaml", "templates:\n  x: 1\n  x: 2\n")
    result = load_file(tmp_path / "m.yaml")
    assert codes(result) == ["yaml-syntax"]
    assert result.diagnostics[0].span == Span(str(tmp_path / "a.yaml"), 3, 3)
    assert len(result.includes) == 1


def test_included_file_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path / "m.yaml", HEADER + "include: [a.yaml]\nbody: []\n")
    write(tmp_path / "a.yaml", "- 1\n")
    result = load_file(tmp_path / "m.yaml")
    assert codes(result) == ["schema"]
    assert result.includes[0].document is None


def include_error(tmp_path: Path, entries: str, **files: str) -> Any:
    top = write(tmp_path / "spec" / "m.yaml", HEADER + f"include: {entries}\nbody: []\n")
    for name, text in files.items():
        write(tmp_path / "spec" / name.replace("__", "/"), text)
    result = load_file(top)
    assert codes(result) == ["include"], result.diagnostics
    return result.diagnostics[0]


def test_absolute_include(tmp_path: Path) -> None:
    other = write(tmp_path / "spec" / "a.yaml", "templates: {}\n")
    d = include_error(tmp_path, f"[x.yaml, {other}]", **{"x.yaml": "{}"})
    assert "absolute" in d.message
    assert d.span == Span(str(tmp_path / "spec" / "m.yaml"), 3, 19)


def test_include_escaping_the_folder(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", "templates: {}\n")
    d = include_error(tmp_path, "[../outside.yaml]")
    assert "leaves" in d.message
    assert d.span == Span(str(tmp_path / "spec" / "m.yaml"), 3, 11)


def test_include_escaping_from_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", "templates: {}\n")
    top = write(tmp_path / "spec" / "m.yaml", HEADER + "include: [sub/a.yaml]\nbody: []\n")
    write(tmp_path / "spec" / "sub" / "a.yaml", "include: [../ok.yaml, ../../outside.yaml]\n")
    write(tmp_path / "spec" / "ok.yaml", "templates: {}\n")
    result = load_file(top)
    assert codes(result) == ["include"]
    assert result.diagnostics[0].span == Span(str(tmp_path / "spec" / "sub" / "a.yaml"), 1, 23)
    assert [f.path for f in result.includes] == [
        str(tmp_path / "spec" / "sub" / "a.yaml"),
        str(tmp_path / "spec" / "ok.yaml"),
    ]


def test_include_escaping_through_a_symlink(tmp_path: Path) -> None:
    write(tmp_path / "secret.yaml", "templates: {}\n")
    (tmp_path / "spec").mkdir()
    os.symlink(tmp_path / "secret.yaml", tmp_path / "spec" / "link.yaml")
    d = include_error(tmp_path, "[link.yaml]")
    assert "leaves" in d.message


def test_missing_include(tmp_path: Path) -> None:
    d = include_error(tmp_path, "[nope.yaml]")
    assert "nope.yaml" in d.message
    assert "not found" in d.message


def test_include_cycle(tmp_path: Path) -> None:
    d = include_error(
        tmp_path,
        "[a.yaml]",
        **{"a.yaml": "include: [b.yaml]\n", "b.yaml": "templates: {}\ninclude: [a.yaml]\n"},
    )
    assert "cycle" in d.message
    assert d.span == Span(str(tmp_path / "spec" / "b.yaml"), 2, 11)


def test_include_of_the_top_file_is_a_cycle(tmp_path: Path) -> None:
    d = include_error(tmp_path, "[m.yaml]")
    assert "cycle" in d.message


def test_non_string_include_entries(tmp_path: Path) -> None:
    top = write(tmp_path / "m.yaml", HEADER + "include: [1, null, {a: b}]\nbody: []\n")
    result = load_file(top)
    assert codes(result) == ["include", "include", "include"]
    assert [d.span.column for d in result.diagnostics if d.span] == [11, 14, 20]


@pytest.mark.parametrize("value", ["a.yaml", "{a: b}", "", "3"])
def test_include_must_be_a_list(tmp_path: Path, value: str) -> None:
    top = write(tmp_path / "m.yaml", HEADER + f"include: {value}\nbody: []\n")
    result = load_file(top)
    assert codes(result) == ["schema"]
    assert result.diagnostics[0].span is not None
    assert result.diagnostics[0].span.line == 3


def test_oversized_include(tmp_path: Path) -> None:
    d_text = "templates: {}\n" + "# pad\n" * 100
    top = write(tmp_path / "m.yaml", HEADER + "include: [big.yaml]\nbody: []\n")
    write(tmp_path / "big.yaml", d_text)
    result = load_file(top, Limits(max_file_bytes=200))
    assert codes(result) == ["limit"]
    assert result.diagnostics[0].span == Span(str(top), 3, 11)
    assert "--max-file-bytes" in result.diagnostics[0].message


def test_load_text_resolves_includes_against_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "blocks.yaml", "templates: {t: {}}\n")
    result = load_text(HEADER + "include: [blocks.yaml]\nbody: []\n", base_dir=str(tmp_path))
    assert result.diagnostics == []
    assert [f.path for f in result.includes] == ["blocks.yaml"]


def test_std_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    write(lib / "layers.yaml", "templates: {dense: {}}\n")
    write(lib / "cells.yaml", "include: [std/layers]\ntemplates: {lstm: {}}\n")
    write(lib / "notes.txt", "not yaml\n")
    monkeypatch.setattr(source.loader, "_stdlib_root", lambda: lib)

    result = load_text(HEADER + "include: [std/cells]\nbody: []\n")
    assert result.diagnostics == []
    assert [f.path for f in result.includes] == ["<std>/cells.yaml", "<std>/layers.yaml"]

    result = load_text(HEADER + "include: [std]\nbody: []\n")
    assert result.diagnostics == []
    assert [f.path for f in result.includes] == ["<std>/cells.yaml", "<std>/layers.yaml"]
    assert "<std>/layers.yaml" in result.sources


@pytest.mark.parametrize("entry", ["std/nope", "std/../m", "std/layers.yaml", "std/"])
def test_std_missing_name(entry: str) -> None:
    result = load_text(HEADER + f"include: [{entry}]\nbody: []\n", "m.yaml")
    assert codes(result) == ["include"]
    assert result.diagnostics[0].span == Span("m.yaml", 3, 11)


def test_std_files_may_only_include_std(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    write(lib / "a.yaml", "include: [../secret.yaml]\n")
    monkeypatch.setattr(source.loader, "_stdlib_root", lambda: lib)
    result = load_text(HEADER + "include: [std/a]\nbody: []\n")
    assert codes(result) == ["include"]
    assert result.diagnostics[0].span == Span("<std>/a.yaml", 1, 11)


def test_stdlib_root_is_a_folder_or_none() -> None:
    root = source.loader._stdlib_root()
    assert root is None or root.is_dir()


# ---------------------------------------------------------------- robustness


def test_gc_state_is_restored() -> None:
    assert gc.isenabled()
    load_text(HEADER + "body: []\n")
    parse("a: 1\n")
    assert gc.isenabled()
    gc.disable()
    try:
        load_text(HEADER + "body: []\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_fallback_parser_builds_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        HEADER + "d: &d {x: [1, 2.5, true, null, 'q']}\n"
        "body:\n  - var: v\n    <<: *d\n    y: {a: [], b: {}}\n"
    )
    fast, fast_diags = parse(text)
    monkeypatch.setattr(source.compose, "WITH_LIBYAML", False)
    slow, slow_diags = parse(text)
    assert fast == slow
    assert fast_diags == slow_diags == []
    assert fast["body"][0].key_spans == slow["body"][0].key_spans
    assert fast["body"][0]["y"].value_spans == slow["body"][0]["y"].value_spans


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.sampled_from(list("ab: -[]{},&*!<>|'\"#?\n\t~.01e%@`\x00é")), max_size=60)
)
def test_no_input_raises(text: str) -> None:
    result = load_text(text)
    assert isinstance(result, LoadResult)
    for d in result.diagnostics:
        assert d.code in ("yaml-syntax", "schema", "limit", "include")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40))
def test_no_bytes_raise(data: bytes) -> None:
    assert isinstance(load_text(data), LoadResult)


def test_a_merge_key_before_a_sequence_merges_into_its_own_mapping() -> None:
    """The `<<` of a mapping applies when that mapping closes, not when a list
    written after it in the same mapping closes (found by fuzzing: a TypeError)."""
    doc, diags = parse("<<:\n  x: 1\nbody: [a, b]\nk: {y: 2}\n")
    assert diags == []
    assert doc == {"x": 1, "body": ["a", "b"], "k": {"y": 2}}
