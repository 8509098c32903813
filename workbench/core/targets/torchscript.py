"""TorchScript target: torch.jit.trace of the flat-input model, saved with torch.jit.save; validated by loading
the saved file and comparing with eager PyTorch at a second input shape. Registered exactly like a plugin."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from workbench.core.compare import compare
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.registry import Target
from workbench.core.results import ExportResult, OutputDiff, ValidateResult
from workbench.core.specs import ExportSpec, ValidateSpec
from workbench.core.target_options import TargetForm

# torch.jit.trace takes none of the ONNX exporter's settings
FORM = TargetForm(unused=("exporter", "opset", "constant_folding", "input_names", "output_names", "dynamic_axes",
                          "fallback", "external_data"))


def export_torchscript(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    import torch

    from workbench.core.export.torch_onnx import example_inputs
    from workbench.core.loading import load_model

    if not str(spec.output).endswith((".pt", ".ts", ".torchscript")):
        raise WorkbenchError(f"output '{spec.output}' is not a TorchScript file name", "name it like model.pt")
    check_output(spec.output, **output_rules(spec))  # before the work: nothing it may not replace
    stages = Stages(["loading the model", "tracing", "saving"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    loaded = load_model(spec.source, spec.dtype, spec.inputs.shapes)
    inputs = example_inputs(loaded, spec)
    stages.next()
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(loaded.module, example_kwarg_inputs=inputs, strict=False)
    except Exception as err:  # noqa: BLE001
        first = first_line(err)
        raise WorkbenchError(f"TorchScript tracing failed: {first}", "export to ONNX instead") from err
    stages.next()
    with staged_output(spec.output, **output_rules(spec)) as path:
        traced.save(str(path))
    stages.done("exported")
    return ExportResult(outputs=[str(Path(spec.output).expanduser().resolve())], exporter="torch.jit.trace",
                        target="torchscript", input_names=loaded.input_names, output_names=loaded.output_names,
                        example_shapes={k: list(v.shape) for k, v in inputs.items()}, dtype=spec.dtype,
                        seconds=time.perf_counter() - started)


def validate_torchscript(spec: ValidateSpec, progress=None, cancel=None) -> ValidateResult:
    """Compare the saved TorchScript file with eager PyTorch at the spec's shapes (traced shapes are fixed
    only where the model's code made them so)."""
    from workbench.core.loading.torchscript_files import load_script_module
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.torch_eager import run_module

    stages = Stages(["loading", "comparing"], progress, cancel)
    stages.next()
    eager = default_registry().runtime("torch").open(spec.against, RuntimeOptions())  # the reference, as validate's
    loaded = eager.loaded

    # the saved file is a program too: loading it runs its code (see torchscript_files.py)
    scripted = load_script_module(Path(spec.model), getattr(spec.against, "trust_code", False))
    rtol = spec.rtol if spec.rtol is not None else 1e-4
    atol = spec.atol if spec.atol is not None else 1e-5
    worst: dict = {}
    runs = []
    for i, (batch, seq) in enumerate(spec.shapes):
        stages.next(f"comparing at batch {batch}, sequence {seq}")
        inputs = loaded.make_inputs(batch, seq, seed=200 + i)
        reference = eager.run(inputs)
        actual = run_module(scripted, inputs)  # the TorchScript interpreter is PyTorch: its runtime's one call
        diffs = []
        for name, value in zip(loaded.output_names, actual):
            stats = compare(value, reference[name])
            ok = stats["max_rel_diff"] <= rtol or stats["max_abs_diff"] <= atol
            diffs.append(OutputDiff(name=name, shape=list(value.shape), passed=ok, **{
                k: stats[k] for k in ("max_abs_diff", "max_rel_diff", "cosine")}))
            if name not in worst or worst[name].max_rel_diff < diffs[-1].max_rel_diff:
                worst[name] = diffs[-1]
        runs.append({"shape": [batch, seq], "outputs": [d.to_dict() for d in diffs]})
    stages.done("validated")
    outputs = list(worst.values())
    return ValidateResult(passed=all(d.passed for d in outputs), outputs=outputs,
                          shapes_tried=[r["shape"] for r in runs], rtol=rtol, atol=atol, runs=runs,
                          checker="n/a", shape_inference="n/a")


def register(registry) -> None:
    registry.add_target(Target(name="torchscript", description="TorchScript (torch.jit.trace)",
                               export=export_torchscript, validate=validate_torchscript, suffix=".pt",
                               form=FORM))
