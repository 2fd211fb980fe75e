"""A minimal failing spec and its fix for every diagnostic code.

`specc explain-code CODE` prints these, and `render_markdown()` turns them into
`docs/diagnostics.md` (a test keeps the two equal, so the page cannot go
stale). Each failing spec fails with exactly its code as the first diagnostic,
and each fix compiles; `tests/test_codes_doc.py` checks both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from specc.diagnostics import CODES
from specc.limits import Limits


@dataclass(frozen=True, slots=True)
class CodeExample:
    """One code's minimal failing spec, its fix and why the fix works.

    `files` are helper files (name, text) written beside the spec, for
    `include`; `limits` are the limits to compile with, when the default ones
    would need a large spec to exceed.
    """

    failing: str
    fixed: str
    explanation: str
    files: tuple[tuple[str, str], ...] = ()
    limits: Limits | None = None


EXAMPLES: Final[dict[str, CodeExample]] = {
    "yaml-syntax": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: w
    shape: [2, 3]
    shape: [3, 2]
""",
        fixed="""\
specc: 1
name: model
body:
  - var: w
    shape: [3, 2]
""",
        explanation="A mapping may not repeat a key (YAML loaders usually keep the last one "
        "silently; specc names both places). Tabs in indentation, unclosed brackets and "
        "tags such as `!!python/object` are `yaml-syntax` errors too.",
    ),
    "schema": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: w
    shape: [784, 256]
    initializer: {truncated_normal: {std: 0.02}}
""",
        fixed="""\
specc: 1
name: model
body:
  - var: w
    shape: [784, 256]
    initializer: {truncated_normal: {stddev: 0.02}}
""",
        explanation="The document does not match the language: here an unknown argument of "
        "a catalog kind (the message lists the valid ones and suggests `stddev`). Unknown "
        "keys, missing keys, wrong types, unknown dtypes, negative dimensions and template "
        "arguments that are missing or ill-typed are `schema` errors too.",
    ),
    "expression": CodeExample(
        failing="""\
specc: 1
name: model
params:
  hidden: 512
body:
  - var: w
    shape: [$hiden, 4 * $hidden]
""",
        fixed="""\
specc: 1
name: model
params:
  hidden: 512
body:
  - var: w
    shape: [$hidden, 4 * $hidden]
""",
        explanation="An expression names something that is not a param, a template argument "
        "or a `repeat` variable in scope (here a typo). Type errors (`$name + 1` on a "
        "string), division by zero and an unclosed `${` are `expression` errors too.",
    ),
    "variable-exists": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: foo
    body:
      - var: v
        shape: [1]
  - scope: foo
    body:
      - var: v
        shape: [1]
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: foo
    body:
      - var: v
        shape: [1]
  - scope: foo
    reuse: true
    body:
      - var: v
        shape: [1]
""",
        explanation="TF: `Variable foo/v already exists, disallowed`. The second scope "
        "`foo` does not reuse, so getting `v` again is an error. Set `reuse: true` to "
        "share it (or `reuse: auto` to create it when missing), or give the second "
        "variable another name if it is meant to be a new one.",
    ),
    "variable-missing": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: foo
    reuse: true
    body:
      - var: v
        shape: [1]
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: foo
    reuse: auto
    body:
      - var: v
        shape: [1]
""",
        explanation="TF: `Variable foo/v does not exist, or was not created with "
        "tf.get_variable()`. A scope with `reuse: true` (or inside one: reuse is "
        "inherited and `reuse: false` below cannot switch it off) only shares. Use "
        "`reuse: auto` to create on first use, or create the variable first. A template "
        "instance that creates a new trainable variable on a later call is this code "
        "too.",
    ),
    "shape-mismatch": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: enc
    body:
      - var: w
        shape: [4, 8]
  - scope: enc
    reuse: true
    body:
      - var: w
        shape: [8, 4]
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: enc
    body:
      - var: w
        shape: [4, 8]
  - scope: enc
    reuse: true
    body:
      - var: w
""",
        explanation="TF: `Trying to share variable enc/w, but specified shape (8, 4) and "
        "found shape (4, 8)`. A shared variable keeps the shape it was created with; "
        "leave `shape` out when sharing (it is optional then), or write the same one.",
    ),
    "dtype-mismatch": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: step
    shape: []
    dtype: int64
  - reuse_variables: true
  - var: step
    shape: []
""",
        fixed="""\
specc: 1
name: model
body:
  - var: step
    shape: []
    dtype: int64
  - reuse_variables: true
  - var: step
    shape: []
    dtype: int64
""",
        explanation="TF: `Trying to share variable step, but specified dtype float32 and "
        "found dtype int64`. The second `var` asks for the scope's dtype (float32 at "
        "the root); write the dtype the variable was created with. A `value` literal "
        "whose inferred dtype (ints give int32) disagrees with an explicit `dtype` is "
        "this code too.",
    ),
    "shape-undefined": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: w
    initializer: zeros
""",
        fixed="""\
specc: 1
name: model
body:
  - var: w
    shape: [10]
    initializer: zeros
""",
        explanation="TF: `The initializer passed is not valid` (or `Variable w did not get "
        "an initializer, so its shape argument must be specified`). Only a `value` "
        "literal carries its own shape; every other new variable needs `shape`.",
    ),
    "initializer-required": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: spectrum
    shape: [64]
    dtype: complex64
""",
        fixed="""\
specc: 1
name: model
body:
  - var: spectrum
    shape: [64]
    dtype: complex64
    initializer: zeros
""",
        explanation="TF: `An initializer for variable spectrum of complex64 is required`. "
        "Floats default to glorot_uniform and integers, bools and strings to zeros, but "
        "complex variables have no default.",
    ),
    "initializer-shape": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: table
    shape: [2, 2]
    initializer: {value: [[1.0, 0.0], [0.0, 1.0]]}
""",
        fixed="""\
specc: 1
name: model
body:
  - var: table
    initializer: {value: [[1.0, 0.0], [0.0, 1.0]]}
""",
        explanation="TF: `If initializer is a constant, do not specify shape.` A `value` "
        "literal gives the shape itself, so `shape` must be absent, even when it matches. "
        "A `constant` list longer than the shape is this code too.",
    ),
    "initializer-dtype": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: counts
    shape: [10]
    dtype: int32
    initializer: glorot_uniform
""",
        fixed="""\
specc: 1
name: model
body:
  - var: counts
    shape: [10]
    dtype: int32
    initializer: zeros
""",
        explanation="A floating-point sampler cannot initialize an integer variable (TF: "
        "`Expected int32, but got ... of type 'float'`). Integer variables take zeros, "
        "ones, constant, value, checkpoint, or random_uniform with integer bounds.",
    ),
    "initializer-rank": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: bias
    shape: [128]
    initializer: orthogonal
""",
        fixed="""\
specc: 1
name: model
body:
  - var: kernel
    shape: [128, 128]
    initializer: orthogonal
""",
        explanation="TF: `The tensor to initialize must be at least two-dimensional`. "
        "`orthogonal` needs at least 2 dimensions and `identity` exactly 2.",
    ),
    "checkpoint": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: embedding
    shape: [1000, 64]
    initializer: {checkpoint: {path: warm_start.h5}}
""",
        fixed="""\
specc: 1
name: model
body:
  - var: embedding
    shape: [1000, 64]
    initializer: {checkpoint: {path: warm_start.npz}}
""",
        explanation="A `checkpoint` initializer reads a `.npz` or `.safetensors` file "
        "(its path relative to the spec's folder) that holds the array under `key` "
        "(default: the variable's full name). A missing, unreadable or malformed file, "
        "another format, or a key the file lacks is this code; an array of another shape "
        "is `initializer-shape`, of another dtype `initializer-dtype`. Only the file's "
        "headers are read.",
    ),
    "reuse-without-name": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: null
    default_name: layer
    reuse: auto
    body:
      - var: w
        shape: [3]
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: layer
    reuse: auto
    body:
      - var: w
        shape: [3]
""",
        explanation="TF: `reuse=True cannot be used without a name_or_scope`. A default "
        "name is made unique (`layer`, `layer_1`, ...), so there is nothing to reuse; "
        "`reuse: auto` is refused like `reuse: true`. Name the scope, or capture it and "
        "re-enter it with `scope: {ref: ...}`.",
    ),
    "partition-mismatch": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: emb
    body:
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 3}}
  - scope: emb
    reuse: true
    body:
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 2}}
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: emb
    body:
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 3}}
  - scope: emb
    reuse: true
    body:
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 3}}
""",
        explanation="TF: `Trying to reuse partitioned variable emb/table, but specified "
        "partitions ...`. A shared partitioned variable must be split the same way each "
        "time it is got.",
    ),
    "partition-clash": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: emb
    reuse: auto
    body:
      - var: table
        shape: [6, 2]
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 2}}
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: emb
    reuse: auto
    body:
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 2}}
      - var: table
        shape: [6, 2]
        partitioner: {fixed_size: {num_shards: 2}}
""",
        explanation="TF: `A partitioner was provided, but an unpartitioned version of the "
        "variable was found`. One name is either partitioned or not; the reverse case, "
        "and a plain variable already holding a part's name (`table/part_0`), are this "
        "code too.",
    ),
    "partition-invalid": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: table
    shape: [6, 2]
    partitioner: {fixed_size: {num_shards: 2, axis: 2}}
""",
        fixed="""\
specc: 1
name: model
body:
  - var: table
    shape: [6, 2]
    partitioner: {fixed_size: {num_shards: 2, axis: 1}}
""",
        explanation="The partitioner cannot split this variable: the axis is outside its "
        "rank. Zero shards and a non-positive `max_shard_bytes` are this code too.",
    ),
    "unknown-ref": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: encoder
    capture: enc
    body:
      - var: w
        shape: [4]
  - scope: {ref: encoder}
    reuse: true
    body:
      - var: w
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: encoder
    capture: enc
    body:
      - var: w
        shape: [4]
  - scope: {ref: enc}
    reuse: true
    body:
      - var: w
""",
        explanation="`{ref: NAME}` names what `capture:` named, not the scope's name. A "
        "`use` of an undefined template and a `values` entry naming no op or variable "
        "are `unknown-ref` too.",
    ),
    "invalid-name": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - scope: _private
    body:
      - var: w
        shape: [2]
""",
        fixed="""\
specc: 1
name: model
body:
  - scope: private
    body:
      - var: w
        shape: [2]
""",
        explanation="TF: `'_private' is not a valid scope name`. A root-level scope, a name "
        "scope or an op must start with a letter, digit or `.`; nested names may also "
        "start with `_` or `-`. Spaces and quotes are never allowed.",
    ),
    "include": CodeExample(
        failing="""\
specc: 1
name: model
include: [../blocks.yaml]
body:
  - use: dense
    with: {in_dim: 4, units: 2}
""",
        fixed="""\
specc: 1
name: model
include: [blocks.yaml]
body:
  - use: dense
    with: {in_dim: 4, units: 2}
""",
        explanation="An include must be a relative path that stays inside the spec's "
        "folder; move the file beside the spec (or below it). A missing file and an "
        "include cycle are this code too.",
        files=(
            (
                "blocks.yaml",
                """\
specc: 1
templates:
  dense:
    args: {in_dim: int, units: int}
    body:
      - var: kernel
        shape: [$in_dim, $units]
      - var: bias
        shape: [$units]
        initializer: zeros
""",
            ),
        ),
    ),
    "limit": CodeExample(
        failing="""\
specc: 1
name: model
body:
  - var: huge
    shape: [1048576, 1048576]
""",
        fixed="""\
specc: 1
name: model
body:
  - var: huge
    shape: [1048576, 1024]
""",
        explanation="A resource limit was exceeded: here the total parameter bytes (4 TiB "
        "against the default 1 TiB). The message names the flag that raises the limit "
        "(`--max-param-bytes`); file size, YAML nodes, nesting depth, statements executed "
        "and the variable count have flags of their own.",
    ),
}


def _fence(text: str) -> str:
    return "```yaml\n" + text.rstrip("\n") + "\n```\n"


def render_markdown() -> str:
    """The text of `docs/diagnostics.md`: every code, its failing spec and fix."""
    out = [
        "# Diagnostics\n",
        "\n",
        "<!-- Generated by specc.codes_doc.render_markdown(); edit specc/codes_doc.py, "
        "not this file. -->\n",
        "\n",
        "Every error specc reports carries one of the codes below, in the human form "
        '`file:line:col: error[code]: message` and as `"code"` in `--json` output. '
        "`specc explain-code CODE` prints the same example on a terminal, and "
        "`specc explain-code` lists every code.\n",
        "\n",
        "Exit codes: 0 ok, 1 errors in the spec, 2 usage errors (bad flags, an unknown "
        "`-D` name, a missing file).\n",
        "\n",
        "Errors come in two phases. Phase 1 (`yaml-syntax`, `schema`, `include`, most "
        "`unknown-ref`, some `expression` and `limit` errors) checks the whole document "
        "and reports in source order; resolution does not run on an invalid document. "
        "Phase 2 runs the body as TensorFlow would and reports in execution order, so "
        "the first error is the one TensorFlow raises; it then carries on, so one run "
        "shows every error it can find.\n",
        "\n",
        "| code | meaning |\n",
        "| --- | --- |\n",
    ]
    out.extend(f"| [`{c}`](#{c}) | {info.description} |\n" for c, info in CODES.items())
    for code, info in CODES.items():
        ex = EXAMPLES[code]
        out += [
            "\n",
            f"## {code}\n",
            "\n",
            info.description[0].upper(),
            info.description[1:],
            ".\n",
            "\n",
        ]
        out += ["Fails:\n", "\n", _fence(ex.failing), "\n"]
        for name, text in ex.files:
            out += [f"With `{name}` beside the spec:\n", "\n", _fence(text), "\n"]
        out += ["Fixed:\n", "\n", _fence(ex.fixed), "\n", ex.explanation, "\n"]
    return "".join(out)
