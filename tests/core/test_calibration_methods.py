"""int8 static calibration: entropy and percentile really calibrate differently from minmax (the activation
scales in the output differ), and a static result below the int8 floor is reported as failed."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api

from tests.core.test_quantize import npz_folder


def activation_scales(path) -> dict:
    """{QuantizeLinear input name: scale} for the activations (inputs that are not initializers)."""
    model = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return {n.input[0]: float(np.asarray(inits[n.input[1]]).ravel()[0]) for n in model.graph.node
            if n.op_type == "QuantizeLinear" and n.input[0] not in inits and n.input[1] in inits}


@pytest.fixture(scope="module")
def bert(exported):
    return exported("bert").path


@pytest.fixture(scope="module")
def calib(bert, tmp_path_factory):
    return npz_folder(bert, tmp_path_factory.mktemp("calib-methods"))


@pytest.fixture(scope="module")
def by_method(bert, calib, tmp_path_factory):
    root = tmp_path_factory.mktemp("methods")
    return {m: api.quantize(bert, str(root / f"{m}.onnx"), mode="int8-static", calibration=str(calib), method=m,
                            per_channel=False) for m in ("minmax", "entropy", "percentile")}


@pytest.mark.parametrize("method", ["entropy", "percentile"])
def test_histogram_methods_give_other_scales_than_minmax(method, by_method):
    base = activation_scales(by_method["minmax"].output)
    other = activation_scales(by_method[method].output)
    assert base and set(base) == set(other)
    changed = [k for k in base if not np.isclose(base[k], other[k], rtol=1e-6)]
    assert changed, f"{method} gave minmax's scales"
    assert by_method[method].settings["method"] == method


# --- a result below its floor is a failure ------------------------------------------------------------------------

def matmul_model(path) -> str:
    """x [batch, 16] float -> MatMul with a fixed 16x8 weight -> y."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((16, 8)).astype(np.float32), "W")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture
def misleading_calibration(tmp_path):
    """A MatMul model calibrated on inputs 1000x smaller than the ones it is measured on: the int8 activations
    saturate and the result is far below the int8 floor."""
    model = matmul_model(tmp_path / "mm.onnx")
    folder = tmp_path / "calib"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(4):
        np.save(folder / f"s{i}.npy", (rng.standard_normal((2, 16)) * 1e-3).astype(np.float32))
    return model, folder


def test_static_below_floor_is_a_failed_result(misleading_calibration, tmp_path):
    from workbench.core.validate import QUANTIZED_TOLERANCES

    model, folder = misleading_calibration
    result = api.quantize(model, str(tmp_path / "q.onnx"), mode="int8-static", calibration=str(folder))
    assert result.fidelity.cosine < QUANTIZED_TOLERANCES["int8"][2]
    assert result.passed is False and result.floor == QUANTIZED_TOLERANCES["int8"][2]
    ok, reason = result.outcome()
    assert not ok and "below" in reason and "0.99" in reason
    assert any("FAILED" in n and "0.99" in n for n in result.notes)
    assert (tmp_path / "q.onnx").is_file()


def test_cli_quantize_below_floor_exits_1_and_keeps_the_file(misleading_calibration, tmp_path, capsys):
    from workbench import cli

    model, folder = misleading_calibration
    out = tmp_path / "q.onnx"
    rc = cli.main(["quantize", model, "-o", str(out), "--mode", "int8-static", "--calibration", str(folder)])
    err = capsys.readouterr().err
    assert rc == 1
    assert out.is_file()
    assert "fidelity cosine" in err and "floor 0.99" in err


def test_a_good_result_passes_and_each_mode_has_its_floor(tmp_path):
    from workbench.core.quantize.runner import fidelity_floor
    from workbench.core.specs import QuantSpec
    from workbench.core.validate import QUANTIZED_TOLERANCES, TOLERANCES

    def floor(mode, **kw):
        return fidelity_floor(QuantSpec(model="m.onnx", output="o.onnx", mode=mode, **kw))

    assert floor("int8-static") == floor("int8-dynamic") == QUANTIZED_TOLERANCES["int8"][2]
    assert floor("int4") == QUANTIZED_TOLERANCES["int4"][2]
    assert floor("fp16") == TOLERANCES["fp16"][2]
    assert floor("int8-dynamic", min_cosine=0.995) == 0.995
    model = matmul_model(tmp_path / "mm.onnx")
    result = api.quantize(model, str(tmp_path / "q.onnx"), mode="fp16")
    assert result.passed is True and result.outcome() == (True, None) and not result.notes
