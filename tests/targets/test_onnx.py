"""The ONNX target through the registry: its export validates against the source, and against a source whose
weights differ it fails."""

import shutil

import torch
from transformers import BertModel

from workbench.core.registry import default_registry
from workbench.core.specs import ExportSpec, ModelSource, ValidateSpec


def scaled_copy(folder, dest):
    """A copy of the tiny BERT folder with one layer's weight scaled by 1.05."""
    shutil.copytree(folder, dest)
    model = BertModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        model.encoder.layer[1].output.dense.weight.mul_(1.05)
    model.save_pretrained(str(dest), safe_serialization=True)
    return dest


def test_onnx_target_exports_and_validates(tiny_models, tmp_path):
    target = default_registry().target("onnx")
    folder = tiny_models("bert")
    result = target.export(ExportSpec(source=ModelSource(str(folder)), output=str(tmp_path / "m.onnx")))
    assert result.target == "onnx" and result.path.endswith("m.onnx")
    check = target.validate(ValidateSpec(model=result.path, against=ModelSource(str(folder))))
    assert check.passed and check.checker == "ok"
    wrong = target.validate(ValidateSpec(model=result.path,
                                         against=ModelSource(str(scaled_copy(folder, tmp_path / "scaled")))))
    assert not wrong.passed and wrong.reason
