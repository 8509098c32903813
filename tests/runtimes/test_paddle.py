"""The paddle runtime (Paddle Inference, CPU): it opens a paddle.jit.save model (model.json + .pdiparams, or its
folder), describes its inputs from the program, computes what the dygraph layer computed before saving, is a bench
row, and says what is wrong in one line."""

import json

import numpy as np
import pytest

from paddle_models import build
from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("paddle-runtime")
    return {kind: build(kind, root / kind) for kind in ("mlp", "cnn")}


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_paddle_runs_a_saved_model_like_the_layer_did(models, kind):
    from workbench.core.runtimes.select import choose

    reg = default_registry()
    path = models[kind]
    assert choose(path).name == "paddle" and choose(path.with_suffix(".pdiparams")).name == "paddle"
    assert choose(path.parent).name == "paddle"  # the folder it was saved in
    session = reg.runtime("paddle").open(path, RuntimeOptions(threads=1))
    try:
        infos = session.inputs()
        name = {"mlp": "x", "cnn": "image"}[kind]
        assert [(i.name, i.dtype) for i in infos] == [(name, "float32")]
        assert infos[0].shape == (["dim0", 16] if kind == "mlp" else ["dim0", 3, "dim2", "dim3"])
        assert session.runtime == "paddle" and session.device == "cpu" and session.precision == "fp32"
        expected = np.load(path.parent / "expected.npz")
        (out,) = session.run({name: expected["input"]}).values()
        assert out.shape == expected["output"].shape and np.abs(out - expected["output"]).max() < 1e-5
        assert [o.shape for o in session.outputs()] == [["dim0", {"mlp": 4, "cnn": 5}[kind]]]
    finally:
        session.close()


def test_bench_has_a_paddle_inference_row(models, capsys):
    from workbench.cli import main

    assert main(["bench", str(models["cnn"]), "--runtime", "paddle", "--batch", "2", "--seq", "8",
                 "--iterations", "5", "--threads", "1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["name"] == "paddle model.json" and row["provider"] == "cpu" and row["batch"] == 2
    assert row["iterations"] == 5 and len(row["samples"]) == 5 and all(s > 0 for s in row["samples"])


def test_runtimes_lists_paddle_with_its_version():
    import paddle

    found = default_registry().runtime("paddle").availability()
    assert found.available and found.version == paddle.__version__ and found.devices == ("cpu",)


def test_bad_paddle_models_are_one_line(models, tmp_path):
    runtime = default_registry().runtime("paddle")
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "model.json").write_bytes(models["mlp"].read_bytes())
    with pytest.raises(WorkbenchError, match="model.pdiparams is missing") as err:
        runtime.open(lone / "model.json", RuntimeOptions())
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "model.json").write_text('{"base_code": {"magic": "pir"}, "program": {"regions": [{"bl')
    (corrupt / "model.pdiparams").write_bytes(models["mlp"].with_suffix(".pdiparams").read_bytes())
    with pytest.raises(WorkbenchError, match="not a readable Paddle program") as err:
        runtime.open(corrupt / "model.json", RuntimeOptions())
    assert "\n" not in str(err.value)
    with pytest.raises(WorkbenchError, match="CPU only"):
        runtime.open(models["mlp"], RuntimeOptions(device="cuda", strict=True))
