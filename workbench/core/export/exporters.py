"""The two torch.onnx exporters and the rules around them, shared by every ONNX export (plain models in
torch_onnx.py, decoders with past key values in decoder.py): the spec check, dynamo, legacy, the reported
dynamo -> legacy fallback, the ONNX checker on the written file."""

from __future__ import annotations

import logging
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.dynamic_axes import to_dynamic_shapes
from workbench.core.export.errors import explain, export_error
from workbench.core.quiet import library_output
from workbench.core.specs import DTYPES, EXPORTERS, ExportSpec


def check_spec(spec: ExportSpec) -> None:
    """Refuse an unknown dtype or exporter, an opset out of range and an output not named .onnx, before any work."""
    check_options(spec)
    if not str(spec.output).endswith(".onnx"):
        raise WorkbenchError(f"output '{spec.output}' does not end in .onnx", "name the output like model.onnx")


def check_options(spec: ExportSpec) -> None:
    """Refuse an unknown dtype or exporter and an opset out of range (every ONNX export: one file or a folder)."""
    if spec.dtype not in DTYPES:
        raise WorkbenchError(f"unknown dtype '{spec.dtype}'", "use fp32, fp16 or bf16")
    if spec.exporter not in EXPORTERS:
        raise WorkbenchError(f"unknown exporter '{spec.exporter}'", "use dynamo or legacy")
    if spec.opset is not None and not 7 <= spec.opset <= 25:
        raise WorkbenchError(f"opset {spec.opset} is out of range", "use an opset from 7 to 25, e.g. 18")


def script_module(module):
    """The TorchScript module inside a loaded model's wrapper (loading/model.py), or None."""
    import torch

    if not hasattr(module, "modules"):
        return None
    return next((m for m in module.modules() if isinstance(m, torch.jit.ScriptModule)), None)


def dynamo(module, inputs: dict, path, spec: ExportSpec, names: tuple, axes: dict, external: bool) -> None:
    """torch.onnx.export(dynamo=True) of ``module`` called with ``inputs`` as keywords; ``axes`` are keyed by the
    module's argument names, ``names`` is (input names, output names) of the file."""
    import torch

    # The dynamo exporter prints its stages to stdout (keep stdout for --json) and logs missing torchvision; a
    # failed trace's symbolic-shapes warning carries the whole FX graph (hundreds of lines on stderr, --quiet or
    # not): the failure itself is reported in one line (explain), so these loggers say errors only.
    for name in ("torch.onnx", "torch.fx.experimental.symbolic_shapes", "torch._dynamo", "torch.export"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with library_output(stderr=True):  # torch.export prints a failed trace's partial graph on stderr itself
        torch.onnx.export(module, (), str(path), kwargs=inputs, dynamo=True,
                          dynamic_shapes=to_dynamic_shapes(axes, list(inputs)),
                          input_names=names[0], output_names=names[1], opset_version=spec.opset,
                          optimize=spec.constant_folding, export_params=True,  # no-params: runtime_check.py
                          external_data=external)


def legacy(module, inputs: dict, path, spec: ExportSpec, names: tuple, axes: dict) -> list:
    """torch.onnx.export(dynamo=False); a TorchScript source is exported as its ScriptModule. Returns the notes:
    where the tracer turned a tensor's value into a Python constant (a branch on a length, e.g. dynamic RoPE's
    ``if seq_len > max_seq_len_cached``), the file computes the example's branch at every length."""
    import warnings

    import torch

    dynamic = {names[0][i]: dims for i, (n, dims) in enumerate(
        (n, axes.get(n)) for n in inputs) if dims}
    script = script_module(module)  # a TorchScript source: the legacy exporter takes the ScriptModule itself
    onnx_names, args = names[0], ()
    if script is not None:  # positional, in the order of the scripted forward's parameters
        order = [a.name for a in script.forward.schema.arguments][1:]
        keys = sorted(inputs, key=lambda k: order.index(k)) if set(inputs) <= set(order) else list(inputs)
        onnx_names = [names[0][list(inputs).index(k)] for k in keys]
        args, inputs = tuple(inputs[k] for k in keys), {}
    with library_output(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", torch.jit.TracerWarning)
        torch.onnx.export(script if script is not None else module, args, str(path), kwargs=inputs, dynamo=False,
                          input_names=onnx_names,
                          output_names=names[1], opset_version=spec.opset or 17, dynamic_axes=dynamic,
                          do_constant_folding=spec.constant_folding, export_params=spec.export_params)
    return traced_constants_note(caught)


def traced_constants_note(caught: list) -> list:
    """[note] when the tracer fixed values it could not follow (TracerWarning: tensor -> Python bool/int/float);
    [] otherwise. Places are the model's own source lines, not torch's."""
    places = []
    for w in caught:
        if "might cause the trace to be incorrect" not in str(w.message):  # a tensor read as a bool/int, iterated
            continue
        place = f"{Path(w.filename).name}:{w.lineno}"
        if place not in places:
            places.append(place)
    if not places:
        return []
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return [f"the legacy exporter fixed {len(places)} value(s) the model computes from its inputs ({shown}): the "
            "file keeps the example's branch at every shape; validate at other shapes (workbench validate) before "
            "trusting it there"]


def clean(path: Path) -> None:
    """Remove what a failed exporter left in the (staged) output folder."""
    for item in Path(path).parent.iterdir():
        item.unlink()


def run(exporter: str, module, inputs: dict, path, spec: ExportSpec, names: tuple, axes: dict,
        external: bool = True, notes: list | None = None) -> tuple:
    """Export with ``exporter``; a failed dynamo export falls back to legacy unless ``spec.fallback`` is off.
    Returns (exporter used, why dynamo fell back or None); a failure is one line naming the exporter. The legacy
    exporter's notes (traced constants) are appended to ``notes``."""
    fallback_reason = None
    if exporter == "dynamo":
        try:
            dynamo(module, inputs, path, spec, names, axes, external)
            return exporter, None
        except Exception as err:  # noqa: BLE001 - exporter errors come in many types
            if not spec.fallback:
                raise export_error(err, "dynamo") from err
            fallback_reason = explain(err, "dynamo")[0]
            clean(path)
    try:
        traced = legacy(module, inputs, path, spec, names, axes)
    except Exception as err:  # noqa: BLE001
        raise export_error(err, "legacy", fallback_reason) from err
    if notes is not None:
        notes.extend(traced)
    return "legacy", fallback_reason


def check_onnx(path: Path) -> None:
    """The ONNX checker on the written file (path-based: works above 2 GB); a failure says what to try."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
    except Exception as err:  # noqa: BLE001
        raise WorkbenchError(f"the exported {path.name} fails the ONNX checker: {first_line(err)}",
                             "try the other --exporter or another --opset") from err
