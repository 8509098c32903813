"""A Paddle inference model to ONNX with paddle2onnx (the onnx target hands Paddle sources here).

``--opset`` is paddle2onnx's ``opset_version`` (default 17). Dynamic axes as for PyTorch sources: the dims the
Paddle program leaves dynamic (-1) stay dynamic, named ``batch`` (axis 0) and ``<input>_dim<axis>``; with
``--dynamic`` only the axes named stay dynamic, under those names, and the others are fixed at ``--shape`` (or
``--batch`` for axis 0). The file appears only when it is written and checked (staged)."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec

DEFAULT_OPSET = 17


def _axes(inputs: list, spec: ExportSpec) -> dict:
    """{input: {axis: name or fixed size}} for every dim the program leaves dynamic."""
    out = {}
    for info in inputs:
        asked = None if spec.dynamic_axes is None else {int(a): n for a, n in
                                                        (spec.dynamic_axes.get(info.name) or {}).items()}
        dims = {}
        for axis, dim in enumerate(info.shape):
            if isinstance(dim, int):
                if asked and axis in asked:
                    raise WorkbenchError(f"axis {axis} of input '{info.name}' is fixed ({dim}) in the Paddle program",
                                         "save the model with -1 (None) in its InputSpec at that axis to make it dynamic")
                continue
            if asked is None:
                dims[axis] = "batch" if axis == 0 else f"{info.name}_dim{axis}"
            elif axis in asked:
                dims[axis] = asked[axis]
            else:
                fixed = (spec.inputs.shapes.get(info.name) or [None] * len(info.shape))[axis] if \
                    spec.inputs.shapes.get(info.name) else (spec.inputs.batch if axis == 0 else None)
                if fixed is None:
                    raise WorkbenchError(f"axis {axis} of input '{info.name}' is dynamic in the Paddle program and "
                                         "not in --dynamic", f"give its size with --shape {info.name}=...")
                dims[axis] = int(fixed)
        out[info.name] = dims
    return out


def _apply_axes(model, axes: dict) -> None:
    """Name (or fix) the graph inputs' dims; paddle2onnx writes them as DynamicDimension.N."""
    for value in model.graph.input:
        for axis, dim in axes.get(value.name, {}).items():
            target = value.type.tensor_type.shape.dim[axis]
            if isinstance(dim, int):
                target.ClearField("dim_param")
                target.dim_value = dim
            else:
                target.dim_param = dim


def export_paddle(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    import onnx

    from workbench.core.loading.paddle_files import read_program

    program, params, inputs, outputs, _, _ = read_program(spec.source.path)
    if spec.dtype != "fp32":
        raise WorkbenchError(f"--dtype {spec.dtype} is not offered for Paddle models",
                             "export fp32, then `workbench quantize --mode fp16`")
    if Path(str(spec.output)).suffix.lower() != ".onnx":
        raise WorkbenchError(f"output '{spec.output}' is not an .onnx file name", "name it like model.onnx")
    try:
        import paddle2onnx
    except ImportError as err:
        from workbench.core.loading.paddle_files import INSTALL

        raise WorkbenchError(f"paddle2onnx is not installed here ({first_line(err)})", INSTALL) from None
    axes = _axes(inputs, spec)
    check_output(spec.output, **output_rules(spec))
    stages = Stages(["converting with paddle2onnx", "checking the ONNX file"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    opset = spec.opset or DEFAULT_OPSET
    with staged_output(spec.output, **output_rules(spec)) as path:
        try:
            paddle2onnx.export(str(program), str(params), str(path), opset_version=opset,
                               enable_onnx_checker=True, verbose=False)
        except Exception as err:  # noqa: BLE001 - paddle2onnx raises its own and C++ errors
            raise WorkbenchError(f"paddle2onnx cannot convert {program.name}: {first_line(err)}",
                                 "try another --opset, or run the model in Paddle Inference (--runtime paddle)") from err
        if not Path(path).is_file():
            raise WorkbenchError(f"paddle2onnx wrote no file for {program.name}",
                                 "an operator has no ONNX conversion: try another --opset")
        stages.next()
        model = onnx.load(str(path))
        _apply_axes(model, axes)
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
    final = str(Path(str(spec.output)).expanduser().resolve())
    shape = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    stages.done("exported")
    return ExportResult(outputs=[final], exporter=f"paddle2onnx {paddle2onnx.__version__}", target="onnx",
                        input_names=[v.name for v in model.graph.input],
                        output_names=[v.name for v in model.graph.output],
                        dynamic_axes={k: {str(a): d for a, d in v.items() if isinstance(d, str)} for k, v in
                                      axes.items()},
                        input_shapes={v.name: shape(v) for v in model.graph.input},
                        output_shapes={v.name: shape(v) for v in model.graph.output}, opset=opset,
                        seconds=time.perf_counter() - started,
                        notes=[f"converted from the Paddle program {program.name} by paddle2onnx"])
