"""Quantize an ONNX model with ONNX Runtime's tools and measure how far the result drifts from the input model.

Modes (``QuantSpec.mode``):

* ``int8-dynamic``: ``quantize_dynamic``; int8 weights (per channel by default), activations quantized on the fly.
* ``int8-static``: ``quantize_static`` in QDQ format with calibration data (see calibration.py), after
  ``quant_pre_process`` where it succeeds. Only MatMul is quantized by default: attention masks built from
  ``-inf`` / dtype-min constants flow through Add/Softmax/Where, their calibration ranges are infinite or huge, and
  quantizing those ops either fails ("Too many bins") or destroys the attention. ``op_types`` widens it.
* ``fp16``: ``onnxruntime.transformers.float16.convert_float_to_float16`` with float32 inputs and outputs kept.
* ``int4`` / ``int8-weight``: weight-only blockwise quantization to MatMulNBits
  (``matmul_nbits_quantizer.MatMulNBitsQuantizer``). ``algorithm``:

  - ``rtn`` (default): round-to-nearest with ORT's own blockwise quantizer (``DefaultWeightOnlyQuantConfig``).
    ``RTNWeightOnlyQuantConfig`` is not used: it goes through the bundled Neural Compressor port, which is
    4-bit only and crashes on asymmetric weights whose columns hold an odd number of blocks (e.g. 384-wide layers
    at block size 128), and prints progress bars to stdout.
  - ``hqq``: half-quadratic quantization, 4-bit only (8-bit HQQ has float zero points that ORT's CPU kernel
    refuses), asymmetric only.
  - ``gptq``: needs calibration data (the same readers as static int8); 4-bit only; asymmetric needs an even number
    of blocks per weight column (the same Neural Compressor packing limit), otherwise use ``symmetric``.

Every quantizer runs in a private working folder next to the output, on a copy of the input (the user's file is
never written), with the current directory and the temporary folder pointed there: ``quant_pre_process``,
symbolic shape inference and calibration leave temporary files behind on failure. The output is written through
``staged_output`` and appears only when it loads in ONNX Runtime and its fidelity was measured. Models with
external data load with it; the output keeps weights inside the file unless they exceed 1.5 GB.

The quantizers themselves cannot be interrupted: ``cancel`` is checked between stages (the GUI runs quantization
in a child process to stop it at any time).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Optional

import onnx

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import check_output, file_size, output_rules, staged_output
from workbench.core.jobs import CancelToken, ProgressFn, Stages
from workbench.core.results import QuantizeResult
from workbench.core.specs import QUANT_MODES, QuantSpec
from workbench.core.quantize.checks import base_settings, check_spec, load_header, weight_only
from workbench.core.quantize.fidelity import fidelity
from workbench.core.quantize.methods import QUANTIZERS, preprocess, targeted
from workbench.core.quantize.sensitivity import replace_exclude, target_of
from workbench.core.quantize.workdir import copy_input, save, workdir

FILE_SUFFIXES = {"int8-dynamic": "int8", "int8-static": "int8-static", "fp16": "fp16", "int4": "int4",
                 "int8-weight": "int8-weight"}


# --- the job -------------------------------------------------------------------------------------------------------

def quantize_model(spec: QuantSpec, progress: Optional[ProgressFn] = None,
                   cancel: Optional[CancelToken] = None) -> QuantizeResult:
    """Quantize ``spec.model`` to ``spec.output``; the result carries sizes, settings and fidelity."""
    from workbench.core.loading import limits

    check_spec(spec)
    src = Path(spec.model).expanduser().resolve()  # absolute: the quantizers run in another current directory
    final = check_output(spec.output, **output_rules(spec))  # before the work: nothing it may not replace
    needs_data = spec.mode == "int8-static" or (weight_only(spec.mode) and spec.algorithm == "gptq")
    names = ["checking the model"]
    names += ["reading calibration data"] if needs_data else []
    names += ["preparing the model"] if spec.mode == "int8-static" else []
    names += [f"quantizing ({spec.mode})", "checking the result", "measuring fidelity"]
    stages = Stages(names, progress, cancel)
    stages.next()
    settings = base_settings(spec)
    reader = None
    if needs_data:
        stages.next()
        from workbench.core.quantize.calibration import make_reader

        reader = make_reader(spec.calibration, src, tokenizer=spec.tokenizer, samples=spec.calibration_samples,
                             same_shape=spec.mode == "int8-static" and spec.method != "minmax")
        settings["calibration"] = {"source": str(spec.calibration), "batches": len(reader), **reader.info}
    with workdir(final.parent) as work:
        limits.name_work_folder(work, src)  # a runaway run of a working copy is reported as the input
        source = copy_input(src, work, pretranspose_gemm=spec.mode == "int8-dynamic")
        if spec.mode == "int8-static":
            stages.next()
            source = preprocess(source, work, spec.exclude, settings)
        stages.next()
        targeting, checked = None, spec
        if spec.mode == "int8-dynamic" and target_of(spec)[0]:  # fidelity-targeted int8 (sensitivity.py)
            model, targeting = targeted(source, work, spec, settings, stages, cancel)
            checked = replace_exclude(spec, targeting["kept_fp32"])
        else:
            model = QUANTIZERS[spec.mode](source, work, spec, reader, settings, _per_node(stages, spec.mode))
        stages.next()
        with staged_output(final, **output_rules(spec)) as out:
            settings["external_data"] = save(model, out)
            del model
            _check_result(out, src, checked)
            stages.next()
            fid = fidelity(src, out)
            written = sorted(p.name for p in out.parent.iterdir())
    outputs = [str(final.parent / n) for n in sorted(written, key=lambda n: (n != final.name, n))]
    stages.done(f"quantized ({spec.mode}), cosine {fid.cosine:.4f}")
    floor = fidelity_floor(spec)
    passed = fid.cosine >= floor
    notes = [] if passed else [f"FAILED: fidelity cosine {fid.cosine:.4f} is below the {spec.mode} floor {floor:g} "
                               f"(the file is still written); {_below_floor_hint(spec)}"]
    return QuantizeResult(output=str(final), mode=spec.mode,
                          size_bytes={"before": file_size(src), "after": file_size(final)},
                          fidelity=fid, settings=settings, outputs=outputs, targeting=targeting,
                          passed=passed, floor=floor, notes=notes)


# The share of the quantizing stage each counted phase takes (static int8: calibration's inferences, then nodes).
PHASES = {"calibration batches": (0.0, 0.8)}


def _per_node(stages: Stages, mode: str):
    """``report(done, total, unit)`` for the quantizers (node_progress.py): a progress message
    ``quantizing (MODE) 12/96 nodes`` (the CLI's bar takes its rate from the count) at the stage's fraction."""
    index, count = stages.index, len(stages.names)
    name = stages.names[index]

    def report(done: int, total: int, unit: str) -> None:
        low, high = PHASES.get(unit, (0.8, 1.0) if mode == "int8-static" else (0.0, 1.0))
        within = low + (high - low) * (done / total if total else 1.0)
        stages.progress((index + within) / count, f"{name} {done}/{total} {unit}")

    return report


def fidelity_floor(spec: QuantSpec) -> float:
    """The cosine a ``spec.mode`` result must reach: validate.py's floor for its precision (int8: 0.99, int4: 0.95,
    fp16: 0.999), or the user's own ``min_cosine`` for fidelity-targeted int8."""
    from workbench.core.validate import QUANTIZED_TOLERANCES, TOLERANCES

    if spec.min_cosine:
        return float(spec.min_cosine)
    precision = "int4" if spec.mode == "int4" else "int8" if spec.mode.startswith("int8") else spec.mode
    table = QUANTIZED_TOLERANCES if precision in QUANTIZED_TOLERANCES else TOLERANCES
    return table[precision][2]


def _below_floor_hint(spec: QuantSpec) -> str:
    if spec.mode == "int8-static":
        return ("try more or more representative calibration data, another --method, --per-channel, or --exclude "
                "the sensitive nodes; int8-dynamic with --min-cosine keeps them float32 automatically")
    if spec.mode == "int8-dynamic":
        return "use --min-cosine to keep the most sensitive nodes float32, or --exclude them"
    if spec.mode == "int4":
        return "try a smaller --block-size, --algorithm hqq or gptq, or --exclude the sensitive nodes"
    return "--exclude the sensitive nodes, or try another --mode"


def quantize_variants(model, out_dir, modes, progress: Optional[ProgressFn] = None,
                      cancel: Optional[CancelToken] = None, **common) -> list:
    """Quantize one model to several modes: ``out_dir/<stem>.<mode>.onnx`` each; stops at the first failure.

    ``common`` holds QuantSpec fields shared by every variant (per_channel, calibration, exclude, ...).
    """
    known = {f.name for f in fields(QuantSpec)} - {"model", "output", "mode"}
    unknown = sorted(set(common) - known)
    if unknown:
        raise WorkbenchError(f"unknown quantize option '{unknown[0]}'", f"use any of: {', '.join(sorted(known))}")
    modes = [modes] if isinstance(modes, str) else list(modes)
    for mode in modes:
        if mode not in QUANT_MODES:
            raise WorkbenchError(f"unknown quantization mode '{mode}'", f"use one of: {', '.join(QUANT_MODES)}")
    stem = Path(str(model)).name
    stem = stem[:-5] if stem.endswith(".onnx") else Path(stem).stem
    results = []
    for i, mode in enumerate(modes):
        def sub(fraction, message, i=i, mode=mode):
            if progress is not None:
                progress((i + fraction) / len(modes), f"{mode}: {message}")

        output = Path(out_dir).expanduser() / f"{stem}.{FILE_SUFFIXES[mode]}.onnx"
        spec = QuantSpec(model=str(model), output=str(output), mode=mode, **common)
        results.append(quantize_model(spec, progress=sub, cancel=cancel))
    return results


def _check_result(path: Path, src: Path, spec: QuantSpec) -> None:
    """The output passes the ONNX checker, loads in ONNX Runtime, and every excluded node is still there with its
    float weights (a file only ORT accepts would pass here and then fail every validate). It loads in the
    onnxruntime runtime's session, the one fidelity, validate and bench then run."""
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact

    try:
        onnx.checker.check_model(str(path))  # path-based: works past 2 GB
    except Exception as err:  # noqa: BLE001
        raise WorkbenchError(f"the {spec.mode} model fails the ONNX checker ({first_line(err)})",
                             "exclude the node it names (--exclude), or try another --mode") from err

    try:
        open_artifact(path, RuntimeOptions(), NAME)[1].close()
    except WorkbenchError as err:
        raise WorkbenchError(f"the {spec.mode} model does not load in ONNX Runtime ({err.what})",
                             "exclude the node it names (--exclude), or try another --mode") from err
    if spec.exclude:
        original = {n.name: n.op_type for n in onnx_io.nodes(load_header(src).graph)}
        result = {n.name: n.op_type for n in onnx_io.nodes(load_header(path).graph)}
        changed = [n for n in spec.exclude if result.get(n) != original.get(n)]
        if changed:
            raise WorkbenchError(f"the {spec.mode} quantizer did not keep {', '.join(changed[:3])} as it was",
                                 "try another --mode or --algorithm for this model")
