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


def is_past_decoder(session) -> bool:
    names = {i.name for i in session.inputs()}
    return "input_ids" in names and any(n.startswith("past_key_values.") for n in names)


def validate_runtime_decoder(spec, runtime, session, tolerances: tuple, precision: str, stages):
    """A ValidateResult for ``session`` (opened by ``runtime`` on ``spec.model``, closed here); ``tolerances`` =
    (rtol, atol, cosine floor) for ``precision``, which validate.py picked as for any artifact."""
    from workbench.core.export.decoder_check import CHECK_SHAPES
    from workbench.core.export.decoder_model import cache_layout, decoder_module, is_moe, load_decoder, vocab_size
    from workbench.core.export.decoder_validate import DecoderInputs, compare_session, verdict
    from workbench.core.results import ValidateResult
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
        worst, tried = compare_session(session, decoder, CHECK_SHAPES, runtime.name, spec.model)
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
    outputs, bad, reason = verdict(worst, rtol, atol, floor)
    if bad is not None and is_moe(model):
        notes.append("a mixture-of-experts model: an expert routing the exporter froze as constants differs like "
                     "this; export with the dynamo exporter and experts_implementation=\"batched_mm\"")
    if spec.locate:
        notes.append(f"--locate runs on ONNX files; validate the ONNX decoder with --locate to find the node")
    stages.done("validated")
    return ValidateResult(checker="skipped", shape_inference="skipped", outputs=outputs, shapes_tried=tried,
                          rtol=rtol, atol=atol, notes=notes, passed=bad is None, reason=reason)
