"""The openvino target on a tiny BERT (transformers config, random weights). One ONNX export is shared with the
whole suite (conftest's ``exported``): the IRs here convert that file, so no test runs a second dynamo export.
Routes: an .onnx source, the ONNX export (its wiring, with the shared export standing in), and OpenVINO's PyTorch
frontend (``--exporter openvino``). Precisions: fp16 compression and NNCF int8/int4, data-free and data-aware, each
validated at its dtype's floor; the same compression of a perturbed model fails. Bad input is one line and leaves
nothing behind."""

import numpy as np
import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import InputSpec, ModelSource, ValidateSpec


@pytest.fixture(scope="module")
def onnx_path(exported):
    return exported("bert").path


@pytest.fixture(scope="module")
def ir(onnx_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("openvino-target") / "ir" / "model.xml"
    return out, api.export(onnx_path, str(out), target="openvino")


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    """Four .npz samples, the folder format `quantize --mode int8-static --calibration` reads."""
    folder = tmp_path_factory.mktemp("openvino-calibration")
    rng = np.random.default_rng(0)
    for i in range(4):
        np.savez(folder / f"sample{i}.npz", input_ids=rng.integers(0, 128, (2, 8)),
                 attention_mask=np.ones((2, 8), np.int64), token_type_ids=np.zeros((2, 8), np.int64))
    return str(folder)


def _check(ir_path, tiny_models, shapes=((2, 8), (3, 13))):
    return api.validate(ValidateSpec(model=str(ir_path), against=ModelSource(str(tiny_models("bert"))),
                                     shapes=shapes))


def test_an_onnx_file_converts_to_an_ir_that_validates(tiny_models, ir):
    out, result = ir
    assert result.target == "openvino" and result.outputs == [str(out), str(out.with_suffix(".bin"))]
    assert result.exporter == "openvino (onnx file)" and result.dtype == "fp32"
    assert out.is_file() and out.with_suffix(".bin").stat().st_size > 10_000
    assert result.input_shapes["input_ids"] == ["?", "?"]  # batch and sequence stay dynamic in the IR
    assert result.output_names == ["last_hidden_state", "pooler_output"]
    check = api.validate(ValidateSpec(model=str(out), against=ModelSource(str(tiny_models("bert")))))
    assert check.passed and check.rtol == pytest.approx(1e-4)
    assert [o.name for o in check.outputs] == ["last_hidden_state", "pooler_output"]
    assert len({tuple(s) for s in check.shapes_tried}) == 3 and min(o.cosine for o in check.outputs) > 0.9999


def test_a_torch_source_goes_through_the_onnx_export(tiny_models, exported, tmp_path, monkeypatch):
    from workbench.core.export import torch_onnx

    asked = []
    monkeypatch.setattr(torch_onnx, "export_onnx", lambda spec, **kw: asked.append(spec) or exported("bert"))
    out = tmp_path / "model.xml"
    result = api.export(str(tiny_models("bert")), str(out), target="openvino", dtype="fp16")
    assert [(s.target, s.dtype, s.quant) for s in asked] == [("onnx", "fp32", None)]  # fp32 ONNX, compressed after
    assert result.exporter == f"openvino ({exported('bert').exporter})" and result.dtype == "fp16"
    assert result.dynamic_axes == exported("bert").dynamic_axes and out.with_suffix(".bin").is_file()


def test_openvino_pytorch_frontend_converts_without_onnx(tiny_models, tmp_path, monkeypatch):
    from workbench.core.export import torch_onnx

    def no_onnx(*args, **kwargs):
        raise AssertionError("the direct route must not export ONNX")

    monkeypatch.setattr(torch_onnx, "export_onnx", no_onnx)
    out = tmp_path / "direct" / "model.xml"
    result = api.export(str(tiny_models("bert")), str(out), target="openvino", exporter="openvino")
    assert result.exporter == "openvino (pytorch frontend)"
    assert result.output_names == ["last_hidden_state", "pooler_output"]
    assert result.input_shapes["input_ids"] == ["?", "?"]
    check = _check(out, tiny_models)
    assert check.passed and [o.name for o in check.outputs] == ["last_hidden_state", "pooler_output"]
    assert min(o.cosine for o in check.outputs) > 0.9999
    fixed = api.export(str(tiny_models("bert")), str(tmp_path / "static" / "model.xml"), target="openvino",
                       exporter="openvino", dynamic_axes={}, inputs=InputSpec(batch=1, sequence=5))
    assert fixed.input_shapes["input_ids"] == [1, 5]  # no dynamic axes asked: fixed at the example's sizes


def test_cli_fp16_compression_halves_the_weights_and_validates_at_fp16_tolerances(tiny_models, ir, onnx_path,
                                                                                  tmp_path):
    from workbench.cli import main

    full, half = ir[0], tmp_path / "fp16" / "model.xml"
    assert main(["export", onnx_path, "-o", str(half), "--target", "openvino", "--dtype", "fp16"]) == 0
    assert half.with_suffix(".bin").stat().st_size < 0.6 * full.with_suffix(".bin").stat().st_size
    check = _check(half, tiny_models, shapes=((2, 8),))
    assert check.passed and check.rtol > 1e-4  # judged as fp16, not fp32


@pytest.mark.parametrize("quant,calibrated", [("int8", False), ("int4", False), ("int8", True), ("int4", True)])
def test_nncf_compression_validates_at_its_floor_and_a_perturbed_model_fails(quant, calibrated, tiny_models, ir,
                                                                             onnx_path, calibration, tmp_path):
    import onnx
    import openvino as ov
    from onnx import numpy_helper

    from workbench.core.runtimes.openvino import open_session

    cal = calibration if calibrated else None
    out = tmp_path / "good" / "model.xml"
    result = api.export(onnx_path, str(out), target="openvino", quant=quant, calibration=cal)
    assert result.dtype == quant and any(f"{quant} weights" in n for n in result.notes)
    assert ("calibrated on 4 samples" in result.notes[-1] or "on 4 samples" in result.notes[-1]) == calibrated
    assert out.with_suffix(".bin").stat().st_size < 0.45 * ir[0].with_suffix(".bin").stat().st_size
    session = open_session(out)
    assert session.precision == quant
    session.close()
    if quant == "int8" and calibrated:  # nncf.quantize: activations quantized too (FakeQuantize in the IR)
        assert any(op.get_type_name() == "FakeQuantize" for op in ov.Core().read_model(str(out)).get_ops())
    check = _check(out, tiny_models, shapes=((3, 13),))
    floor = {"int8": 0.99, "int4": 0.95}[quant]
    assert check.passed and f"cosine >= {floor:g}" in " ".join(check.notes)
    assert min(o.cosine for o in check.outputs) >= floor

    if calibrated:
        return  # the perturbed model is checked once per precision, data-free
    # the same compression of a model whose largest weight (the embeddings) has its rows in reverse order (a scale
    # would not do: the LayerNorm after the embeddings divides it out, and int4's floor would pass it)
    model = onnx.load(onnx_path)
    init = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init)[::-1].copy(), init.name))
    onnx.save(model, str(tmp_path / "bad.onnx"))
    bad = tmp_path / "bad" / "model.xml"
    api.export(str(tmp_path / "bad.onnx"), str(bad), target="openvino", quant=quant, calibration=cal)
    failed = _check(bad, tiny_models, shapes=((2, 8),))
    assert not failed.passed and failed.reason


def test_bad_input_is_one_line_and_writes_nothing(tiny_models, onnx_path, tmp_path, capsys):
    from workbench.cli import main

    with pytest.raises(WorkbenchError) as err:
        api.export(str(tmp_path / "missing"), str(tmp_path / "out" / "model.xml"), target="openvino")
    assert "\n" not in str(err.value) and "missing" in str(err.value)
    with pytest.raises(WorkbenchError, match="not an OpenVINO IR file name"):
        api.export(onnx_path, str(tmp_path / "out" / "model.onnx"), target="openvino")
    with pytest.raises(WorkbenchError, match="--dtype bf16 is not offered"):
        api.export(onnx_path, str(tmp_path / "out" / "model.xml"), target="openvino", dtype="bf16")
    with pytest.raises(WorkbenchError, match="--quant q4_0 is not offered for OpenVINO IR"):
        api.export(onnx_path, str(tmp_path / "out" / "model.xml"), target="openvino", quant="q4_0")
    with pytest.raises(WorkbenchError, match="--calibration is for NNCF compression"):
        api.export(onnx_path, str(tmp_path / "out" / "model.xml"), target="openvino", calibration=str(tmp_path))
    with pytest.raises(WorkbenchError, match="calibration folder .* holds no .npz"):
        api.export(onnx_path, str(tmp_path / "out" / "model.xml"), target="openvino", quant="int8",
                   calibration=str(tmp_path))
    with pytest.raises(WorkbenchError, match="data-aware compression reads the calibration"):
        api.export(str(tiny_models("bert")), str(tmp_path / "out" / "model.xml"), target="openvino",
                   exporter="openvino", quant="int4", calibration=str(tmp_path))
    assert not (tmp_path / "out").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "model.bin").write_bytes(b"the user's own file")  # the weights file the IR would replace
    assert main(["export", onnx_path, "-o", str(mine / "model.xml"), "--target", "openvino"]) != 0
    assert "model.bin" in capsys.readouterr().err and (mine / "model.bin").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in mine.iterdir()) == ["model.bin"]


def test_an_operator_openvino_cannot_convert_is_named_in_one_line(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("FancyOp", ["x"], ["y"], domain="my.domain")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    fancy = tmp_path / "fancy.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                      helper.make_opsetid("my.domain", 1)]), str(fancy))
    out = tmp_path / "out" / "model.xml"
    with pytest.raises(WorkbenchError) as err:
        api.export(str(fancy), str(out), target="openvino")
    assert str(err.value).startswith("OpenVINO cannot convert the model: my.domain.FancyOp")
    assert "\n" not in str(err.value) and not out.parent.exists()


@pytest.mark.parametrize("target", ["openvino", "mnn"])
def test_an_encoder_decoder_source_is_one_line_before_any_work(target, tmp_path, capsys):
    """A one-graph target asked for an encoder-decoder model says so (it said 'give -o a folder, e.g. -o
    /tmp/workbench-<target>-.../model', its own scratch folder) and writes nothing."""
    import transformers as tf

    from workbench.cli import main

    config = tf.BartConfig(vocab_size=64, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                           max_position_embeddings=32)
    config.architectures = ["BartForConditionalGeneration"]
    tf.BartForConditionalGeneration(config).save_pretrained(str(tmp_path / "bart"))
    capsys.readouterr()  # save_pretrained's own progress bar
    out = tmp_path / "out" / ("model.xml" if target == "openvino" else "model.mnn")
    assert main(["export", str(tmp_path / "bart"), "-o", str(out), "--target", target]) != 0
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(errors) == 1 and "bart is an encoder-decoder model" in errors[0] and f"the {target} target" in \
        errors[0] and "workbench-" not in errors[0], errors
    assert not out.parent.exists()
