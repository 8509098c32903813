"""Prove an exported artifact computes what PyTorch computes, through runtimes only: the artifact's runtime (chosen by
its suffix, or ValidateSpec.runtime) against the torch runtime, output by output, at input shapes that differ in
every dynamic dimension (ValidateSpec.shapes: (2, 8), (3, 13), (1, 21)), comparing only unmasked positions (padded
positions legitimately differ). An ONNX file is also checked (checker, shape inference, quantization ops)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np

from workbench.core.compare import compare, within
from workbench.core.errors import WorkbenchError
from workbench.core.jobs import Stages
from workbench.core.locate import hooked
from workbench.core.onnx_io import check_model
from workbench.core.results import OutputDiff, ValidateResult
from workbench.core.specs import ValidateSpec
from workbench.core.validate_outputs import checked_given, dims_text, failure_reason, live_nodes, pair_outputs

QUANTIZED_OPS = ("DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "MatMulInteger", "ConvInteger",
                 "QLinearMatMul", "QLinearConv", "MatMulNBits", "DynamicQuantizeMatMul", "GatherBlockQuantized")
# Defaults by the model's weight dtype: (rtol on max|diff|/max|ref|, atol, cosine floor).
TOLERANCES = {"fp32": (1e-4, 1e-5, 0.99999), "fp16": (1e-2, 1e-3, 0.999), "bf16": (5e-2, 1e-2, 0.99)}
# Quantized models, by their weights' precision: rounding is expected, so the cosine floor is the one int8
# quantization aims for (quantize/sensitivity.py DEFAULT_MIN_COSINE) and the relative bound only catches what
# cosine cannot see (an output scaled as a whole, e.g. a broken scale in front of it).
QUANTIZED_TOLERANCES = {"int8": (0.25, 1e-3, 0.99), "int4": (0.5, 1e-2, 0.95)}
BLOCK_QUANTIZED_OPS = ("MatMulNBits", "GatherBlockQuantized")


def _input_shapes(infos: list, loaded, batch: int, seq: int, given: dict | None = None) -> dict:
    """Each input's shape at (batch, sequence), or the ``given`` one at this batch, with the artifact's fixed sizes
    where it has them (by name, else by position); ``infos`` is the session's ``inputs()``."""
    by_name = {i.name: i.shape for i in infos}
    shapes = {}
    for pos, info in enumerate(loaded.inputs):
        dims = info.dims(batch, seq)  # audio: seq frames, in samples
        if given and info.name in given:
            dims = [batch, *given[info.name][1:]]
        fixed = by_name.get(info.name) or (infos[pos].shape if pos < len(infos) else None)
        if fixed is not None and len(fixed) == len(dims):
            dims = [f if isinstance(f, int) else d for f, d in zip(fixed, dims)]
        shapes[info.name] = dims
    return shapes


def _fixed_note(infos: list) -> tuple:
    """(static, note): whether every input dimension of the artifact is fixed, and which ones are, in words."""
    fixed, dynamic = [], 0
    for info in infos:
        for axis, dim in enumerate(info.shape):
            if isinstance(dim, int):
                fixed.append(f"{info.name}:{axis}={dim}")
            else:
                dynamic += 1
    if not fixed:
        return False, None
    if not dynamic:
        return True, ("the model is static (every input dimension is fixed in the file), so it was compared at its "
                      "one shape only; export it with dynamic axes to validate other shapes")
    return False, f"dimensions fixed in the file (compared at that size only): {', '.join(fixed)}"


def _no_signal(signal: dict, notes: list) -> tuple:
    """(blind, reason): an output PyTorch computes as zero everywhere at every shape tried cannot tell a correct
    export from a broken one (any change upstream leaves it zero); when every output is so, validation proves
    nothing and fails, saying why, instead of passing."""
    zero = [name for name, seen in signal.items() if not seen]
    if not zero:
        return False, None
    if len(zero) < len(signal):
        notes.append(f"output{'s' if len(zero) > 1 else ''} {', '.join(zero)} {'are' if len(zero) > 1 else 'is'} "
                     "zero in PyTorch at every shape tried, so only the other outputs prove anything")
        return False, None
    return True, ("every output is zero in PyTorch at every shape tried (the activations vanish on the way: "
                  "random or collapsed weights), so the comparison cannot tell a correct export from a broken one; "
                  "validate the model with its real weights")


def _given(shapes: dict) -> str:
    return ", ".join(f"{k}={'x'.join(str(d) for d in v)}" for k, v in shapes.items())


def _mask(inputs: dict):
    mask = inputs.get("attention_mask")
    return None if mask is None else mask.numpy()


def _is_onnx(path) -> bool:
    return str(path).lower().endswith(".onnx")


def _label(runtime) -> str:
    return runtime.description.split(" (")[0]  # "ONNX Runtime (CPU; CUDA ...)" -> "ONNX Runtime"


def _onnx_header(path, spec, keep: dict | None = None) -> tuple:
    """ONNX-only facts: (checker, shape inference, weight dtype); the checker must pass. ``keep`` receives the
    inferred graph (onnx_io.check_model)."""
    from workbench.core.ort import model_float_dtype

    checker, inference = check_model(str(path), keep)
    if checker != "ok":
        raise WorkbenchError(f"{spec.model} fails the ONNX checker: {checker}", "re-export the model")
    return checker, inference, model_float_dtype(path)


def _locate(spec, path, session, loaded, tolerances: tuple, quantized, tried: list, first_run: tuple,
            outputs_passed: bool, inferred: dict, infos: list) -> dict:
    """locate's first divergence (core/locate). An ONNX file is walked in ONNX Runtime; with ``session`` (an IR or
    .mnn whose runtime can expose intermediate tensors, ``session.run_exposed``), the source is exported to ONNX in a
    temp folder for its module scopes and tensor names (the converters keep those names) and the values come from
    the artifact's own runtime, compared with the same PyTorch run."""
    import tempfile

    from workbench.core.locate import locate
    from workbench.core.runtimes.select import feed

    rtol, atol, floor = tolerances
    batch, seq = spec.shapes[0]
    common = dict(inputs=first_run[0], reference=first_run[1], outputs_passed=outputs_passed)
    if session is None:
        found = locate(str(path), loaded, rtol, atol, floor, batch, seq, spec.provider, bool(quantized),
                       tried[0] if tried else None, inferred=inferred.get("inferred"), **common)
    else:
        from workbench.core.export.torch_onnx import export_onnx
        from workbench.core.specs import ExportSpec

        with tempfile.TemporaryDirectory(prefix="workbench-locate-") as tmp:
            onnx_spec = ExportSpec(source=spec.against, output=str(Path(tmp) / "model.onnx"))
            graph = export_onnx(onnx_spec).path
            found = locate(graph, loaded, rtol, atol, floor, batch, seq, spec.provider, bool(quantized),
                           tried[0] if tried else None,
                           run_exposed=lambda inputs, values: session.run_exposed(
                               feed(infos, inputs, loaded.input_names), values), **common)
    return {"divergence": found["divergence"], "locate_checked": found["candidates_checked"]}


def validate_model(spec: ValidateSpec, progress=None, cancel=None) -> ValidateResult:
    from workbench.core.loading.limits import input_path, regular_file
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import REFERENCE, choose, feed, open_session

    from workbench.core.export.seq2seq_check import is_export, validate_seq2seq

    if is_export(spec.model):  # an encoder-decoder export: its folder or one of its two files
        return validate_seq2seq(spec, progress=progress, cancel=cancel)
    from workbench.core.loading.paddle_files import is_paddle

    if is_paddle(spec.against.path):  # a Paddle model's reference is Paddle Inference (core/paddle_validate.py)
        from workbench.core.paddle_validate import validate_against_paddle

        return validate_against_paddle(spec, TOLERANCES, QUANTIZED_TOLERANCES, progress=progress, cancel=cancel)
    registry = default_registry()
    given = Path(str(spec.model)).expanduser()
    opened = given.is_dir() and any(r.name != REFERENCE and r.opens(given) for r in registry.runtimes.values())
    path = (input_path(spec.model, "model artifact", "give the path of an exported artifact") if opened else
            regular_file(spec.model, "ONNX file" if _is_onnx(given) or given.is_dir() else "model artifact",
                         "give the path of an exported .onnx file (or another artifact a runtime opens)"))
    quantized = []
    if _is_onnx(path):
        from workbench.core.loading.onnx_files import check_file

        header = check_file(path)
        quantized = sorted({n.op_type for n in live_nodes(header.graph) if n.op_type in QUANTIZED_OPS})
        if any(p.key == "workbench.task" and p.value == "text-generation-with-past" for p in header.metadata_props):
            from workbench.core.export.decoder_check import validate_decoder

            bits = ("int4" if set(quantized) & set(BLOCK_QUANTIZED_OPS) else "int8") if quantized else None
            return validate_decoder(spec, progress=progress, cancel=cancel, quantized=bits,
                                    tolerances=QUANTIZED_TOLERANCES[bits] if bits else None,
                                    float_tolerances=TOLERANCES)
    runtime = choose(path, spec.runtime, registry)
    stages = Stages(["checking", "loading PyTorch", f"loading {_label(runtime)}", *["comparing"] * len(spec.shapes),
                     *(["locating"] if spec.locate else [])], progress, cancel)
    stages.next()
    inferred = {}  # the graph after shape inference, for locate
    checker, inference, dtype = (_onnx_header(path, spec, inferred if spec.locate else None) if _is_onnx(path)
                                 else ("ok", "skipped", None))
    stages.next()
    reference = registry.runtime(REFERENCE).open(spec.against, RuntimeOptions(extra={
        "dtype": "fp32", "shapes": spec.input_shapes or getattr(spec.against, "shapes", None)}))
    loaded = reference.loaded
    stages.next()
    session = open_session(runtime, path, RuntimeOptions(device=spec.provider))
    dtype = dtype or getattr(session, "precision", None) or "fp32"  # a runtime may say what its artifact holds
    if quantized:  # ONNX quantization ops: block-quantized ones are int4
        precision = "int4" if set(quantized) & set(BLOCK_QUANTIZED_OPS) else "int8"
    else:
        precision = dtype
        quantized = [f"{dtype} weights"] if dtype in QUANTIZED_TOLERANCES else []
    rtol, atol, floor = QUANTIZED_TOLERANCES[precision] if quantized else TOLERANCES.get(dtype, TOLERANCES["fp32"])
    if precision == "fp32" and getattr(session, "fp32_tolerances", None):  # a runtime's fp32 kernels approximate
        rtol, atol, floor = session.fp32_tolerances
    rtol = spec.rtol if spec.rtol is not None else rtol
    atol = spec.atol if spec.atol is not None else atol
    from workbench.core.export.runtime_decoder_validate import is_past_decoder, validate_runtime_decoder

    if not _is_onnx(path) and is_past_decoder(session):  # an IR or .mnn decoder: fed a past, as the ONNX one is
        return validate_runtime_decoder(spec, runtime, session, (rtol, atol, floor), precision, stages)
    infos = session.inputs()
    static, note = _fixed_note(infos)
    notes = [note] if note else []
    notes.extend(getattr(session, "notes", []) or [])
    if quantized:
        notes.append(f"the model is quantized ({precision}: {', '.join(quantized)}), so it is judged by {precision} "
                     f"tolerances: cosine >= {floor:g} and max rel diff <= {rtol:g}")
    runs, worst, tried, signal, first_run = [], {}, [], {}, (None, None)
    problems = {}  # output -> why it failed where the numbers cannot say (missing, another shape)
    exposes = spec.locate and not _is_onnx(path) and callable(getattr(session, "run_exposed", None))
    pairs = spec.shapes
    given = checked_given(spec.input_shapes, loaded) if spec.input_shapes else None
    if given:  # the given shapes, and batch + 1 where the file's batch is dynamic
        first = next(iter(spec.input_shapes.values()))
        seq = first[1] if len(first) > 1 else 0  # the inputs not given follow the first one's sequence
        pairs = ((first[0], seq), (first[0] + 1, seq))
        notes.append(f"compared at the given shapes ({_given(spec.input_shapes)}) and at batch {first[0] + 1} "
                     "where the file's batch is dynamic")
    for i, (batch, seq) in enumerate(pairs):
        stages.next(f"comparing at batch {batch}, sequence {seq}")
        shapes = _input_shapes(infos, loaded, batch, seq, given)
        if shapes in tried:  # fixed in the file: the same shape again would prove nothing new
            continue
        tried.append(shapes)
        hooks = spec.locate and not runs and (_is_onnx(path) or exposes)  # locate's PyTorch run: unpadded
        inputs = loaded.make_inputs(batch, seq, pad=not hooks, seed=7 if hooks else 100 + i, shapes=shapes)
        with hooked(loaded.module) if hooks else nullcontext() as seen:
            expected = reference.run(inputs)
        if hooks:
            first_run = (inputs, seen)
        actual = session.run(feed(infos, inputs, loaded.input_names))
        diffs = []
        paired, missing = pair_outputs(list(loaded.output_names), actual)
        for name in missing:  # PyTorch computes it, the artifact does not: never a pass by leaving it out
            problems.setdefault(name, f"PyTorch's output '{name}' is missing from the model (it has "
                                      f"{', '.join(actual) or 'none'}); export it again")
            missing_diff = OutputDiff(name=name, shape=list(np.shape(expected[name])), max_abs_diff=float("inf"),
                                      max_rel_diff=float("inf"), cosine=-1.0, passed=False)
            diffs.append(missing_diff)
            worst[name] = missing_diff
        for name, onnx_name, value in paired:
            stats = compare(value, expected[name], _mask(inputs))
            ok = within(stats, rtol, atol, floor)
            if "shape_mismatch" in stats:
                got, want = stats["shape_mismatch"]
                problems.setdefault(onnx_name, f"output '{onnx_name}' has shape {dims_text(got)} but PyTorch's "
                                               f"'{name}' is {dims_text(want)} (at batch {batch}, sequence {seq})")
            diffs.append(OutputDiff(name=onnx_name, shape=list(value.shape), max_abs_diff=stats["max_abs_diff"],
                                    max_rel_diff=stats["max_rel_diff"], cosine=stats["cosine"], passed=ok))
            signal[onnx_name] = signal.get(onnx_name, False) or stats.get("scale", 1.0) > 0
            prev = worst.get(onnx_name)
            if prev is None or (prev.max_rel_diff, -prev.cosine) < (stats["max_rel_diff"], -stats["cosine"]):
                worst[onnx_name] = diffs[-1]
        first = next(iter(inputs.values()))
        runs.append({"shape": list(first.shape),
                     "inputs": {k: list(v.shape) for k, v in inputs.items()},
                     "outputs": [d.to_dict() for d in diffs]})
    outputs = list(worst.values())
    blind, reason = _no_signal(signal, notes)
    located = {}
    if spec.locate and (_is_onnx(path) or exposes):
        notes.append("locate: the first shape was compared unpadded, in the PyTorch run whose module values locate "
                     "reads (a padded position's values need not match)")
    if spec.locate and not _is_onnx(path) and not exposes:
        notes.append(f"locate: the {runtime.name} runtime cannot expose intermediate values, so this artifact was "
                     "compared output by output")
    elif spec.locate:
        stages.next("locating the first diverging node")
        try:
            located = _locate(spec, path, session if exposes else None, loaded, (rtol, atol, floor), quantized,
                              tried, first_run, all(d.passed for d in outputs), inferred, infos)
        except WorkbenchError as err:  # the comparison above still stands
            notes.append(f"locate: {err}")
    session.close()
    stages.done("validated")
    return ValidateResult(passed=all(d.passed for d in outputs) and not blind, outputs=outputs,
                          shapes_tried=[r["shape"] for r in runs], rtol=rtol, atol=atol, checker=checker,
                          shape_inference=inference, runs=runs, static=static, notes=notes,
                          reason=failure_reason(outputs, rtol, floor, problems) or reason, **located)
