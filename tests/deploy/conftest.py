"""Tiny generated artifacts for the deployment kit and encryption tests (module-free, built once per session):
an ONNX MatMul+Add model with a float and an int64 input, the same with external data, and its OpenVINO IR."""

import numpy as np
import pytest

MARK = np.random.default_rng(7).standard_normal((16, 8)).astype(np.float32)  # weights whose bytes tests scan for


def _model():
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])
    s = helper.make_tensor_value_info("s", TensorProto.INT64, ["batch"])
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["y"]),
             helper.make_node("ReduceSum", ["ids", "axes"], ["s"], keepdims=0)]
    inits = [numpy_helper.from_array(MARK, "W"), numpy_helper.from_array(np.arange(8, dtype=np.float32), "B"),
             numpy_helper.from_array(np.array([1], np.int64), "axes")]
    graph = helper.make_graph(nodes, "tiny", [x, ids], [y, s], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    import onnx
    import openvino as ov

    root = tmp_path_factory.mktemp("deploy_models")
    plain = root / "tiny.onnx"
    onnx.save(_model(), str(plain))
    ext_dir = root / "ext"
    ext_dir.mkdir()
    ext = ext_dir / "tiny_ext.onnx"
    onnx.save(_model(), str(ext), save_as_external_data=True, all_tensors_to_one_file=True,
              location="tiny_ext.onnx.data", size_threshold=256)  # W (512 bytes) outside
    ir_dir = root / "ir"
    ir_dir.mkdir()
    ir = ir_dir / "tiny.xml"
    ov.save_model(ov.convert_model(str(plain)), str(ir), compress_to_fp16=False)
    return {"onnx": plain, "ext": ext, "ir": ir, "root": root}


@pytest.fixture(scope="session")
def key():
    return bytes(range(32))
