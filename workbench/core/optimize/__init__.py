"""``workbench optimize``: presets that rewrite an exported ONNX file for a runtime, re-validated against PyTorch.

common.py holds what both presets share (node counts, metadata, onnxslim, the fusion type, publishing the output),
cpu.py the CPU preset and the entry of both (optimize_model), cuda.py the CUDA preset and rewrites.py its graph
rewrites."""

from workbench.core.optimize.cpu import optimize_model

__all__ = ["optimize_model"]
