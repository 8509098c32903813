"""`workbench validate` on another runtime's decoder with past key values (an OpenVINO IR or an .mnn converted from
a ``--task text-generation-with-past`` export): every output (logits, each present key and value) of the runtime's
session compared with the PyTorch decoder wrapper at the ONNX decoder check's shapes (a prompt over a past, a
one-token decode step, a prefill from an empty past, a large batch), judged by the artifact's precision: the
session's own ``precision`` (the IR's weights, the .mnn's metadata) and its ``fp32_tolerances`` where its fp32
kernels approximate (MNN's). Without this, such a file met validate's generic feeds, which know no past.
"""

from __future__ import annotations

import dataclasses
import inspect as pyinspect

import numpy as np

from workbench.core.errors import WorkbenchError, first_line


def is_past_decoder(session) -> bool:
    names = {i.name for i in session.inputs()}
    return "input_ids" in names and any(n.startswith("past_key_values.") for n in names)


def _compare(session, decoder, shapes, label: str, path) -> tuple:
    """({output: worst diff}, [[batch, sequence, past]] run), the artifact's outputs against the wrapper's."""
    import torch

    from workbench.core.compare import compare
    from workbench.core.export.decoder_model import make_inputs, present_names
    from workbench.core.feeds import feed

    out_names = ["logits", *present_names(len(decoder.layout))]
    worst: dict = {}
    tried = []
    for batch, sequence, past, seed in shapes:
        inputs = make_inputs(decoder.layout, batch, sequence, past, decoder.vocab, "fp32", seed, decoder.positions)
        with torch.inference_mode():
            expected = [t.float().numpy() for t in decoder.module(**inputs)]
        arrays = {name: value.numpy() for name, value in zip(decoder.input_names, inputs.values())}
        try:
            outputs = session.run(feed(session.inputs(), arrays))
        except WorkbenchError:
            raise
        except Exception as err:  # noqa: BLE001 - each runtime raises its own types
            raise WorkbenchError(f"{label} fails to run {path} at batch {batch}, sequence {sequence}, past {past}: "
                                 f"{first_line(err, 200)}", "re-export the model") from err
        for name, reference in zip(out_names, expected):
            if name not in outputs:
                raise WorkbenchError(f"{path} has no output '{name}'",
                                     "export it with --task text-generation-with-past")
            stats = compare(np.asarray(outputs[name], dtype=np.float32), reference)
            prev = worst.get(name)
            if prev is None or (prev["max_rel_diff"], -prev["cosine"]) < (stats["max_rel_diff"], -stats["cosine"]):
                worst[name] = {"name": name, "shape": list(np.shape(outputs[name])),
                               **{k: float(stats[k]) for k in ("max_abs_diff", "max_rel_diff", "cosine")}}
        tried.append([batch, sequence, past])
    return worst, tried


def validate_runtime_decoder(spec, runtime, session, tolerances: tuple, precision: str, stages):
    """A ValidateResult for ``session`` (opened by ``runtime`` on ``spec.model``, closed here); ``tolerances`` =
    (rtol, atol, cosine floor) for ``precision``, which validate.py picked as for any artifact."""
    from workbench.core.export.decoder_check import CHECK_SHAPES
    from workbench.core.export.decoder_model import cache_layout, decoder_module, is_moe, load_decoder, vocab_size
    from workbench.core.export.decoder_validate import DecoderInputs
    from workbench.core.results import OutputDiff, ValidateResult
    from workbench.core.specs import ExportSpec

    try:
        stages.next("loading PyTorch's decoder")
        source = dataclasses.replace(spec.against, task=None)
        _loaded, model = load_decoder(ExportSpec(source=source, output=str(spec.model)))
        layout = cache_layout(model)
        positions = "position_ids" in pyinspect.signature(model.forward).parameters
        decoder = DecoderInputs(decoder_module(model, len(layout), positions), layout, vocab_size(model), "fp32",
                                positions)
        stages.next("comparing")
        worst, tried = _compare(session, decoder, CHECK_SHAPES, runtime.name, spec.model)
        notes = list(getattr(session, "notes", []) or [])
    finally:
        session.close()
    rtol, atol, floor = tolerances
    rtol = spec.rtol if spec.rtol is not None else rtol
    atol = spec.atol if spec.atol is not None else atol
    notes.insert(0, f"decoder with past key values in {runtime.name}: compared at (batch, sequence, past) "
                    + ", ".join("x".join(map(str, s[:3])) for s in CHECK_SHAPES))
    if precision != "fp32":
        notes.append(f"{precision} weights: judged by cosine >= {floor:g} and max rel diff <= {rtol:g}")
    outputs = [OutputDiff(passed=(w["max_rel_diff"] <= rtol or w["max_abs_diff"] <= atol) and w["cosine"] >= floor,
                          **w) for w in worst.values()]
    bad = next((o for o in outputs if not o.passed), None)
    if bad is not None and is_moe(model):
        notes.append("a mixture-of-experts model: an expert routing the exporter froze as constants differs like "
                     "this; export with the dynamo exporter and experts_implementation=\"batched_mm\"")
    if spec.locate:
        notes.append(f"--locate runs on ONNX files; validate the ONNX decoder with --locate to find the node")
    stages.done("validated")
    return ValidateResult(checker="skipped", shape_inference="skipped", outputs=outputs, shapes_tried=tried,
                          rtol=rtol, atol=atol, notes=notes, passed=bad is None, reason=None if bad is None else (
                              f"output '{bad.name}' differs from PyTorch: max rel diff {bad.max_rel_diff:.3g} "
                              f"(rtol {rtol:g}), cosine {bad.cosine:.6f} (floor {floor:g})"))
