"""The CUDA preset's own fusions (workbench/core/optimize/fusions.py) on hand-built graphs: each rewrite gives
the same numbers on ONNX Runtime's CPU provider, and each pattern it must not touch stays as it was."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.core.optimize.fusions import fold_gemm_biases, pack_qkv_attention

B, S, D, HEADS = 2, 5, 16, 4
RNG = np.random.default_rng(0)


def _run(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _model(nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                   helper.make_opsetid("com.microsoft", 1)])


def _f(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _attention_graph(*, extra_reader=False, padding_mask=False, split_sizes=(D, D, D)):
    """x -> MatMul(W[D, 3D]) -> Add(b) -> Split(3) -> MultiHeadAttention(q, k, v, attention_bias=causal)."""
    causal = np.triu(np.full((S, S), -10000.0, np.float32), 1)[None, None]
    inits = [numpy_helper.from_array(RNG.standard_normal((D, 3 * D)).astype(np.float32) * 0.3, "w"),
             numpy_helper.from_array(RNG.standard_normal(3 * D).astype(np.float32), "b"),
             numpy_helper.from_array(np.array(split_sizes, np.int64), "sizes"),
             numpy_helper.from_array(np.broadcast_to(causal, (B, 1, S, S)).copy(), "bias")]
    mha_inputs = ["q", "k", "v", "", "mask" if padding_mask else "", "bias"]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"]), helper.make_node("Add", ["mm", "b"], ["qkv"]),
             helper.make_node("Split", ["qkv", "sizes"], ["q", "k", "v"], axis=2),
             helper.make_node("MultiHeadAttention", mha_inputs, ["y"], domain="com.microsoft", num_heads=HEADS)]
    outputs = [_f("y", [B, S, D])]
    if extra_reader:  # something else reads k: the Split must stay
        nodes.append(helper.make_node("Identity", ["k"], ["k_out"]))
        outputs.append(_f("k_out", [B, S, D]))
    inputs = [_f("x", [B, S, D])]
    if padding_mask:
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.INT32, [B, S]))
    return _model(nodes, inputs, outputs, inits)


def _feeds(model):
    feeds = {"x": RNG.standard_normal((B, S, D)).astype(np.float32)}
    if any(i.name == "mask" for i in model.graph.input):
        feeds["mask"] = np.ones((B, S), np.int32)
    return feeds


def test_packed_projection_and_multihead_attention_become_one_attention():
    model = _attention_graph()
    feeds = _feeds(model)
    before = _run(model, feeds)
    assert pack_qkv_attention(model) == 1
    onnx.checker.check_model(model)
    assert [n.op_type for n in model.graph.node] == ["Attention"]
    node = model.graph.node[0]
    assert list(node.input) == ["x", "w", "b", "", "", "bias"] and node.domain == "com.microsoft"
    after = _run(model, feeds)
    np.testing.assert_allclose(after[0], before[0], rtol=1e-4, atol=1e-5)
    assert pack_qkv_attention(model) == 0  # nothing left to pack


@pytest.mark.parametrize("case", ["extra_reader", "padding_mask", "unequal_split"])
def test_attention_patterns_it_must_not_touch_stay(case):
    model = _attention_graph(extra_reader=case == "extra_reader", padding_mask=case == "padding_mask",
                             split_sizes=(D, D // 2, D + D // 2) if case == "unequal_split" else (D, D, D))
    ops = [n.op_type for n in model.graph.node]
    assert pack_qkv_attention(model) == 0
    assert [n.op_type for n in model.graph.node] == ops


def _gemm_graph(*, trans_b=0, second_reader=False, skip_bias=False, alpha=1.0):
    """a (B*S, D) -> Gemm(W, c) -> Reshape(B, S, D) -> SkipLayerNormalization(skip, gamma, beta)."""
    w = RNG.standard_normal((D, D)).astype(np.float32) * 0.3
    inits = [numpy_helper.from_array(w.T.copy() if trans_b else w, "w"),
             numpy_helper.from_array(RNG.standard_normal(D).astype(np.float32), "c"),
             numpy_helper.from_array(np.array([B, S, D], np.int64), "shape"),
             numpy_helper.from_array(RNG.standard_normal(D).astype(np.float32), "gamma"),
             numpy_helper.from_array(RNG.standard_normal(D).astype(np.float32), "beta"),
             numpy_helper.from_array(RNG.standard_normal(D).astype(np.float32), "own_bias")]
    skip_inputs = ["r", "skip", "gamma", "beta"] + (["own_bias"] if skip_bias else [])
    nodes = [helper.make_node("Gemm", ["a", "w", "c"], ["g"], transB=trans_b, alpha=alpha),
             helper.make_node("Reshape", ["g", "shape"], ["r"]),
             helper.make_node("SkipLayerNormalization", skip_inputs, ["y"], domain="com.microsoft", epsilon=1e-5)]
    outputs = [_f("y", [B, S, D])]
    if second_reader:
        outputs.append(_f("g", [B * S, D]))
    return _model(nodes, [_f("a", [B * S, D]), _f("skip", [B, S, D])], outputs, inits)


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_bias_moves_into_skip_layer_normalization(trans_b):
    model = _gemm_graph(trans_b=trans_b)
    feeds = {"a": RNG.standard_normal((B * S, D)).astype(np.float32),
             "skip": RNG.standard_normal((B, S, D)).astype(np.float32)}
    before = _run(model, feeds)
    assert fold_gemm_biases(model) == 1
    onnx.checker.check_model(model)
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Reshape", "SkipLayerNormalization"]
    assert list(model.graph.node[2].input) == ["r", "skip", "gamma", "beta", "c"]
    np.testing.assert_allclose(_run(model, feeds)[0], before[0], rtol=1e-4, atol=1e-5)
    assert fold_gemm_biases(model) == 0


@pytest.mark.parametrize("case", ["second_reader", "skip_bias", "alpha"])
def test_gemm_biases_it_must_not_move_stay(case):
    model = _gemm_graph(second_reader=case == "second_reader", skip_bias=case == "skip_bias",
                        alpha=0.5 if case == "alpha" else 1.0)
    assert fold_gemm_biases(model) == 0
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Reshape", "SkipLayerNormalization"]
