"""ONNX inspection: a dynamo export with external data, subgraphs, inline initializers, and damaged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from workbench.api import inspect
from workbench.core.errors import WorkbenchError
from workbench.core.loading import load_model
from workbench.core.specs import ModelSource


@pytest.fixture(autouse=True)
def _loaders_only(loaders_only):
    return loaders_only


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, image):
        return self.head(torch.relu(self.conv(image)).mean((2, 3)))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    torch.manual_seed(0)
    model = TinyNet().eval()
    path = folder / "model.onnx"
    torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), str(path), dynamo=True, input_names=["image"],
                      output_names=["scores"], dynamic_shapes={"image": {0: torch.export.Dim("batch")}},
                      verbose=False)
    assert (folder / "model.onnx.data").exists()
    return {"folder": folder, "param_bytes": sum(p.numel() * 4 for p in model.parameters()),
            "params": sum(p.numel() for p in model.parameters())}


@pytest.fixture
def copy(exported, tmp_path):
    """A private copy of the exported model, free to damage."""
    for name in ("model.onnx", "model.onnx.data"):
        shutil.copy(exported["folder"] / name, tmp_path / name)
    return tmp_path / "model.onnx"


def test_dynamo_export_with_external_data(exported):
    path = exported["folder"] / "model.onnx"
    info = inspect(str(path))
    assert info.format == "onnx"
    assert [(i.name, i.dtype) for i in info.inputs] == [("image", "float32")]
    batch, *rest = info.inputs[0].shape
    assert isinstance(batch, str) and rest == [3, 8, 8]
    assert [o.name for o in info.outputs] == ["scores"] and info.outputs[0].dtype == "float32"
    assert info.outputs[0].shape[1] == 2
    assert info.op_counts.get("Conv") == 1 and info.op_counts.get("Relu") == 1
    assert info.node_count == sum(info.op_counts.values())
    assert info.opset.get("ai.onnx", 0) >= 18
    # the weights, plus small constants the exporter made initializers (e.g. the ReduceMean axes)
    assert info.bytes_by_dtype["float32"] == exported["param_bytes"]
    assert info.initializer_bytes == sum(info.bytes_by_dtype.values())
    assert info.parameters >= exported["params"]
    assert info.external_data == ["model.onnx.data"]
    assert info.files == [str(path), str(path.parent / "model.onnx.data")]


def test_missing_external_data(copy):
    (copy.parent / "model.onnx.data").unlink()
    with pytest.raises(WorkbenchError) as err:
        inspect(str(copy))
    message = str(err.value)
    assert "references external data model.onnx.data which is missing" in message
    assert "beside model.onnx" in message


def test_truncated_external_data(copy):
    data = copy.parent / "model.onnx.data"
    data.write_bytes(data.read_bytes()[:16])
    with pytest.raises(WorkbenchError, match="shorter than the model needs"):
        inspect(str(copy))


@pytest.mark.parametrize("content", [b"\x00\xff garbage \x13\x37" * 50, b"", b"{\"not\": \"onnx\"}"])
def test_garbage_is_not_onnx(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(WorkbenchError) as err:
        inspect(str(path))
    assert "not a valid ONNX file" in str(err.value) and "re-export it" in str(err.value)


def test_onnx_is_not_a_torch_model(exported):
    with pytest.raises(WorkbenchError, match="holds no model to run"):
        load_model(ModelSource(str(exported["folder"] / "model.onnx")))


def _if_model() -> onnx.ModelProto:
    """Add in the then-branch, Mul+Add in the else-branch, inline initializers (raw and typed fields)."""
    w = numpy_helper.from_array(np.ones((2, 3), dtype=np.float32), "w")  # raw_data
    b = helper.make_tensor("b", TensorProto.INT64, [4], [1, 2, 3, 4])  # int64_data, no raw bytes
    then_graph = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["t"])], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, ["n", 3])])
    else_graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["m"]), helper.make_node("Add", ["m", "x"], ["e"])], "else", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, ["n", 3])])
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    onnx.checker.check_model(model)
    return model


def test_subgraphs_and_inline_initializers(tmp_path):
    path = tmp_path / "if.onnx"
    onnx.save(_if_model(), str(path))
    info = inspect(str(path))
    assert info.op_counts == {"If": 1, "Add": 2, "Mul": 1}
    assert info.node_count == 4
    assert info.opset == {"ai.onnx": 17, "com.microsoft": 1}
    assert info.initializer_bytes == 6 * 4 + 4 * 8
    assert info.bytes_by_dtype == {"float32": 24, "int64": 32}
    assert info.external_data == []
    assert [(i.name, i.dtype, i.shape) for i in info.inputs] == [("x", "float32", ["n", 3]), ("cond", "bool", [])]
    assert info.outputs[0].shape == ["?", 3]  # a dim with neither a value nor a name


def test_initializers_listed_as_inputs_are_not_inputs(tmp_path):
    model = _if_model()
    model.graph.input.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 3]))
    path = tmp_path / "old_style.onnx"
    onnx.save(model, str(path))
    assert [i.name for i in inspect(str(path)).inputs] == ["x", "cond"]


def test_external_data_outside_the_folder(tmp_path):
    model = _if_model()
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../secret.bin"), ("offset", "0"), ("length", "24")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    path = tmp_path / "sneaky.onnx"
    Path(path).write_bytes(model.SerializeToString())
    with pytest.raises(WorkbenchError, match="outside its folder"):
        inspect(str(path))
