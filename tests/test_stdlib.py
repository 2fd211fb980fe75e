"""The standard library (`include: [std]`): every template creates exactly the
variables TensorFlow 2.21 creates for the API it mirrors.

Each case below is a spec that mirrors one TF program of
`tests/stdlib_oracle/record.py`. Its table must equal, row for row, both the
expected list written out here and what TF recorded in
`tests/stdlib_oracle/<template>.json` (names, tensor names, shapes, dtypes,
trainable flags, collections, synchronization, aggregation, initializer kind and
arguments). The recorded JSON is committed: these tests need no TensorFlow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from specc.pipeline import compile_text
from specc.table import Row

ROOT = Path(__file__).resolve().parent.parent
STDLIB = ROOT / "specc" / "stdlib"
ORACLE = Path(__file__).resolve().parent / "stdlib_oracle"

TEMPLATES = (
    "dense",
    "conv1d",
    "conv2d",
    "conv3d",
    "separable_conv2d",
    "batch_normalization",
    "layer_normalization",
    "layer_norm",
    "embedding",
    "lstm_cell",
    "basic_lstm_cell",
    "gru_cell",
    "multi_head_attention",
)

GLOROT = ("glorot_uniform", {})
ZEROS = ("zeros", {})
ONES = ("ones", {})
HALF = ("constant", {"value": 0.5})
KERAS_EMB = ("random_uniform", {"minval": -0.05, "maxval": 0.05})
TV = ["trainable_variables", "variables"]
V_ = ["variables"]
MODEL_TV = ["model_variables", "trainable_variables", "variables"]
MODEL_V = ["model_variables", "variables"]


def var(
    name: str,
    shape: list[int],
    init: tuple[str, dict[str, Any]],
    *,
    dtype: str = "float32",
    trainable: bool = True,
    collections: list[str] | None = None,
    sync: str = "auto",
    agg: str = "none",
) -> dict[str, Any]:
    """One expected row, in the recorded JSON's form."""
    return {
        "name": name,
        "tensor": name + ":0",
        "shape": shape,
        "dtype": dtype,
        "trainable": trainable,
        "collections": collections if collections is not None else (TV if trainable else V_),
        "synchronization": sync,
        "aggregation": agg,
        "initializer": {"kind": init[0], "args": init[1]},
    }


def frozen64(name: str, shape: list[int], init: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return var(name, shape, init, dtype="float64", trainable=False)


def bn_stats(prefix: str, dim: int, dtype: str = "float32") -> list[dict[str, Any]]:
    return [
        var(
            f"{prefix}/moving_mean",
            [dim],
            ZEROS,
            dtype=dtype,
            trainable=False,
            sync="on_read",
            agg="mean",
        ),
        var(
            f"{prefix}/moving_variance",
            [dim],
            ONES,
            dtype=dtype,
            trainable=False,
            sync="on_read",
            agg="mean",
        ),
    ]


def spec(body: str) -> str:
    return "specc: 1\nname: t\ninclude: [std]\nbody:\n" + body


def scoped_half(body: str) -> str:
    """`body` (already indented for a scope body) inside scope s with constant(0.5)."""
    return "- scope: s\n  initializer: {constant: {value: 0.5}}\n  body:\n" + body


# (template, case name as recorded, spec body, expected rows written out)
CASES: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    # ------------------------------------------------------------------ dense
    (
        "dense",
        "dense_twice_then_no_bias",
        """\
- use: dense
  with: {in_dim: 3, units: 4}
- use: dense
  with: {in_dim: 4, units: 5}
- use: dense
  with: {in_dim: 5, units: 6, use_bias: false}
""",
        [
            var("dense/kernel", [3, 4], GLOROT),
            var("dense/bias", [4], ZEROS),
            var("dense_1/kernel", [4, 5], GLOROT),
            var("dense_1/bias", [5], ZEROS),
            var("dense_2/kernel", [5, 6], GLOROT),
        ],
    ),
    (
        "dense",
        "dense_in_scope",
        """\
- scope: mlp
  body:
    - use: dense
      with: {in_dim: 7, units: 2}
    - use: dense
      with: {in_dim: 7, units: 3}
""",
        [
            var("mlp/dense/kernel", [7, 2], GLOROT),
            var("mlp/dense/bias", [2], ZEROS),
            var("mlp/dense_1/kernel", [7, 3], GLOROT),
            var("mlp/dense_1/bias", [3], ZEROS),
        ],
    ),
    (
        "dense",
        "dense_options",
        scoped_half("""\
    - use: dense
      with: {in_dim: 3, units: 4}
    - use: dense
      with: {in_dim: 3, units: 4, dtype: float64, trainable: false}
"""),
        [
            var("s/dense/kernel", [3, 4], HALF),
            var("s/dense/bias", [4], ZEROS),
            frozen64("s/dense_1/kernel", [3, 4], HALF),
            frozen64("s/dense_1/bias", [4], ZEROS),
        ],
    ),
    # ------------------------------------------------------------------ convolutions
    (
        "conv1d",
        "conv1d_twice_then_no_bias",
        """\
- use: conv1d
  with: {in_channels: 3, filters: 4, kernel_size: 3}
- use: conv1d
  with: {in_channels: 3, filters: 5, kernel_size: 2}
- use: conv1d
  with: {in_channels: 3, filters: 6, kernel_size: 1, use_bias: false}
""",
        [
            var("conv1d/kernel", [3, 3, 4], GLOROT),
            var("conv1d/bias", [4], ZEROS),
            var("conv1d_1/kernel", [2, 3, 5], GLOROT),
            var("conv1d_1/bias", [5], ZEROS),
            var("conv1d_2/kernel", [1, 3, 6], GLOROT),
        ],
    ),
    (
        "conv1d",
        "conv1d_options",
        scoped_half("""\
    - use: conv1d
      with: {in_channels: 3, filters: 4, kernel_size: 3}
    - use: conv1d
      with: {in_channels: 3, filters: 4, kernel_size: 3, dtype: float64, trainable: false}
"""),
        [
            var("s/conv1d/kernel", [3, 3, 4], HALF),
            var("s/conv1d/bias", [4], ZEROS),
            frozen64("s/conv1d_1/kernel", [3, 3, 4], HALF),
            frozen64("s/conv1d_1/bias", [4], ZEROS),
        ],
    ),
    (
        "conv2d",
        "conv2d_twice_then_no_bias",
        """\
- use: conv2d
  with: {in_channels: 3, filters: 4, kernel_size: 3}
- use: conv2d
  with: {in_channels: 3, filters: 5, kernel_size: 2}
- use: conv2d
  with: {in_channels: 3, filters: 6, kernel_size: 1, use_bias: false}
""",
        [
            var("conv2d/kernel", [3, 3, 3, 4], GLOROT),
            var("conv2d/bias", [4], ZEROS),
            var("conv2d_1/kernel", [2, 2, 3, 5], GLOROT),
            var("conv2d_1/bias", [5], ZEROS),
            var("conv2d_2/kernel", [1, 1, 3, 6], GLOROT),
        ],
    ),
    (
        "conv2d",
        "conv2d_options",
        scoped_half("""\
    - use: conv2d
      with: {in_channels: 3, filters: 4, kernel_size: 3}
    - use: conv2d
      with: {in_channels: 3, filters: 4, kernel_size: 3, dtype: float64, trainable: false}
"""),
        [
            var("s/conv2d/kernel", [3, 3, 3, 4], HALF),
            var("s/conv2d/bias", [4], ZEROS),
            frozen64("s/conv2d_1/kernel", [3, 3, 3, 4], HALF),
            frozen64("s/conv2d_1/bias", [4], ZEROS),
        ],
    ),
    (
        "conv3d",
        "conv3d_twice_then_no_bias",
        """\
- use: conv3d
  with: {in_channels: 3, filters: 4, kernel_size: 3}
- use: conv3d
  with: {in_channels: 3, filters: 5, kernel_size: 2}
- use: conv3d
  with: {in_channels: 3, filters: 6, kernel_size: 1, use_bias: false}
""",
        [
            var("conv3d/kernel", [3, 3, 3, 3, 4], GLOROT),
            var("conv3d/bias", [4], ZEROS),
            var("conv3d_1/kernel", [2, 2, 2, 3, 5], GLOROT),
            var("conv3d_1/bias", [5], ZEROS),
            var("conv3d_2/kernel", [1, 1, 1, 3, 6], GLOROT),
        ],
    ),
    (
        "conv3d",
        "conv3d_options",
        scoped_half("""\
    - use: conv3d
      with: {in_channels: 3, filters: 4, kernel_size: 3}
    - use: conv3d
      with: {in_channels: 3, filters: 4, kernel_size: 3, dtype: float64, trainable: false}
"""),
        [
            var("s/conv3d/kernel", [3, 3, 3, 3, 4], HALF),
            var("s/conv3d/bias", [4], ZEROS),
            frozen64("s/conv3d_1/kernel", [3, 3, 3, 3, 4], HALF),
            frozen64("s/conv3d_1/bias", [4], ZEROS),
        ],
    ),
    (
        "separable_conv2d",
        "separable_conv2d_twice_then_no_bias",
        """\
- use: separable_conv2d
  with: {in_channels: 3, filters: 4, kernel_size: 3}
- use: separable_conv2d
  with: {in_channels: 3, filters: 5, kernel_size: 2, depth_multiplier: 2}
- use: separable_conv2d
  with: {in_channels: 3, filters: 6, kernel_size: 1, use_bias: false}
""",
        [
            var("separable_conv2d/depthwise_kernel", [3, 3, 3, 1], GLOROT),
            var("separable_conv2d/pointwise_kernel", [1, 1, 3, 4], GLOROT),
            var("separable_conv2d/bias", [4], ZEROS),
            var("separable_conv2d_1/depthwise_kernel", [2, 2, 3, 2], GLOROT),
            var("separable_conv2d_1/pointwise_kernel", [1, 1, 6, 5], GLOROT),
            var("separable_conv2d_1/bias", [5], ZEROS),
            var("separable_conv2d_2/depthwise_kernel", [1, 1, 3, 1], GLOROT),
            var("separable_conv2d_2/pointwise_kernel", [1, 1, 3, 6], GLOROT),
        ],
    ),
    (
        "separable_conv2d",
        "separable_conv2d_options",
        scoped_half("""\
    - use: separable_conv2d
      with: {in_channels: 3, filters: 4, kernel_size: 3}
    - use: separable_conv2d
      with: {in_channels: 3, filters: 4, kernel_size: 3, dtype: float64, trainable: false}
"""),
        [
            var("s/separable_conv2d/depthwise_kernel", [3, 3, 3, 1], HALF),
            var("s/separable_conv2d/pointwise_kernel", [1, 1, 3, 4], HALF),
            var("s/separable_conv2d/bias", [4], ZEROS),
            frozen64("s/separable_conv2d_1/depthwise_kernel", [3, 3, 3, 1], HALF),
            frozen64("s/separable_conv2d_1/pointwise_kernel", [1, 1, 3, 4], HALF),
            frozen64("s/separable_conv2d_1/bias", [4], ZEROS),
        ],
    ),
    # ------------------------------------------------------------------ normalization
    (
        "batch_normalization",
        "batch_normalization_twice_then_options",
        """\
- use: batch_normalization
  with: {dim: 5}
- use: batch_normalization
  with: {dim: 4}
- use: batch_normalization
  with: {dim: 5, center: false}
- use: batch_normalization
  with: {dim: 5, scale: false}
""",
        [
            var("batch_normalization/gamma", [5], ONES),
            var("batch_normalization/beta", [5], ZEROS),
            *bn_stats("batch_normalization", 5),
            var("batch_normalization_1/gamma", [4], ONES),
            var("batch_normalization_1/beta", [4], ZEROS),
            *bn_stats("batch_normalization_1", 4),
            var("batch_normalization_2/gamma", [5], ONES),
            *bn_stats("batch_normalization_2", 5),
            var("batch_normalization_3/beta", [5], ZEROS),
            *bn_stats("batch_normalization_3", 5),
        ],
    ),
    (
        "batch_normalization",
        "batch_normalization_options",
        scoped_half("""\
    - use: batch_normalization
      with: {dim: 5}
    - use: batch_normalization
      with: {dim: 5, dtype: float64, trainable: false}
"""),
        [
            var("s/batch_normalization/gamma", [5], ONES),
            var("s/batch_normalization/beta", [5], ZEROS),
            *bn_stats("s/batch_normalization", 5),
            frozen64("s/batch_normalization_1/gamma", [5], ONES),
            frozen64("s/batch_normalization_1/beta", [5], ZEROS),
            *bn_stats("s/batch_normalization_1", 5, "float64"),
        ],
    ),
    (
        "layer_normalization",
        "layer_normalization_twice_then_options",
        """\
- use: layer_normalization
  with: {dim: 5}
- use: layer_normalization
  with: {dim: 4}
- use: layer_normalization
  with: {dim: 5, center: false}
- use: layer_normalization
  with: {dim: 5, scale: false}
""",
        [
            var("layer_normalization/gamma", [5], ONES),
            var("layer_normalization/beta", [5], ZEROS),
            var("layer_normalization_1/gamma", [4], ONES),
            var("layer_normalization_1/beta", [4], ZEROS),
            var("layer_normalization_2/gamma", [5], ONES),
            var("layer_normalization_3/beta", [5], ZEROS),
        ],
    ),
    (
        "layer_normalization",
        "layer_normalization_options",
        # Keras: trainable=False on the layer leaves its variables trainable in
        # the graph collections, so the template has no `trainable` argument.
        scoped_half("""\
    - use: layer_normalization
      with: {dim: 5}
    - use: layer_normalization
      with: {dim: 5, dtype: float64}
"""),
        [
            var("s/layer_normalization/gamma", [5], ONES),
            var("s/layer_normalization/beta", [5], ZEROS),
            var("s/layer_normalization_1/gamma", [5], ONES, dtype="float64"),
            var("s/layer_normalization_1/beta", [5], ZEROS, dtype="float64"),
        ],
    ),
    (
        "layer_norm",
        "layer_norm_twice_then_options",
        """\
- use: layer_norm
  with: {dim: 5}
- use: layer_norm
  with: {dim: 4}
- use: layer_norm
  with: {dim: 5, center: false}
- use: layer_norm
  with: {dim: 5, scale: false}
""",
        [
            var("LayerNorm/beta", [5], ZEROS, collections=MODEL_TV),
            var("LayerNorm/gamma", [5], ONES, collections=MODEL_TV),
            var("LayerNorm_1/beta", [4], ZEROS, collections=MODEL_TV),
            var("LayerNorm_1/gamma", [4], ONES, collections=MODEL_TV),
            var("LayerNorm_2/gamma", [5], ONES, collections=MODEL_TV),
            var("LayerNorm_3/beta", [5], ZEROS, collections=MODEL_TV),
        ],
    ),
    (
        "layer_norm",
        "layer_norm_bert_style",
        """\
- scope: bert/encoder/layer_0/attention/output
  body:
    - use: layer_norm
      with: {dim: 8}
- scope: bert/encoder/layer_0/output
  body:
    - use: layer_norm
      with: {dim: 8}
""",
        [
            var(
                "bert/encoder/layer_0/attention/output/LayerNorm/beta",
                [8],
                ZEROS,
                collections=MODEL_TV,
            ),
            var(
                "bert/encoder/layer_0/attention/output/LayerNorm/gamma",
                [8],
                ONES,
                collections=MODEL_TV,
            ),
            var("bert/encoder/layer_0/output/LayerNorm/beta", [8], ZEROS, collections=MODEL_TV),
            var("bert/encoder/layer_0/output/LayerNorm/gamma", [8], ONES, collections=MODEL_TV),
        ],
    ),
    (
        "layer_norm",
        "layer_norm_options",
        scoped_half("""\
    - use: layer_norm
      with: {dim: 5}
    - use: layer_norm
      with: {dim: 5, dtype: float64, trainable: false}
"""),
        [
            var("s/LayerNorm/beta", [5], ZEROS, collections=MODEL_TV),
            var("s/LayerNorm/gamma", [5], ONES, collections=MODEL_TV),
            var(
                "s/LayerNorm_1/beta",
                [5],
                ZEROS,
                dtype="float64",
                trainable=False,
                collections=MODEL_V,
            ),
            var(
                "s/LayerNorm_1/gamma",
                [5],
                ONES,
                dtype="float64",
                trainable=False,
                collections=MODEL_V,
            ),
        ],
    ),
    # ------------------------------------------------------------------ embedding
    (
        "embedding",
        "embedding_twice",
        """\
- use: embedding
  with: {vocab: 10, dim: 4}
- use: embedding
  with: {vocab: 7, dim: 3}
""",
        [
            var("embedding/embeddings", [10, 4], KERAS_EMB),
            var("embedding_1/embeddings", [7, 3], KERAS_EMB),
        ],
    ),
    (
        "embedding",
        "embedding_options",
        scoped_half("""\
    - use: embedding
      with: {vocab: 10, dim: 4}
    - use: embedding
      with: {vocab: 10, dim: 4, dtype: float64}
"""),
        [
            var("s/embedding/embeddings", [10, 4], KERAS_EMB),
            var("s/embedding_1/embeddings", [10, 4], KERAS_EMB, dtype="float64"),
        ],
    ),
    # ------------------------------------------------------------------ recurrent cells
    (
        "lstm_cell",
        "lstm_cell_dynamic_rnn",
        """\
- scope: rnn
  body:
    - use: lstm_cell
      with: {in_dim: 3, units: 5}
""",
        [
            var("rnn/lstm_cell/kernel", [8, 20], GLOROT),
            var("rnn/lstm_cell/bias", [20], ZEROS),
        ],
    ),
    (
        "lstm_cell",
        "lstm_cell_called_twice",
        """\
- use: lstm_cell
  with: {in_dim: 3, units: 5}
- use: lstm_cell
  with: {in_dim: 3, units: 4}
""",
        [
            var("lstm_cell/kernel", [8, 20], GLOROT),
            var("lstm_cell/bias", [20], ZEROS),
            var("lstm_cell_1/kernel", [7, 16], GLOROT),
            var("lstm_cell_1/bias", [16], ZEROS),
        ],
    ),
    (
        "lstm_cell",
        "lstm_cell_options",
        scoped_half("""\
    - use: lstm_cell
      with: {in_dim: 3, units: 5}
    - use: lstm_cell
      with: {in_dim: 3, units: 5, dtype: float64, trainable: false}
"""),
        [
            var("s/lstm_cell/kernel", [8, 20], HALF),
            var("s/lstm_cell/bias", [20], ZEROS),
            frozen64("s/lstm_cell_1/kernel", [8, 20], HALF),
            frozen64("s/lstm_cell_1/bias", [20], ZEROS),
        ],
    ),
    (
        "lstm_cell",
        "lstm_cell_peepholes_projection",
        """\
- use: lstm_cell
  with: {in_dim: 3, units: 5, use_peepholes: true}
- use: lstm_cell
  with: {in_dim: 3, units: 5, num_proj: 2}
- use: lstm_cell
  with: {in_dim: 3, units: 5, use_peepholes: true, num_proj: 2}
""",
        [
            var("lstm_cell/kernel", [8, 20], GLOROT),
            var("lstm_cell/bias", [20], ZEROS),
            var("lstm_cell/w_f_diag", [5], GLOROT),
            var("lstm_cell/w_i_diag", [5], GLOROT),
            var("lstm_cell/w_o_diag", [5], GLOROT),
            var("lstm_cell_1/kernel", [5, 20], GLOROT),
            var("lstm_cell_1/bias", [20], ZEROS),
            var("lstm_cell_1/projection/kernel", [5, 2], GLOROT),
            var("lstm_cell_2/kernel", [5, 20], GLOROT),
            var("lstm_cell_2/bias", [20], ZEROS),
            var("lstm_cell_2/w_f_diag", [5], GLOROT),
            var("lstm_cell_2/w_i_diag", [5], GLOROT),
            var("lstm_cell_2/w_o_diag", [5], GLOROT),
            var("lstm_cell_2/projection/kernel", [5, 2], GLOROT),
        ],
    ),
    (
        "basic_lstm_cell",
        "basic_lstm_cell_dynamic_rnn",
        """\
- scope: rnn
  body:
    - use: basic_lstm_cell
      with: {in_dim: 3, units: 5}
""",
        [
            var("rnn/basic_lstm_cell/kernel", [8, 20], GLOROT),
            var("rnn/basic_lstm_cell/bias", [20], ZEROS),
        ],
    ),
    (
        "basic_lstm_cell",
        "basic_lstm_cell_called_twice",
        """\
- use: basic_lstm_cell
  with: {in_dim: 3, units: 5}
- use: basic_lstm_cell
  with: {in_dim: 3, units: 4}
""",
        [
            var("basic_lstm_cell/kernel", [8, 20], GLOROT),
            var("basic_lstm_cell/bias", [20], ZEROS),
            var("basic_lstm_cell_1/kernel", [7, 16], GLOROT),
            var("basic_lstm_cell_1/bias", [16], ZEROS),
        ],
    ),
    (
        "basic_lstm_cell",
        "basic_lstm_cell_options",
        scoped_half("""\
    - use: basic_lstm_cell
      with: {in_dim: 3, units: 5}
    - use: basic_lstm_cell
      with: {in_dim: 3, units: 5, dtype: float64, trainable: false}
"""),
        [
            var("s/basic_lstm_cell/kernel", [8, 20], HALF),
            var("s/basic_lstm_cell/bias", [20], ZEROS),
            frozen64("s/basic_lstm_cell_1/kernel", [8, 20], HALF),
            frozen64("s/basic_lstm_cell_1/bias", [20], ZEROS),
        ],
    ),
    (
        "gru_cell",
        "gru_cell_dynamic_rnn",
        """\
- scope: rnn
  body:
    - use: gru_cell
      with: {in_dim: 3, units: 5}
""",
        [
            var("rnn/gru_cell/gates/kernel", [8, 10], GLOROT),
            var("rnn/gru_cell/gates/bias", [10], ONES),
            var("rnn/gru_cell/candidate/kernel", [8, 5], GLOROT),
            var("rnn/gru_cell/candidate/bias", [5], ZEROS),
        ],
    ),
    (
        "gru_cell",
        "gru_cell_called_twice",
        """\
- use: gru_cell
  with: {in_dim: 3, units: 5}
- use: gru_cell
  with: {in_dim: 3, units: 4}
""",
        [
            var("gru_cell/gates/kernel", [8, 10], GLOROT),
            var("gru_cell/gates/bias", [10], ONES),
            var("gru_cell/candidate/kernel", [8, 5], GLOROT),
            var("gru_cell/candidate/bias", [5], ZEROS),
            var("gru_cell_1/gates/kernel", [7, 8], GLOROT),
            var("gru_cell_1/gates/bias", [8], ONES),
            var("gru_cell_1/candidate/kernel", [7, 4], GLOROT),
            var("gru_cell_1/candidate/bias", [4], ZEROS),
        ],
    ),
    (
        "gru_cell",
        "gru_cell_options",
        scoped_half("""\
    - use: gru_cell
      with: {in_dim: 3, units: 5}
    - use: gru_cell
      with: {in_dim: 3, units: 5, dtype: float64, trainable: false}
"""),
        [
            var("s/gru_cell/gates/kernel", [8, 10], HALF),
            var("s/gru_cell/gates/bias", [10], ONES),
            var("s/gru_cell/candidate/kernel", [8, 5], HALF),
            var("s/gru_cell/candidate/bias", [5], ZEROS),
            frozen64("s/gru_cell_1/gates/kernel", [8, 10], HALF),
            frozen64("s/gru_cell_1/gates/bias", [10], ONES),
            frozen64("s/gru_cell_1/candidate/kernel", [8, 5], HALF),
            frozen64("s/gru_cell_1/candidate/bias", [5], ZEROS),
        ],
    ),
    # ------------------------------------------------------------------ attention
    (
        "multi_head_attention",
        "multi_head_attention_twice_then_options",
        """\
- use: multi_head_attention
  with: {dim: 6, num_heads: 2, key_dim: 4}
- use: multi_head_attention
  with: {dim: 6, num_heads: 3, key_dim: 2, value_dim: 5}
- use: multi_head_attention
  with: {dim: 6, num_heads: 2, key_dim: 3, use_bias: false}
""",
        [
            var("multi_head_attention/query/kernel", [6, 2, 4], GLOROT),
            var("multi_head_attention/query/bias", [2, 4], ZEROS),
            var("multi_head_attention/key/kernel", [6, 2, 4], GLOROT),
            var("multi_head_attention/key/bias", [2, 4], ZEROS),
            var("multi_head_attention/value/kernel", [6, 2, 4], GLOROT),
            var("multi_head_attention/value/bias", [2, 4], ZEROS),
            var("multi_head_attention/attention_output/kernel", [2, 4, 6], GLOROT),
            var("multi_head_attention/attention_output/bias", [6], ZEROS),
            var("multi_head_attention_1/query/kernel", [6, 3, 2], GLOROT),
            var("multi_head_attention_1/query/bias", [3, 2], ZEROS),
            var("multi_head_attention_1/key/kernel", [6, 3, 2], GLOROT),
            var("multi_head_attention_1/key/bias", [3, 2], ZEROS),
            var("multi_head_attention_1/value/kernel", [6, 3, 5], GLOROT),
            var("multi_head_attention_1/value/bias", [3, 5], ZEROS),
            var("multi_head_attention_1/attention_output/kernel", [3, 5, 6], GLOROT),
            var("multi_head_attention_1/attention_output/bias", [6], ZEROS),
            var("multi_head_attention_2/query/kernel", [6, 2, 3], GLOROT),
            var("multi_head_attention_2/key/kernel", [6, 2, 3], GLOROT),
            var("multi_head_attention_2/value/kernel", [6, 2, 3], GLOROT),
            var("multi_head_attention_2/attention_output/kernel", [2, 3, 6], GLOROT),
        ],
    ),
    (
        "multi_head_attention",
        "multi_head_attention_options",
        scoped_half("""\
    - use: multi_head_attention
      with: {dim: 6, num_heads: 2, key_dim: 4}
    - use: multi_head_attention
      with: {dim: 6, num_heads: 2, key_dim: 4, dtype: float64}
"""),
        [
            *(
                var(f"s/multi_head_attention/{p}/{k}", s, GLOROT if k == "kernel" else ZEROS)
                for p, k, s in (
                    ("query", "kernel", [6, 2, 4]),
                    ("query", "bias", [2, 4]),
                    ("key", "kernel", [6, 2, 4]),
                    ("key", "bias", [2, 4]),
                    ("value", "kernel", [6, 2, 4]),
                    ("value", "bias", [2, 4]),
                    ("attention_output", "kernel", [2, 4, 6]),
                    ("attention_output", "bias", [6]),
                )
            ),
            var("s/multi_head_attention_1/query/kernel", [6, 2, 4], GLOROT, dtype="float64"),
            var("s/multi_head_attention_1/query/bias", [2, 4], ZEROS, dtype="float64"),
            var("s/multi_head_attention_1/key/kernel", [6, 2, 4], GLOROT, dtype="float64"),
            var("s/multi_head_attention_1/key/bias", [2, 4], ZEROS, dtype="float64"),
            var("s/multi_head_attention_1/value/kernel", [6, 2, 4], GLOROT, dtype="float64"),
            var("s/multi_head_attention_1/value/bias", [2, 4], ZEROS, dtype="float64"),
            var(
                "s/multi_head_attention_1/attention_output/kernel",
                [2, 4, 6],
                GLOROT,
                dtype="float64",
            ),
            var("s/multi_head_attention_1/attention_output/bias", [6], ZEROS, dtype="float64"),
        ],
    ),
]


def _row(row: Row) -> dict[str, Any]:
    return {
        "name": row.name,
        "tensor": row.tensor,
        "shape": list(row.shape),
        "dtype": row.dtype,
        "trainable": row.trainable,
        "collections": sorted(row.collections),
        "synchronization": row.synchronization,
        "aggregation": row.aggregation,
        "initializer": row.initializer.to_json(),
    }


def _table(body: str) -> list[dict[str, Any]]:
    comp = compile_text(spec(body), "stdlib_case.yaml")
    assert comp.ok, [f"{d.code}: {d.message}" for d in comp.diagnostics]
    assert comp.table is not None
    return [_row(r) for r in comp.table.variables]


def _oracle(template: str, case: str) -> list[dict[str, Any]]:
    data = json.loads((ORACLE / f"{template}.json").read_text(encoding="utf-8"))
    rows = data["cases"][case]["variables"]
    for r in rows:
        r["initializer"].pop("observed", None)
    return list(rows)


@pytest.mark.parametrize(("template", "case", "body", "expected"), CASES, ids=[c[1] for c in CASES])
def test_template_matches_written_expectation(
    template: str, case: str, body: str, expected: list[dict[str, Any]]
) -> None:
    assert f"use: {template}" in body
    assert _table(body) == expected


@pytest.mark.parametrize(("template", "case", "body", "expected"), CASES, ids=[c[1] for c in CASES])
def test_template_matches_tensorflow(
    template: str, case: str, body: str, expected: list[dict[str, Any]]
) -> None:
    assert _table(body) == _oracle(template, case)


def test_every_recorded_case_is_checked() -> None:
    checked = {(t, c) for t, c, _, _ in CASES}
    recorded = set()
    for path in ORACLE.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["template"] == path.stem
        assert data["versions"]["tensorflow"].startswith("2.21.")
        assert data["versions"]["tf_keras"].startswith("2.21.")
        recorded |= {(path.stem, c) for c in data["cases"]}
    assert recorded == checked


def test_every_template_has_a_recording_and_a_file() -> None:
    assert sorted(p.stem for p in STDLIB.glob("*.yaml")) == sorted(TEMPLATES)
    assert sorted(p.stem for p in ORACLE.glob("*.json")) == sorted(TEMPLATES)
    assert {t for t, _, _, _ in CASES} == set(TEMPLATES)


# ---------------------------------------------------------------------- documentation

TF_API = re.compile(
    r"tf\.compat\.v1\.layers\.|tf\.compat\.v1\.nn\.rnn_cell\.|tf_keras\.layers\.|contrib"
)


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_is_documented(template: str) -> None:
    doc = yaml.safe_load((STDLIB / f"{template}.yaml").read_text(encoding="utf-8"))
    assert set(doc["templates"]) == {template}
    tmpl = doc["templates"][template]
    assert TF_API.search(tmpl["doc"]), tmpl["doc"]
    assert tmpl["args"], template
    for name, arg in tmpl["args"].items():
        assert isinstance(arg, dict), name
        assert arg.get("description"), f"{template}.{name} has no description"
        assert arg["type"] in {"int", "float", "bool", "str"}


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_is_in_docs(template: str) -> None:
    text = (ROOT / "docs" / "stdlib.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert any(f"`{template}`" in line for line in headings)


# ---------------------------------------------------------------------- loading


def test_std_name_loads_one_file() -> None:
    comp = compile_text(
        "specc: 1\nname: t\ninclude: [std/gru_cell]\nbody:\n"
        "  - use: gru_cell\n    with: {in_dim: 2, units: 3}\n",
        "one.yaml",
    )
    assert comp.ok
    other = compile_text(
        "specc: 1\nname: t\ninclude: [std/gru_cell]\nbody:\n"
        "  - use: dense\n    with: {in_dim: 2, units: 3}\n",
        "one.yaml",
    )
    assert not other.ok
    assert [d.code for d in other.diagnostics] == ["unknown-ref"]


def test_required_arguments_are_checked() -> None:
    comp = compile_text(spec("- use: dense\n  with: {units: 3}\n"), "bad.yaml")
    assert not comp.ok
    assert [d.code for d in comp.diagnostics] == ["schema"]
    assert "in_dim" in comp.diagnostics[0].message


def test_value_dim_defaults_to_key_dim() -> None:
    rows = _table("- use: multi_head_attention\n  with: {dim: 8, num_heads: 2, key_dim: 3}\n")
    shapes = {r["name"]: r["shape"] for r in rows}
    assert shapes["multi_head_attention/value/kernel"] == [8, 2, 3]
    assert shapes["multi_head_attention/attention_output/kernel"] == [2, 3, 8]


def test_kernels_follow_the_spec_defaults_like_tf_layers() -> None:
    # tf.compat.v1.layers and rnn_cell kernels take the scope's initializer
    # (kernel_initializer=None); Keras layers and every bias keep their own.
    text = (
        "specc: 1\nname: t\ninclude: [std]\n"
        "defaults: {initializer: {truncated_normal: {stddev: 0.02}}}\nbody:\n"
        "  - use: dense\n    with: {in_dim: 2, units: 3}\n"
        "  - use: embedding\n    with: {vocab: 5, dim: 3}\n"
        "  - use: multi_head_attention\n    with: {dim: 3, num_heads: 1, key_dim: 2}\n"
    )
    comp = compile_text(text, "defaults.yaml")
    assert comp.ok and comp.table is not None
    kinds = {r.name: r.initializer.kind for r in comp.table.variables}
    assert kinds["dense/kernel"] == "truncated_normal"
    assert kinds["dense/bias"] == "zeros"
    assert kinds["embedding/embeddings"] == "random_uniform"
    assert kinds["multi_head_attention/query/kernel"] == "glorot_uniform"


def test_instance_shares_a_std_layer() -> None:
    rows = _table(
        "- use: dense\n  instance: proj\n  with: {in_dim: 4, units: 4}\n"
        "- use: dense\n  instance: proj\n  with: {in_dim: 4, units: 4}\n"
        "- use: dense\n  with: {in_dim: 4, units: 4}\n"
    )
    assert [r["name"] for r in rows] == [
        "dense/kernel",
        "dense/bias",
        "dense_1/kernel",
        "dense_1/bias",
    ]


def test_docs_examples_compile() -> None:
    text = (ROOT / "docs" / "stdlib.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    specs = [b for b in blocks if b.startswith("specc: 1")]
    assert len(specs) >= len(TEMPLATES) - 2
    for block in specs:
        comp = compile_text(block, "stdlib_doc.yaml")
        assert comp.ok, (block, [d.message for d in comp.diagnostics])


def test_own_template_named_like_a_library_one_is_reported() -> None:
    comp = compile_text(
        "specc: 1\nname: t\ninclude: [std]\ntemplates:\n  dense:\n    body: []\nbody: []\n",
        "clash.yaml",
    )
    assert [d.code for d in comp.diagnostics] == ["schema"]
