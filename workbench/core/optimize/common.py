"""What the CPU and CUDA optimization presets share (cpu.py, cuda.py): node counts, the model's
metadata, the size rule for external data, onnxslim, the fusion type of a model, publishing the last step's
model (and its weights file) to the output."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import output_rules, staged_output
from workbench.core.quiet import library_output
from workbench.core.specs import OptimizeSpec

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


def is_large(path) -> bool:
    """Whether the optimized model keeps its weights in external data: the input file's size above the threshold
    (workbench.core.onnx_io)."""
    from workbench.core.fsutil import file_size

    return onnx_io.is_large(file_size(path))


def save(model, path: Path, large: bool) -> None:
    onnx_io.save(model, path, external=large)


def simplify(src: Path, dst: Path, large: bool) -> str:
    import onnx
    import onnxslim

    with library_output():
        model = onnxslim.slim(onnx.load(str(src)))
    save(model, dst, large)
    return "onnxslim"


def fusion_type(spec: OptimizeSpec, src: Path) -> str | None:
    model_type = model_metadata(src).get("workbench.model_type")
    if spec.against is not None and not model_type:
        config = Path(spec.against.path) / "config.json"
        if config.is_file():
            from workbench.core.loading.limits import read_json

            data = read_json(config, "config.json")  # a broken or hostile one is one line (RecursionError ...)
            model_type = data.get("model_type") if isinstance(data, dict) else None
    return FUSION_TYPES.get(model_type or "")


def publish(current: Path, output, large: bool, spec=None) -> None:
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


class Skip(Exception):
    """A step with nothing to do: reported as not applied, with this reason."""


def run_step(name: str, run, current: Path, out: Path, steps: list, fatal=None) -> bool:
    """Run one optimization step from ``current`` into ``out`` and record it in ``steps`` (the cpu and cuda
    plans share this); returns whether it applied. A WorkbenchError stops the run; for another failure
    ``fatal(first line)`` may give the WorkbenchError that stops it, else the step is reported as skipped."""
    nodes_in = sum(op_counts(current).values())
    try:
        detail = run(current, out)
    except WorkbenchError:
        raise
    except Skip as why:
        steps.append({"name": name, "applied": False, "detail": str(why)})
        return False
    except Exception as err:  # noqa: BLE001 - a failed optional step is reported, the rest goes on
        first = first_line(err, 200)
        error = fatal(first) if fatal is not None else None
        if error is not None:
            raise error from err
        steps.append({"name": name, "applied": False, "detail": f"skipped: {first}"})
        return False
    steps.append({"name": name, "applied": True, "nodes_before": nodes_in,
                  "nodes_after": sum(op_counts(out).values()), "detail": detail})
    return True
