"""validate pairs the artifact's outputs with PyTorch's by name (any order), fails an output the artifact lacks or
computes at another shape with a reason that says so, and judges by quantized limits only when quantization
operators compute the outputs (a dangling one does not loosen the float32 limits)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench import api


@pytest.fixture(scope="module")
def bert(exported, tiny_models):
    result = exported("bert")
    return onnx.load(result.path), str(tiny_models("bert")), result.path


def _save(model, path) -> str:
    onnx.save(model, str(path))
    return str(path)


def _copy(model):
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    return twin


def _scale_largest_weight(model, factor: float) -> None:
    weight = max((t for t in model.graph.initializer if t.data_type == TensorProto.FLOAT and len(t.dims) == 2),
                 key=lambda t: numpy_helper.to_array(t).size)
    values = numpy_helper.to_array(weight) * factor
    weight.CopyFrom(numpy_helper.from_array(values.astype("float32"), weight.name))


def test_the_export_itself_passes(bert):
    model, source, path = bert
    assert [o.name for o in model.graph.output] == ["last_hidden_state", "pooler_output"]


def test_outputs_in_another_order_are_paired_by_name(bert, tmp_path):
    model, source, path = bert
    twin = _copy(model)
    outputs = list(twin.graph.output)
    del twin.graph.output[:]
    twin.graph.output.extend(outputs[::-1])
    result = api.validate(_save(twin, tmp_path / "reordered.onnx"), against=source)
    assert result.passed, result.reason
    assert {o.name for o in result.outputs} == {"last_hidden_state", "pooler_output"}


def test_an_output_the_artifact_lacks_fails(bert, tmp_path):
    model, source, path = bert
    twin = _copy(model)
    del twin.graph.output[1]  # pooler_output
    result = api.validate(_save(twin, tmp_path / "dropped.onnx"), against=source)
    assert not result.passed
    assert "'pooler_output' is missing from the model" in result.reason
    assert [o.name for o in result.outputs if not o.passed] == ["pooler_output"]


def test_an_output_of_another_shape_says_so(bert, tmp_path):
    model, source, path = bert
    twin = _copy(model)
    out = twin.graph.output[0]
    inner = out.name + "_full"
    for node in twin.graph.node:  # the producer now writes `inner` (its readers read it); a Slice drops the last
        node.output[:] = [inner if o == out.name else o for o in node.output]  # position of the graph output
        node.input[:] = [inner if i == out.name else i for i in node.input]
    starts, ends, axes = (numpy_helper.from_array(np.array(v, "int64"), n)
                          for v, n in (([0], "cut_starts"), ([-1], "cut_ends"), ([1], "cut_axes")))
    twin.graph.initializer.extend([starts, ends, axes])
    twin.graph.node.append(helper.make_node("Slice", [inner, "cut_starts", "cut_ends", "cut_axes"], [out.name]))
    del out.type.tensor_type.shape.dim[:]
    result = api.validate(_save(twin, tmp_path / "short.onnx"), against=source)
    assert not result.passed
    assert "'last_hidden_state' has shape 2x7x32 but PyTorch's 'last_hidden_state' is 2x8x32" in result.reason
    assert "differs from PyTorch: max rel diff inf" not in result.reason


def test_a_dangling_quantization_node_does_not_loosen_the_limits(bert, tmp_path):
    model, source, path = bert
    twin = _copy(model)
    _scale_largest_weight(twin, 1.5)
    weight = twin.graph.initializer[0].name
    twin.graph.initializer.extend([numpy_helper.from_array(np.array(0.1, "float32"), "dq_scale"),
                                   numpy_helper.from_array(np.array(0, "int8"), "dq_zero")])
    q = helper.make_node("QuantizeLinear", [weight, "dq_scale", "dq_zero"], ["dq_q"])
    dq = helper.make_node("DequantizeLinear", ["dq_q", "dq_scale", "dq_zero"], ["dq_unused"])
    twin.graph.node.extend([q, dq])  # computes nothing any output reads
    result = api.validate(_save(twin, tmp_path / "dangling.onnx"), against=source)
    assert not result.passed, "a 1.5x weight passed"
    assert result.rtol == 1e-4 and not any("quantized" in n for n in result.notes)


def test_live_nodes_reach_the_outputs_only():
    from workbench.core.validate import live_nodes

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["dead"]),
         helper.make_node("Abs", ["a"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    assert [n.op_type for n in live_nodes(graph)] == ["Relu", "Abs"]


def test_given_shapes_are_what_a_hugging_face_source_is_fed(bert):
    model, source, path = bert
    from workbench.core.specs import ModelSource, ValidateSpec
    from workbench.core.validate import validate_model

    result = validate_model(ValidateSpec(model=path, against=ModelSource(path=source),
                                         input_shapes={"input_ids": [2, 5]}))
    assert result.passed, result.reason
    assert [r["inputs"]["input_ids"] for r in result.runs] == [[2, 5], [3, 5]]
    assert all(r["inputs"]["attention_mask"][1] == 5 for r in result.runs)


@pytest.mark.parametrize("given, message", [({"bogus": [2, 3]}, "the model has no input 'bogus'"),
                                            ({"input_ids": [2, 3, 4]}, "'input_ids' has 2 axes, not 3")])
def test_given_shapes_that_do_not_fit_the_model_are_refused(bert, given, message):
    from workbench.core.errors import WorkbenchError
    from workbench.core.specs import ModelSource, ValidateSpec
    from workbench.core.validate import validate_model

    model, source, path = bert
    with pytest.raises(WorkbenchError, match=message):
        validate_model(ValidateSpec(model=path, against=ModelSource(path=source),
                                    input_shapes=given))

