"""`specc diff OLD NEW`: added, removed, reshaped, retyped, renamed (both rules),
informational changes, the restorable verdict and exit codes, and the JSON form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc import cli
from specc.pipeline import compile_text
from specc.reports.diff import diff_tables, parent

OLD = """\
specc: 1
name: net
body:
  - scope: enc
    body:
      - var: w
        shape: [4, 8]
      - var: b
        shape: [8]
        initializer: zeros
      - var: steps
        shape: []
        dtype: int32
  - scope: head
    body:
      - var: kernel
        shape: [8, 2]
  - scope: old
    body:
      - var: gone
        shape: [5]
"""

NEW = """\
specc: 1
name: net
body:
  - scope: enc
    body:
      - var: kernel
        shape: [4, 8]
      - var: b
        shape: [16]
        initializer: ones
      - var: steps
        shape: []
        dtype: int64
  - scope: output
    body:
      - var: kernel
        shape: [8, 2]
  - scope: extra
    body:
      - var: v
        shape: [3]
"""

ONLY_REMOVED = """\
specc: 1
name: net
body:
  - scope: enc
    body:
      - var: w
        shape: [4, 8]
      - var: b
        shape: [8]
        initializer: zeros
        trainable: false
"""

BROKEN = """\
specc: 1
name: net
body:
  - var: w
"""


def run(argv: list[str]) -> int:
    """`specc diff ...` through the CLI."""
    return cli.main(["diff", *argv])


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in (
        ("old.yaml", OLD),
        ("new.yaml", NEW),
        ("only_removed.yaml", ONLY_REMOVED),
        ("broken.yaml", BROKEN),
    ):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_parent() -> None:
    assert parent("a/b/c") == "a/b"
    assert parent("v") == ""


def test_human_output_lists_every_kind_with_locations(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["old.yaml", "new.yaml"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "old:  old.yaml  5 variables,  62 parameters\n"
        "new:  new.yaml  5 variables,  68 parameters\n"
        "\n"
        "added (1):\n"
        "  extra/v  [3]  float32  new.yaml:20:9\n"
        "removed (1, ignored when restoring):\n"
        "  old/gone  [5]  float32  old.yaml:20:9\n"
        "renamed (2, likely; restore them with a name map):\n"
        "  enc/w -> enc/kernel           [4, 8]  float32  same scope     "
        "old.yaml:6:9 -> new.yaml:6:9\n"
        "  head/kernel -> output/kernel  [8, 2]  float32  same position  "
        "old.yaml:16:9 -> new.yaml:16:9\n"
        "reshaped (1):\n"
        "  enc/b  [8] -> [16]  old.yaml:8:9 -> new.yaml:8:9\n"
        "retyped (1):\n"
        "  enc/steps  int32 -> int64  old.yaml:11:9 -> new.yaml:11:9\n"
        "changed (1, informational):\n"
        "  enc/b  initializer  zeros -> ones  old.yaml:8:9 -> new.yaml:8:9\n"
        "\n"
        "not restorable: a checkpoint written from old.yaml would not restore new.yaml "
        "(1 added, 2 renamed, 1 reshaped, 1 retyped)\n"
    )


def test_json_form(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["old.yaml", "new.yaml", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert list(out) == [
        "added",
        "removed",
        "reshaped",
        "retyped",
        "renamed",
        "changed",
        "rename",
        "restorable",
    ]
    assert out["restorable"] is False
    assert out["rename"] == {r["old_name"]: r["new_name"] for r in out["renamed"]}
    assert out["added"] == [
        {"name": "extra/v", "shape": [3], "dtype": "float32", "defined_at": "new.yaml:20:9"}
    ]
    assert out["removed"] == [
        {"name": "old/gone", "shape": [5], "dtype": "float32", "defined_at": "old.yaml:20:9"}
    ]
    assert out["reshaped"] == [
        {
            "name": "enc/b",
            "old_shape": [8],
            "new_shape": [16],
            "old_at": "old.yaml:8:9",
            "new_at": "new.yaml:8:9",
        }
    ]
    assert out["retyped"] == [
        {
            "name": "enc/steps",
            "old_dtype": "int32",
            "new_dtype": "int64",
            "old_at": "old.yaml:11:9",
            "new_at": "new.yaml:11:9",
        }
    ]
    assert [(r["old_name"], r["new_name"], r["rule"]) for r in out["renamed"]] == [
        ("enc/w", "enc/kernel", "scope"),
        ("head/kernel", "output/kernel", "position"),
    ]
    assert out["renamed"][0] == {
        "old_name": "enc/w",
        "new_name": "enc/kernel",
        "shape": [4, 8],
        "dtype": "float32",
        "rule": "scope",
        "old_at": "old.yaml:6:9",
        "new_at": "new.yaml:6:9",
    }
    assert [(c["name"], c["field"], c["old"], c["new"]) for c in out["changed"]] == [
        ("enc/b", "initializer", "zeros", "ones"),
    ]


def test_identical_specs_restore(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["old.yaml", "old.yaml"]) == 0
    assert capsys.readouterr().out == (
        "old:  old.yaml  5 variables,  62 parameters\n"
        "new:  old.yaml  5 variables,  62 parameters\n"
        "\n"
        "no differences in the variables\n"
        "\n"
        "restorable: a checkpoint written from old.yaml restores old.yaml\n"
    )
    assert run(["old.yaml", "old.yaml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "added": [],
        "removed": [],
        "reshaped": [],
        "retyped": [],
        "renamed": [],
        "changed": [],
        "rename": {},
        "restorable": True,
    }


def test_variables_only_old_has_do_not_fail(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["old.yaml", "only_removed.yaml"]) == 0
    out = capsys.readouterr().out
    assert (
        "removed (3, ignored when restoring):\n"
        "  enc/steps    []      int32    old.yaml:11:9\n"
        "  head/kernel  [8, 2]  float32  old.yaml:16:9\n"
        "  old/gone     [5]     float32  old.yaml:20:9\n"
    ) in out
    assert "  enc/b  trainable  true -> false  old.yaml:8:9 -> only_removed.yaml:8:9\n" in out
    assert out.endswith(
        "restorable: a checkpoint written from old.yaml restores only_removed.yaml "
        "(3 variables only old.yaml has are ignored)\n"
    )
    # the other way round every variable of OLD is new
    assert run(["only_removed.yaml", "old.yaml"]) == 1
    out = capsys.readouterr().out
    assert "added (3):" in out and "not restorable" in out


def test_spec_errors_are_reported_and_exit_1(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["old.yaml", "broken.yaml"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "broken.yaml:4:5: error[shape-undefined]" in captured.err
    assert captured.err.endswith("found 1 error\n")
    assert run(["broken.yaml", "broken.yaml", "--json"]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["code"], e["file"], e["line"]) for e in errors] == [
        ("shape-undefined", "broken.yaml", 4),
        ("shape-undefined", "broken.yaml", 4),
    ]


def test_usage_errors_exit_2(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["old.yaml", "missing.yaml"]) == 2
    captured = capsys.readouterr()
    assert "specc: error: no such spec file: missing.yaml" in captured.out + captured.err
    assert run(["old.yaml", "new.yaml", "-D", "nope=1"]) == 2
    assert "specc: error: old.yaml: unknown param 'nope'" in capsys.readouterr().err


def test_define_applies_to_both_specs(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-D overrides the param in both specs; a spec that lacks it is named."""
    (specs / "p_old.yaml").write_text(
        "specc: 1\nname: p\nparams: {n: 2}\nbody:\n  - {var: w, shape: [$n]}\n"
    )
    (specs / "p_new.yaml").write_text(
        "specc: 1\nname: p\nparams: {n: 3}\nbody:\n  - {var: w, shape: [$n]}\n"
    )
    assert run(["p_old.yaml", "p_new.yaml"]) == 1
    capsys.readouterr()
    assert run(["p_old.yaml", "p_new.yaml", "-D", "n=4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["restorable"] is True
    assert run(["p_old.yaml", "old.yaml", "-D", "n=4"]) == 2
    assert "specc: error: old.yaml: unknown param 'n'; declared params: none" in (
        capsys.readouterr().err
    )


def test_rename_rules_pair_in_creation_order() -> None:
    old = compile_text(
        "specc: 1\nname: t\nbody:\n"
        "  - scope: a\n    body:\n"
        "      - {var: x, shape: [2]}\n      - {var: y, shape: [2]}\n"
        "  - scope: keep\n    body:\n      - {var: k, shape: [1]}\n"
        "  - scope: enc\n    body:\n"
        "      - {var: k, shape: [3, 3]}\n      - {var: b, shape: [3]}\n",
        "old.yaml",
    ).table
    new = compile_text(
        "specc: 1\nname: t\nbody:\n"
        "  - scope: a\n    body:\n"
        "      - {var: p, shape: [2]}\n      - {var: q, shape: [2]}\n"
        "  - scope: keep\n    body:\n      - {var: k, shape: [1]}\n"
        "  - scope: encoder\n    body:\n"
        "      - {var: k, shape: [3, 3]}\n      - {var: b, shape: [4]}\n",
        "new.yaml",
    ).table
    assert old is not None and new is not None
    d = diff_tables(old, new)
    assert [(p.old.name, p.new.name, p.rule) for p in d.renamed] == [
        ("a/x", "a/p", "scope"),
        ("a/y", "a/q", "scope"),
        ("enc/k", "encoder/k", "position"),
    ]
    # enc/b [3] and encoder/b [4] share a place but not a shape: no rename
    assert [r.name for r in d.removed] == ["enc/b"]
    assert [r.name for r in d.added] == ["encoder/b"]
    assert not d.restorable


def test_partitioning_change_is_informational() -> None:
    def spec(shards: int) -> str:
        return (
            "specc: 1\nname: t\nbody:\n"
            "  - var: emb\n    shape: [8, 2]\n"
            f"    partitioner: {{fixed_size: {{num_shards: {shards}}}}}\n"
        )

    old, new = compile_text(spec(2), "a.yaml").table, compile_text(spec(4), "b.yaml").table
    assert old is not None and new is not None
    d = diff_tables(old, new)
    assert d.restorable and not d.identical
    assert [(c.key, c.old, c.new) for c in d.changed] == [
        ("partitions", "2 parts [4, 2] [4, 2]", "4 parts [2, 2] [2, 2] [2, 2] [2, 2]")
    ]


def test_position_rename_skips_variables_added_beside_it() -> None:
    old = compile_text(
        "specc: 1\nname: t\nbody:\n"
        "  - {var: keep, shape: [1]}\n"
        "  - scope: output_projection\n    body:\n      - {var: kernel, shape: [4, 9]}\n",
        "old.yaml",
    ).table
    new = compile_text(
        "specc: 1\nname: t\nbody:\n"
        "  - {var: keep, shape: [1]}\n"
        "  - {var: extra, shape: [2, 2]}\n"
        "  - scope: output\n    body:\n      - {var: kernel, shape: [4, 9]}\n",
        "new.yaml",
    ).table
    assert old is not None and new is not None
    d = diff_tables(old, new)
    assert [(p.old.name, p.new.name, p.rule) for p in d.renamed] == [
        ("output_projection/kernel", "output/kernel", "position")
    ]
    assert [r.name for r in d.added] == ["extra"] and not d.removed


def test_position_rule_pairs_a_renamed_block_and_not_lookalikes() -> None:
    def block(scope: str, names: tuple[str, ...]) -> str:
        body = "".join(f"      - {{var: {n}, shape: [4, 4]}}\n" for n in names)
        return f"  - scope: {scope}\n    body:\n{body}"

    head = "specc: 1\nname: t\nbody:\n  - {var: keep, shape: [1]}\n"
    old = compile_text(
        head + block("layer_0", ("query", "key", "value")) + block("mlp", ("w1", "w2")),
        "old.yaml",
    ).table
    new = compile_text(
        head + block("block_0", ("query", "key", "value")) + block("rnn", ("cell_a", "cell_b")),
        "new.yaml",
    ).table
    assert old is not None and new is not None
    d = diff_tables(old, new)
    # the block's variables differ only in their scope: paired one to one; the
    # mlp/rnn variables share only a shape with several others: not paired
    assert [(p.old.name, p.new.name, p.rule) for p in d.renamed] == [
        ("layer_0/query", "block_0/query", "position"),
        ("layer_0/key", "block_0/key", "position"),
        ("layer_0/value", "block_0/value", "position"),
    ]
    assert [r.name for r in d.removed] == ["mlp/w1", "mlp/w2"]
    assert [r.name for r in d.added] == ["rnn/cell_a", "rnn/cell_b"]
