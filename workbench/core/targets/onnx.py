"""The ONNX target: export with torch.onnx (workbench.core.export.torch_onnx), validate against PyTorch on ONNX
Runtime (workbench.core.validate). Registered like a plugin."""

from __future__ import annotations

from workbench.core.registry import Target


def register(registry) -> None:
    from workbench.core.export.torch_onnx import export_onnx
    from workbench.core.validate import validate_model

    registry.add_target(Target(name="onnx", description="ONNX (torch.onnx.export, dynamo or legacy)",
                               export=export_onnx, validate=validate_model, suffix=".onnx"))
