"""The CUDA preset of ``workbench optimize --target cuda``: transformer fusion that matches the graphs the dynamo
exporter writes, then fp16 weights with float32 inputs and outputs, re-validated against PyTorch fp32.

Steps (each reported with node counts; an optional one that fails is skipped with its reason):

1. onnxslim (when ``simplify``);
2. ONNX Runtime's transformer optimizer (``onnxruntime.transformers.optimizer``, model type from the export's
   metadata or config.json, ``opt_level=0``, ``use_gpu=True``): SkipLayerNormalization, FastGelu / BiasGelu.
   On dynamo graphs it fuses no attention;
3. onnxscript's ``rewriter.ort_fusions.optimize_for_ort``: MultiHeadAttention (BERT: packed Attention),
   SkipLayerNormalization, BiasGelu. Its MultiHeadAttention rule replaces a Reshape to (B*S, D) by a (B, S, D)
   output, so a Gemm after it (GPT-2's Conv1D) would get a rank-3 input and the model would not load:
   :func:`repair_gemm_inputs` puts the 2-D Reshape back. Then the hand-written fusions of fusions.py, and
   :func:`simplify_attention_mask` (masks.py): the exporter's ~20-node attention-mask subgraph recomputed in the
   fewest nodes that give the same bias on every probe mask;
4. alignment: a large matrix product whose output width is not a multiple of 8 (GPT-2's LM head: 50257 words)
   makes cuBLAS write rows at odd addresses and fall back to slow kernels (measured on an H100: 0.13 ms of a
   0.8 ms GPT-2 run at batch 1). Its weight is padded with zero rows/columns to a multiple of 8 and the output
   sliced back to its width (:func:`pad_matmul_outputs`); an embedding table it shares is padded too, harmlessly;
5. fp16: ``onnxruntime.transformers.float16.convert_float_to_float16(keep_io_types=True)``.

ONNX Runtime's own graph optimizations run when the CUDA session loads the model (they depend on the provider),
so no offline ORT optimization is saved. With ``against``, the fp16 model is validated against PyTorch fp32
(fp16 tolerances: max relative error 1e-2); if it fails and the fused fp32 model passes, the fp32 one is kept
and the step says why. CUDA graphs are a benchmark option (``workbench bench --provider cuda --cuda-graph``).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.jobs import Stages
from workbench.core.optimize.common import (Skip, fusion_type, is_large, model_metadata, op_counts, publish,
                                             run_step, save, simplify)
from workbench.core.optimize.fusions import fold_gemm_biases, pack_qkv_attention
from workbench.core.optimize.masks import simplify_attention_mask
from workbench.core.optimize.rewrites import (ALIGN_MULTIPLE, bias_bare_gemms, pad_matmul_outputs,
                                               repair_gemm_inputs)
from workbench.core.results import OptimizeResult
from workbench.core.specs import OptimizeSpec, ValidateSpec
from workbench.core.quiet import library_output




def _config(spec: OptimizeSpec, src: Path) -> dict:
    """config.json of the source (metadata 'workbench.source' or ``against``), or {}."""
    import json


    folders = [model_metadata(src).get("workbench.source")]
    if spec.against is not None:
        folders.append(spec.against.path)
    for folder in folders:
        config = Path(folder or "") / "config.json"
        if folder and config.is_file():
            try:
                return json.loads(config.read_text("utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
    return {}


def ort_fusion(src: Path, dst: Path, model_type: str, config: dict, large: bool) -> str:
    """ONNX Runtime's transformer optimizer for the CUDA provider, no ORT graph optimization (opt_level=0)."""
    import onnx
    from onnxruntime.transformers import optimizer

    heads = config.get("num_attention_heads") or config.get("n_head") or 0
    hidden = config.get("hidden_size") or config.get("n_embd") or 0
    model = onnx.load(str(src))
    biased = bias_bare_gemms(model)  # ORT's GPT-2 fusion needs every Gemm to have its bias input
    with tempfile.TemporaryDirectory(dir=dst.parent) as tmp:
        source = str(src)
        if biased:
            source = str(Path(tmp) / "biased.onnx")
            save(model, Path(source), large)
        del model
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            fused = optimizer.optimize_model(source, model_type=model_type, num_heads=int(heads),
                                             hidden_size=int(hidden), opt_level=0, use_gpu=True)
        stats = {k: v for k, v in (fused.get_fused_operator_statistics() or {}).items() if v}
        _declare_domains(fused.model)
        save(fused.model, dst, large)
    extra = f"; {biased} bias-less Gemm(s) given a zero bias first" if biased else ""
    return f"ONNX Runtime {model_type} fusion: " + (", ".join(f"{k} {v}" for k, v in stats.items())
                                                   or "nothing fused") + extra


def _declare_domains(model) -> None:
    """Add the opset import of com.microsoft where fused nodes use it (ORT's optimizer leaves it out)."""
    from onnx import helper

    declared = {o.domain for o in model.opset_import}
    if "com.microsoft" not in declared and any(n.domain == "com.microsoft" for n in model.graph.node):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


@contextlib.contextmanager
def _quiet():
    """onnx_ir logs a traceback when ONNX shape inference meets a com.microsoft op: expected, not news."""
    import logging

    loggers = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def onnxscript_fusion(src: Path, dst: Path, large: bool) -> str:
    """onnxscript's ORT fusions (attention, SkipLayerNorm, GELU), then the Gemm repair; raises if none applied."""
    import onnx_ir as ir
    from onnxscript.rewriter import ort_fusions


    with _quiet():
        model = ir.load(str(src))
        model, counts = ort_fusions.optimize_for_ort(model)
        proto = ir.serde.serialize_model(model)
    repaired = repair_gemm_inputs(proto)
    packed = pack_qkv_attention(proto)
    folded = fold_gemm_biases(proto)
    nodes = len(proto.graph.node)
    masked = simplify_attention_mask(proto)  # nodes removed; the new ones are the rest of the count's change
    added = len(proto.graph.node) - nodes + masked
    save(proto, dst, large)
    applied = {k: v for k, v in counts.items() if v}
    if not applied:
        raise RuntimeError("no onnxscript fusion matched this graph")
    extra = f"; {repaired} Gemm input(s) reshaped back to 2-D" if repaired else ""
    extra += f"; {packed} packed QKV projection(s) + MultiHeadAttention made Attention" if packed else ""
    extra += f"; {folded} Gemm bias(es) moved into SkipLayerNormalization" if folded else ""
    extra += f"; attention mask: {masked} node(s) computing it replaced by {added}" if masked else ""
    return "onnxscript fusion: " + ", ".join(f"{k} {v}" for k, v in applied.items()) + extra


def align_outputs(src: Path, dst: Path, large: bool) -> str:
    import onnx


    model = onnx.load(str(src))
    done = pad_matmul_outputs(model, ALIGN_MULTIPLE)
    if not done:
        raise _NothingToDo("no wide matrix product with an unaligned output width")
    save(model, dst, large)
    return "padded to a multiple of {}: ".format(ALIGN_MULTIPLE) + ", ".join(
        f"{name or 'MatMul'} {n} -> {p} columns, sliced back" for name, n, p in done)


class _NothingToDo(Skip):
    """A step that found nothing to change: reported as not applied, without 'skipped' (common.run_step)."""


def _fp16_failed(first: str) -> WorkbenchError:
    return WorkbenchError(f"fp16 conversion failed: {first}", "optimize with --target cpu, or quantize --mode fp16")


def to_fp16(src: Path, dst: Path, large: bool, fp16_outputs: bool = False) -> str:
    """fp16 weights and compute; float32 inputs, and float32 outputs unless ``fp16_outputs`` (then the graph
    ends without a Cast: GPT-2's float32 logits cost a kernel and 4 bytes a word per position)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(src))
    keep: object = True
    if fp16_outputs:
        keep = [i.name for i in model.graph.input]  # named ones stay float32: the inputs only
    with library_output():
        model = convert_float_to_float16(model, keep_io_types=keep, disable_shape_infer=large)
    save(model, dst, large)
    return "fp16 weights and compute, " + ("float32 inputs, float16 outputs" if fp16_outputs else
                                           "float32 inputs and outputs")


def _validate(path: Path, spec: OptimizeSpec):
    """(ValidateResult or None, note or None): on CUDA where available, else on the CPU."""
    from workbench.core.ort import cuda_available
    from workbench.core.validate import validate_model

    provider = "cuda" if cuda_available() else "cpu"
    try:
        return validate_model(ValidateSpec(model=str(path), against=spec.against, provider=provider)), None
    except WorkbenchError as err:
        return None, f"could not validate on the {provider.upper()}: {err.what}"


def optimize_cuda(spec: OptimizeSpec, src: Path, progress=None, cancel=None) -> OptimizeResult:
    """Run the CUDA preset on ``src`` and write ``spec.output`` (see the module's docstring)."""
    from workbench.core.optimize.cuda_decoder import gqa_source, optimize_cuda_decoder

    folder, not_gqa = gqa_source(spec, src)
    if folder is not None:  # a Llama-family decoder: the GroupQueryAttention decoder instead of graph fusion
        if spec.fp16_outputs:
            raise WorkbenchError("float16 outputs are not a choice of the GroupQueryAttention decoder (it writes its "
                                 "own: the next token and the last position's logits in its compute type)",
                                 "leave out --fp16-outputs")
        return optimize_cuda_decoder(spec, src, folder, progress, cancel)
    stages = Stages(["simplifying", "ONNX Runtime fusion", "onnxscript fusion", "fp16", "validating"],
                    progress, cancel)
    large = is_large(src)
    before = op_counts(src)
    model_type = fusion_type(spec, src) if spec.fusion else None
    config = _config(spec, src)
    plan = [("onnxslim", spec.simplify, lambda a, b: simplify(a, b, large)),
            ("transformer fusion", bool(model_type), lambda a, b: ort_fusion(a, b, model_type, config, large)),
            ("attention fusion", spec.fusion, lambda a, b: onnxscript_fusion(a, b, large)),
            ("alignment", ALIGN_MULTIPLE > 1, lambda a, b: align_outputs(a, b, large)),
            ("fp16", True, lambda a, b: to_fp16(a, b, large, spec.fp16_outputs))]
    steps: list = [] if not_gqa is None else [
        {"name": "GroupQueryAttention decoder", "applied": False, "detail": f"not written: {not_gqa}; the "
         "generic CUDA preset instead"}]
    validation = None
    with tempfile.TemporaryDirectory(prefix="wb-opt-cuda-") as tmp:
        current = fp32 = src
        for i, (name, wanted, run) in enumerate(plan):
            stages.next()
            if not wanted:
                detail = "no ONNX Runtime fusion for this model type" if name == "transformer fusion" \
                    and spec.fusion else "off"
                steps.append({"name": name, "applied": False, "detail": detail})
                continue
            out = Path(tmp) / f"step{i}" / "model.onnx"
            out.parent.mkdir()
            if run_step(name, run, current, out, steps, _fp16_failed if name == "fp16" else None):
                fp32, current = (current, out) if name == "fp16" else (out, out)
        steps.append({"name": "ort", "applied": False,
                      "detail": "left to the CUDA session: ONNX Runtime optimizes for its provider at load"})
        stages.next()
        if spec.against is not None:
            validation, note = _validate(current, spec)
            if validation is None or not validation.passed:
                fallback, fallback_note = _validate(fp32, spec)
                if fallback is not None and fallback.passed and validation is not None:
                    worst = max(d.max_rel_diff for d in validation.outputs)
                    fp16_step = next(s for s in steps if s["name"] == "fp16")
                    fp16_step.update(applied=False, detail=f"reverted: fp16 missed the tolerance (max relative "
                                                          f"error {worst:.2e} > {validation.rtol:g}); kept fp32")
                    current, validation = fp32, fallback
                elif validation is None:
                    # e.g. fp16 kernels missing on the CPU: the fused fp32 graph proves the fusion instead
                    validation = fallback
                    steps.append({"name": "validation", "applied": False,
                                  "detail": f"{note}; the fp32 fused model was validated instead"
                                  + (f" ({fallback_note})" if fallback_note else "")})
        if current == src:  # fp16 reverted and nothing fused: publish a copy of the input in the step layout
            import onnx

            current = Path(tmp) / "copy" / "model.onnx"
            current.parent.mkdir()
            save(onnx.load(str(src)), current, large)
        from workbench.core import tensorrt_profile  # a good TensorRT input: its profile, and what to build from

        tensorrt_profile.record(current, config, src)
        publish(current, spec.output, large, spec)
    after = op_counts(spec.output)
    stages.done("optimized for CUDA")
    return OptimizeResult(output=str(Path(spec.output).expanduser().resolve()), steps=steps,
                          nodes_before=sum(before.values()), nodes_after=sum(after.values()),
                          op_counts_before=dict(before), op_counts_after=dict(after), validation=validation)
