"""Check an ONNX model (checker, shape inference) and prove it computes what PyTorch computes, at two input
shapes, comparing only unmasked positions (padded positions legitimately differ)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workbench.core.compare import compare
from workbench.core.errors import WorkbenchError
from workbench.core.jobs import Stages
from workbench.core.results import OutputDiff, ValidateResult
from workbench.core.specs import ValidateSpec

# Defaults by the model's weight dtype: (rtol on max|diff|/max|ref|, atol, cosine floor).
TOLERANCES = {"fp32": (1e-4, 1e-5, 0.99999), "fp16": (1e-2, 1e-3, 0.999), "bf16": (5e-2, 1e-2, 0.99)}


def check_model(path: str) -> tuple[str, str]:
    """(checker, shape_inference): 'ok' or the first line of what failed. Path-based, so >2 GB works."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
        checker = "ok"
    except Exception as err:  # noqa: BLE001
        checker = _first(err)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            onnx.shape_inference.infer_shapes_path(str(path), str(Path(tmp) / "inferred.onnx"))
            inference = "ok"
        except Exception as err:  # noqa: BLE001
            inference = _first(err)
    return checker, inference


def _first(err: BaseException) -> str:
    return next((ln.strip() for ln in str(err).splitlines() if ln.strip()), type(err).__name__)[:300]


def _fixed_dims(session) -> tuple:
    """Fixed (int) batch / sequence sizes of the first input, or None where the axis is dynamic."""
    shape = session.get_inputs()[0].shape
    batch = shape[0] if shape and isinstance(shape[0], int) else None
    seq = shape[1] if len(shape) > 1 and isinstance(shape[1], int) else None
    return batch, seq


def _mask(inputs: dict):
    mask = inputs.get("attention_mask")
    return None if mask is None else mask.numpy()


def validate_model(spec: ValidateSpec, progress=None, cancel=None) -> ValidateResult:
    from workbench.core import ort
    from workbench.core.loading import load_model

    path = Path(spec.model).expanduser()
    if not path.is_file():
        raise WorkbenchError(f"{spec.model}: no such ONNX file", "give the path of an exported .onnx file")
    from workbench.core.loading.onnx_files import check_file

    header = check_file(path)
    if any(p.key == "workbench.task" and p.value == "text-generation-with-past" for p in header.metadata_props):
        from workbench.core.export.decoder_check import validate_decoder

        return validate_decoder(spec, progress=progress, cancel=cancel)
    stages = Stages(["checking", "loading PyTorch", "loading ONNX Runtime", "comparing", "comparing"],
                    progress, cancel)
    stages.next()
    checker, inference = check_model(str(path))
    if checker != "ok":
        raise WorkbenchError(f"{spec.model} fails the ONNX checker: {checker}", "re-export the model")
    dtype = ort.model_float_dtype(path)
    rtol, atol, floor = TOLERANCES[dtype]
    rtol = spec.rtol if spec.rtol is not None else rtol
    atol = spec.atol if spec.atol is not None else atol
    stages.next()
    loaded = load_model(spec.against, "fp32", getattr(spec.against, "shapes", None))
    stages.next()
    session = ort.make_session(path, spec.provider)
    fixed_batch, fixed_seq = _fixed_dims(session)
    runs, worst = [], {}
    for i, (batch, seq) in enumerate(spec.shapes):
        stages.next(f"comparing at batch {batch}, sequence {seq}")
        batch, seq = fixed_batch or batch, fixed_seq or seq
        inputs = loaded.make_inputs(batch, seq, pad=True, seed=100 + i)
        reference = loaded.run(inputs)
        actual = ort.run(session, ort.feed(session, inputs, loaded.input_names))
        diffs = []
        for name, (onnx_name, value) in zip(loaded.output_names, actual.items()):
            stats = compare(value, reference[name], _mask(inputs))
            ok = (stats["max_rel_diff"] <= rtol or stats["max_abs_diff"] <= atol) and stats["cosine"] >= floor
            diffs.append(OutputDiff(name=onnx_name, shape=list(value.shape), max_abs_diff=stats["max_abs_diff"],
                                    max_rel_diff=stats["max_rel_diff"], cosine=stats["cosine"], passed=ok))
            prev = worst.get(onnx_name)
            if prev is None or (prev.max_rel_diff, -prev.cosine) < (stats["max_rel_diff"], -stats["cosine"]):
                worst[onnx_name] = diffs[-1]
        runs.append({"shape": [batch, seq], "outputs": [d.to_dict() for d in diffs]})
    stages.done("validated")
    outputs = list(worst.values())
    return ValidateResult(passed=all(d.passed for d in outputs), outputs=outputs,
                          shapes_tried=[r["shape"] for r in runs], rtol=rtol, atol=atol, checker=checker,
                          shape_inference=inference, runs=runs)
