"""int8-dynamic's copy of the input reads Gemm(transB=1) weights from a transposed initializer (transB=0): ONNX
Runtime 1.31's quantize_dynamic transposes B in place under the same name, so a value_info of B (torch's exporter
writes one) or another reader of B disagreed with B's shape and the quantizer stopped (the H200 sweep's demo int8
cells). The product stays the same, a B another node reads stays as it was, and quantizing still works."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.core.quantize.workdir import pretranspose_gemm_weights


def _model(shared: bool):
    rng = np.random.default_rng(0)
    b = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "B")
    c = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "C")
    nodes = [helper.make_node("Gemm", ["X", "B", "C"], ["Y"], name="gemm", transB=1),
             helper.make_node("Gemm", ["X", "B"], ["Y2"], name="gemm_again", transB=1)]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 4]),
               helper.make_tensor_value_info("Y2", TensorProto.FLOAT, [2, 4])]
    if shared:  # a reader of B as it is
        nodes.append(helper.make_node("ReduceSum", ["B"], ["S"], name="sum", keepdims=0))
        outputs.append(helper.make_tensor_value_info("S", TensorProto.FLOAT, []))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 8])], outputs,
                              initializer=[b, c],
                              value_info=[helper.make_tensor_value_info("B", TensorProto.FLOAT, [4, 8])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def _run(model, x):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": x})


@pytest.mark.parametrize("shared", [False, True])
def test_gemm_weights_are_read_transposed_with_the_same_product(shared):
    model = _model(shared)
    x = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float32)
    before = _run(model, x)
    assert pretranspose_gemm_weights(model) == 2  # both Gemms, one new initializer for the B they share
    onnx.checker.check_model(model, full_check=True)  # shapes agree with every value_info
    inits = {t.name: t for t in model.graph.initializer}
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    assert {n.input[1] for n in gemms} == {"B_transposed"} and list(inits["B_transposed"].dims) == [8, 4]
    assert all(a.i == 0 for n in gemms for a in n.attribute if a.name == "transB")
    assert ("B" in inits) is shared and any(v.name == "B" for v in model.graph.value_info) is shared
    for a, b in zip(before, _run(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert pretranspose_gemm_weights(model) == 0  # nothing left to change


def test_other_gemms_are_left_alone():
    """transB=0 already, and a B that is a graph input (no constant to transpose): nothing changes."""
    w = numpy_helper.from_array(np.ones((8, 4), np.float32), "W")
    nodes = [helper.make_node("Gemm", ["X", "W"], ["Y"], name="plain", transB=0),
             helper.make_node("Gemm", ["X", "Bin"], ["Y2"], name="input_b", transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 8]),
                                           helper.make_tensor_value_info("Bin", TensorProto.FLOAT, [4, 8])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 4]),
                               helper.make_tensor_value_info("Y2", TensorProto.FLOAT, [2, 4])], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    before = model.SerializeToString()
    assert pretranspose_gemm_weights(model) == 0 and model.SerializeToString() == before


def test_int8_dynamic_quantizes_a_gemm_whose_weight_has_a_value_info(tmp_path):
    from workbench import api

    src = tmp_path / "gemm.onnx"
    onnx.save(_model(True), str(src))
    res = api.quantize(str(src), str(tmp_path / "q.onnx"), mode="int8-dynamic", min_cosine=0.0)
    q = onnx.load(str(tmp_path / "q.onnx"))
    assert {n.op_type for n in q.graph.node} & {"MatMulInteger", "DynamicQuantizeMatMul", "QGemm"}
    x = np.random.default_rng(2).standard_normal((2, 8)).astype(np.float32)
    got = _run(q, x)[0]
    want = _run(_model(True), x)[0]
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99 and res is not None
