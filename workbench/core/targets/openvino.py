"""OpenVINO IR target: model.xml + model.bin written by ``ov.save_model`` from one of three routes:

- the ONNX target's export into a private folder, then OpenVINO's ONNX frontend (``ov.convert_model``; default);
- an .onnx source converted as it is (no PyTorch involved);
- ``--exporter openvino``: OpenVINO's PyTorch frontend, ``ov.convert_model(module, example_input=...)``, no ONNX.

``--dtype fp16`` compresses the weights to fp16; ``--quant int8|int4`` compresses them with NNCF
(openvino_nncf.py: data-free, or data-aware with ``--calibration``). The pair appears only when both are written
(staged). Validated through the openvino runtime by validate.py.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.registry import Target
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec
from workbench.core.target_options import FLOAT_WEIGHTS, NO_COMPRESSION, Choice, TargetForm, TargetOption

DIRECT = "openvino"  # --exporter openvino: OpenVINO's PyTorch frontend, no ONNX in between
DTYPES = ("fp32", "fp16")  # fp16: the IR keeps fp16 weights, computed in the device's precision (OpenVINO's rule)
FORM = TargetForm(options=(FLOAT_WEIGHTS, TargetOption("quant", "Weight compression (NNCF)", (
    NO_COMPRESSION,
    Choice("int8", "8-bit weights: a quarter of the fp32 file, small loss (with --calibration: int8 activations too)"),
    Choice("int4", "4-bit weights in groups: the smallest file, more loss (int8 kept where 4 bits hurt most)")),
    "none", flag="--quant"), TargetOption("calibration", "Calibration data (NNCF)", (), "", flag="--calibration",
    kind="path", help="for int8/int4: .npz folder or .txt of lines, as Quantize reads"),))


def _unsupported(message: str) -> str:
    """The operators OpenVINO's error names as having no conversion rule, else its first line."""
    found = re.findall(r"(?:OpType|operation[s]?)[:\s]+([A-Za-z_][\w.]*)", message)
    return ", ".join(dict.fromkeys(found)) if found else first_line(message)


def _shapes(ports) -> dict:
    return {port.get_any_name(): [d.get_length() if d.is_static else "?" for d in port.get_partial_shape()]
            for port in ports}


def _check_dynamic(onnx_shapes: dict, ir_shapes: dict) -> None:
    """The dims the ONNX export left dynamic stay dynamic in the IR (a fixed one would refuse other sizes)."""
    for name, dims in onnx_shapes.items():
        ir = ir_shapes.get(name)
        if ir is None:
            continue
        fixed = [i for i, d in enumerate(dims) if isinstance(d, str) and i < len(ir) and ir[i] != "?"]
        if fixed:
            raise WorkbenchError(f"OpenVINO fixed the dynamic axes {fixed} of input '{name}' (IR shape {ir})",
                                 "export with --batch/--seq at the sizes you deploy (the IR is then static at those sizes)")


def _check(spec: ExportSpec) -> Path:
    from workbench.core.targets.openvino_nncf import check_quant

    out = Path(str(spec.output)).expanduser()
    if out.suffix.lower() != ".xml":
        raise WorkbenchError(f"output '{spec.output}' is not an OpenVINO IR file name",
                             "name it like model.xml (the weights go to model.bin beside it)")
    if spec.dtype not in DTYPES:
        raise WorkbenchError(f"--dtype {spec.dtype} is not offered for OpenVINO IR", f"use one of: {', '.join(DTYPES)}")
    check_quant(spec.quant)
    if spec.calibration and not spec.quant:
        raise WorkbenchError("--calibration is for NNCF compression", "add --quant int8 or --quant int4")
    if spec.calibration and spec.exporter == DIRECT:
        raise WorkbenchError("data-aware compression reads the calibration samples against the ONNX export's inputs",
                             "leave out --exporter openvino (convert through ONNX), or leave out --calibration")
    if spec.quant and spec.dtype == "fp16":
        raise WorkbenchError(f"--quant {spec.quant} and --dtype fp16 both set the weights' precision", "pick one")
    check_output(spec.output, names=[out.with_suffix(".bin").name], **output_rules(spec))
    return out


def _convert(source, **kwargs):
    import openvino as ov

    try:
        return ov.convert_model(source, **kwargs)
    except Exception as err:  # noqa: BLE001 - OpenVINO's converter raises its own types
        raise WorkbenchError(f"OpenVINO cannot convert the model: {_unsupported(str(err))}",
                             "export to ONNX and run it on ONNX Runtime, or try the other route (--exporter "
                             "openvino converts from PyTorch directly, the default goes through ONNX)") from err


def _from_onnx_file(spec: ExportSpec) -> tuple:
    """An .onnx source converted as it is: (model, facts for the result, notes)."""
    from workbench.core import onnx_io

    model = _convert(str(spec.source.path))
    names = ([p.get_any_name() for p in model.inputs], [p.get_any_name() for p in model.outputs])
    facts = dict(exporter="openvino (onnx file)", input_names=names[0], output_names=names[1],
                 opset=onnx_io.opset_of(spec.source.path))
    return model, facts, [f"converted from {Path(spec.source.path).name} by OpenVINO's ONNX frontend"]


def _direct(spec: ExportSpec) -> tuple:
    """OpenVINO's PyTorch frontend on the loaded module (traced with the example inputs); the axes left dynamic
    are the ones the ONNX route would leave dynamic, the others are fixed at the example's sizes."""
    import openvino as ov

    from workbench.core.dynamic_axes import normalize
    from workbench.core.export.torch_onnx import example_inputs
    from workbench.core.loading import load_model

    loaded = load_model(spec.source, spec.dtype if spec.dtype != "fp16" else "fp32", spec.inputs.shapes)
    inputs = example_inputs(loaded, spec)
    axes = normalize(spec.dynamic_axes if spec.dynamic_axes is not None else loaded.default_dynamic_axes(), inputs)
    inputs = example_inputs(loaded, spec, axes)
    import torch

    with torch.inference_mode():
        model = _convert(loaded.module, example_input=inputs)
    if len(model.outputs) != len(loaded.output_names):
        raise WorkbenchError(f"OpenVINO's PyTorch frontend gave {len(model.outputs)} outputs for "
                             f"{len(loaded.output_names)}", "convert through ONNX (leave out --exporter openvino)")
    for port, name in zip(model.outputs, loaded.output_names):
        port.get_tensor().set_names({name})
    model.reshape({name: ov.PartialShape([-1 if i in axes.get(name, {}) else d for i, d in enumerate(t.shape)])
                   for name, t in inputs.items()})
    facts = dict(exporter="openvino (pytorch frontend)", input_names=list(inputs), output_names=loaded.output_names,
                 dynamic_axes={k: {str(a): d for a, d in v.items()} for k, v in axes.items()},
                 example_shapes={k: list(v.shape) for k, v in inputs.items()}, family_settings=loaded.family)
    return model, facts, ["converted from PyTorch by OpenVINO's PyTorch frontend (traced: "
                          "validate checks other shapes)"]


def _through_onnx(spec: ExportSpec, scratch: str, cancel) -> tuple:
    from workbench.core.export.torch_onnx import export_onnx

    onnx_spec = dataclasses.replace(spec, output=str(Path(scratch) / "model.onnx"), target="onnx",
                                    dtype="fp32", force=False, quant=None, calibration=None)
    onnx = export_onnx(onnx_spec, cancel=cancel)
    model = _convert(onnx.path)
    _check_dynamic(onnx.input_shapes, _shapes(model.inputs))
    facts = dict(exporter=f"openvino ({onnx.exporter})", fallback_reason=onnx.fallback_reason,
                 input_names=onnx.input_names, output_names=onnx.output_names, dynamic_axes=onnx.dynamic_axes,
                 example_shapes=onnx.example_shapes, opset=onnx.opset, family_settings=onnx.family_settings)
    return model, facts, list(onnx.notes) + [f"converted from the {onnx.exporter} ONNX export"], onnx.path


def export_openvino(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    import openvino as ov

    from workbench.core.export import seq2seq
    from workbench.core.export.decoder import generation_files_beside

    spec = dataclasses.replace(spec, quant=None) if spec.quant == "none" else spec
    out = _check(spec)
    seq2seq.refuse_for(spec, "openvino")
    from_onnx = Path(str(spec.source.path)).suffix.lower() == ".onnx"
    steps = ["converting with OpenVINO"] + (["compressing weights (NNCF)"] if spec.quant else []) + ["saving"]
    stages = Stages((["exporting to ONNX"] if not (from_onnx or spec.exporter == DIRECT) else []) + steps,
                    progress, cancel)
    started = time.perf_counter()
    stages.next()
    with tempfile.TemporaryDirectory(prefix="workbench-openvino-") as scratch:
        onnx_path = str(spec.source.path) if from_onnx else None
        if from_onnx:
            model, facts, notes = _from_onnx_file(spec)
        elif spec.exporter == DIRECT:
            model, facts, notes = _direct(spec)
        else:
            model, facts, notes, onnx_path = _through_onnx(spec, scratch, cancel)
            stages.next()
        notes[-1] += f" (OpenVINO {ov.__version__})"
        if spec.quant:
            from workbench.core.targets.openvino_nncf import compress

            stages.next()
            model, more = compress(model, spec.quant, spec.calibration, onnx_path)
            notes += more
        stages.next()
        with staged_output(spec.output, **output_rules(spec)) as path:
            ov.save_model(model, str(path), compress_to_fp16=spec.dtype == "fp16")
            beside = generation_files_beside(spec, onnx_path, path.parent)
    if beside:
        notes.append(f"for generation, beside it: {', '.join(beside)}")
    stages.done("exported")
    final = out.resolve()
    if spec.dtype == "fp16":
        notes.append("weights stored as fp16 (compress_to_fp16); OpenVINO computes in the device's precision")
    return ExportResult(outputs=[str(final), str(final.with_suffix(".bin"))], target="openvino",
                        input_shapes=_shapes(model.inputs), output_shapes=_shapes(model.outputs),
                        dtype=spec.quant or spec.dtype, seconds=time.perf_counter() - started, notes=notes, **facts)


def register(registry) -> None:
    from workbench.core.validate import validate_model

    registry.add_target(Target(name="openvino", description="OpenVINO IR (ONNX export or PyTorch + ov.convert_model; NNCF int8/int4)",
                               export=export_openvino, validate=validate_model, suffix=".xml", form=FORM))
