"""The openvino target: a tiny BERT (transformers config, random weights) exported to IR through the ONNX export
and OpenVINO's converter, dynamic axes kept, validated through the openvino runtime; fp16 compression; bad input is
one line and leaves nothing behind."""

import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource, ValidateSpec


@pytest.fixture(scope="module")
def ir(tiny_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("openvino-target") / "ir" / "model.xml"
    return out, api.export(str(tiny_models("bert")), str(out), target="openvino")


def test_export_and_validate_a_tiny_bert(tiny_models, ir):
    src = str(tiny_models("bert"))
    out, result = ir
    assert result.target == "openvino" and result.outputs == [str(out), str(out.with_suffix(".bin"))]
    assert out.is_file() and out.with_suffix(".bin").stat().st_size > 10_000
    assert result.input_shapes["input_ids"] == ["?", "?"]  # batch and sequence stay dynamic in the IR
    assert result.output_names == ["last_hidden_state", "pooler_output"]
    check = api.validate(ValidateSpec(model=str(out), against=ModelSource(src)))
    assert check.passed and check.rtol == pytest.approx(1e-4)
    assert [o.name for o in check.outputs] == ["last_hidden_state", "pooler_output"]
    assert len({tuple(s) for s in check.shapes_tried}) == 3 and min(o.cosine for o in check.outputs) > 0.9999


def test_cli_fp16_compression_halves_the_weights_and_validates_at_fp16_tolerances(tiny_models, ir, tmp_path):
    import openvino as ov

    from workbench.cli import main

    src = str(tiny_models("bert"))
    full, half = ir[0], tmp_path / "fp16" / "model.xml"
    assert main(["export", src, "-o", str(half), "--target", "openvino", "--dtype", "fp16"]) == 0
    assert half.with_suffix(".bin").stat().st_size < 0.6 * full.with_suffix(".bin").stat().st_size
    types = {op.get_output_element_type(0).get_type_name() for op in ov.Core().read_model(str(half)).get_ops()
             if op.get_type_name() == "Constant"}
    assert "f16" in types
    check = api.validate(ValidateSpec(model=str(half), against=ModelSource(src), shapes=((2, 8),)))
    assert check.passed and check.rtol > 1e-4  # judged as fp16, not fp32


def test_bad_input_is_one_line_and_writes_nothing(tiny_models, tmp_path, capsys):
    from workbench.cli import main

    with pytest.raises(WorkbenchError) as err:
        api.export(str(tmp_path / "missing"), str(tmp_path / "out" / "model.xml"), target="openvino")
    assert "\n" not in str(err.value) and "missing" in str(err.value)
    with pytest.raises(WorkbenchError, match="not an OpenVINO IR file name"):
        api.export(str(tiny_models("bert")), str(tmp_path / "out" / "model.onnx"), target="openvino")
    with pytest.raises(WorkbenchError, match="--dtype bf16 is not offered"):
        api.export(str(tiny_models("bert")), str(tmp_path / "out" / "model.xml"), target="openvino", dtype="bf16")
    assert not (tmp_path / "out").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "model.bin").write_bytes(b"the user's own file")  # the weights file the IR would replace
    assert main(["export", str(tiny_models("bert")), "-o", str(mine / "model.xml"), "--target", "openvino"]) != 0
    assert "model.bin" in capsys.readouterr().err and (mine / "model.bin").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in mine.iterdir()) == ["model.bin"]


def test_an_operator_openvino_cannot_convert_is_named_in_one_line(tiny_models, tmp_path, monkeypatch):
    import onnx
    from onnx import TensorProto, helper

    from workbench.core.export import torch_onnx
    from workbench.core.results import ExportResult

    node = helper.make_node("FancyOp", ["x"], ["y"], domain="my.domain")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    fancy = tmp_path / "fancy.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                      helper.make_opsetid("my.domain", 1)]), str(fancy))
    # the ONNX step stands in for an export whose graph holds an operator OpenVINO has no rule for
    monkeypatch.setattr(torch_onnx, "export_onnx", lambda spec, **kw: ExportResult(outputs=[str(fancy)],
                                                                                   exporter="dynamo"))
    out = tmp_path / "out" / "model.xml"
    with pytest.raises(WorkbenchError) as err:
        api.export(str(tiny_models("bert")), str(out), target="openvino")
    assert str(err.value).startswith("OpenVINO cannot convert the model: my.domain.FancyOp")
    assert "\n" not in str(err.value) and not out.parent.exists()
