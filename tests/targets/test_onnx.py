"""The ONNX target through the registry: its export validates against the source, and against a source whose
weights differ it fails."""

from workbench.core.registry import default_registry
from workbench.core.specs import ExportSpec, ModelSource, ValidateSpec

from .weights import scaled_copy


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
