"""Example plugin: a 'safetensors' export target.

Drop a file like this into plugins/ (or a folder on WORKBENCH_PLUGIN_PATH, or expose ``register`` through the
``workbench.plugins`` entry-point group) and it registers exactly as the built-in targets do.

This one turns any checkpoint the workbench can read (a pickled .pt/.bin state dict, loaded weights-only, or a
model folder) into a single .safetensors file, optionally cast to fp16/bf16, and validates the result by reading
it back and comparing every tensor with the source.
"""

from __future__ import annotations

import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.registry import Target
from workbench.core.results import ExportResult, OutputDiff, ValidateResult


def _state_dict(source, dtype: str) -> dict:
    from workbench.core.loading import load_model
    from workbench.core.loading.model import torch_dtype

    path = Path(source.path)
    if path.suffix in (".pt", ".pth", ".bin", ".ckpt"):
        from workbench.core.loading import torch_files

        tensors = torch_files.state_dict_of(torch_files.safe_load(path))
    else:
        tensors = load_model(source, "fp32").module.state_dict()
    target = torch_dtype(dtype)
    # safetensors refuses tensors that share memory (tied weights): give each its own contiguous copy.
    return {k: (v.to(target) if v.is_floating_point() else v).contiguous().clone() for k, v in tensors.items()}


def export_safetensors(spec, progress=None, cancel=None) -> ExportResult:
    from safetensors.torch import save_file

    if not str(spec.output).endswith(".safetensors"):
        raise WorkbenchError(f"output '{spec.output}' does not end in .safetensors", "name it model.safetensors")
    check_output(spec.output, **output_rules(spec))  # before the work: nothing it may not replace
    stages = Stages(["reading", "writing"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    tensors = _state_dict(spec.source, spec.dtype)
    stages.next()
    with staged_output(spec.output, **output_rules(spec)) as path:
        save_file(tensors, str(path), metadata={"format": "pt", "converted_by": "model-workbench"})
    stages.done()
    return ExportResult(outputs=[str(Path(spec.output).expanduser().resolve())], exporter="safetensors",
                        target="safetensors", dtype=spec.dtype, seconds=time.perf_counter() - started)


def validate_safetensors(spec, progress=None, cancel=None) -> ValidateResult:
    from safetensors.torch import load_file

    from workbench.core.compare import compare

    written = load_file(str(spec.model))
    dtype = next((str(v.dtype) for v in written.values() if v.is_floating_point()), "torch.float32")
    name = {"torch.float16": "fp16", "torch.bfloat16": "bf16"}.get(dtype, "fp32")
    source = _state_dict(spec.against, name)
    rows = []
    for key in sorted(set(source) | set(written)):
        if key not in written or key not in source:
            rows.append(OutputDiff(key, [], float("inf"), float("inf"), -1.0, False))
            continue
        stats = compare(written[key].float().numpy(), source[key].float().numpy())
        rows.append(OutputDiff(key, list(written[key].shape), stats["max_abs_diff"], stats["max_rel_diff"],
                               stats["cosine"], stats["max_abs_diff"] == 0.0))
    return ValidateResult(passed=all(r.passed for r in rows), outputs=rows, shapes_tried=[], rtol=0.0, atol=0.0,
                          checker="n/a", shape_inference="n/a")


def register(registry) -> None:
    registry.add_target(Target(name="safetensors", description="safetensors weights file (example plugin)",
                               export=export_safetensors, validate=validate_safetensors, suffix=".safetensors"))
