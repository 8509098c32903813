"""`workbench validate` on a decoder exported with past key values: every output (logits and each present key and
value) compared with PyTorch at the check's shapes (a prompt over a past, a one-token decode step, a prefill, a
large batch), judged by the file's precision (a quantized decoder by the int8/int4 tolerances validate.py uses for
any model), and with ``--locate`` the first diverging node, found on a decode step (a past and new tokens) by
core/locate.py through the same module scopes as any other export.
"""

from __future__ import annotations

import numpy as np

from workbench.core.errors import WorkbenchError, first_line

LOCATE_SIZES = (2, 5)  # (batch, sequence) of the step --locate compares; the past is as long as the sequence


class DecoderInputs:
    """The decoder wrapper as locate.py sees a loaded model: ``module``, ``input_names`` (the file's) and
    ``make_inputs(batch, sequence, ...)`` keyed by the wrapper's parameters, with a past as long as the sequence."""

    def __init__(self, module, layout: list, vocab: int, dtype: str, positions: bool):
        from workbench.core.export.decoder_model import input_names

        self.module, self.layout, self.vocab, self.dtype, self.positions = module, layout, vocab, dtype, positions
        self.input_names = input_names(len(layout), positions)

    def make_inputs(self, batch: int = 2, sequence: int = 8, pad: bool = False, seed: int = 0,
                    shapes: dict | None = None) -> dict:
        from workbench.core.export.decoder_model import make_inputs

        return make_inputs(self.layout, batch, sequence, sequence, self.vocab, self.dtype, seed, self.positions)


def compare_outputs(path, decoder: DecoderInputs, shapes) -> tuple:
    """compare_session on the ONNX file at ``path``, opened by the registered onnxruntime runtime."""
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import open_artifact

    session = open_artifact(path, RuntimeOptions(), "onnxruntime")[1]
    return compare_session(session, decoder, shapes, "onnxruntime", path)


def compare_session(session, decoder: DecoderInputs, shapes, label: str, path) -> tuple:
    """({output: worst OutputDiff fields}, [[batch, sequence, past]] run): any runtime's decoder session against the
    PyTorch wrapper over ``shapes`` = (batch, sequence, past, seed) tuples; a graph that cannot run at one of them,
    or lacks an output, raises WorkbenchError naming it."""
    from workbench.core.compare import compare
    from workbench.core.export.decoder_model import make_inputs, present_names
    from workbench.core.feeds import feed
    from workbench.core.runtimes.torch_eager import run_module

    out_names = ["logits", *present_names(len(decoder.layout))]
    worst: dict = {}
    tried = []
    for batch, sequence, past, seed in shapes:
        inputs = make_inputs(decoder.layout, batch, sequence, past, decoder.vocab, decoder.dtype, seed,
                             decoder.positions)
        expected = run_module(decoder.module, inputs)
        try:
            outputs = session.run(feed(session.inputs(), dict(zip(decoder.input_names, inputs.values()))))
        except Exception as err:  # noqa: BLE001 - each runtime raises its own types (ORT's as the cause)
            raise WorkbenchError(f"{path} fails to run in {label} at batch {batch}, sequence {sequence}, past "
                                 f"{past}: {first_line(err.__cause__ or err, 200)}", "re-export the model") from err
        for name, reference in zip(out_names, expected):
            if name not in outputs:
                raise WorkbenchError(f"{path} has no output '{name}'",
                                     "export it with --task text-generation-with-past")
            actual = outputs[name]
            stats = compare(np.asarray(actual, dtype=np.float32), reference)
            prev = worst.get(name)
            if prev is None or (prev["max_rel_diff"], -prev["cosine"]) < (stats["max_rel_diff"], -stats["cosine"]):
                worst[name] = {"name": name, "shape": list(np.shape(actual)), **{k: float(stats[k]) for k in (
                    "max_abs_diff", "max_rel_diff", "cosine")}}
        tried.append([batch, sequence, past])
    return worst, tried


def verdict(worst: dict, rtol: float, atol: float, floor: float) -> tuple:
    """(OutputDiffs, the first failing one or None, its one-line reason or None): each output passes by rtol or atol
    and the cosine floor."""
    from workbench.core.results import OutputDiff

    outputs = [OutputDiff(passed=(w["max_rel_diff"] <= rtol or w["max_abs_diff"] <= atol) and w["cosine"] >= floor,
                          **w) for w in worst.values()]
    bad = next((o for o in outputs if not o.passed), None)
    reason = None if bad is None else (f"output '{bad.name}' differs from PyTorch: max rel diff "
                                       f"{bad.max_rel_diff:.3g} (rtol {rtol:g}), cosine {bad.cosine:.6f} "
                                       f"(floor {floor:g})")
    return outputs, bad, reason


def judge(spec, decoder: DecoderInputs, shapes, tolerances: tuple, quantized: str | None, stages,
          moe: bool = False) -> dict:
    """The ValidateResult fields of a decoder file: outputs, shapes_tried, rtol/atol, reason, notes and, with
    ``spec.locate``, divergence/locate_checked. ``tolerances`` = (rtol, atol, cosine floor) for its precision."""
    rtol, atol, floor = tolerances
    rtol = spec.rtol if spec.rtol is not None else rtol
    atol = spec.atol if spec.atol is not None else atol
    notes = ["decoder with past key values: compared at (batch, sequence, past) " + ", ".join(
        "x".join(map(str, s[:3])) for s in shapes)]
    if quantized:
        notes.append(f"the model is quantized ({quantized}), so it is judged by {quantized} tolerances: cosine >= "
                     f"{floor:g} and max rel diff <= {rtol:g}")
    worst, tried = compare_outputs(str(spec.model), decoder, shapes)
    outputs, bad, reason = verdict(worst, rtol, atol, floor)
    fields = {"outputs": outputs, "shapes_tried": tried, "rtol": rtol, "atol": atol, "notes": notes,
              "passed": bad is None, "reason": reason}
    if bad is not None and moe:
        notes.append("a mixture-of-experts model: an expert routing the exporter froze as constants differs like "
                     "this; export with the dynamo exporter and experts_implementation=\"batched_mm\" "
                     "(families.toml)")
    if spec.locate:
        from workbench.core.locate import locate

        stages.next("locating the first diverging node")
        try:
            found = locate(str(spec.model), decoder, rtol, atol, floor, *LOCATE_SIZES, spec.provider,
                           bool(quantized))
            fields.update(divergence=found["divergence"], locate_checked=found["candidates_checked"])
        except WorkbenchError as err:  # the comparison above still stands
            notes.append(f"locate: {err}")
    return fields
