"""Record what TensorFlow 2.21 creates for each layer the standard library mirrors.

Run with the TensorFlow environment (not the project's venv; the test suite
never needs TensorFlow, it reads the JSON files this script writes):

    /work/tf-venv/bin/python tests/stdlib_oracle/record.py

Needs `tensorflow==2.21.*`, `tf-keras==2.21.*` (the Keras 2 that
`tf.compat.v1.layers` and `tf_keras.layers` need: `TF_USE_LEGACY_KERAS=1`) and
`tf-slim==1.1.0` (TF1 contrib's `layer_norm`, moved out of TensorFlow when
contrib was removed; BERT's checkpoints were made with the contrib version,
whose variable code tf-slim keeps verbatim).

Every case runs in a fresh `tf.Graph()` in graph mode. For each variable in
TF's `variables` collection (plus `local_variables`), in creation order, it
records the store name, tensor name, shape, dtype, trainable flag, the sorted
graph collections holding it, synchronization, aggregation, and the initializer
read back from the graph: the ops that compute `initial_value` are walked;
a random-uniform op with its `min`/`max` constants gives `random_uniform`
(classified `glorot_uniform` when the bound is sqrt(6 / (fan_in + fan_out))
of the shape, as TF's `_compute_fans` counts them), and constant-only
initial values are evaluated (`zeros`, `ones`). One JSON file per standard
library template; each case keeps the Python source that produced it.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
import tf_keras
import tf_slim

v1 = tf.compat.v1
HERE = Path(__file__).resolve().parent

COLLECTIONS = ("variables", "trainable_variables", "local_variables", "model_variables")


def _fans(shape: list[int]) -> tuple[int, int]:
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _f32(x: Any) -> float:
    """A float32 as the shortest decimal that reads back to it (0.05, not 0.0500000007)."""
    return float(str(np.float32(x)))


def _const(op: Any) -> float | None:
    if op.type != "Const":
        return None
    value = tf.make_ndarray(op.get_attr("value"))
    if value.shape != ():
        return None
    return _f32(value)


def _initializer(var: Any, graph: Any, shape: list[int]) -> dict[str, Any]:
    seen: set[str] = set()
    stack = [var.initial_value.op]
    ops = []
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        ops.append(op)
        stack.extend(t.op for t in op.inputs)
    types = {op.type for op in ops}
    if types & {"RandomUniform", "StatelessRandomUniformV2", "StatelessRandomUniform"}:
        lo = hi = None
        for op in ops:
            if op.name.endswith("/min"):
                lo = _const(op)
            elif op.name.endswith("/max"):
                hi = _const(op)
        assert lo is not None and hi is not None, [op.name for op in ops]
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(3.0 * 1.0 / max(1.0, (fan_in + fan_out) / 2.0))
        if math.isclose(-lo, limit, rel_tol=1e-6) and math.isclose(hi, limit, rel_tol=1e-6):
            return {"kind": "glorot_uniform", "args": {}, "observed": {"min": lo, "max": hi}}
        return {"kind": "random_uniform", "args": {"minval": lo, "maxval": hi}}
    randoms = {t for t in types if "Random" in t or "Truncated" in t}
    assert not randoms, f"unclassified random initializer {sorted(types)} for {var.name}"
    with v1.Session(graph=graph) as sess:
        value = sess.run(var.initial_value)
    if (value == 0).all():
        return {"kind": "zeros", "args": {}}
    if (value == 1).all():
        return {"kind": "ones", "args": {}}
    if value.size and (value == value.flat[0]).all():
        return {"kind": "constant", "args": {"value": _f32(value.flat[0])}}
    raise AssertionError(f"unclassified constant initializer for {var.name}: {value}")


def _table(graph: Any) -> list[dict[str, Any]]:
    members: dict[str, set[str]] = {}
    for key in COLLECTIONS:
        for v in graph.get_collection(key):
            members.setdefault(v.name, set()).add(key)
    seen: set[str] = set()
    rows = []
    for v in graph.get_collection("variables") + graph.get_collection("local_variables"):
        if v.name in seen:
            continue
        seen.add(v.name)
        shape = [int(d) for d in v.shape]
        rows.append(
            {
                "name": v.name.removesuffix(":0"),
                "tensor": v.name,
                "shape": shape,
                "dtype": v.dtype.base_dtype.name,
                "trainable": bool(v.trainable),
                "collections": sorted(members[v.name]),
                "synchronization": v.synchronization.name.lower(),
                "aggregation": v.aggregation.name.lower(),
                "initializer": _initializer(v, graph, shape),
            }
        )
    return rows


CASES: dict[str, dict[str, Callable[[], None]]] = {}


def case(template: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        CASES.setdefault(template, {})[fn.__name__] = fn
        return fn

    return register


def ph(*shape: int, dtype: Any = tf.float32) -> Any:
    return v1.placeholder(dtype, list(shape))


# ----------------------------------------------------------------- dense


@case("dense")
def dense_twice_then_no_bias() -> None:
    x = ph(2, 3)
    h = v1.layers.dense(x, 4)
    h = v1.layers.dense(h, 5)
    v1.layers.dense(h, 6, use_bias=False)


@case("dense")
def dense_in_scope() -> None:
    with v1.variable_scope("mlp"):
        x = ph(2, 7)
        v1.layers.dense(x, 2)
        v1.layers.dense(x, 3)


# ----------------------------------------------------------------- convolutions


@case("conv1d")
def conv1d_twice_then_no_bias() -> None:
    x = ph(2, 9, 3)
    v1.layers.conv1d(x, 4, 3)
    v1.layers.conv1d(x, 5, 2)
    v1.layers.conv1d(x, 6, 1, use_bias=False)


@case("conv2d")
def conv2d_twice_then_no_bias() -> None:
    x = ph(2, 9, 9, 3)
    v1.layers.conv2d(x, 4, 3)
    v1.layers.conv2d(x, 5, 2)
    v1.layers.conv2d(x, 6, 1, use_bias=False)


@case("conv3d")
def conv3d_twice_then_no_bias() -> None:
    x = ph(2, 9, 9, 9, 3)
    v1.layers.conv3d(x, 4, 3)
    v1.layers.conv3d(x, 5, 2)
    v1.layers.conv3d(x, 6, 1, use_bias=False)


@case("separable_conv2d")
def separable_conv2d_twice_then_no_bias() -> None:
    x = ph(2, 9, 9, 3)
    v1.layers.separable_conv2d(x, 4, 3)
    v1.layers.separable_conv2d(x, 5, 2, depth_multiplier=2)
    v1.layers.separable_conv2d(x, 6, 1, use_bias=False)


# ----------------------------------------------------------------- normalization


@case("batch_normalization")
def batch_normalization_twice_then_options() -> None:
    x = ph(2, 5)
    v1.layers.batch_normalization(x)
    v1.layers.batch_normalization(ph(2, 3, 3, 4))
    v1.layers.batch_normalization(x, center=False)
    v1.layers.batch_normalization(x, scale=False)


@case("layer_normalization")
def layer_normalization_twice_then_options() -> None:
    x = ph(2, 5)
    tf_keras.layers.LayerNormalization()(x)
    tf_keras.layers.LayerNormalization()(ph(2, 3, 4))
    tf_keras.layers.LayerNormalization(center=False)(x)
    tf_keras.layers.LayerNormalization(scale=False)(x)


@case("layer_norm")
def layer_norm_twice_then_options() -> None:
    x = ph(2, 5)
    tf_slim.layers.layer_norm(x)
    tf_slim.layers.layer_norm(ph(2, 3, 4), begin_norm_axis=-1, begin_params_axis=-1)
    tf_slim.layers.layer_norm(x, center=False)
    tf_slim.layers.layer_norm(x, scale=False)


@case("layer_norm")
def layer_norm_bert_style() -> None:
    # BERT's modeling.layer_norm: contrib layer_norm with scope=name, called
    # inside a layer's scope, once after attention and once after the FFN.
    x = ph(2, 8)
    with v1.variable_scope("bert/encoder/layer_0/attention/output"):
        tf_slim.layers.layer_norm(x, begin_norm_axis=-1, begin_params_axis=-1)
    with v1.variable_scope("bert/encoder/layer_0/output"):
        tf_slim.layers.layer_norm(x, begin_norm_axis=-1, begin_params_axis=-1)


# ----------------------------------------------------------------- embedding


@case("embedding")
def embedding_twice() -> None:
    ids = ph(2, 3, dtype=tf.int32)
    tf_keras.layers.Embedding(10, 4)(ids)
    tf_keras.layers.Embedding(7, 3)(ids)


# ----------------------------------------------------------------- recurrent cells


@case("lstm_cell")
def lstm_cell_dynamic_rnn() -> None:
    x = ph(2, 6, 3)
    v1.nn.dynamic_rnn(v1.nn.rnn_cell.LSTMCell(5), x, dtype=tf.float32)


@case("lstm_cell")
def lstm_cell_called_twice() -> None:
    x = ph(2, 3)
    for units in (5, 4):
        cell = v1.nn.rnn_cell.LSTMCell(units)
        cell(x, cell.zero_state(2, tf.float32))


@case("basic_lstm_cell")
def basic_lstm_cell_dynamic_rnn() -> None:
    x = ph(2, 6, 3)
    v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32)


@case("basic_lstm_cell")
def basic_lstm_cell_called_twice() -> None:
    x = ph(2, 3)
    for units in (5, 4):
        cell = v1.nn.rnn_cell.BasicLSTMCell(units)
        cell(x, cell.zero_state(2, tf.float32))


@case("gru_cell")
def gru_cell_dynamic_rnn() -> None:
    x = ph(2, 6, 3)
    v1.nn.dynamic_rnn(v1.nn.rnn_cell.GRUCell(5), x, dtype=tf.float32)


@case("gru_cell")
def gru_cell_called_twice() -> None:
    x = ph(2, 3)
    for units in (5, 4):
        cell = v1.nn.rnn_cell.GRUCell(units)
        cell(x, cell.zero_state(2, tf.float32))


# ----------------------------------------------------------------- attention


@case("multi_head_attention")
def multi_head_attention_twice_then_options() -> None:
    q = ph(2, 5, 6)
    tf_keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, q)
    tf_keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=5)(q, q)
    tf_keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False)(q, q)


# ----------------------------------------------------------------- options
# Each layer twice inside variable_scope("s", initializer=constant(0.5)): once
# with defaults (which variables take the scope's initializer?), once on a
# float64 input with trainable=False (the variables' dtype follows the input,
# not the scope; trainable=False keeps them out of trainable_variables).

F64 = tf.float64
SCOPE_INIT = v1.constant_initializer(0.5)


@case("dense")
def dense_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.dense(ph(2, 3), 4)
        v1.layers.dense(ph(2, 3, dtype=F64), 4, trainable=False)


@case("conv1d")
def conv1d_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.conv1d(ph(2, 9, 3), 4, 3)
        v1.layers.conv1d(ph(2, 9, 3, dtype=F64), 4, 3, trainable=False)


@case("conv2d")
def conv2d_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.conv2d(ph(2, 9, 9, 3), 4, 3)
        v1.layers.conv2d(ph(2, 9, 9, 3, dtype=F64), 4, 3, trainable=False)


@case("conv3d")
def conv3d_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.conv3d(ph(2, 9, 9, 9, 3), 4, 3)
        v1.layers.conv3d(ph(2, 9, 9, 9, 3, dtype=F64), 4, 3, trainable=False)


@case("separable_conv2d")
def separable_conv2d_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.separable_conv2d(ph(2, 9, 9, 3), 4, 3)
        v1.layers.separable_conv2d(ph(2, 9, 9, 3, dtype=F64), 4, 3, trainable=False)


@case("batch_normalization")
def batch_normalization_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        v1.layers.batch_normalization(ph(2, 5))
        v1.layers.batch_normalization(ph(2, 5, dtype=F64), trainable=False)


@case("layer_normalization")
def layer_normalization_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        tf_keras.layers.LayerNormalization()(ph(2, 5))
        tf_keras.layers.LayerNormalization(dtype="float64", trainable=False)(ph(2, 5, dtype=F64))


@case("layer_norm")
def layer_norm_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        tf_slim.layers.layer_norm(ph(2, 5))
        tf_slim.layers.layer_norm(ph(2, 5, dtype=F64), trainable=False)


@case("embedding")
def embedding_options() -> None:
    ids = ph(2, 3, dtype=tf.int32)
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        tf_keras.layers.Embedding(10, 4)(ids)
        tf_keras.layers.Embedding(10, 4, dtype="float64", trainable=False)(ids)


@case("lstm_cell")
def lstm_cell_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        cell = v1.nn.rnn_cell.LSTMCell(5)
        cell(ph(2, 3), cell.zero_state(2, tf.float32))
        cell = v1.nn.rnn_cell.LSTMCell(5, trainable=False)
        cell(ph(2, 3, dtype=F64), cell.zero_state(2, F64))


@case("lstm_cell")
def lstm_cell_peepholes_projection() -> None:
    x = ph(2, 3)
    cell = v1.nn.rnn_cell.LSTMCell(5, use_peepholes=True)
    cell(x, cell.zero_state(2, tf.float32))
    cell = v1.nn.rnn_cell.LSTMCell(5, num_proj=2)
    cell(x, cell.zero_state(2, tf.float32))
    cell = v1.nn.rnn_cell.LSTMCell(5, use_peepholes=True, num_proj=2)
    cell(x, cell.zero_state(2, tf.float32))


@case("basic_lstm_cell")
def basic_lstm_cell_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        cell = v1.nn.rnn_cell.BasicLSTMCell(5)
        cell(ph(2, 3), cell.zero_state(2, tf.float32))
        cell = v1.nn.rnn_cell.BasicLSTMCell(5, trainable=False)
        cell(ph(2, 3, dtype=F64), cell.zero_state(2, F64))


@case("gru_cell")
def gru_cell_options() -> None:
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        cell = v1.nn.rnn_cell.GRUCell(5)
        cell(ph(2, 3), cell.zero_state(2, tf.float32))
        cell = v1.nn.rnn_cell.GRUCell(5, trainable=False)
        cell(ph(2, 3, dtype=F64), cell.zero_state(2, F64))


@case("multi_head_attention")
def multi_head_attention_options() -> None:
    q = ph(2, 5, 6)
    q64 = ph(2, 5, 6, dtype=F64)
    with v1.variable_scope("s", initializer=SCOPE_INIT):
        tf_keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, q)
        mha = tf_keras.layers.MultiHeadAttention(
            num_heads=2, key_dim=4, dtype="float64", trainable=False
        )
        mha(q64, q64)


def run(fn: Callable[[], None]) -> list[dict[str, Any]]:
    with tf.Graph().as_default() as graph:
        fn()
        return _table(graph)


def main() -> int:
    versions = {
        "tensorflow": tf.__version__,
        "tf_keras": tf_keras.__version__,
        "tf_slim": getattr(tf_slim, "__version__", "1.1.0"),
    }
    only = set(sys.argv[1:])
    for template, cases in CASES.items():
        if only and template not in only:
            continue
        out: dict[str, Any] = {"template": template, "versions": versions, "cases": {}}
        for name, fn in cases.items():
            source = textwrap.dedent(inspect.getsource(fn)).split("\n", 1)[1]
            out["cases"][name] = {"program": source, "variables": run(fn)}
        path = HERE / f"{template}.json"
        path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.name}: {', '.join(cases)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
