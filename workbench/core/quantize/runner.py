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

import contextlib
import inspect as pyinspect
import logging
import math
import os
import tempfile
import threading
from dataclasses import fields
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import check_output, file_size, output_rules, staged_output, work_folder
from workbench.core.jobs import CancelToken, ProgressFn, Stages
from workbench.core.results import QuantizeResult
from workbench.core.specs import CALIBRATION_METHODS, QUANT_MODES, WEIGHT_ONLY_ALGOS, QuantSpec
from workbench.core.quantize.errors import quantizer_error
from workbench.core.quantize.fidelity import fidelity
from workbench.core.quantize.sensitivity import check_target, quantize_to_floor, replace_exclude, target_of
from workbench.core.quiet import library_output

STATIC_OP_TYPES = ("MatMul",)
WEIGHT_ONLY_OP_TYPES = ("MatMul",)
FILE_SUFFIXES = {"int8-dynamic": "int8", "int8-static": "int8-static", "fp16": "fp16", "int4": "int4",
                 "int8-weight": "int8-weight"}
QUANTIZABLE_HINT = ("MatMul", "Gemm", "Conv", "Gather", "Attention")
_LOCK = threading.RLock()  # the working directory and tempfile.tempdir are process-wide


# --- the job -------------------------------------------------------------------------------------------------------

def quantize_model(spec: QuantSpec, progress: Optional[ProgressFn] = None,
                   cancel: Optional[CancelToken] = None) -> QuantizeResult:
    """Quantize ``spec.model`` to ``spec.output``; the result carries sizes, settings and fidelity."""
    from workbench.core.loading import limits

    check_spec(spec)
    src = Path(spec.model).expanduser().resolve()  # absolute: the quantizers run in another current directory
    final = check_output(spec.output, **output_rules(spec))  # before the work: nothing it may not replace
    needs_data = spec.mode == "int8-static" or (_weight_only(spec.mode) and spec.algorithm == "gptq")
    names = ["checking the model"]
    names += ["reading calibration data"] if needs_data else []
    names += ["preparing the model"] if spec.mode == "int8-static" else []
    names += [f"quantizing ({spec.mode})", "checking the result", "measuring fidelity"]
    stages = Stages(names, progress, cancel)
    stages.next()
    settings = _base_settings(spec)
    reader = None
    if needs_data:
        stages.next()
        from workbench.core.quantize.calibration import make_reader

        reader = make_reader(spec.calibration, src, tokenizer=spec.tokenizer, samples=spec.calibration_samples,
                             same_shape=spec.mode == "int8-static" and spec.method != "minmax")
        settings["calibration"] = {"source": str(spec.calibration), "batches": len(reader), **reader.info}
    with _workdir(final.parent) as work:
        limits.name_work_folder(work, src)  # a runaway run of a working copy is reported as the input
        source = _copy_input(src, work)
        if spec.mode == "int8-static":
            stages.next()
            source = _preprocess(source, work, spec.exclude, settings)
        stages.next()
        targeting, checked = None, spec
        if spec.mode == "int8-dynamic" and target_of(spec)[0]:  # fidelity-targeted int8 (sensitivity.py)
            model, targeting = _targeted(source, work, spec, settings, stages, cancel)
            checked = replace_exclude(spec, targeting["kept_fp32"])
        else:
            model = _QUANTIZERS[spec.mode](source, work, spec, reader, settings)
        stages.next()
        with staged_output(final, **output_rules(spec)) as out:
            settings["external_data"] = _save(model, out)
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


# --- checking the spec ---------------------------------------------------------------------------------------------

def _weight_only(mode: str) -> bool:
    return mode in ("int4", "int8-weight")


def _load_header(path: Path):
    import onnx

    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as err:  # noqa: BLE001 - protobuf DecodeError and friends
        raise WorkbenchError(f"{path}: not a readable ONNX file ({first_line(err)})",
                             "check the file, or export the model again with `workbench export`") from err


def check_spec(spec: QuantSpec):
    """Everything that can be checked before quantizing; returns the input's graph (headers only)."""
    if spec.mode not in QUANT_MODES:
        raise WorkbenchError(f"unknown quantization mode '{spec.mode}'", f"use one of: {', '.join(QUANT_MODES)}")
    if spec.method not in CALIBRATION_METHODS:
        raise WorkbenchError(f"unknown calibration method '{spec.method}'",
                             f"use one of: {', '.join(CALIBRATION_METHODS)}")
    if spec.algorithm not in WEIGHT_ONLY_ALGOS:
        raise WorkbenchError(f"unknown weight-only algorithm '{spec.algorithm}'",
                             f"use one of: {', '.join(WEIGHT_ONLY_ALGOS)}")
    from workbench.core.loading import limits

    src = limits.input_path(spec.model, "file", "give the path of an .onnx model (make one with `workbench export`)")
    if src.is_dir():
        inside = sorted(src.glob("*.onnx"))
        raise WorkbenchError(f"{spec.model} is a folder, not an ONNX file",
                             f"give the .onnx file itself{', e.g. ' + str(inside[0]) if inside else ''}")
    if src.suffix.lower() != ".onnx":
        raise WorkbenchError(f"{spec.model} is not an .onnx file",
                             "quantization works on ONNX models: export it first with `workbench export`")
    if not str(spec.output).endswith(".onnx"):
        raise WorkbenchError(f"output '{spec.output}' does not end in .onnx", "name the output like model.int8.onnx")
    out = Path(spec.output).expanduser().resolve()
    if out == src.resolve():
        raise WorkbenchError("the output is the input file", "choose another output name; the input is never changed")
    if spec.calibration_samples < 1:
        raise WorkbenchError(f"calibration_samples is {spec.calibration_samples}", "use at least 1")
    check_target(spec)
    header = _load_header(limits.regular_file(src, "ONNX file"))
    limits.check_onnx_loops(header, src)
    nodes = list(onnx_io.nodes(header.graph))
    names = {n.name for n in nodes}
    missing = [n for n in spec.exclude if n not in names]
    if missing:
        examples = [n.name for n in nodes if n.op_type in QUANTIZABLE_HINT and n.name][:5] or \
            [n.name for n in nodes if n.name][:5]
        raise WorkbenchError(f"no node named {', '.join(repr(m) for m in missing[:3])} in {src.name}",
                             f"exclude takes node names, e.g. {', '.join(examples) or '(the graph has no names)'}; "
                             "`workbench inspect` and Netron show them")
    ops = {n.op_type for n in nodes}
    if spec.mode != "fp16":
        wanted = tuple(spec.op_types) if spec.op_types else (
            STATIC_OP_TYPES if spec.mode == "int8-static" else WEIGHT_ONLY_OP_TYPES if _weight_only(spec.mode)
            else None)
        if wanted is not None and not set(wanted) & ops:
            raise WorkbenchError(f"{src.name} has no {'/'.join(wanted)} nodes to quantize",
                                 f"its operators are: {', '.join(sorted(ops)[:12])}; pick op_types among them")
        if wanted is None and not set(QUANTIZABLE_HINT) & ops:
            raise WorkbenchError(f"{src.name} has no MatMul, Gemm, Conv or Gather nodes to quantize",
                                 "try --mode fp16")
    if spec.mode == "fp16" and _mostly_fp16(header):
        raise WorkbenchError(f"{src.name} already has fp16 weights", "convert the fp32 model instead")
    if spec.mode == "int8-static" and not spec.calibration:
        raise WorkbenchError("int8-static needs calibration data",
                             "give --calibration: a folder of .npz samples or a .txt file with one text per line")
    if _weight_only(spec.mode):
        _check_weight_only(spec, header)
    return header


def _mostly_fp16(header) -> bool:
    import onnx

    counts = {onnx.TensorProto.FLOAT: 0, onnx.TensorProto.FLOAT16: 0}
    for t in header.graph.initializer:
        if t.data_type in counts:
            counts[t.data_type] += math.prod(t.dims)
    return counts[onnx.TensorProto.FLOAT16] > counts[onnx.TensorProto.FLOAT]


def _check_weight_only(spec: QuantSpec, header) -> None:
    bs = spec.block_size
    if bs < 16 or bs & (bs - 1):
        raise WorkbenchError(f"block size {bs} is not supported", "use a power of two from 16 up, e.g. 32, 64 or 128")
    if spec.algorithm == "gptq" and not spec.calibration:
        raise WorkbenchError("GPTQ needs calibration data",
                             "give --calibration (a folder of .npz samples or a .txt file), or use --algorithm rtn")
    if spec.mode == "int8-weight" and spec.algorithm != "rtn":
        raise WorkbenchError(f"{spec.algorithm} makes 4-bit weights only",
                             "use --mode int4, or --algorithm rtn for int8-weight")
    if spec.algorithm == "hqq" and spec.symmetric:
        raise WorkbenchError("hqq quantization is asymmetric only", "leave symmetric off, or use --algorithm rtn")
    if spec.algorithm == "gptq" and not spec.symmetric:
        inits = {t.name: t for t in header.graph.initializer}
        for node in header.graph.node:
            if node.op_type == "MatMul" and len(node.input) > 1 and node.input[1] in inits \
                    and node.name not in spec.exclude:
                dims = list(inits[node.input[1]].dims)
                if len(dims) == 2 and math.ceil(dims[0] / bs) % 2:
                    raise WorkbenchError(
                        f"asymmetric GPTQ cannot pack {node.name} ({dims[0]} rows make "
                        f"{math.ceil(dims[0] / bs)} blocks of {bs}; it needs an even count)",
                        f"use --symmetric, or a block size that splits {dims[0]} into an even number of blocks")


def _base_settings(spec: QuantSpec) -> dict:
    s = {"mode": spec.mode, "exclude": list(spec.exclude)}
    if spec.mode == "int8-dynamic":
        s.update(per_channel=spec.per_channel, weight_type="QInt8", op_types=list(spec.op_types or []) or "default")
    elif spec.mode == "int8-static":
        s.update(per_channel=spec.per_channel, format="QDQ", activation_type="QInt8", weight_type="QInt8",
                 method=spec.method, op_types=list(spec.op_types or STATIC_OP_TYPES))
    elif spec.mode == "fp16":
        s.update(keep_io_types=True)
    else:
        s.update(bits=4 if spec.mode == "int4" else 8, block_size=spec.block_size, symmetric=spec.symmetric,
                 algorithm=spec.algorithm, op_types=list(spec.op_types or WEIGHT_ONLY_OP_TYPES))
    return s


# --- working folder, copies and saving -----------------------------------------------------------------------------

class _QuietOrt(logging.Filter):
    """Drops ORT's advice logged on the root logger (e.g. 'consider pre-processing'); errors still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "onnxruntime" not in (record.pathname or "")


@contextlib.contextmanager
def _workdir(parent: Path):
    """A private folder next to the output, made the current directory and the temporary folder while it lives."""
    scratch = contextlib.ExitStack()  # .quantize-work-PID-*, removed with the folders made for it
    work = scratch.enter_context(work_folder(parent, "quantize"))
    with _LOCK, scratch:
        old_cwd, old_tmp = os.getcwd(), tempfile.tempdir
        loggers = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)
                   if name.startswith(("onnxruntime", "neural_compressor"))}
        quiet = _QuietOrt()
        try:
            logging.root.addFilter(quiet)
            os.chdir(work)
            tempfile.tempdir = str(work)
            for name in loggers:
                logging.getLogger(name).setLevel(logging.WARNING)
            # ORT's quantizers print progress to stdout; keep stdout clean for --json.
            with library_output():
                yield work
        finally:
            logging.root.removeFilter(quiet)
            os.chdir(old_cwd)
            tempfile.tempdir = old_tmp
            for name, level in loggers.items():
                logging.getLogger(name).setLevel(level)


def _save(model, path: Path) -> bool:
    """Save a ModelProto; tensors go to ``<name>.data`` beside it above onnx_io's threshold. Returns whether they
    did."""
    try:
        return onnx_io.save(model, path)
    except OSError as err:
        raise WorkbenchError(f"cannot write {path.name}: {err.strerror or err}",
                             "free some disk space or choose another output folder") from err


def _copy_input(src: Path, work: Path) -> Path:
    """The input loaded with its external data and saved into the working folder: quantizers only see the copy."""
    import onnx

    try:
        model = onnx.load(str(src), load_external_data=True)
    except Exception as err:  # noqa: BLE001
        raise WorkbenchError(f"cannot read {src} with its weights ({first_line(err)})",
                             "keep the external data file(s) (e.g. model.onnx.data) beside the .onnx file") from err
    dst = work / "input.onnx"
    _save(model, dst)
    return dst


def _is_big(path: Path) -> bool:
    return onnx_io.is_large(file_size(path))


def _load(path: Path):
    import onnx

    return onnx.load(str(path), load_external_data=True)


def _node_names(path: Path) -> set:
    return {n.name for n in onnx_io.nodes(_load_header(path).graph)}


# --- the quantizers ------------------------------------------------------------------------------------------------

def _preprocess(source: Path, work: Path, exclude: tuple, settings: dict) -> Path:
    """quant_pre_process (ORT optimization + shape inference); less of it where a step fails or renames excluded
    nodes; skipped (noted in settings) when nothing works."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    big = _is_big(source)
    attempts = [("optimized, symbolic shapes", {}),
                ("optimized, ONNX shapes", {"skip_symbolic_shape": True}),
                ("ONNX shapes only", {"skip_symbolic_shape": True, "skip_optimization": True})]
    reason = "no attempt ran"
    for i, (label, kwargs) in enumerate(attempts):
        out = work / f"preprocessed{i}.onnx"
        try:
            quant_pre_process(str(source), str(out), save_as_external_data=big, all_tensors_to_one_file=True,
                              external_data_location=out.name + ".data", **kwargs)
        except Exception as err:  # noqa: BLE001 - symbolic shape inference fails on many exports
            reason = first_line(err)
            continue
        if exclude and not set(exclude) <= _node_names(out):
            reason = "it renamed excluded nodes"
            continue
        settings["preprocess"] = label
        return out
    settings["preprocess"] = f"skipped ({reason})"
    return source


def _dynamic(source: Path, work: Path, spec: QuantSpec, reader, settings: dict):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = work / "quantized.onnx"
    try:
        quantize_dynamic(str(source), str(out), op_types_to_quantize=list(spec.op_types) if spec.op_types else None,
                         per_channel=spec.per_channel, weight_type=QuantType.QInt8,
                         nodes_to_exclude=list(spec.exclude), use_external_data_format=_is_big(source))
        return _load(out)
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err


def _targeted(source: Path, work: Path, spec: QuantSpec, settings: dict, stages: Stages, cancel):
    """int8-dynamic with a cosine floor: the fewest most sensitive nodes stay float32 (see sensitivity.py)."""
    index, count = stages.index, len(stages.names)

    def report(fraction: float, message: str) -> None:
        stages.progress((index + min(max(fraction, 0.0), 0.99)) / count, message)

    path, info = quantize_to_floor(source, work, spec, _is_big(source), report, cancel)
    settings.update(min_cosine=info["min_cosine"], kept_fp32=list(info["kept_fp32"]))
    return _load(path), info


def _static(source: Path, work: Path, spec: QuantSpec, reader, settings: dict):
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    from workbench.core.loading import limits

    methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}
    out = work / "quantized.onnx"
    # With exclusions, every consumer gets its own Q/DQ pair, so an excluded node reads the original float tensor
    # instead of the dequantized copy its quantized neighbours share.
    extra = {"DedicatedQDQPair": True} if spec.exclude else {}
    settings["dedicated_qdq_pairs"] = bool(spec.exclude)
    reader.rewind()
    try:
        with limits.guard_every_session(spec.model), _entropy_bins(spec.method, settings):
            quantize_static(str(source), str(out), reader, quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=list(spec.op_types or STATIC_OP_TYPES), per_channel=spec.per_channel,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=list(spec.exclude), use_external_data_format=_is_big(source),
                            calibrate_method=methods[spec.method], extra_options=extra)
        return _load(out)
    except WorkbenchError:
        raise  # the run-time guard's one line (core/loading/limits.py)
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err


ENTROPY_BINS = 2048  # histogram bins for the entropy calibrator (TensorRT's choice); 128 quantized bins


@contextlib.contextmanager
def _entropy_bins(method: str, settings: dict):
    """Give ORT's entropy calibrator a histogram finer than its quantized one.

    quantize_static (ORT 1.32) builds the entropy calibrator with 128 histogram bins and 128 quantized bins and
    passes no option to change them; the KL search then has a single candidate, the full range, and the result is
    the min-max calibration byte for byte. ``create_calibrator`` reads ``num_bins`` from its extra options, so the
    call is wrapped for the duration of this quantization (under ``_LOCK``, see ``_workdir``).
    """
    if method != "entropy":
        yield
        return
    import importlib

    from onnxruntime.quantization import CalibrationMethod

    ort_quantize = importlib.import_module("onnxruntime.quantization.quantize")  # the module, not the function

    original = ort_quantize.create_calibrator

    def create_calibrator(*args, **kwargs):
        method_arg = kwargs.get("calibrate_method", args[3] if len(args) > 3 else None)
        if method_arg == CalibrationMethod.Entropy:
            options = dict(kwargs.get("extra_options") or {})
            options.setdefault("num_bins", ENTROPY_BINS)
            options.setdefault("num_quantized_bins", 128)
            kwargs["extra_options"] = options
        return original(*args, **kwargs)

    settings["calibration_bins"] = {"histogram": ENTROPY_BINS, "quantized": 128}
    ort_quantize.create_calibrator = create_calibrator
    try:
        yield
    finally:
        ort_quantize.create_calibrator = original


def _fp16(source: Path, work: Path, spec: QuantSpec, reader, settings: dict):
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = _load(source)
    try:
        return convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=_is_big(source),
                                        node_block_list=list(spec.exclude) or None)
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err


def _config(cls, settings: dict, **kwargs):
    """Build a weight-only config with the keywords this ORT version accepts; the rest are noted in settings."""
    accepted = pyinspect.signature(cls).parameters
    used = {k: v for k, v in kwargs.items() if k in accepted}
    dropped = sorted(set(kwargs) - set(used))
    if dropped:
        settings.setdefault("not_supported_by_ort", []).extend(f"{cls.__name__}.{k}" for k in dropped)
    return cls(**used)


def _nbits_quantizer_class():
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    class Quantizer(MatMulNBitsQuantizer):
        """The Neural Compressor path (GPTQ) ignores nodes_to_exclude; mark those nodes to stay float."""

        def _generate_q4_node_config(self):
            config = super()._generate_q4_node_config()
            for name in self.nodes_to_exclude:
                config[name] = "fp32"
            return config

    return Quantizer


def _weight_only_quant(source: Path, work: Path, spec: QuantSpec, reader, settings: dict):
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits

    bits = 4 if spec.mode == "int4" else 8
    op_types = tuple(spec.op_types or WEIGHT_ONLY_OP_TYPES)
    if spec.algorithm == "hqq":
        config = _config(nbits.HQQWeightOnlyQuantConfig, settings, block_size=spec.block_size, bits=bits,
                         op_types_to_quantize=op_types)
    elif spec.algorithm == "gptq":
        reader.rewind()
        config = _config(nbits.GPTQWeightOnlyQuantConfig, settings, calibration_data_reader=reader,
                         block_size=spec.block_size, op_types_to_quantize=op_types)
    else:
        config = _config(nbits.DefaultWeightOnlyQuantConfig, settings, block_size=spec.block_size,
                         is_symmetric=spec.symmetric, bits=bits, op_types_to_quantize=op_types)
    try:
        quantizer = _nbits_quantizer_class()(str(source), bits=bits, block_size=spec.block_size,
                                             is_symmetric=spec.symmetric, nodes_to_exclude=list(spec.exclude),
                                             algo_config=config)
        quantizer.process()
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err
    wrapped = quantizer.model
    return getattr(wrapped, "model", wrapped)


_QUANTIZERS = {"int8-dynamic": _dynamic, "int8-static": _static, "fp16": _fp16, "int4": _weight_only_quant,
               "int8-weight": _weight_only_quant}


def _check_result(path: Path, src: Path, spec: QuantSpec) -> None:
    """The output loads in ONNX Runtime and every excluded node is still there with its float weights."""
    from workbench.core.ort import make_session

    try:
        make_session(path)
    except WorkbenchError as err:
        raise WorkbenchError(f"the {spec.mode} model does not load in ONNX Runtime ({err.what})",
                             "exclude the node it names (--exclude), or try another --mode") from err
    if spec.exclude:
        original = {n.name: n.op_type for n in onnx_io.nodes(_load_header(src).graph)}
        result = {n.name: n.op_type for n in onnx_io.nodes(_load_header(path).graph)}
        changed = [n for n in spec.exclude if result.get(n) != original.get(n)]
        if changed:
            raise WorkbenchError(f"the {spec.mode} quantizer did not keep {', '.join(changed[:3])} as it was",
                                 "try another --mode or --algorithm for this model")
