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
from workbench.core.target_options import Choice, TargetForm, TargetOption

K_QUANTS = ("q2_k", "q3_k_m", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k")
# The default type is llama.cpp's converter's (convert_hf_to_gguf.py --outtype auto): the checkpoint's own 16-bit
# type, bf16 for a bf16 checkpoint, else f16 (an fp32 checkpoint too: f32 GGUFs are twice the size for no
# measurable gain, MiniLM f16 cosine 0.999999 in llama.cpp). An explicit --dtype fp16/bf16 picks that type; f32 is
# written only when asked for with --quant f32 (--dtype's fp32 default is what every export starts from, not a pick).
DTYPE_QUANT = {"fp16": "f16", "bf16": "bf16"}
# The quant types offered, in plain words (bits per weight are the formats' own; sizes relative to f16).
QUANTS = (
    Choice("auto", "f16, or bf16 for a bf16 checkpoint (llama.cpp's converter's default), practically lossless"),
    Choice("f32", "32 bits/weight, twice f16's size, exact (the reference)"),
    Choice("f16", "16 bits/weight, the size the others are compared with, practically lossless"),
    Choice("bf16", "16 bits/weight, as big as f16, practically lossless; keeps f32's range (bf16-trained models)"),
    Choice("q8_0", "~8.5 bits/weight, about 53% of f16's size, practically lossless"),
    Choice("q4_0", "~4.5 bits/weight, about 28% of f16's size, noticeable quality loss (older format, fast)"),
    Choice("q4_1", "5 bits/weight, about 31% of f16's size, noticeable quality loss (older format)"),
    Choice("q5_0", "~5.5 bits/weight, about 34% of f16's size, small quality loss (older format)"),
    Choice("q5_1", "6 bits/weight, about 38% of f16's size, small quality loss (older format)"),
    Choice("q4_k_m", "~4.8 bits/weight, about 30% of f16's size, small quality loss (the usual choice)", "llama.cpp"),
    Choice("q5_k_m", "~5.7 bits/weight, about 36% of f16's size, very small quality loss", "llama.cpp"),
    Choice("q6_k", "~6.6 bits/weight, about 41% of f16's size, near-lossless", "llama.cpp"),
)
FORM = TargetForm(
    options=(TargetOption("quant", "Quant type", QUANTS, "auto", flag="--quant",
                          help="Smaller files run faster and need less memory; lower bits lose more quality. "
                               "K-quants go through llama.cpp's own quantizer.",
                          follows=("dtype", tuple(DTYPE_QUANT.items()))),),
    unused=("exporter", "opset", "dtype", "constant_folding", "input_names", "output_names", "dynamic_axes",
            "inputs", "fallback", "external_data"))


def _quant(spec: ExportSpec) -> str:
    """The type asked for: --quant, else the one an explicit --dtype fp16/bf16 names, else "auto"."""
    return (getattr(spec, "quant", None) or DTYPE_QUANT.get(spec.dtype, "auto")).lower()


def checkpoint_type(folder: Path) -> str:
    """"auto" resolved as convert_hf_to_gguf.py does: the dtype of the checkpoint's first 2-D tensor, bf16 or f16,
    and f16 for anything else (fp32). Reads safetensors headers only."""
    from safetensors import safe_open

    from workbench.core.gguf.plan import weight_files

    for path in dict.fromkeys(weight_files(folder).values()):
        with safe_open(str(path), "np") as f:
            for name in f.keys():
                piece = f.get_slice(name)
                if len(piece.get_shape()) >= 2:
                    return {"BF16": "bf16", "F16": "f16"}.get(piece.get_dtype(), "f16")
    return "f16"


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
    notes = []
    if quant == "auto":
        quant = checkpoint_type(src)
        notes.append(f"type {quant}: the default (auto) writes the checkpoint's 16-bit type, as llama.cpp's "
                     "converter does; --quant f32|q8_0|q4_k_m|... picks another")
    check_output(spec.output, **output_rules(spec))
    started = time.perf_counter()
    with staged_output(spec.output, **output_rules(spec)) as path:
        if quant in K_QUANTS:
            quantize = _k_quantizer()
            with tempfile.TemporaryDirectory(prefix="workbench-gguf-") as scratch:
                f16 = Path(scratch) / "f16.gguf"
                info = convert(src, f16, "f16", cancel=cancel, require_vocab=True)
                quantize(str(f16), str(path), quant)
        else:
            info = convert(src, Path(path), quant, cancel=cancel, require_vocab=True)
    final = str(Path(str(spec.output)).expanduser().resolve())
    return ExportResult(outputs=[final], exporter=f"gguf-py ({info['arch']})", target="gguf", dtype=quant,
                        seconds=time.perf_counter() - started,
                        notes=[f"{info['tensors']} tensors, {quant}"] + notes + info["notes"])


def validate_gguf_spec(spec, progress=None, cancel=None):
    """A .gguf validated in llama.cpp against PyTorch on real prompts, as `workbench validate X.gguf --against SRC`
    (workbench.core.gguf_validate, imported when used: it needs numpy)."""
    from workbench.core.gguf_validate import validate_spec

    return validate_spec(spec, progress=progress, cancel=cancel)


def register(registry) -> None:
    registry.add_target(Target(name="gguf", description="GGUF for llama.cpp (gguf-py; --quant auto|f16|q8_0|q4_k_m|...)",
                               export=export_gguf, validate=validate_gguf_spec, suffix=".gguf", form=FORM))
