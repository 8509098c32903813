"""Validation that cannot be fooled: it runs at shapes that differ in every dynamic dimension and says which, it
says when a model is static, and a model perturbed in any way (a weight scaled by 1.05, a swapped node, an int8
model with a broken scale) fails, with exit code 1 from the CLI and the reason in the JSON."""

import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.cli import main


def _dynamic_axes(path) -> dict:
    model = onnx.load(str(path), load_external_data=False)
    return {v.name: [a for a, d in enumerate(v.type.tensor_type.shape.dim) if d.dim_param or not d.dim_value]
            for v in model.graph.input}


def _scale_a_weight(path, out, factor=1.05) -> str:
    """The largest 2-D float weight (not an embedding table) times ``factor``; returns its name."""
    model = onnx.load(str(path))
    inits = sorted(model.graph.initializer, key=lambda t: -int(np.prod(t.dims)))
    t = next(t for t in inits if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) == 2 and "embed" not in t.name)
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return t.name


def _constants(model) -> set:
    return {i.name for i in model.graph.initializer} | {
        o for n in model.graph.node if n.op_type == "Constant" for o in n.output}


def _add_to_sub(path, out) -> str:
    """The first Add of two computed values (a residual connection) becomes a Sub; returns the node's name."""
    model = onnx.load(str(path))
    consts = _constants(model)
    node = next(n for n in model.graph.node if n.op_type == "Add" and not set(n.input) & consts)
    node.op_type = "Sub"
    onnx.save(model, str(out))
    return node.name


def _swap_inputs(path, out) -> str:
    """Two inputs of a node where their order matters are swapped: a Sub or Div (a - b, a / b), else the two
    branches of a Where (dynamo graphs of these models have no Sub or Div). Returns the node's name."""
    model = onnx.load(str(path))
    nodes = [n for n in model.graph.node if n.op_type in ("Sub", "Div") and n.input[0] != n.input[1]]
    if nodes:
        nodes[0].input[0], nodes[0].input[1] = nodes[0].input[1], nodes[0].input[0]
    else:
        nodes = [n for n in model.graph.node if n.op_type == "Where" and n.input[1] != n.input[2]]
        nodes[0].input[1], nodes[0].input[2] = nodes[0].input[2], nodes[0].input[1]
    onnx.save(model, str(out))
    return nodes[0].name


def _break_a_scale(path, out, factor=2.0) -> str:
    """The weight scale used last in the graph (nearest the outputs, so nothing downstream hides it) times 2."""
    model = onnx.load(str(path))
    scales = {t.name: t for t in model.graph.initializer
              if t.name.endswith("_scale") and t.data_type == onnx.TensorProto.FLOAT}
    used = [i for n in model.graph.node for i in n.input if i in scales]
    t = scales[used[-1]]
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return t.name


def _cli_validate(model, src, capsys, *extra):
    code = main(["validate", str(model), "--against", str(src), "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_validate_runs_at_three_shapes_that_differ_in_every_dynamic_dimension(exported, tiny_models):
    result = exported("bert")
    validation = api.validate(result.path, against=str(tiny_models("bert")))
    assert validation.passed and not validation.static
    runs = validation.runs
    assert len(runs) >= 3 and len({json.dumps(r["inputs"]) for r in runs}) == len(runs)
    for name, axes in _dynamic_axes(result.path).items():
        assert axes == [0, 1], name
        for axis in axes:
            sizes = [r["inputs"][name][axis] for r in runs]
            assert len(set(sizes)) == len(sizes), (name, axis, sizes)  # every run differs on every dynamic dim
    assert validation.shapes_tried == [r["inputs"]["input_ids"] for r in runs]


def test_validate_text_and_json_say_which_shapes(exported, tiny_models, capsys):
    result = exported("bert")
    code, data, _ = _cli_validate(result.path, tiny_models("bert"), capsys)
    assert code == 0 and data["ok"] is True and data["reason"] is None
    assert data["shapes_tried"] == [[2, 8], [3, 13], [1, 21]]
    assert main(["validate", result.path, "--against", str(tiny_models("bert"))]) == 0
    assert "shapes tried 2x8, 3x13, 1x21" in capsys.readouterr().out


def test_static_export_validated_says_it_is_static(tiny_models, tmp_path):
    result = api.export(str(tiny_models("bert")), str(tmp_path / "static.onnx"), dynamic_axes={})
    assert result.input_shapes["input_ids"] == [2, 8]
    validation = api.validate(result.path, against=str(tiny_models("bert")))
    assert validation.passed and validation.static
    assert validation.shapes_tried == [[2, 8]]  # one shape, not the same one three times
    assert any("static" in n for n in validation.notes)


def test_vision_model_validates_at_three_batch_sizes(exported, tiny_models):
    validation = api.validate(exported("resnet").path, against=str(tiny_models("resnet")))
    assert validation.passed
    assert sorted(s[0] for s in validation.shapes_tried) == [1, 2, 3]


def test_weight_scaled_by_1_05_fails_with_exit_1(exported, tiny_models, tmp_path, capsys):
    src = tiny_models("bert")
    bad = tmp_path / "scaled.onnx"
    _scale_a_weight(exported("bert").path, bad)
    code, data, err = _cli_validate(bad, src, capsys)
    assert code == 1 and data["passed"] is False and data["ok"] is False
    assert "differs from PyTorch" in data["reason"] and "differs from PyTorch" in err
    assert len([ln for ln in err.splitlines() if ln.startswith("workbench validate:")]) == 1


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_add_replaced_by_sub_fails(kind, exported, tiny_models, tmp_path, capsys):
    bad = tmp_path / "sub.onnx"
    _add_to_sub(exported(kind).path, bad)
    code, data, _ = _cli_validate(bad, tiny_models(kind), capsys)
    assert code == 1 and data["ok"] is False and data["reason"]


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_swapped_inputs_of_a_sub_or_div_fail(kind, exported, tiny_models, tmp_path):
    bad = tmp_path / "swapped.onnx"
    _swap_inputs(exported(kind).path, bad)
    validation = api.validate(str(bad), against=str(tiny_models(kind)))
    assert not validation.passed and validation.outcome()[0] is False


def test_int8_model_with_a_broken_scale_fails(exported, tiny_models, tmp_path, capsys):
    src = tiny_models("bert")
    q = api.quantize(exported("bert").path, str(tmp_path / "q" / "model.int8.onnx"), mode="int8-dynamic")
    bad = tmp_path / "broken.onnx"
    _break_a_scale(q.output, bad)
    good = api.validate(q.output, against=str(src), rtol=0.05)
    code, data, _ = _cli_validate(bad, src, capsys, "--rtol", "0.05")
    assert code == 1 and data["ok"] is False
    worst_good = max(o.max_rel_diff for o in good.outputs)
    assert max(o["max_rel_diff"] for o in data["outputs"]) > 5 * worst_good  # the break, not int8 rounding
    # With no --rtol the int8 tolerances apply: the intact model passes them, the broken one does not.
    intact = api.validate(q.output, against=str(src))
    assert intact.passed, intact.reason
    assert any("int8 tolerances" in n for n in intact.notes)
    code, data, _ = _cli_validate(bad, src, capsys)
    assert code == 1 and data["ok"] is False and "differs from PyTorch" in data["reason"]


def test_int4_model_is_judged_by_int4_tolerances(exported, tiny_models, tmp_path):
    src = tiny_models("bert")
    q = api.quantize(exported("bert").path, str(tmp_path / "q4" / "model.int4.onnx"), mode="int4", block_size=32)
    result = api.validate(q.output, against=str(src))
    assert result.passed, result.reason
    assert any("int4 tolerances" in n for n in result.notes)
