"""Export to ONNX with torch.onnx.export: the dynamo exporter by default, the legacy TorchScript-based one by
choice or as an automatic, reported fallback."""

from __future__ import annotations

import time
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.export import exporters, lean, runtime_check
from workbench.core.dynamic_axes import normalize
from workbench.core.export.exporters import script_module
from workbench.core.export.readback import check_dynamic
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec


def example_inputs(loaded, spec: ExportSpec, axes: dict | None = None) -> dict:
    """Example inputs with at least 2 on every dynamic dimension (a size of 1 gets specialised to 1).

    ``axes`` (normalised {input: {axis: name}}): a batch (axis 0) or sequence (axis 1) that no input has dynamic
    is used exactly as asked, since the file then holds that size (``--batch 1`` means 1, not 2)."""
    dynamic = {0, 1} if axes is None else {a for dims in axes.values() for a in dims}
    batch = max(2, spec.inputs.batch) if 0 in dynamic else spec.inputs.batch
    sequence = max(2, spec.inputs.sequence) if 1 in dynamic else spec.inputs.sequence
    if {0, 1} <= dynamic and sequence == batch:  # distinct sizes keep the exporter from equating the two dims
        sequence += 1
    return loaded.make_inputs(batch, sequence, shapes=spec.inputs.shapes)


def _weights_bytes(module) -> int:
    return sum(p.numel() * p.element_size() for p in module.parameters()) if hasattr(module, "parameters") else 0


def _io_names(spec: ExportSpec, loaded) -> tuple[list, list]:
    ins, outs = list(spec.input_names or loaded.input_names), list(spec.output_names or loaded.output_names)
    if len(ins) != len(loaded.input_names):
        raise WorkbenchError(f"{len(ins)} input names given for {len(loaded.input_names)} inputs",
                             f"name each of: {', '.join(loaded.input_names)}")
    if len(outs) != len(loaded.output_names):
        raise WorkbenchError(f"{len(outs)} output names given for {len(loaded.output_names)} outputs",
                             f"name each of: {', '.join(loaded.output_names)}")
    return ins, outs


def export_onnx(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    """Load the source, export it, check the file; the output appears only when everything succeeded."""
    from workbench.core.loading import load_model

    from workbench.core.export import seq2seq

    if seq2seq.wanted(spec):  # an encoder-decoder generation model: encoder + decoder-with-past files
        return seq2seq.export_seq2seq(spec, progress, cancel)
    if spec.source.task == "text-generation-with-past":
        from workbench.core.export.decoder import export_decoder

        return export_decoder(spec, progress, cancel)
    exporters.check_spec(spec)
    check_output(spec.output, **output_rules(spec))  # before the work: nothing it may not replace
    stages = Stages(["loading the model", "exporting", "checking the ONNX file"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    # Lean path (lean.py): a HF folder's safetensors above lean.LEAN_ABOVE (or WORKBENCH_LEAN_EXPORT=1/0 forces it)
    weights, why_not = lean.wanted(spec, spec.exporter) if spec.export_params else (None, None)
    notes = [why_not] if why_not else []
    loaded = _weightless(spec, notes) if weights is not None else None
    weights = weights if loaded is not None else None
    loaded = loaded or load_model(spec.source, spec.dtype, spec.inputs.shapes)
    inputs = example_inputs(loaded, spec)
    axes = normalize(spec.dynamic_axes if spec.dynamic_axes is not None else loaded.default_dynamic_axes(), inputs)
    inputs = example_inputs(loaded, spec, axes)  # static batch/sequence: exactly the size asked
    names = _io_names(spec, loaded)
    # Rename the user's axes keys to the module's own argument names (the exporter sees those).
    axes = {loaded.input_names[names[0].index(k)] if k in names[0] else k: v for k, v in axes.items()}
    exporter = spec.exporter if spec.exporter != "dynamo" else loaded.family.get("exporter", "dynamo")
    if exporter == "dynamo" and script_module(loaded.module) is not None:
        exporter = "legacy"
        notes.append("a TorchScript program: exported with the legacy exporter, which traces through the scripted "
                     "module (torch.export cannot take a ScriptModule)")
    external = spec.external_data if spec.external_data is not None else (
        onnx_io.is_large(_weights_bytes(loaded.module)) or weights is not None)
    fallback_reason = None
    stages.next()
    with staged_output(spec.output, **output_rules(spec)) as path:
        if exporter == "dynamo" and weights is not None:
            try:
                notes += lean.export(loaded, weights, inputs, path, spec, names, axes)
            except Exception as err:  # noqa: BLE001 - any failure: the plain path below, with the reason noted
                notes.append(f"lean export failed ({first_line(err)}); exported the plain way")
                exporters.clean(path)
                loaded = weights = None
                loaded = load_model(spec.source, spec.dtype, spec.inputs.shapes)
        if not (exporter == "dynamo" and weights is not None):  # not exported by the lean path above
            exporter, fallback_reason = exporters.run(exporter, loaded.module, inputs, path, spec, names, axes,
                                                      external, notes)
        stages.next()
        if exporter == "dynamo" and not spec.export_params:
            notes.append(runtime_check.weights_to_inputs(path))
        exporters.check_onnx(path)
        if spec.dtype == "bf16":
            notes.append(runtime_check.bf16_note(path))
        shapes = _read_back(path, names, loaded, axes, inputs)
        _stamp(path, spec, loaded)
        written = sorted(p.name for p in path.parent.iterdir())
    out_dir = Path(spec.output).expanduser().resolve().parent
    stages.done("exported")
    return ExportResult(outputs=[str(out_dir / n) for n in sorted(written, key=lambda n: not n.endswith(".onnx"))],
                        exporter=exporter, fallback_reason=fallback_reason, input_names=names[0],
                        output_names=names[1], dynamic_axes={k: {str(a): d for a, d in v.items()}
                                                              for k, v in axes.items()},
                        example_shapes={k: list(v.shape) for k, v in inputs.items()}, input_shapes=shapes[0],
                        output_shapes=shapes[1], opset=onnx_io.opset_of(path_of(spec)),
                        dtype=spec.dtype, family_settings=loaded.family, seconds=time.perf_counter() - started,
                        notes=notes)


def _read_back(path: Path, names: tuple, loaded, axes: dict, inputs: dict) -> tuple[dict, dict]:
    """The written file's (input, output) shapes, checked against the asked axes (keyed by argument names)."""
    onnx_name = dict(zip(loaded.input_names, names[0]))
    asked = {onnx_name.get(k, k): v for k, v in axes.items()}
    return check_dynamic(path, asked, {onnx_name.get(k, k): list(v.shape) for k, v in inputs.items()})


def _weightless(spec: ExportSpec, notes: list):
    """The model built without its weights for the lean path, or None (reason noted) to load it the plain way."""
    try:
        return lean.load_weightless(spec.source, spec.dtype)
    except Exception as err:  # noqa: BLE001
        notes.append(f"lean export not used: {first_line(err)}")
        return None


def path_of(spec: ExportSpec) -> Path:
    return Path(spec.output).expanduser().resolve()


def _stamp(path: Path, spec: ExportSpec, loaded) -> None:
    """Record where the model came from in its metadata (optimize picks the fusion type, quantize the tokenizer)."""
    onnx_io.stamp(path, {"workbench.source": str(Path(spec.source.path).expanduser().resolve()) if loaded.folder
                         else spec.source.path, "workbench.model_type": loaded.model_type or "",
                         "workbench.dtype": spec.dtype, "workbench.kind": loaded.kind})

