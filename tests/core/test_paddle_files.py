"""Paddle models in: `inspect` reads a paddle.jit.save model's program (inputs, outputs, ops, parameters) without
running it; the onnx target exports it with paddle2onnx (opset, dynamic axes as for PyTorch sources); validate
compares ONNX Runtime with Paddle Inference and fails a perturbed export; bad input is one line, nothing written."""

import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from paddle_models import build
from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import InputSpec, ModelSource, ValidateSpec


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("paddle-models")
    return {kind: build(kind, root / kind) for kind in ("mlp", "cnn")}


@pytest.fixture(scope="module")
def onnx_files(models, tmp_path_factory):
    root = tmp_path_factory.mktemp("paddle-onnx")
    return {kind: api.export(str(path), str(root / kind / "model.onnx")) for kind, path in models.items()}


def test_inspect_reads_the_program(models, capsys):
    from workbench.cli import main

    res = api.inspect(str(models["mlp"]))
    assert res.format == "paddle" and res.parameters == 16 * 32 + 32 + 32 * 4 + 4
    assert [(t.name, t.dtype, t.shape) for t in res.inputs] == [("x", "float32", ["?", 16])]
    assert [(t.dtype, t.shape) for t in res.outputs] == [("float32", ["?", 4])]
    assert res.op_counts["matmul"] == 2 and res.op_counts["relu"] == 1 and res.bytes_by_dtype == {"float32": 2704}
    assert sorted(t.name for t in res.tensors) == ["linear_0.b_0", "linear_0.w_0", "linear_1.b_0", "linear_1.w_0"]
    cnn = api.inspect(str(models["cnn"].parent))  # the folder paddle.jit.save wrote into
    assert cnn.inputs[0].shape == ["?", 3, "?", "?"] and cnn.op_counts["conv2d"] == 1
    assert main(["inspect", str(models["cnn"].with_suffix(".pdiparams")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["op_counts"]["batch_norm_"] == 1


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_paddle2onnx_export_keeps_dynamic_axes_and_validates_against_paddle(models, onnx_files, kind):
    result = onnx_files[kind]
    name = {"mlp": "x", "cnn": "image"}[kind]
    assert result.exporter.startswith("paddle2onnx") and result.opset == 17 and result.input_names == [name]
    expected_dims = {"mlp": ["batch", 16], "cnn": ["batch", 3, "image_dim2", "image_dim3"]}[kind]
    assert result.input_shapes[name] == expected_dims
    model = onnx.load(result.path)
    assert [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == expected_dims
    check = api.validate(ValidateSpec(model=result.path, against=ModelSource(str(models[kind]))))
    assert check.passed and check.rtol == pytest.approx(1e-4)
    assert len(check.shapes_tried) == 3 and min(o.cosine for o in check.outputs) > 0.99999
    assert "compared onnxruntime with Paddle Inference" in check.notes[0]


def test_dynamic_and_opset_are_the_users(models, tmp_path):
    out = tmp_path / "static" / "model.onnx"
    result = api.export(str(models["cnn"]), str(out), opset=13, dynamic_axes={"image": {0: "n"}},
                        inputs=InputSpec(shapes={"image": [1, 3, 12, 12]}))
    assert result.opset == 13 and onnx.load(str(out)).opset_import[0].version == 13
    assert result.input_shapes["image"] == ["n", 3, 12, 12]
    check = api.validate(ValidateSpec(model=str(out), against=ModelSource(str(models["cnn"])), shapes=((2, 12),)))
    assert check.passed
    with pytest.raises(WorkbenchError, match="give its size with --shape image="):
        api.export(str(models["cnn"]), str(tmp_path / "x" / "model.onnx"), dynamic_axes={"image": {0: "n"}})
    with pytest.raises(WorkbenchError, match="axis 1 of input 'image' is fixed"):
        api.export(str(models["cnn"]), str(tmp_path / "x" / "model.onnx"), dynamic_axes={"image": {1: "c"}})
    assert not (tmp_path / "x").exists()


def test_a_perturbed_export_fails_validation(models, onnx_files, tmp_path):
    model = onnx.load(onnx_files["cnn"].path)  # paddle2onnx stores weights as initializers or Constant nodes
    tensors = list(model.graph.initializer) + [a.t for n in model.graph.node if n.op_type == "Constant"
                                               for a in n.attribute if a.name == "value"]
    weight = max(tensors, key=lambda t: int(np.prod(t.dims)))
    assert int(np.prod(weight.dims)) == 8 * 3 * 3 * 3  # the conv kernel
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.5, weight.name))
    onnx.save(model, str(tmp_path / "bad.onnx"))
    result = api.validate(ValidateSpec(model=str(tmp_path / "bad.onnx"), against=ModelSource(str(models["cnn"]))))
    assert not result.passed and "differs from Paddle Inference" in result.reason


def test_bad_paddle_input_is_one_line_and_writes_nothing(models, tmp_path, capsys):
    from workbench.cli import main

    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "model.json").write_bytes(models["mlp"].read_bytes())
    (lone / "model.pdmodel").write_bytes(b"\x08garbage")
    out = tmp_path / "out" / "model.onnx"
    assert main(["export", str(lone / "model.json"), "-o", str(out)]) != 0
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]  # not progress
    assert len(errors) == 1 and "model.pdiparams is missing" in errors[0] and not out.parent.exists()
    (lone / "model.pdiparams").write_bytes(models["mlp"].with_suffix(".pdiparams").read_bytes()[:100])
    with pytest.raises(WorkbenchError, match="the weights file is truncated"):
        api.inspect(str(lone / "model.json"))
    (lone / "model.json").write_text("{not json")
    with pytest.raises(WorkbenchError, match="not a readable Paddle program") as err:
        api.inspect(str(lone / "model.json"))
    assert "\n" not in str(err.value)
    with pytest.raises(WorkbenchError, match="not a readable Paddle program"):
        api.inspect(str(lone / "model.pdmodel"))  # a corrupt ProgramDesc protobuf
    with pytest.raises(WorkbenchError, match="--dtype fp16 is not offered for Paddle"):
        api.export(str(models["mlp"]), str(out), dtype="fp16")
    assert not out.parent.exists()


def test_a_programdesc_pdmodel_reads_exports_and_validates(tmp_path):
    """The pre-PIR format (.pdmodel protobuf): saved in a child process, since Paddle picks the format at import."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parents[1]
    code = f"import sys; sys.path.insert(0, {str(here)!r}); import paddle_models, pathlib; " \
           f"paddle_models.build('cnn', pathlib.Path({str(tmp_path / 'legacy')!r}))"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   env={**os.environ, "FLAGS_enable_pir_api": "0"})
    program = tmp_path / "legacy" / "model.pdmodel"
    res = api.inspect(str(program))
    assert res.metadata["program"] == "programdesc" and res.inputs[0].shape == ["?", 3, "?", "?"]
    assert res.op_counts["conv2d"] == 1 and res.parameters == 8 * 3 * 3 * 3 + 8 + 4 * 8 + 8 * 5 + 5
    out = api.export(str(program), str(tmp_path / "onnx" / "model.onnx"))
    check = api.validate(ValidateSpec(model=out.path, against=ModelSource(str(program)), shapes=((2, 9),)))
    assert check.passed and min(o.cosine for o in check.outputs) > 0.99999


def test_paddle_fp16_through_quantize_is_judged_by_fp16_tolerances(models, tmp_path):
    """--dtype fp16 points Paddle models to export fp32, then quantize --mode fp16: that file validates against
    Paddle Inference by fp16 tolerances (paddle2onnx keeps the weights in Constant nodes, which the weight-dtype
    reading now counts; it read 'fp32' and judged the fp16 file by fp32 tolerances, failing at rel 4e-4)."""
    from workbench.core.ort import model_float_dtype
    from workbench.core.specs import QuantSpec

    out = api.export(str(models["cnn"]), str(tmp_path / "onnx" / "model.onnx"))
    half = str(tmp_path / "onnx" / "model.fp16.onnx")
    api.quantize(QuantSpec(model=out.path, output=half, mode="fp16"))
    assert model_float_dtype(out.path) == "fp32" and model_float_dtype(half) == "fp16"
    against = ModelSource(str(models["cnn"]))
    check = api.validate(ValidateSpec(model=half, against=against))
    assert check.passed, check.reason
    assert check.rtol == 1e-2 and any("fp16 weights" in n for n in check.notes)
    assert 1e-6 < check.outputs[0].max_rel_diff < 1e-2  # computed in fp16, really compared
    strict = api.validate(ValidateSpec(model=half, against=against, rtol=1e-6, atol=1e-9))
    assert not strict.passed and "differs from Paddle Inference" in strict.reason
    fp32 = api.validate(ValidateSpec(model=out.path, against=against))
    assert fp32.passed and fp32.rtol == 1e-4 and not any("fp16" in n for n in fp32.notes)
