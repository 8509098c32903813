"""Validate an artifact exported from a Paddle model against Paddle Inference (``validate MODEL --against
model.json``): the artifact's runtime (ONNX Runtime for .onnx, or ValidateSpec.runtime) and the ``paddle`` runtime
get the same random inputs at shapes that differ in every dynamic dimension (axis 0 is the batch, the other dynamic
axes the sequence of ValidateSpec.shapes), output by output (paired by position: paddle2onnx keeps the order),
judged by validate.py's fp32 tolerances (or the artifact's precision)."""

from __future__ import annotations

import numpy as np

from workbench.core.compare import compare, within
from workbench.core.errors import WorkbenchError
from workbench.core.results import OutputDiff, ValidateResult
from workbench.core.specs import ValidateSpec


def _dims(shape: list, batch: int, seq: int) -> list:
    return [d if isinstance(d, int) else batch if axis == 0 else seq for axis, d in enumerate(shape)]


def _inputs(infos: list, batch: int, seq: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for info in infos:
        dims = _dims(info.shape, batch, seq)
        if "int" in info.dtype:
            out[info.name] = rng.integers(0, 2, dims).astype(info.dtype)
        else:
            out[info.name] = rng.standard_normal(dims).astype(np.float32)
    return out


def _onnx_precision(path) -> str:
    """An .onnx file's float weights ('fp16' after `quantize --mode fp16`, the path --dtype fp16 points Paddle models
    to), read from its header as validate.py does for any .onnx; 'fp32' for anything else."""
    from pathlib import Path

    if Path(str(path)).suffix.lower() != ".onnx":
        return "fp32"
    from workbench.core.ort import model_float_dtype

    return model_float_dtype(path)


def validate_against_paddle(spec: ValidateSpec, tolerances: dict, quantized: dict, progress=None,
                            cancel=None) -> ValidateResult:
    """``tolerances``/``quantized``: validate.py's (rtol, atol, cosine floor) by precision (passed in: no cycle)."""
    from workbench.core.jobs import Stages
    from workbench.core.loading.limits import input_path
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.paddle import open_session as open_paddle
    from workbench.core.runtimes.select import choose, open_session

    path = input_path(spec.model, "model artifact", "give the path of the exported .onnx file")
    runtime = choose(path, spec.runtime)
    if runtime.name == "paddle":
        raise WorkbenchError("the artifact and the reference would both run in Paddle Inference",
                             "validate the exported .onnx (or .xml) against the Paddle model")
    stages = Stages(["loading Paddle Inference", f"loading {runtime.name}", *["comparing"] * len(spec.shapes)],
                    progress, cancel)
    stages.next()
    reference = open_paddle(spec.against.path, RuntimeOptions())
    stages.next()
    session = open_session(runtime, path, RuntimeOptions(device=spec.provider))
    try:
        precision = getattr(session, "precision", None) or _onnx_precision(path)
        rtol, atol, floor = quantized.get(precision) or tolerances.get(precision, tolerances["fp32"])
        rtol = spec.rtol if spec.rtol is not None else rtol
        atol = spec.atol if spec.atol is not None else atol
        ref_infos, infos = reference.inputs(), session.inputs()
        if [i.name for i in ref_infos] != [i.name for i in infos]:
            raise WorkbenchError(f"the artifact's inputs {[i.name for i in infos]} are not the Paddle model's "
                                 f"{[i.name for i in ref_infos]}", "validate against the Paddle model it came from")
        runs, worst, tried = [], {}, []
        for i, (batch, seq) in enumerate(spec.shapes):
            stages.next(f"comparing at batch {batch}, sequence {seq}")
            feeds = _inputs(ref_infos, batch, seq, seed=100 + i)
            shapes = {k: list(v.shape) for k, v in feeds.items()}
            if shapes in tried:
                continue
            tried.append(shapes)
            expected, actual = reference.run(feeds), session.run(feeds)
            if len(expected) != len(actual):
                raise WorkbenchError(f"the artifact has {len(actual)} outputs, the Paddle model {len(expected)}",
                                     "validate against the Paddle model it came from")
            diffs = []
            for (name, value), want in zip(actual.items(), expected.values()):
                stats = compare(np.asarray(value, np.float32), np.asarray(want, np.float32))
                diffs.append(OutputDiff(name=name, shape=list(np.shape(value)), max_abs_diff=stats["max_abs_diff"],
                                        max_rel_diff=stats["max_rel_diff"], cosine=stats["cosine"],
                                        passed=within(stats, rtol, atol, floor)))
                prev = worst.get(name)
                if prev is None or (prev.max_rel_diff, -prev.cosine) < (stats["max_rel_diff"], -stats["cosine"]):
                    worst[name] = diffs[-1]
            runs.append({"shape": shapes[ref_infos[0].name], "inputs": shapes,
                         "outputs": [d.to_dict() for d in diffs]})
    finally:
        session.close()
        reference.close()
    outputs = list(worst.values())
    passed = all(run_ok["passed"] for run in runs for run_ok in run["outputs"])
    bad = next((o for o in outputs if not o.passed), None)
    reason = None if passed else (f"output '{bad.name}' differs from Paddle Inference: max rel diff "
                                  f"{bad.max_rel_diff:.3g}, cosine {bad.cosine:.6f} (floor {floor:g})")
    stages.done("passed" if passed else "failed")
    return ValidateResult(passed=passed, outputs=outputs, shapes_tried=[r["shape"] for r in runs], rtol=rtol,
                          atol=atol, runs=runs, reason=reason, shape_inference="skipped",
                          notes=[f"compared {runtime.name} with Paddle Inference on the same inputs"] + (
                              [f"{precision} weights: judged by {precision} tolerances (max rel diff <= {rtol:g}, "
                               f"cosine >= {floor:g})"] if precision != "fp32" else []))
