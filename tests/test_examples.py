"""The examples in examples/: each compiles, passes `specc check`, and gives
exactly the variables written out below (names in creation order, some shapes)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from specc.catalog import CATALOG_NAMES, default_catalogs
from specc.cli import main
from specc.diagnostics import CODES
from specc.lang.models import ALL_STATEMENT_KEYS, TOP_KEYS
from specc.limits import Limits
from specc.pipeline import Compilation, compile_file, compile_text
from specc.table import Row

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALL = ("mlp.yaml", "cnn.yaml", "seq2seq.yaml", "transformer.yaml")


def _compile(name: str, **params: int) -> Compilation:
    comp = compile_file(EXAMPLES / name, params)
    assert comp.ok, [d.message for d in comp.diagnostics]
    return comp


def _rows(name: str, **params: int) -> dict[str, Row]:
    table = _compile(name, **params).table
    assert table is not None
    return {row.name: row for row in table.variables}


def _names(name: str, **params: int) -> list[str]:
    return list(_rows(name, **params))


def test_examples_folder_holds_exactly_these() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(ALL)


@pytest.mark.parametrize("name", ALL)
def test_example_passes_specc_check(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLES / name)]) == 0
    assert ": ok: " in capsys.readouterr().out


@pytest.mark.parametrize("name", ALL)
def test_example_has_schema_modeline(name: str) -> None:
    first = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../specc/schemas/specc.schema.json"


# --------------------------------------------------------------------------- mlp


def test_mlp_variables() -> None:
    assert _names("mlp.yaml") == [
        "mlp/dense/kernel",
        "mlp/dense/bias",
        "mlp/dense_1/kernel",
        "mlp/dense_1/bias",
        "mlp/dense_2/kernel",
        "mlp/dense_2/bias",
    ]


def test_mlp_shapes_and_regularizers() -> None:
    comp = _compile("mlp.yaml")
    assert comp.table is not None
    rows = {r.name: r for r in comp.table.variables}
    assert rows["mlp/dense/kernel"].shape == (784, 256)
    assert rows["mlp/dense/bias"].shape == (256,)
    assert rows["mlp/dense_1/kernel"].shape == (256, 256)
    assert rows["mlp/dense_2/kernel"].shape == (256, 10)
    assert rows["mlp/dense_2/bias"].shape == (10,)
    assert rows["mlp/dense/bias"].initializer.kind == "zeros"
    assert comp.table.parameters == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    # only kernels carry the L2 penalty
    assert comp.table.to_json()["regularization_losses"] == [
        "mlp/dense/kernel",
        "mlp/dense_1/kernel",
        "mlp/dense_2/kernel",
    ]


def test_mlp_params_override() -> None:
    rows = _rows("mlp.yaml", hidden=512)
    assert rows["mlp/dense/kernel"].shape == (784, 512)
    assert rows["mlp/dense_1/kernel"].shape == (512, 512)
    assert rows["mlp/dense_2/kernel"].shape == (512, 10)


# --------------------------------------------------------------------------- cnn


def test_cnn_variables() -> None:
    assert _names("cnn.yaml") == [
        "cnn/block1/conv2d/kernel",
        "cnn/block1/conv2d/bias",
        "cnn/block1/batch_normalization/gamma",
        "cnn/block1/batch_normalization/beta",
        "cnn/block1/batch_normalization/moving_mean",
        "cnn/block1/batch_normalization/moving_variance",
        "cnn/block2/conv2d/kernel",
        "cnn/block2/conv2d/bias",
        "cnn/block2/batch_normalization/gamma",
        "cnn/block2/batch_normalization/beta",
        "cnn/block2/batch_normalization/moving_mean",
        "cnn/block2/batch_normalization/moving_variance",
        "cnn/block3/conv2d/kernel",
        "cnn/block3/conv2d/bias",
        "cnn/block3/batch_normalization/gamma",
        "cnn/block3/batch_normalization/beta",
        "cnn/block3/batch_normalization/moving_mean",
        "cnn/block3/batch_normalization/moving_variance",
        "cnn/logits/kernel",
        "cnn/logits/bias",
    ]


def test_cnn_shapes_and_batch_norm_statistics() -> None:
    rows = _rows("cnn.yaml")
    assert rows["cnn/block1/conv2d/kernel"].shape == (3, 3, 3, 32)
    assert rows["cnn/block2/conv2d/kernel"].shape == (3, 3, 32, 64)
    assert rows["cnn/block3/conv2d/kernel"].shape == (3, 3, 64, 128)
    assert rows["cnn/block3/conv2d/bias"].shape == (128,)
    assert rows["cnn/logits/kernel"].shape == (128, 10)
    stat = rows["cnn/block2/batch_normalization/moving_variance"]
    assert stat.shape == (64,)
    assert stat.trainable is False
    assert stat.synchronization == "on_read"
    assert stat.aggregation == "mean"
    assert stat.collections == ("variables",)
    assert stat.initializer.kind == "ones"
    gamma = rows["cnn/block2/batch_normalization/gamma"]
    assert gamma.trainable is True
    assert gamma.collections == ("trainable_variables", "variables")
    assert rows["cnn/block1/conv2d/kernel"].initializer.to_json() == {
        "kind": "variance_scaling",
        "args": {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"},
    }


def test_cnn_params_override() -> None:
    names = _names("cnn.yaml", blocks=4, filters=16)
    assert len(names) == 4 * 6 + 2
    rows = _rows("cnn.yaml", blocks=4, filters=16)
    assert rows["cnn/block4/conv2d/kernel"].shape == (3, 3, 64, 128)
    assert rows["cnn/logits/kernel"].shape == (128, 10)


# --------------------------------------------------------------------------- seq2seq


def test_seq2seq_variables() -> None:
    assert _names("seq2seq.yaml") == [
        "embedding/embeddings",
        "encoder/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
        "encoder/rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
        "encoder/rnn/multi_rnn_cell/cell_1/lstm_cell/kernel",
        "encoder/rnn/multi_rnn_cell/cell_1/lstm_cell/bias",
        "decoder/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
        "decoder/rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
        "decoder/rnn/multi_rnn_cell/cell_1/lstm_cell/kernel",
        "decoder/rnn/multi_rnn_cell/cell_1/lstm_cell/bias",
        "decoder/output_projection/kernel",
    ]


def test_seq2seq_shares_the_embedding() -> None:
    rows = _rows("seq2seq.yaml")
    emb = rows["embedding/embeddings"]
    assert emb.shape == (32000, 512)
    assert len(emb.shared_at) == 1  # the decoder's re-entry of the captured scope
    assert emb.defined_at is not None
    assert emb.shared_at[0].line > emb.defined_at.line
    assert emb.initializer.to_json() == {
        "kind": "random_uniform",
        "args": {"minval": -0.05, "maxval": 0.05},
    }
    assert rows["encoder/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"].shape == (1024, 2048)
    assert rows["decoder/rnn/multi_rnn_cell/cell_1/lstm_cell/bias"].shape == (2048,)
    assert rows["decoder/output_projection/kernel"].shape == (512, 32000)


def test_seq2seq_lstm_kernel_is_in_plus_units_by_four_units() -> None:
    rows = _rows("seq2seq.yaml", embed_dim=100, units=64, layers=3)
    assert rows["encoder/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"].shape == (164, 256)
    assert rows["encoder/rnn/multi_rnn_cell/cell_2/lstm_cell/kernel"].shape == (128, 256)
    assert rows["embedding/embeddings"].shape == (32000, 100)


# --------------------------------------------------------------------------- transformer

TRANSFORMER = [
    "embedding/embeddings",
    "position_embedding/embeddings",
    "transformer/layer_0/LayerNorm/beta",
    "transformer/layer_0/LayerNorm/gamma",
    "transformer/layer_0/attention/query/kernel",
    "transformer/layer_0/attention/query/bias",
    "transformer/layer_0/attention/key/kernel",
    "transformer/layer_0/attention/key/bias",
    "transformer/layer_0/attention/value/kernel",
    "transformer/layer_0/attention/value/bias",
    "transformer/layer_0/attention/output/kernel",
    "transformer/layer_0/attention/output/bias",
    "transformer/layer_0/LayerNorm_1/beta",
    "transformer/layer_0/LayerNorm_1/gamma",
    "transformer/layer_0/ffn/intermediate/kernel",
    "transformer/layer_0/ffn/intermediate/bias",
    "transformer/layer_0/ffn/output/kernel",
    "transformer/layer_0/ffn/output/bias",
    "transformer/layer_1/LayerNorm/beta",
    "transformer/layer_1/LayerNorm/gamma",
    "transformer/layer_1/attention/query/kernel",
    "transformer/layer_1/attention/query/bias",
    "transformer/layer_1/attention/key/kernel",
    "transformer/layer_1/attention/key/bias",
    "transformer/layer_1/attention/value/kernel",
    "transformer/layer_1/attention/value/bias",
    "transformer/layer_1/attention/output/kernel",
    "transformer/layer_1/attention/output/bias",
    "transformer/layer_1/LayerNorm_1/beta",
    "transformer/layer_1/LayerNorm_1/gamma",
    "transformer/layer_1/ffn/intermediate/kernel",
    "transformer/layer_1/ffn/intermediate/bias",
    "transformer/layer_1/ffn/output/kernel",
    "transformer/layer_1/ffn/output/bias",
    "transformer/layer_2/LayerNorm/beta",
    "transformer/layer_2/LayerNorm/gamma",
    "transformer/layer_2/attention/query/kernel",
    "transformer/layer_2/attention/query/bias",
    "transformer/layer_2/attention/key/kernel",
    "transformer/layer_2/attention/key/bias",
    "transformer/layer_2/attention/value/kernel",
    "transformer/layer_2/attention/value/bias",
    "transformer/layer_2/attention/output/kernel",
    "transformer/layer_2/attention/output/bias",
    "transformer/layer_2/LayerNorm_1/beta",
    "transformer/layer_2/LayerNorm_1/gamma",
    "transformer/layer_2/ffn/intermediate/kernel",
    "transformer/layer_2/ffn/intermediate/bias",
    "transformer/layer_2/ffn/output/kernel",
    "transformer/layer_2/ffn/output/bias",
    "transformer/layer_3/LayerNorm/beta",
    "transformer/layer_3/LayerNorm/gamma",
    "transformer/layer_3/attention/query/kernel",
    "transformer/layer_3/attention/query/bias",
    "transformer/layer_3/attention/key/kernel",
    "transformer/layer_3/attention/key/bias",
    "transformer/layer_3/attention/value/kernel",
    "transformer/layer_3/attention/value/bias",
    "transformer/layer_3/attention/output/kernel",
    "transformer/layer_3/attention/output/bias",
    "transformer/layer_3/LayerNorm_1/beta",
    "transformer/layer_3/LayerNorm_1/gamma",
    "transformer/layer_3/ffn/intermediate/kernel",
    "transformer/layer_3/ffn/intermediate/bias",
    "transformer/layer_3/ffn/output/kernel",
    "transformer/layer_3/ffn/output/bias",
    "transformer/layer_4/LayerNorm/beta",
    "transformer/layer_4/LayerNorm/gamma",
    "transformer/layer_4/attention/query/kernel",
    "transformer/layer_4/attention/query/bias",
    "transformer/layer_4/attention/key/kernel",
    "transformer/layer_4/attention/key/bias",
    "transformer/layer_4/attention/value/kernel",
    "transformer/layer_4/attention/value/bias",
    "transformer/layer_4/attention/output/kernel",
    "transformer/layer_4/attention/output/bias",
    "transformer/layer_4/LayerNorm_1/beta",
    "transformer/layer_4/LayerNorm_1/gamma",
    "transformer/layer_4/ffn/intermediate/kernel",
    "transformer/layer_4/ffn/intermediate/bias",
    "transformer/layer_4/ffn/output/kernel",
    "transformer/layer_4/ffn/output/bias",
    "transformer/layer_5/LayerNorm/beta",
    "transformer/layer_5/LayerNorm/gamma",
    "transformer/layer_5/attention/query/kernel",
    "transformer/layer_5/attention/query/bias",
    "transformer/layer_5/attention/key/kernel",
    "transformer/layer_5/attention/key/bias",
    "transformer/layer_5/attention/value/kernel",
    "transformer/layer_5/attention/value/bias",
    "transformer/layer_5/attention/output/kernel",
    "transformer/layer_5/attention/output/bias",
    "transformer/layer_5/LayerNorm_1/beta",
    "transformer/layer_5/LayerNorm_1/gamma",
    "transformer/layer_5/ffn/intermediate/kernel",
    "transformer/layer_5/ffn/intermediate/bias",
    "transformer/layer_5/ffn/output/kernel",
    "transformer/layer_5/ffn/output/bias",
    "transformer/LayerNorm/beta",
    "transformer/LayerNorm/gamma",
    "logits/bias",
]


def test_transformer_variables() -> None:
    assert _names("transformer.yaml") == TRANSFORMER


def test_transformer_shapes() -> None:
    rows = _rows("transformer.yaml")
    assert len(rows) == 101
    assert rows["embedding/embeddings"].shape == (32000, 512)
    assert rows["position_embedding/embeddings"].shape == (512, 512)
    assert rows["transformer/layer_5/attention/value/kernel"].shape == (512, 512)
    assert rows["transformer/layer_0/ffn/intermediate/kernel"].shape == (512, 2048)
    assert rows["transformer/layer_3/ffn/output/kernel"].shape == (2048, 512)
    assert rows["transformer/layer_2/LayerNorm_1/gamma"].initializer.kind == "ones"
    assert rows["transformer/layer_2/attention/key/kernel"].initializer.to_json() == {
        "kind": "truncated_normal",
        "args": {"mean": 0.0, "stddev": 0.02},
    }
    assert rows["logits/bias"].shape == (32000,)


def test_transformer_tied_embedding_is_shared_by_the_instance() -> None:
    emb = _rows("transformer.yaml")["embedding/embeddings"]
    assert len(emb.shared_at) == 1  # the second call of instance tied_embedding


def test_transformer_layers_param() -> None:
    names = _names("transformer.yaml", layers=2, hidden=64)
    assert names == [
        "embedding/embeddings",
        "position_embedding/embeddings",
        "transformer/layer_0/LayerNorm/beta",
        "transformer/layer_0/LayerNorm/gamma",
        "transformer/layer_0/attention/query/kernel",
        "transformer/layer_0/attention/query/bias",
        "transformer/layer_0/attention/key/kernel",
        "transformer/layer_0/attention/key/bias",
        "transformer/layer_0/attention/value/kernel",
        "transformer/layer_0/attention/value/bias",
        "transformer/layer_0/attention/output/kernel",
        "transformer/layer_0/attention/output/bias",
        "transformer/layer_0/LayerNorm_1/beta",
        "transformer/layer_0/LayerNorm_1/gamma",
        "transformer/layer_0/ffn/intermediate/kernel",
        "transformer/layer_0/ffn/intermediate/bias",
        "transformer/layer_0/ffn/output/kernel",
        "transformer/layer_0/ffn/output/bias",
        "transformer/layer_1/LayerNorm/beta",
        "transformer/layer_1/LayerNorm/gamma",
        "transformer/layer_1/attention/query/kernel",
        "transformer/layer_1/attention/query/bias",
        "transformer/layer_1/attention/key/kernel",
        "transformer/layer_1/attention/key/bias",
        "transformer/layer_1/attention/value/kernel",
        "transformer/layer_1/attention/value/bias",
        "transformer/layer_1/attention/output/kernel",
        "transformer/layer_1/attention/output/bias",
        "transformer/layer_1/LayerNorm_1/beta",
        "transformer/layer_1/LayerNorm_1/gamma",
        "transformer/layer_1/ffn/intermediate/kernel",
        "transformer/layer_1/ffn/intermediate/bias",
        "transformer/layer_1/ffn/output/kernel",
        "transformer/layer_1/ffn/output/bias",
        "transformer/LayerNorm/beta",
        "transformer/LayerNorm/gamma",
        "logits/bias",
    ]
    rows = _rows("transformer.yaml", layers=2, hidden=64)
    # ffn follows hidden (4 * $hidden), a param computed from an overridden one
    assert rows["transformer/layer_1/ffn/intermediate/kernel"].shape == (64, 256)


# --------------------------------------------------------------------------- docs

DOCS = EXAMPLES.parent / "docs"
CASES = EXAMPLES.parent / "tests" / "conformance" / "cases"
_FENCE = re.compile(r"```yaml[^\n]*\n(.*?)```", re.S)  # also ```yaml title="..."
_EXPECTED_ERROR = re.compile(r"# error\[([a-z-]+)\]")


def _doc_specs(page: str) -> list[str]:
    """The YAML blocks of a docs page that are whole specs."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [b for b in _FENCE.findall(text) if re.search(r"^specc: 1$", b, re.M)]


def _compile_with_checkpoints(spec: str, page: str, folder: Path) -> Compilation:
    """Compile a docs spec beside the checkpoint files its `checkpoint`
    initializers name (the docs assume them; the gate checks they exist): each
    file holds zeros of the shape and dtype the variable asks for."""
    comp = compile_text(spec, page, base_dir=str(folder))
    wanted: dict[str, dict[str, np.ndarray]] = {}
    if comp.resolution is None:
        return comp
    for var in comp.resolution.engine.store.vars.values():
        init = var.initializer
        if getattr(init, "kind", None) != "checkpoint" or var.part_of is not None:
            continue
        args = init.args  # type: ignore[union-attr]
        wanted.setdefault(args.path, {})[args.key or var.name] = np.zeros(var.shape, var.dtype.name)
    for name, arrays in wanted.items():
        np.savez(folder / name, **arrays)  # type: ignore[arg-type]
    return compile_text(spec, page, base_dir=str(folder)) if wanted else comp


@pytest.mark.parametrize("page", ["tutorial.md", "language.md", "cookbook.md"])
def test_docs_specs_compile(page: str, tmp_path: Path) -> None:
    specs = _doc_specs(page)
    if page == "tutorial.md":
        assert len(specs) >= 5
    for spec in specs:
        comp = _compile_with_checkpoints(spec, page, tmp_path)
        expected = _EXPECTED_ERROR.search(spec)
        if expected:
            assert comp.diagnostics, spec
            assert comp.diagnostics[0].code == expected.group(1), spec
        else:
            assert comp.ok, (spec, [d.message for d in comp.diagnostics])


def test_tf_parity_shows_every_docstring_case_verbatim() -> None:
    text = (DOCS / "tf-parity.md").read_text(encoding="utf-8")
    cases = sorted(CASES.glob("doc_*.yaml"))
    assert len(cases) == 12
    for case in cases:
        assert "```yaml\n" + case.read_text(encoding="utf-8") + "```" in text, case.name
        assert f"Case `{case.stem}`." in text


def test_tf_parity_names_only_existing_cases() -> None:
    text = (DOCS / "tf-parity.md").read_text(encoding="utf-8")
    known = {p.stem for p in CASES.glob("*.yaml")}
    mentioned = set(re.findall(r"`([a-z0-9_]+)`", text))
    cited = {
        m
        for m in mentioned
        if m.startswith(
            (
                "doc_",
                "thread_",
                "value_",
                "partition",
                "capture_",
                "template_",
                "default_name_",
                "constraint_",
                "collections_",
            )
        )
    }
    cited -= {"default_name"}
    assert cited <= known | {"thread_"}, sorted(cited - known)


def test_language_reference_covers_the_language() -> None:
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    for key in TOP_KEYS:
        assert f"`{key}`" in text, key
    for kind, keys in ALL_STATEMENT_KEYS.items():
        assert f"### `{kind}`" in text, kind
        for key in keys:
            assert f"`{key}`" in text, (kind, key)
    for catalog in CATALOG_NAMES:
        for kind in default_catalogs().registry(catalog).kinds():
            assert f"`{kind}`" in text, (catalog, kind)
    for name in Limits.field_names():
        assert f"`{Limits.flag(name)}`" in text, name
    for code in CODES:
        assert code in (DOCS / "diagnostics.md").read_text(encoding="utf-8")
