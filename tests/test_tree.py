"""`specc table SPEC --format tree`: the scope tree with subtotals, shared and
partitioned variables marked, plain and deterministic off a terminal, 100 columns."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from specc import cli
from specc.pipeline import compile_file, compile_text
from specc.reports.tree import build_tree, render_tree
from specc.table import VariableTable

ROOT = Path(__file__).resolve().parent.parent

TOY = """\
specc: 1
name: toy
body:
  - scope: emb
    capture: e
    body:
      - var: table
        shape: [10, 4]
  - scope: enc
    body:
      - scope: rnn
        body:
          - scope: cell
            body:
              - var: kernel
                shape: [8, 16]
              - var: bias
                shape: [16]
                initializer: zeros
      - scope: {ref: e}
        reuse: true
        body:
          - var: table
  - scope: dec
    body:
      - scope: {ref: e}
        reuse: true
        body:
          - var: table
      - var: out
        shape: [4, 10]
  - var: step
    shape: []
    dtype: int64
    trainable: false
  - var: parts
    shape: [6, 4]
    partitioner: {fixed_size: {num_shards: 3}}
  - var: dec
    shape: [2]
    local: true
"""

TOY_TREE = """\
scope / variable    shape     dtype     params    bytes   notes
───────────────────────────────────────────────────────────────────
toy                                        251   1008 B   7 vars
├── emb/                                    40    160 B   1 var
│   └── table       [10, 4]   float32       40    160 B   shared x2
├── enc/rnn/cell/                          144    576 B   2 vars
│   ├── kernel      [8, 16]   float32      128    512 B
│   └── bias        [16]      float32       16     64 B
├── dec/                                    40    160 B   1 var
│   └── out         [4, 10]   float32       40    160 B
├── step            []        int64          1      8 B   frozen
├── parts           [6, 4]    float32       24     96 B   3 parts
└── dec             [2]       float32        2      8 B   local

scope   vars  trainable  non-trainable  params   bytes
emb        1         40              0      40   160 B
enc        2        144              0     144   576 B
dec        1         40              0      40   160 B
(root)     3         24              3      27   112 B
total      7        248              3     251  1008 B

Total params: 251 (1008 B)
Trainable params: 248 (992 B)
Non-trainable params: 3 (16 B), of which local: 2 (8 B)

shared variables, and where they are reused:
  emb/table: toy.yaml:23:13, toy.yaml:29:13
"""


def _table(text: str, name: str = "toy.yaml") -> VariableTable:
    comp = compile_text(text, name)
    assert comp.ok and comp.table is not None, comp.diagnostics
    return comp.table


def _tree_registered() -> bool:
    for action in cli.build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            table = action.choices["table"]
            fmt = table._option_string_actions["--format"]
            return "tree" in (fmt.choices or ())
    return False


def run_tree(spec: str) -> int:
    """`specc table SPEC --format tree` through the CLI once it is wired in, else
    the same steps by hand."""
    if _tree_registered():
        return cli.main(["table", spec, "--format", "tree"])
    comp = compile_file(spec)
    if not comp.ok:
        opts = cli.Options("table", argparse.Namespace(color="never"), {}, cli.Limits())
        return cli._report(opts, comp, as_json=False)
    assert comp.table is not None
    sys.stdout.write(render_tree(comp.table))
    return 0


def test_exact_tree() -> None:
    assert render_tree(_table(TOY)) == TOY_TREE


def test_subtotals_at_every_level() -> None:
    root = build_tree(_table(TOY))
    assert (root.variables, root.parameters, root.bytes) == (7, 251, 1008)
    enc = root.scopes["enc"]
    assert (enc.variables, enc.parameters) == (2, 144)
    rnn = enc.scopes["rnn"]
    assert (rnn.variables, rnn.parameters, rnn.scopes["cell"].parameters) == (2, 144, 144)
    # a variable and a scope of the same name are separate entries, in creation order
    kinds = [type(item).__name__ for item in root.items]
    assert kinds == ["_Scope", "_Scope", "_Scope", "Row", "Row", "Row"]


def test_plain_off_a_terminal_and_coloured_on_request() -> None:
    table = _table(TOY)
    plain = render_tree(table)
    assert "\x1b" not in plain
    assert render_tree(table) == plain  # deterministic
    coloured = render_tree(table, color=True)
    assert "\x1b[" in coloured
    assert "emb/table: toy.yaml:23:13, toy.yaml:29:13" in coloured


def test_many_reuse_sites_are_counted() -> None:
    uses = "".join(
        f"  - scope: u{i}\n    body:\n      - scope: {{ref: e}}\n        reuse: true\n"
        "        body:\n          - var: w\n"
        for i in range(7)
    )
    text = (
        "specc: 1\nname: many\nbody:\n  - scope: s\n    capture: e\n    body:\n"
        "      - {var: w, shape: [2]}\n" + uses
    )
    out = render_tree(_table(text, "m.yaml"))
    assert "│\n" not in out
    assert out.endswith(
        "  s/w: m.yaml:13:13, m.yaml:19:13, m.yaml:25:13, m.yaml:31:13, m.yaml:37:13, +2 more\n"
    )
    assert "shared x7" in out


@pytest.mark.parametrize("example", ["seq2seq", "transformer", "cnn", "mlp"])
def test_examples_fit_100_columns(example: str) -> None:
    comp = compile_file(ROOT / "examples" / f"{example}.yaml")
    assert comp.table is not None
    out = render_tree(comp.table)
    assert max(len(line) for line in out.splitlines()) <= 100
    assert out.splitlines()[2].startswith(comp.table.name)
    assert f"{comp.table.parameters:,}" in out.splitlines()[2]


def test_long_names_fold_within_100_columns() -> None:
    deep = "/".join(f"scope_with_a_long_name_{i}" for i in range(6))
    text = (
        "specc: 1\nname: deep\nbody:\n"
        f"  - scope: {deep}\n    body:\n"
        "      - {var: a_variable_with_a_very_long_name_indeed_kernel, shape: [3, 3]}\n"
        "      - {var: b, shape: [3]}\n"
    )
    out = render_tree(_table(text, "deep.yaml"))
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "3 vars" not in out and "2 vars" in out


def test_transformer_tree_head(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_tree(str(ROOT / "examples" / "transformer.yaml")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:8] == [
        "scope / variable                shape          dtype         params       bytes   notes",
        "─" * 91,
        "transformer_lm                                           35,593,472   135.8 MiB   "
        "101 vars",
        "├── embedding/                                           16,384,000    62.5 MiB   1 var",
        "│   └── embeddings              [32000, 512]   float32   16,384,000    62.5 MiB   "
        "shared x1",
        "├── position_embedding/                                     262,144     1.0 MiB   1 var",
        "│   └── embeddings              [512, 512]     float32      262,144     1.0 MiB",
        "├── transformer/                                         18,915,328    72.2 MiB   98 vars",
    ]
    assert lines[-3:] == [
        "",
        "shared variables, and where they are reused:",
        f"  embedding/embeddings: {ROOT / 'examples' / 'transformer.yaml'}:63:9",
    ]


def test_spec_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("specc: 1\nname: bad\nbody:\n  - var: w\n")
    assert run_tree(str(bad)) == 1
    assert "error[shape-undefined]" in capsys.readouterr().err
