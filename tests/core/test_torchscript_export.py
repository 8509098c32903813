"""TorchScript programs as export sources (with --trust-code): traced, scripted and the workbench's own
``--target torchscript`` output export to ONNX through the legacy exporter and validate with ``--shape``."""

import json

import onnx
import pytest
import torch

from workbench import api, cli
from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource


class TinyCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.conv(x).mean((2, 3)))


@pytest.fixture(params=["trace", "script"])
def script_file(request, tmp_path):
    torch.manual_seed(0)
    model, x = TinyCNN().eval(), torch.randn(2, 3, 8, 8)
    scripted = torch.jit.trace(model, (x,)) if request.param == "trace" else torch.jit.script(model)
    path = tmp_path / f"cnn_{request.param}.pt"
    torch.jit.save(scripted, str(path))
    return path


def _export(src, out, *extra) -> dict:
    return ["export", str(src), "-o", str(out), *extra]


def test_torchscript_exports_and_validates_with_shape(script_file, tmp_path, capsys):
    out = tmp_path / "onnx" / "model.onnx"
    assert cli.main([*_export(script_file, out, "--shape", "x=2x3x8x8", "--trust-code"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["exporter"] == "legacy" and any("TorchScript" in n for n in result["notes"])
    onnx.checker.check_model(str(out))
    res = api.validate(str(out), against=ModelSource(str(script_file), trust_code=True),
                       input_shapes={"x": [2, 3, 8, 8]})
    assert res.passed, res.reason
    assert res.shapes_tried == [[2, 3, 8, 8], [3, 3, 8, 8]]
    assert any("given shapes (x=2x3x8x8)" in n for n in res.notes)
    rc = cli.main(["validate", str(out), "--against", str(script_file), "--trust-code", "--shape", "x=2x3x8x8"])
    assert rc == 0


def test_torchscript_export_needs_trust_code(script_file, tmp_path):
    with pytest.raises(WorkbenchError, match="--trust-code"):
        api.export(ModelSource(str(script_file)), str(tmp_path / "m.onnx"))
    assert not (tmp_path / "m.onnx").exists()


def test_validate_without_shape_for_torchscript_asks_for_it(script_file, tmp_path):
    out = tmp_path / "model.onnx"
    assert cli.main(_export(script_file, out, "--shape", "x=2x3x8x8", "--trust-code")) == 0
    with pytest.raises(WorkbenchError, match="--shape x="):
        api.validate(str(out), against=ModelSource(str(script_file), trust_code=True))


def test_own_torchscript_target_output_exports_to_onnx(tiny_models, tmp_path):
    bert = str(tiny_models("bert"))
    ts = tmp_path / "ts" / "model.pt"
    api.export(bert, str(ts), target="torchscript")
    out = tmp_path / "onnx" / "model.onnx"
    shapes = ["input_ids=2x8", "attention_mask=2x8", "token_type_ids=2x8"]
    assert cli.main(_export(ts, out, "--shape", *shapes, "--trust-code")) == 0
    res = api.validate(str(out), against=ModelSource(str(ts), trust_code=True),
                       input_shapes={s.split("=")[0]: [2, 8] for s in shapes})
    assert res.passed, res.reason
