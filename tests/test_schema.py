"""The committed JSON Schema is current, and it accepts what specc accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from specc.schema import schema_text
from specc.source import load_file

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schemas" / "specc.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text() == schema_text(), "run: specc schema -o schemas/specc.schema.json"


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
