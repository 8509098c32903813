"""The openvino runtime: it opens an IR the openvino target wrote (and an .onnx with --runtime openvino), describes
its inputs, runs it like the torch runtime; a perturbed IR weight, or a perturbed ONNX converted to IR, fails
validation."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions
from workbench.core.runtimes.select import feed
from workbench.core.specs import ModelSource, ValidateSpec


@pytest.fixture(scope="module")
def ir(exported, tmp_path_factory):
    """The suite's shared ONNX export converted by OpenVINO (the target's own export is tested in tests/targets)."""
    import openvino as ov

    out = tmp_path_factory.mktemp("openvino-ir") / "model.xml"
    ov.save_model(ov.convert_model(exported("bert").path), str(out), compress_to_fp16=False)
    return out


def test_openvino_runs_an_ir_like_pytorch(ir, tiny_models):
    reg = default_registry()
    assert [r.name for r in reg.runtimes_for(ir)] == ["openvino"]
    session = reg.runtime("openvino").open(ir, RuntimeOptions(threads=1, extra={"hint": "LATENCY"}))
    reference = reg.runtime("torch").open(str(tiny_models("bert")), RuntimeOptions())
    try:
        infos = session.inputs()
        assert [i.name for i in infos][:2] == ["input_ids", "attention_mask"]
        assert all(i.dtype == "int64" for i in infos) and all(isinstance(d, str) for d in infos[0].shape)
        assert session.device == "cpu" and session.runtime == "openvino" and session.precision == "fp32"
        inputs = reference.loaded.make_inputs(2, 7, seed=3)
        actual = session.run(feed(infos, inputs, reference.loaded.input_names))
        assert list(actual) == [o.name for o in session.outputs()] == ["last_hidden_state", "pooler_output"]
        expected = reference.run(inputs)
        assert actual["last_hidden_state"].shape == (2, 7, 32)
        assert np.abs(actual["last_hidden_state"] - np.asarray(expected["last_hidden_state"])).max() < 1e-4
    finally:
        session.close()
        reference.close()


def test_openvino_opens_onnx_when_named_and_refuses_bad_settings(exported, tiny_models, ir):
    from workbench import api

    src = ModelSource(str(tiny_models("bert")))
    result = api.validate(ValidateSpec(model=exported("bert").path, against=src, runtime="openvino",
                                       shapes=((2, 8),)))
    assert result.passed and [o.name for o in result.outputs] == ["last_hidden_state", "pooler_output"]
    with pytest.raises(WorkbenchError, match="performance hint 'fast'"):
        default_registry().runtime("openvino").open(ir, RuntimeOptions(extra={"hint": "fast"}))


def _scale_largest_weight(xml_path, factor):
    """Multiply the IR's largest f32 Const (in model.bin, at the offset the .xml gives) by ``factor``."""
    consts = [layer.find("data").attrib for layer in ET.parse(xml_path).getroot().iter("layer")
              if layer.get("type") == "Const" and layer.find("data").get("element_type") == "f32"]
    data = max(consts, key=lambda a: int(a["size"]))
    offset, size = int(data["offset"]), int(data["size"])
    bin_path = xml_path.with_suffix(".bin")
    raw = bytearray(bin_path.read_bytes())
    raw[offset:offset + size] = (np.frombuffer(bytes(raw[offset:offset + size]), np.float32) * factor).tobytes()
    bin_path.write_bytes(bytes(raw))


def test_a_perturbed_ir_weight_or_onnx_fails_validation(ir, exported, tiny_models, tmp_path):
    import onnx
    import openvino as ov
    from onnx import numpy_helper

    from workbench import api

    src = ModelSource(str(tiny_models("bert")))
    bad = tmp_path / "ir" / "model.xml"
    bad.parent.mkdir()
    for suffix in (".xml", ".bin"):
        bad.with_suffix(suffix).write_bytes(ir.with_suffix(suffix).read_bytes())
    assert api.validate(ValidateSpec(model=str(bad), against=src, shapes=((2, 8),))).passed
    _scale_largest_weight(bad, 1.5)
    assert not api.validate(ValidateSpec(model=str(bad), against=src, shapes=((2, 8),))).passed

    model = onnx.load(exported("bert").path)
    init = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 1.5, init.name))
    onnx.save(model, str(tmp_path / "bad.onnx"))
    ov.save_model(ov.convert_model(str(tmp_path / "bad.onnx")), str(tmp_path / "bad.xml"), compress_to_fp16=False)
    result = api.validate(ValidateSpec(model=str(tmp_path / "bad.xml"), against=src, shapes=((2, 8),)))
    assert not result.passed and result.reason


def test_an_ir_without_its_bin_is_one_line(ir, tmp_path):
    lone = tmp_path / "model.xml"
    lone.write_bytes(ir.read_bytes())
    with pytest.raises(WorkbenchError, match="model.bin is missing"):
        default_registry().runtime("openvino").open(lone, RuntimeOptions())


@pytest.mark.parametrize("cut", ["xml", "bin"])
def test_a_truncated_ir_pair_is_one_line_for_open_validate_and_bench(ir, tiny_models, tmp_path, cut, capsys):
    from workbench import api
    from workbench.cli import main

    for suffix in ("xml", "bin"):
        data = ir.with_suffix(f".{suffix}").read_bytes()
        (tmp_path / f"model.{suffix}").write_bytes(data[: len(data) // 2] if suffix == cut else data)
    bad = tmp_path / "model.xml"
    why = "Error parsing" if cut == "xml" else "model.bin does not hold the weights the .xml expects"
    with pytest.raises(WorkbenchError, match="not a readable OpenVINO IR") as err:
        default_registry().runtime("openvino").open(bad, RuntimeOptions())
    assert why in str(err.value) and "\n" not in str(err.value) and "--target openvino" in err.value.hint
    with pytest.raises(WorkbenchError, match="not a readable OpenVINO IR") as err:
        api.validate(ValidateSpec(model=str(bad), against=ModelSource(str(tiny_models("bert")))))
    assert "\n" not in str(err.value)
    capsys.readouterr()
    assert main(["bench", str(bad), "--iterations", "2"]) != 0
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(errors) == 1 and "not a readable OpenVINO IR" in errors[0], errors


def test_bench_picks_openvino_for_an_ir(ir, capsys):
    import json

    from workbench.cli import main

    assert main(["bench", str(ir), "--batch", "2", "--seq", "8", "--iterations", "5", "--threads", "1",
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["name"] == "openvino model.xml" and row["provider"] == "cpu"
    assert row["iterations"] == 5 and len(row["samples"]) == 5 and all(s > 0 for s in row["samples"])
    assert (row["batch"], row["sequence"]) == (2, 8)


def test_throughput_mode_keeps_requests_in_flight_and_bench_reports_the_rate(ir, tiny_models, capsys):
    import json

    from workbench.cli import main

    session = default_registry().runtime("openvino").open(ir, RuntimeOptions(threads=2, extra={
        "hint": "THROUGHPUT", "streams": 2}))
    try:
        assert session.in_flight >= 2 and "2 streams" in session.notes[-1]
        feeds = {i.name: np.ones((2, 8), np.int64) for i in session.inputs()}
        together, alone = session.run_in_flight(feeds), session.run(feeds)
        assert np.array_equal(together["last_hidden_state"], alone["last_hidden_state"])
    finally:
        session.close()
    latency = default_registry().runtime("openvino").open(ir, RuntimeOptions(extra={"hint": "LATENCY"}))
    assert latency.in_flight == 1
    latency.close()
    assert main(["bench", str(ir), "--batch", "2", "--seq", "8", "--iterations", "4", "--warmup", "1",
                 "--threads", "2", "--hint", "throughput", "--streams", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["batch"] == 2 and len(row["samples"]) == 4
    assert any("requests in flight" in n for n in row["notes"])
    # each sample is a round's time per inference: throughput is batch / that mean
    assert row["throughput_per_s"] == pytest.approx(2 * 1000 / np.mean(row["samples"]), rel=0.05)
