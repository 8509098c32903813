"""OpenVINO IR target: the ONNX target's export into a private folder, then OpenVINO's own converter
(``ov.convert_model``) and ``ov.save_model`` (model.xml + model.bin, ``--dtype fp16`` compresses the weights to fp16).
The pair appears only when both are written (staged). Validated through the openvino runtime by validate.py."""

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
from workbench.core.target_options import Choice, TargetForm, TargetOption

DTYPES = ("fp32", "fp16")  # fp16: the IR keeps fp16 weights, computed in the device's precision (OpenVINO's rule)
FORM = TargetForm(options=(TargetOption("dtype", "Weights", (
    Choice("fp32", "32-bit weights: the exact model, the largest file"),
    Choice("fp16", "16-bit weights: half the file, computed in the device's precision (practically lossless)")),
    "fp32"),))


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


def export_openvino(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    import openvino as ov

    from workbench.core.export.torch_onnx import export_onnx

    out = Path(str(spec.output)).expanduser()
    if out.suffix.lower() != ".xml":
        raise WorkbenchError(f"output '{spec.output}' is not an OpenVINO IR file name",
                             "name it like model.xml (the weights go to model.bin beside it)")
    if spec.dtype not in DTYPES:
        raise WorkbenchError(f"--dtype {spec.dtype} is not offered for OpenVINO IR", f"use one of: {', '.join(DTYPES)}")
    check_output(spec.output, names=[out.with_suffix(".bin").name], **output_rules(spec))
    stages = Stages(["exporting to ONNX", "converting with OpenVINO", "saving"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    with tempfile.TemporaryDirectory(prefix="workbench-openvino-") as scratch:
        onnx_spec = dataclasses.replace(spec, output=str(Path(scratch) / "model.onnx"), target="onnx",
                                        dtype="fp32", force=False)
        onnx = export_onnx(onnx_spec, cancel=cancel)
        stages.next()
        try:
            model = ov.convert_model(onnx.path)
        except Exception as err:  # noqa: BLE001 - OpenVINO's converter raises its own types
            raise WorkbenchError(f"OpenVINO cannot convert the model: {_unsupported(str(err))}",
                                 "export to ONNX and run it on ONNX Runtime, or report the operators") from err
        ir_inputs = _shapes(model.inputs)
        _check_dynamic(onnx.input_shapes, ir_inputs)
        stages.next()
        with staged_output(spec.output, **output_rules(spec)) as path:
            ov.save_model(model, str(path), compress_to_fp16=spec.dtype == "fp16")
    stages.done("exported")
    final = out.resolve()
    notes = list(onnx.notes) + [f"converted from the {onnx.exporter} ONNX export by OpenVINO {ov.__version__}"]
    if spec.dtype == "fp16":
        notes.append("weights stored as fp16 (compress_to_fp16); OpenVINO computes in the device's precision")
    return ExportResult(outputs=[str(final), str(final.with_suffix(".bin"))], exporter=f"openvino ({onnx.exporter})",
                        target="openvino", fallback_reason=onnx.fallback_reason, input_names=onnx.input_names,
                        output_names=onnx.output_names, dynamic_axes=onnx.dynamic_axes,
                        example_shapes=onnx.example_shapes, input_shapes=ir_inputs,
                        output_shapes=_shapes(model.outputs), opset=onnx.opset, dtype=spec.dtype,
                        family_settings=onnx.family_settings, seconds=time.perf_counter() - started, notes=notes)


def register(registry) -> None:
    from workbench.core.validate import validate_model

    registry.add_target(Target(name="openvino", description="OpenVINO IR (ONNX export + ov.convert_model)",
                               export=export_openvino, validate=validate_model, suffix=".xml", form=FORM))
