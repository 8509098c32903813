"""GGUF target (llama.cpp's file): a Hugging Face folder converted by workbench.core.gguf with gguf-py, staged so a
failure leaves no .gguf behind. K-quants go through llama.cpp's own quantizer from an F16 GGUF, when the llama_cpp
runtime module is there."""

from __future__ import annotations

import importlib
import tempfile
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.registry import Target
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec

K_QUANTS = ("q2_k", "q3_k_m", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k")
DTYPE_QUANT = {"fp32": "f32", "fp16": "f16", "bf16": "bf16"}


def _quant(spec: ExportSpec) -> str:
    return (getattr(spec, "quant", None) or DTYPE_QUANT.get(spec.dtype, "f16")).lower()


def _k_quantizer():
    try:
        return importlib.import_module("workbench.core.runtimes.llama_cpp").quantize
    except (ImportError, AttributeError):
        raise WorkbenchError("K-quants need llama.cpp's quantizer",
                             "pip install llama-cpp-python, or pick q8_0/q4_0/q4_1/q5_0/q5_1/f16") from None


def export_gguf(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    from workbench.core.gguf.convert import convert

    src = Path(spec.source.path).expanduser()
    if not (src.is_dir() and (src / "config.json").is_file()):
        raise WorkbenchError(f"'{spec.source.path}' is not a Hugging Face model folder",
                             "point at a folder with config.json and *.safetensors")
    if Path(str(spec.output)).suffix.lower() != ".gguf":
        raise WorkbenchError(f"output '{spec.output}' is not a .gguf file name", "name it like model.gguf")
    quant = _quant(spec)
    check_output(spec.output, **output_rules(spec))
    started = time.perf_counter()
    with staged_output(spec.output, **output_rules(spec)) as path:
        if quant in K_QUANTS:
            quantize = _k_quantizer()
            with tempfile.TemporaryDirectory(prefix="workbench-gguf-") as scratch:
                f16 = Path(scratch) / "f16.gguf"
                info = convert(src, f16, "f16", cancel=cancel)
                quantize(str(f16), str(path), quant)
        else:
            info = convert(src, Path(path), quant, cancel=cancel)
    final = str(Path(str(spec.output)).expanduser().resolve())
    return ExportResult(outputs=[final], exporter=f"gguf-py ({info['arch']})", target="gguf", dtype=quant,
                        seconds=time.perf_counter() - started,
                        notes=[f"{info['tensors']} tensors, {quant}"] + info["notes"])


def register(registry) -> None:
    from workbench.core.validate import validate_model  # a .gguf validates through a registered llama.cpp runtime

    registry.add_target(Target(name="gguf", description="GGUF for llama.cpp (gguf-py; --quant f16|q8_0|q4_0|...)",
                               export=export_gguf, validate=validate_model, suffix=".gguf"))
