"""The committed JSON Schema is current, and it accepts what specc accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from specc.lang.schema import schema_text
from specc.source import load_file

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "specc" / "schemas" / "specc.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text() == schema_text(), (
        "run: specc schema -o specc/schemas/specc.schema.json"
    )


SPECS = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
    p for p in (ROOT / "tests" / "conformance" / "cases").glob("*.yaml")
)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_valid_specs_validate_against_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    loaded = load_file(path)
    assert loaded.main is not None and loaded.main.document is not None
    errors = sorted(validator.iter_errors(_plain(loaded.main.document)), key=str)
    assert not errors, errors[0].message


def test_schema_rejects_unknown_keys_and_kinds() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    bad = [
        {"specc": 1, "name": "m", "body": [{"var": "w", "shpe": [1]}]},
        {"specc": 1, "name": "m", "body": [{"var": "w", "initializer": "glorot_unifrom"}]},
        {"specc": 2, "name": "m", "body": []},
        {"specc": 1, "name": "m", "body": [{"var": "w", "shape": [-1]}]},
    ]
    for doc in bad:
        assert list(validator.iter_errors(doc)), doc


def _plain(v: object) -> object:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _properties(node: object) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        for key, prop in node.get("properties", {}).items():
            out.append((key, prop))
        for value in node.values():
            out.extend(_properties(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_properties(value))
    return out


def test_every_key_and_catalog_argument_has_a_description_and_an_example() -> None:
    props = _properties(json.loads(COMMITTED.read_text()))
    assert len(props) > 150
    for key, prop in props:
        assert prop.get("description"), key
        assert prop.get("examples") or prop.get("defaultSnippets"), key


def _nodes(node: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def test_completion_items_read_well_in_editors() -> None:
    """yaml-language-server shows a structured `examples` entry as
    "[object Object]" and `"default": null` as "Default value: null": the schema
    has neither (structured examples are labelled `defaultSnippets`)."""
    nodes = _nodes(json.loads(COMMITTED.read_text()))
    for node in nodes:
        assert not ("default" in node and node["default"] is None), node
        for example in node.get("examples", []) or []:  # type: ignore[attr-defined]
            assert not isinstance(example, dict | list), example
        for snippet in node.get("defaultSnippets", []) or []:  # type: ignore[attr-defined]
            assert isinstance(snippet["label"], str) and "object" not in snippet["label"]


#: Phase-1 `schema` errors that need more than one document's structure to see
#: (cross-references, types of template arguments at a use, values computed by
#: expressions, a second file): JSON Schema cannot express them.
BEYOND_JSON_SCHEMA = {
    "expr_float_dimension",
    "include_not_mapping",
    "include_unknown_key",
    "template_arg_default_type",
    "template_arg_missing",
    "template_arg_type",
    "template_arg_unknown",
    "template_defined_twice",
    "template_instance_two_templates",
}
BAD = ROOT / "tests" / "bad"


def _schema_cases() -> list[Path]:
    out = []
    for p in sorted(BAD.glob("*.yaml")):
        first = p.read_bytes().split(b"\n", 1)[0]
        if first.startswith(b"# expect: schema") and p.stem not in BEYOND_JSON_SCHEMA:
            out.append(p)
    return out


@pytest.mark.parametrize("path", _schema_cases(), ids=lambda p: p.stem)
def test_invalid_specs_fail_the_schema_too(path: Path) -> None:
    """What specc rejects as a `schema` error, an editor flags as well."""
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    loaded = load_file(path)
    assert loaded.main is not None
    document = loaded.main.document
    # a document that is not a mapping at all: what the editor's YAML parser sees
    raw = _plain(document) if document is not None else yaml.safe_load(loaded.main.text)
    assert list(validator.iter_errors(raw)), path.name


def test_the_beyond_list_names_real_cases() -> None:
    assert all((BAD / f"{name}.yaml").exists() for name in BEYOND_JSON_SCHEMA)
