"""The safetensors target (the example plugin, plugins/safetensors_target.py, registered like any plugin): its
export validates against the source, from a folder or a pickled state dict, and against other weights it fails."""

import torch
from transformers import BertModel

from workbench import api
from workbench.core import registry as reg_mod
from workbench.core.specs import ModelSource

from .weights import scaled_copy


def test_safetensors_plugin_exports_and_validates(tiny_models, tmp_path):
    folder = tiny_models("bert")
    result = api.export(str(folder), str(tmp_path / "w.safetensors"), target="safetensors", dtype="fp16")
    target = reg_mod.default_registry().target("safetensors")
    check = target.validate(api.ValidateSpec(model=result.path, against=ModelSource(str(folder))))
    assert check.passed and len(check.outputs) > 5
    # a pickled state dict converts too (loaded weights-only)
    bin_path = tmp_path / "pytorch_model.bin"
    torch.save(BertModel.from_pretrained(str(folder)).state_dict(), bin_path)
    converted = api.export(str(bin_path), str(tmp_path / "from_bin.safetensors"), target="safetensors")
    assert target.validate(api.ValidateSpec(model=converted.path, against=ModelSource(str(bin_path)))).passed
    scaled = ModelSource(str(scaled_copy(folder, tmp_path / "scaled")))
    assert not target.validate(api.ValidateSpec(model=result.path, against=scaled)).passed
