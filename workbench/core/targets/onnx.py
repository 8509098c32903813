"""The ONNX target: export with torch.onnx (workbench.core.export.torch_onnx), validate against PyTorch on ONNX
Runtime (workbench.core.validate); a Paddle model exports with paddle2onnx (workbench.core.targets.paddle_onnx).
Registered like a plugin."""

from __future__ import annotations

from workbench.core.registry import Target


def export(spec, progress=None, cancel=None):
    from workbench.core.loading.paddle_files import is_paddle

    if is_paddle(spec.source.path):
        from workbench.core.targets.paddle_onnx import export_paddle

        return export_paddle(spec, progress, cancel)
    from workbench.core.export.torch_onnx import export_onnx

    return export_onnx(spec, progress, cancel)


def register(registry) -> None:
    from workbench.core.validate import validate_model

    registry.add_target(Target(name="onnx", description="ONNX (torch.onnx.export, dynamo or legacy)",
                               export=export, validate=validate_model, suffix=".onnx"))
