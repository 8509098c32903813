"""The TorchScript target through the registry: its export validates against the source (loading the program
needs trust), and against a source whose weights differ it fails."""

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.specs import ExportSpec, ModelSource, ValidateSpec

from .weights import scaled_copy


def test_torchscript_target_exports_and_validates(tiny_models, tmp_path):
    target = default_registry().target("torchscript")
    folder = tiny_models("bert")
    result = target.export(ExportSpec(source=ModelSource(str(folder)), output=str(tmp_path / "m.pt"),
                                      target="torchscript"))
    assert result.target == "torchscript"
    with pytest.raises(WorkbenchError, match="--trust-code"):  # loading the written program runs it
        target.validate(ValidateSpec(model=result.path, against=ModelSource(str(folder))))
    assert target.validate(ValidateSpec(model=result.path, against=ModelSource(str(folder), trust_code=True))).passed
    scaled = ModelSource(str(scaled_copy(folder, tmp_path / "scaled")), trust_code=True)
    assert not target.validate(ValidateSpec(model=result.path, against=scaled)).passed
