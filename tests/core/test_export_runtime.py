"""Export pre-flight for the runtime: a bf16 file is exported (a CUDA artifact) with a note that ONNX Runtime's
CPU provider cannot run it, and validate / sessions on the CPU fail with one line naming the missing kernel and
the fix; --no-params with the dynamo exporter gives a checker-valid graph whose weights are inputs."""

import onnx
import pytest

from workbench import api
from workbench.core.errors import WorkbenchError


@pytest.fixture(scope="module")
def bert(tiny_models):
    return str(tiny_models("bert"))


@pytest.fixture(scope="module")
def bf16_export(bert, tmp_path_factory):
    return api.export(bert, str(tmp_path_factory.mktemp("bf16") / "model.onnx"), dtype="bf16")


def test_bf16_export_succeeds_and_says_cpu_cannot_run_it(bf16_export):
    assert bf16_export.dtype == "bf16"
    note = next(n for n in bf16_export.notes if n.startswith("bf16:"))
    assert "no bfloat16 kernel for" in note and "CPU" in note
    assert "fp16 or fp32" in note and "CUDA" in note


def test_bf16_on_cpu_fails_with_one_line_naming_the_kernel(bf16_export, bert):
    from workbench.core.ort import make_session

    model = next(p for p in bf16_export.outputs if p.endswith(".onnx"))
    with pytest.raises(WorkbenchError) as err:
        make_session(model, "cpu")
    line = err.value.one_line()
    assert "no bfloat16 kernel for" in line and "fp16 or fp32" in line and "CUDA" in line
    assert "\n" not in line and "ONNXRuntimeError" not in line
    with pytest.raises(WorkbenchError) as err:
        api.validate(model, against=bert)
    assert "no bfloat16 kernel for" in err.value.one_line()
    with pytest.raises(WorkbenchError) as err:
        api.bench(model, iterations=2)
    assert "no bfloat16 kernel for" in err.value.one_line()


def test_dynamo_no_params_passes_the_checker_with_weights_as_inputs(bert, tmp_path):
    out = tmp_path / "model.onnx"
    result = api.export(bert, str(out), export_params=False)
    assert result.exporter == "dynamo"
    onnx.checker.check_model(str(out))
    model = onnx.load(str(out), load_external_data=False)
    assert not model.graph.initializer
    assert len(model.graph.input) > len(result.input_names)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".data")] == []
    assert any("--no-params" in n for n in result.notes)
