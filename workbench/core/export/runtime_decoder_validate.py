"""`workbench validate` on another runtime's decoder with past key values (an OpenVINO IR or an .mnn converted from
a ``--task text-generation-with-past`` export): every output (logits, each present key and value) of the runtime's
session compared with the PyTorch decoder wrapper at the ONNX decoder check's shapes (a prompt over a past, a
one-token decode step, a prefill from an empty past, a large batch), judged by the artifact's precision: the
session's own ``precision`` (the IR's weights, the .mnn's metadata) and its ``fp32_tolerances`` where its fp32
kernels approximate (MNN's). Without this, such a file met validate's generic feeds, which know no past. With
``--locate`` the first diverging node is found in the artifact's own runtime, as for an encoder's IR or .mnn: the
source is exported again as a decoder with past (in a temp folder) for its module scopes and tensor names, which the
converters keep, and the runtime's session exposes those tensors on the decode step the ONNX decoder's locate uses.
"""

from __future__ import annotations

import dataclasses
import inspect as pyinspect
import tempfile
from pathlib import Path


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
        rtol, atol, floor = tolerances
        rtol = spec.rtol if spec.rtol is not None else rtol
        atol = spec.atol if spec.atol is not None else atol
        outputs, bad, reason = verdict(worst, rtol, atol, floor)
        located = {}
        if spec.locate:
            stages.next("locating the first diverging node")
            located, said = locate_in_runtime(spec, runtime.name, session, decoder, (rtol, atol, floor),
                                              precision != "fp32", bad is None)
            notes += said
    finally:
        session.close()
    notes.insert(0, f"decoder with past key values in {runtime.name}: compared at (batch, sequence, past) "
                    + ", ".join("x".join(map(str, s[:3])) for s in CHECK_SHAPES))
    if precision != "fp32":
        notes.append(f"{precision} weights: judged by cosine >= {floor:g} and max rel diff <= {rtol:g}")
    if bad is not None and is_moe(model):
        notes.append("a mixture-of-experts model: an expert routing the exporter froze as constants differs like "
                     "this; export with the dynamo exporter and experts_implementation=\"batched_mm\"")
    stages.done("validated")
    return ValidateResult(checker="skipped", shape_inference="skipped", outputs=outputs, shapes_tried=tried,
                          rtol=rtol, atol=atol, notes=notes, passed=bad is None, reason=reason, **located)


def locate_in_runtime(spec, name: str, session, decoder, tolerances: tuple, quantized: bool,
                      outputs_passed: bool) -> tuple:
    """({divergence, locate_checked} or {}, [notes]): core/locate on the source's decoder export (temp folder), the
    values read from ``session.run_exposed`` at decoder_validate.LOCATE_SIZES; a runtime without run_exposed, or
    an export or search that fails, is one note and the output comparison stands."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.export.decoder_validate import LOCATE_SIZES
    from workbench.core.export.torch_onnx import export_onnx
    from workbench.core.feeds import feed
    from workbench.core.locate import locate
    from workbench.core.specs import ExportSpec

    if not callable(getattr(session, "run_exposed", None)):
        return {}, [f"locate: the {name} runtime cannot expose intermediate values, so this decoder was compared "
                    "output by output"]

    def run_exposed(inputs: dict, values: list) -> dict:
        return session.run_exposed(feed(session.inputs(), dict(zip(decoder.input_names, inputs.values()))), values)

    rtol, atol, floor = tolerances
    source = dataclasses.replace(spec.against, task="text-generation-with-past")
    try:
        with tempfile.TemporaryDirectory(prefix="workbench-locate-") as tmp:
            graph = export_onnx(ExportSpec(source=source, output=str(Path(tmp) / "model.onnx"))).path
            found = locate(graph, decoder, rtol, atol, floor, *LOCATE_SIZES, spec.provider, quantized,
                           outputs_passed=outputs_passed, run_exposed=run_exposed)
    except WorkbenchError as err:  # the comparison stands
        return {}, [f"locate: {err}"]
    return {"divergence": found["divergence"], "locate_checked": found["candidates_checked"]}, []
