"""The JSON Schema of the spec language, generated from the pydantic models.

Committed at `specc/schemas/specc.schema.json` for editors (yaml-language-server);
`specc schema` prints it and a test fails when the committed copy is stale.
"""

from __future__ import annotations

import json
from typing import Any

from specc.lang.models import SpecDocument

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


#: An example for every key, so editors show one beside the description.
EXAMPLES: dict[str, Any] = {
    "specc": 1,
    "name": "translator",
    "seed": 0,
    "params": {"hidden": 512, "layers": 6},
    "include": ["blocks.yaml", "std"],
    "defaults": {"dtype": "float32", "initializer": "glorot_uniform"},
    "templates": {"dense": {"args": {"units": "int"}, "body": [{"var": "kernel"}]}},
    "body": [{"scope": "encoder", "body": [{"var": "kernel", "shape": [512, 512]}]}],
    "var": "kernel",
    "shape": [512, "4 * $hidden"],
    "dtype": "float32",
    "initializer": {"truncated_normal": {"stddev": 0.02}},
    "regularizer": {"l2": {"scale": 0.0001}},
    "constraint": {"max_norm": {"max_value": 3}},
    "partitioner": {"fixed_size": {"num_shards": 4}},
    "custom_getter": "float32_storage",
    "trainable": False,
    "collections": ["variables", "encoder_vars"],
    "local": True,
    "caching_device": "/cpu:0",
    "use_resource": True,
    "synchronization": "on_read",
    "aggregation": "mean",
    "validate_shape": True,
    "scope": "encoder",
    "default_name": "layer",
    "reuse": "auto",
    "auxiliary_name_scope": False,
    "values": ["encoder/mult"],
    "capture": "enc",
    "ref": "enc",
    "reuse_variables": True,
    "name_scope": "block",
    "op": "mult",
    "use": "dense",
    "instance": "shared",
    "with": {"units": 256},
    "repeat": "$layers",
    "as": "i",
    "thread": "worker",
    "if": "$use_bias",
    "args": {"units": "int", "use_bias": {"type": "bool", "default": True}},
    "doc": "A dense layer, as tf.compat.v1.layers.dense.",
    "type": "int",
    "default": True,
    "description": "Number of output units.",
    # catalog arguments without a default
    "value": [0.1, 0.2],
    "path": "pretrained.npz",
    "key": "bert/encoder/kernel",
    "num_shards": 4,
    "max_shard_bytes": 16777216,
    "max_shards": 8,
    "scale": 0.0001,
    "l1": 0.0001,
    "l2": 0.0001,
    "prefix_from": "old/",
    "prefix_to": "new/",
}
_BODY_DESCRIPTION = "Statements, run in order inside this one."


_NONE = object()


def _example(key: str, prop: dict[str, Any]) -> Any:
    """An example for a property: from EXAMPLES, else its default, else (a catalog
    kind's argument mapping) built from its arguments' examples."""
    if key in EXAMPLES:
        return EXAMPLES[key]
    if "default" in prop and prop["default"] is not None:
        return prop["default"]
    args = prop.get("properties")
    if isinstance(args, dict):
        return {
            k: EXAMPLES.get(k, a.get("default"))
            for k, a in args.items()
            if k in EXAMPLES or a.get("default") is not None
        }
    if prop.get("maxProperties") == 0:
        return {}
    return _NONE


def _snippet_label(value: Any) -> str:
    """A one-line label for a structured example (editors show it in completion)."""
    text = json.dumps(value, separators=(", ", ": "))
    return text if len(text) <= 60 else text[:57] + "..."


def _annotate(node: Any) -> None:
    """Give every property a description and an example (editors show both): a
    scalar example as `examples`, a mapping or list as a `defaultSnippets` entry
    with a readable label (yaml-language-server shows a structured example as
    "[object Object]"); and drop `"default": null`, which editors show as
    "Default value: null" on every optional key."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        structured = [e for e in node.get("examples", ()) if isinstance(e, dict | list)]
        if structured:
            scalars = [e for e in node["examples"] if not isinstance(e, dict | list)]
            node["defaultSnippets"] = [{"label": _snippet_label(e), "body": e} for e in structured]
            if scalars:
                node["examples"] = scalars
            else:
                del node["examples"]
        for key, prop in node.get("properties", {}).items():
            if not isinstance(prop, dict):
                continue
            if "description" not in prop:
                prop["description"] = _BODY_DESCRIPTION if key == "body" else f"The `{key}` key."
            example = prop.pop("examples", [_NONE])[0]
            if example is _NONE:
                example = _example(key, prop)
            if isinstance(example, dict | list):
                prop["defaultSnippets"] = [{"label": _snippet_label(example), "body": example}]
            elif example is not _NONE:
                prop["examples"] = [example]
        for value in node.values():
            _annotate(value)
    elif isinstance(node, list):
        for value in node:
            _annotate(value)


def installed_path() -> str:
    """Where the schema is inside the installed package (for an editor's
    `$schema`, outside this repository)."""
    from importlib.resources import files  # noqa: PLC0415

    return str(files("specc").joinpath("schemas", "specc.schema.json"))


def schema() -> dict[str, Any]:
    """The schema as a mapping."""
    body = SpecDocument.model_json_schema(by_alias=True)
    body["properties"]["name"]["pattern"] = r"^[A-Za-z_][A-Za-z0-9_]*$"
    scope = body["$defs"]["ScopeStmt"]
    # `scope: null` needs a default_name (TF: "If default_name is None then
    # name_or_scope is required")
    scope["if"] = {"properties": {"scope": {"type": "null"}}, "required": ["scope"]}
    scope["then"] = {"required": ["default_name"]}
    _annotate(body)
    out: dict[str, Any] = {"$schema": SCHEMA_DIALECT}
    out.update(body)
    out["description"] = (
        "A specc model spec: variables in nested TF1-style variable scopes. See docs/language.md."
    )
    return out


def schema_text() -> str:
    """The schema as stable, diff-friendly JSON text."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
