"""Optimize an ONNX model: onnxslim, ONNX Runtime transformer fusion where it applies, ONNX Runtime graph
optimization saved to disk (external data handled); node counts before and after each step; re-validated."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import OptimizeResult
from workbench.core.specs import OPT_LEVELS, OPT_TARGETS, OptimizeSpec, ValidateSpec
from workbench.core.quiet import library_output

LARGE = 1 << 30  # above this many bytes of weights the optimized model keeps them in external data
# config.json model_type -> onnxruntime.transformers model type (data: the families ORT's fusion knows)
FUSION_TYPES = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "distilbert": "bert",
                "electra": "bert", "mpnet": "bert", "gpt2": "gpt2", "gpt_neox": "gpt_neox", "phi": "phi",
                "vit": "vit", "swin": "swin", "clip": "clip", "t5": "t5", "bart": "bart", "qwen3": "qwen3"}


def op_counts(path) -> Counter:
    from workbench.core.loading.onnx_files import read_model

    model = read_model(Path(path))
    return Counter(n.op_type for n in model.graph.node)


def model_metadata(path) -> dict:
    from workbench.core.loading.onnx_files import read_model

    model = read_model(Path(path))
    return {p.key: p.value for p in model.metadata_props}


def _weights_bytes(path) -> int:
    from workbench.core.fsutil import file_size

    return file_size(path)


def _save(model, path: Path, large: bool) -> None:
    import onnx

    if large:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, str(path))


def _simplify(src: Path, dst: Path, large: bool) -> str:
    import onnx
    import onnxslim

    with library_output():
        model = onnxslim.slim(onnx.load(str(src)))
    _save(model, dst, large)
    return "onnxslim"


def _fusion_type(spec: OptimizeSpec, src: Path) -> str | None:
    model_type = model_metadata(src).get("workbench.model_type")
    if spec.against is not None and not model_type:
        config = Path(spec.against.path) / "config.json"
        if config.is_file():
            from workbench.core.loading.limits import read_json

            data = read_json(config, "config.json")  # a broken or hostile one is one line (RecursionError ...)
            model_type = data.get("model_type") if isinstance(data, dict) else None
    return FUSION_TYPES.get(model_type or "")


def _fuse(src: Path, dst: Path, model_type: str, large: bool) -> str:
    from onnxruntime.transformers import optimizer

    with library_output():
        fused = optimizer.optimize_model(str(src), model_type=model_type, opt_level=0)
    stats = {k: v for k, v in (fused.get_fused_operator_statistics() or {}).items() if v}
    _save(fused.model, dst, large)
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
    if spec.target == "cuda":
        from workbench.core.optimize_cuda import optimize_cuda

        return optimize_cuda(spec, src, progress, cancel)
    stages = Stages(["simplifying", "fusing", "ONNX Runtime optimization", "validating"], progress, cancel)
    large = _weights_bytes(src) > LARGE
    before = op_counts(src)
    steps = []
    with tempfile.TemporaryDirectory(prefix="wb-opt-") as tmp:
        current = src
        plan = [("onnxslim", spec.simplify, lambda a, b: _simplify(a, b, large))]
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
            nodes_in = sum(op_counts(current).values())
            try:
                detail = run(current, out)
            except WorkbenchError:
                raise
            except Exception as err:  # noqa: BLE001 - a failed optional step is reported, the rest goes on
                first = next((ln for ln in str(err).splitlines() if ln.strip()), type(err).__name__)[:200]
                if name == "ort":
                    raise WorkbenchError(f"ONNX Runtime could not optimize the model: {first}",
                                         "try --level basic") from err
                steps.append({"name": name, "applied": False, "detail": f"skipped: {first}"})
                continue
            steps.append({"name": name, "applied": True, "nodes_before": nodes_in,
                          "nodes_after": sum(op_counts(out).values()), "detail": detail})
            current = out
        _publish(current, spec.output, large, spec)
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


def _publish(current: Path, output, large: bool, spec=None) -> None:
    """Copy the last step's model (and its weights file) to ``output``, complete or not at all."""
    with staged_output(output, **output_rules(spec)) as final:
        for item in current.parent.iterdir():
            shutil.copy2(item, final.parent / (final.name + item.name[len("model.onnx"):]))
        if large:
            _relink_external(final)


def _relink_external(path: Path) -> None:
    """The staged copy's weights were renamed with the model; point the model's references at the new name."""
    import onnx

    from workbench.core.loading.onnx_files import read_model

    model = read_model(Path(path))
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = path.name + ".data"
    onnx.save_model(model, str(path))
