"""Check an exported decoder against PyTorch on inputs the exporter never saw.

An exporter that traces data-dependent values as constants (the legacy exporter does this with the expert routing
of an MoE model run in "eager" mode: which token goes to which expert, and how many) produces a graph that matches
PyTorch on the traced example and nothing else. So the check runs other token ids at other shapes, a decode step
(one new token over a past) and a prefill (no past) among them, where the routing differs from the trace; a graph
that fails to run there or differs from PyTorch is refused.
"""

from __future__ import annotations

import numpy as np

from workbench.core.errors import WorkbenchError, first_line

# (batch, sequence, past, seed): a prompt over a past, a one-token decode step, a prefill and a large batch; none is
# the traced example's shape and every seed differs from the trace's (0), so the token ids, and with them the expert
# routing, differ too. A frozen routing shows either way: one token reaches only top-k experts (a graph frozen to
# more experts fails to run or differs), and many tokens reach experts the traced example may not have reached.
CHECK_SHAPES = ((3, 5, 7, 11), (1, 1, 9, 12), (1, 6, 0, 13), (4, 8, 3, 14))


def _refuse(moe: bool, exporter: str, detail: str):
    if moe:
        return WorkbenchError(
            f"the exported graph froze the MoE routing: on token ids that route differently from the traced "
            f"example it {detail} (the {exporter} exporter recorded the expert choice as constants)",
            'export with the dynamo exporter and experts_implementation="batched_mm" (the families.toml setting); '
            'avoid "eager" experts with the legacy exporter')
    return WorkbenchError(f"the exported decoder {detail} on inputs other than the traced example",
                          "re-export with the other --exporter (or another --opset) and validate that file")


def check_decoder(path, module, layout: list, vocab: int, dtype: str = "fp32", positions: bool = True,
                  moe: bool = False, exporter: str = "dynamo", shapes=CHECK_SHAPES) -> dict:
    """Run the ONNX decoder at ``path`` and the PyTorch wrapper ``module`` on fresh inputs; raise WorkbenchError
    when they differ. Returns {"shapes": [...], "max_rel_diff": float, "moe": bool}."""
    from workbench.core.compare import compare
    from workbench.core.export.decoder_model import RTOL, input_names, make_inputs, present_names
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact
    from workbench.core.runtimes.torch_eager import run_module

    # the onnxruntime runtime's session, the one validate runs; quiet: a frozen graph's failure is reported below,
    # in one line, without ORT's own log line
    session = open_artifact(path, RuntimeOptions(extra={"quiet": True}), NAME)[1]
    onnx_names = input_names(len(layout), positions)
    out_names = ["logits", *present_names(len(layout))]
    worst = 0.0
    tried = []
    for batch, sequence, past, seed in shapes:
        inputs = make_inputs(layout, batch, sequence, past, vocab, dtype, seed, positions)
        expected = run_module(module, inputs)  # the PyTorch reference, through the torch runtime
        feeds = session.feed(dict(zip(onnx_names, inputs.values())))
        where = f"at batch {batch}, sequence {sequence}, past {past}"
        try:
            results = session.run(feeds)
            got = [results[name] for name in out_names]
        except Exception as err:  # noqa: BLE001 - ORT's failure (its own line kept), or an output the graph lacks
            cause = err.__cause__ if isinstance(err, WorkbenchError) and err.__cause__ is not None else err
            raise _refuse(moe, exporter, f"fails to run {where} ({first_line(cause, 200)})") from err
        for name, actual, reference in zip(out_names, got, expected):
            diff = compare(np.asarray(actual, dtype=np.float32), reference)
            rel = float(diff["max_rel_diff"])
            worst = max(worst, rel)
            if not rel <= RTOL.get(dtype, 1e-3):
                raise _refuse(moe, exporter, f"differs from PyTorch {where}: {name} max rel diff {rel:.3g}")
        tried.append([batch, sequence, past])
    return {"shapes": tried, "max_rel_diff": worst, "moe": bool(moe)}


def validate_decoder(spec, progress=None, cancel=None, quantized: str | None = None,
                     tolerances: tuple | None = None, float_tolerances: dict | None = None):
    """`workbench validate` on a decoder exported with past key values: every output compared with PyTorch on the
    export check's fresh inputs (prefill, one-token decode, batches), judged by ``tolerances`` (rtol, atol, cosine
    floor; validate.py's for a ``quantized`` file's precision; else ``float_tolerances[dtype]``, the float
    precisions' limits every validation uses), ``--locate`` on a decode step (export/decoder_validate.py)."""
    import dataclasses
    import inspect as pyinspect

    from workbench.core import ort
    from workbench.core.export.decoder_model import (RTOL, cache_layout, decoder_module, is_moe, load_decoder,
                                                     vocab_size)
    from workbench.core.jobs import Stages
    from workbench.core.onnx_io import check_model
    from workbench.core.results import ValidateResult
    from workbench.core.specs import ExportSpec

    stages = Stages(["checking", "loading PyTorch", "comparing", *(["locating"] if spec.locate else [])], progress,
                    cancel)
    stages.next()
    checker, inference = check_model(spec.model)
    dtype = ort.model_float_dtype(spec.model)
    stages.next()
    source = dataclasses.replace(spec.against, task=None)
    loaded, model = load_decoder(ExportSpec(source=source, output=str(spec.model), dtype=dtype))
    layout = cache_layout(model)
    positions = "position_ids" in pyinspect.signature(model.forward).parameters
    module = decoder_module(model, len(layout), positions)
    stages.next()
    from workbench.core.export.decoder_validate import DecoderInputs, judge

    decoder = DecoderInputs(module, layout, vocab_size(model), dtype, positions)
    tolerances = tolerances or (float_tolerances or {}).get(dtype) or (RTOL.get(dtype, 1e-3), 0.0, -1.0)
    fields = judge(spec, decoder, CHECK_SHAPES, tolerances, quantized, stages, moe=is_moe(model))
    stages.done("validated")
    return ValidateResult(checker=checker, shape_inference=inference, **fields)
