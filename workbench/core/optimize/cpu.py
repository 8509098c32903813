"""The CPU preset of ``workbench optimize`` (and the entry of both presets, optimize_model): onnxslim, ONNX Runtime
transformer fusion where it applies, ONNX Runtime graph optimization saved to disk (external data handled); node
counts before and after each step; re-validated. ``--target cuda`` goes to cuda.py.

The ONNX Runtime step opens core/ort.make_session directly, not the onnxruntime runtime: there ORT is the optimizer,
not something that runs the model (the session only writes its optimized graph, ``optimized_model_filepath``, and is
never run). The re-validation runs the output through validate_model, i.e. the registered runtimes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules
from workbench.core.jobs import Stages
from workbench.core.optimize.common import (fusion_type as _fusion_type, is_large, op_counts, publish, run_step, save,
                                             simplify)
from workbench.core.quiet import library_output
from workbench.core.results import OptimizeResult
from workbench.core.specs import OPT_LEVELS, OPT_TARGETS, OptimizeSpec, ValidateSpec



def _ort_failed(first: str) -> WorkbenchError:
    return WorkbenchError(f"ONNX Runtime could not optimize the model: {first}", "try --level basic")

def _fuse(src: Path, dst: Path, model_type: str, large: bool) -> str:
    from onnxruntime.transformers import optimizer

    with library_output():
        fused = optimizer.optimize_model(str(src), model_type=model_type, opt_level=0)
    stats = {k: v for k, v in (fused.get_fused_operator_statistics() or {}).items() if v}
    save(fused.model, dst, large)
    return f"{model_type} fusion: " + (", ".join(f"{k} {v}" for k, v in stats.items()) or "nothing fused")


def _ort_optimize(src: Path, dst: Path, level: str, large: bool) -> str:
    import onnxruntime as ort

    from workbench.core.ort import make_session

    so = ort.SessionOptions()
    so.optimized_model_filepath = str(dst)
    if large:  # ORT needs to be told where to put the weights of an optimized model above 2 GB
        so.add_session_config_entry("session.optimized_model_external_initializers_file_name",
                                    dst.name + ".data")
        so.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    make_session(src, "cpu", level=level, options=so)
    note = " (layout specific to this CPU)" if level == "all" else ""
    return f"ONNX Runtime {level} optimization{note}"


def optimize_model(spec: OptimizeSpec, progress=None, cancel=None) -> OptimizeResult:
    from workbench.core.loading.limits import regular_file

    src = regular_file(spec.model, "ONNX file", "give the path of an .onnx file")
    if spec.level not in OPT_LEVELS:
        raise WorkbenchError(f"unknown optimization level '{spec.level}'", "use basic, extended or all")
    check_output(spec.output, **output_rules(spec))  # not the input, a folder, a device, or a file of the user's
    if spec.target not in OPT_TARGETS:
        raise WorkbenchError(f"unknown optimization target '{spec.target}'", "use cpu or cuda")
    if spec.fp16_outputs and spec.target != "cuda":
        raise WorkbenchError("float16 outputs are a choice of the CUDA preset only",
                             "add --target cuda, or leave out --fp16-outputs")
    if spec.target == "cuda":
        from workbench.core.optimize.cuda import optimize_cuda

        return optimize_cuda(spec, src, progress, cancel)
    stages = Stages(["simplifying", "fusing", "ONNX Runtime optimization", "validating"], progress, cancel)
    large = is_large(src)
    before = op_counts(src)
    steps = []
    with tempfile.TemporaryDirectory(prefix="wb-opt-") as tmp:
        current = src
        plan = [("onnxslim", spec.simplify, lambda a, b: simplify(a, b, large))]
        fusion_type = _fusion_type(spec, src) if spec.fusion else None
        plan.append(("transformer fusion", bool(fusion_type), lambda a, b: _fuse(a, b, fusion_type, large)))
        plan.append(("ort", True, lambda a, b: _ort_optimize(a, b, spec.level, large)))
        for i, (name, wanted, run) in enumerate(plan):
            stages.next()
            if not wanted:
                detail = "no fusion for this model type" if name == "transformer fusion" and spec.fusion else "off"
                steps.append({"name": name, "applied": False, "detail": detail})
                continue
            step_dir = Path(tmp) / f"step{i}"
            step_dir.mkdir()
            out = step_dir / "model.onnx"
            if run_step(name, run, current, out, steps, _ort_failed if name == "ort" else None):
                current = out
        publish(current, spec.output, large, spec)
    after = op_counts(spec.output)
    validation = None
    stages.next()
    if spec.against is not None:
        from workbench.core.validate import validate_model

        validation = validate_model(ValidateSpec(model=str(spec.output), against=spec.against))
    stages.done("optimized")
    return OptimizeResult(output=str(Path(spec.output).expanduser().resolve()), steps=steps,
                          nodes_before=sum(before.values()), nodes_after=sum(after.values()),
                          op_counts_before=dict(before), op_counts_after=dict(after), validation=validation)
