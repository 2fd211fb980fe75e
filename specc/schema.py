"""The JSON Schema of the spec language, generated from the pydantic models.

Committed at `schemas/specc.schema.json` for editors (yaml-language-server);
`specc schema` prints it and a test fails when the committed copy is stale.
"""

from __future__ import annotations

import json
from typing import Any

from specc.spec import SpecDocument

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema() -> dict[str, Any]:
    """The schema as a mapping."""
    body = SpecDocument.model_json_schema(by_alias=True)
    out: dict[str, Any] = {"$schema": SCHEMA_DIALECT}
    out.update(body)
    out["description"] = (
        "A specc model spec: variables in nested TF1-style variable scopes. See docs/language.md."
    )
    return out


def schema_text() -> str:
    """The schema as stable, diff-friendly JSON text."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
