"""The quantizers, one adapter per ``QuantSpec.mode`` over ONNX Runtime's tools (see runner.py's docstring for the
modes), plus the static path's pre-processing. Each takes ``(source, work, spec, reader, settings, report=None)`` and
returns a ModelProto; failures become one line through quantizer_error. ``report(done, total, unit)`` hears of each
node (or calibration batch, initializer) as ORT's loop finishes it (node_progress.py says how).

ONNX Runtime is the quantizer here, a tool: its quantization package makes its own sessions (calibration, GPTQ's
layer runs) that no runtime could take over, so they stay as they are. Every run that compares or measures the
result goes through the registered onnxruntime runtime (fidelity.py, sensitivity.py, runner's load check)."""

from __future__ import annotations

import contextlib
import importlib
import inspect as pyinspect
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.jobs import Stages
from workbench.core.specs import QuantSpec
from workbench.core.quantize.checks import STATIC_OP_TYPES, WEIGHT_ONLY_OP_TYPES
from workbench.core.quantize.errors import quantizer_error
from workbench.core.quantize import node_progress
from workbench.core.quantize.sensitivity import quantize_to_floor
from workbench.core.quantize.workdir import is_big, load, node_names


def preprocess(source: Path, work: Path, exclude: tuple, settings: dict) -> Path:
    """quant_pre_process (ORT optimization + shape inference); less of it where a step fails or renames excluded
    nodes; skipped (noted in settings) when nothing works."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    big = is_big(source)
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
        if exclude and not set(exclude) <= node_names(out):
            reason = "it renamed excluded nodes"
            continue
        settings["preprocess"] = label
        return out
    settings["preprocess"] = f"skipped ({reason})"
    return source


def _no_report(done: int, total: int, unit: str) -> None:  # noqa: ARG001 - the null per-node sink
    return None


def _dynamic(source: Path, work: Path, spec: QuantSpec, reader, settings: dict, report=None):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = work / "quantized.onnx"
    try:
        with node_progress.tracked(spec.mode, spec.algorithm, report or _no_report):
            quantize_dynamic(str(source), str(out), op_types_to_quantize=list(spec.op_types) if spec.op_types else None,
                             per_channel=spec.per_channel, weight_type=QuantType.QInt8,
                             nodes_to_exclude=list(spec.exclude), use_external_data_format=is_big(source))
        return load(out)
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err


def targeted(source: Path, work: Path, spec: QuantSpec, settings: dict, stages: Stages, cancel):
    """int8-dynamic with a cosine floor: the fewest most sensitive nodes stay float32 (see sensitivity.py)."""
    index, count = stages.index, len(stages.names)

    def report(fraction: float, message: str) -> None:
        stages.progress((index + min(max(fraction, 0.0), 0.99)) / count, message)

    path, info = quantize_to_floor(source, work, spec, is_big(source), report, cancel)
    settings.update(min_cosine=info["min_cosine"], kept_fp32=list(info["kept_fp32"]))
    return load(path), info


def _static(source: Path, work: Path, spec: QuantSpec, reader, settings: dict, report=None):
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
    report = report or _no_report
    try:
        with limits.guard_every_session(spec.model), _entropy_bins(spec.method, settings), \
                node_progress.counting_reader(reader, report), node_progress.tracked(spec.mode, "", report):
            quantize_static(str(source), str(out), reader, quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=list(spec.op_types or STATIC_OP_TYPES), per_channel=spec.per_channel,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=list(spec.exclude), use_external_data_format=is_big(source),
                            calibrate_method=methods[spec.method], extra_options=extra)
        return load(out)
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
    call is wrapped for the duration of this quantization (under ``LOCK``, see ``workdir``).
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


def _fp16(source: Path, work: Path, spec: QuantSpec, reader, settings: dict, report=None):
    from onnxruntime.transformers import float16

    model = load(source)
    try:
        with node_progress.tracked(spec.mode, "", report or _no_report,
                                   fp16_names=node_progress.float_initializers(model)):
            converted = float16.convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=is_big(source),
                                                         node_block_list=list(spec.exclude) or None)
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err
    # The converter appends the Casts it inserts for blocked ops at the graph's end: ORT loads that, but the file
    # fails the ONNX checker (nodes out of topological order) and so every later validate. ORT's own sort fixes it.
    from onnxruntime.transformers.onnx_model import OnnxModel

    OnnxModel(converted).topological_sort()
    return converted


def _config(cls, settings: dict, **kwargs):
    """Build a weight-only config with the keywords this ORT version accepts; the rest are noted in settings."""
    accepted = pyinspect.signature(cls).parameters
    used = {k: v for k, v in kwargs.items() if k in accepted}
    dropped = sorted(set(kwargs) - set(used))
    if dropped:
        settings.setdefault("not_supported_by_ort", []).extend(f"{cls.__name__}.{k}" for k in dropped)
    return cls(**used)


def nbits_module():
    """ORT's ``matmul_nbits_quantizer``, imported with the root logger left as it was: on its first import it calls
    ``logging.basicConfig(level=INFO)``, a stderr handler on the root logger that would print every library's INFO
    records for the rest of the process (its own ``start to quantize matmul0 ...`` for each node among them)."""
    import logging
    import sys

    name = "onnxruntime.quantization.matmul_nbits_quantizer"
    if name not in sys.modules:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            importlib.import_module(name)
        finally:
            for handler in [h for h in root.handlers if h not in handlers]:
                root.removeHandler(handler)
            root.setLevel(level)
    return sys.modules[name]


def _nbits_quantizer_class(report=None):
    import onnx

    MatMulNBitsQuantizer = nbits_module().MatMulNBitsQuantizer  # noqa: N806 - ORT's class

    report = report or _no_report

    class Quantizer(MatMulNBitsQuantizer):
        """The Neural Compressor path (GPTQ) ignores nodes_to_exclude; mark those nodes to stay float. The rtn/hqq
        path counts every node its loop (``_process_subgraph``) hands to ``node_quantizer.quantize``."""

        def _generate_q4_node_config(self):
            config = super()._generate_q4_node_config()
            for name in self.nodes_to_exclude:
                config[name] = "fp32"
            return config

        def _to_quantize(self, graph) -> int:
            count = 0
            for node in graph.node:
                for attr in node.attribute:
                    subgraphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else \
                        attr.graphs if attr.type == onnx.AttributeProto.GRAPHS else []
                    count += sum(self._to_quantize(g) for g in subgraphs)
                if node.name in self.nodes_to_exclude:
                    continue
                if (self.nodes_to_include and node.name in self.nodes_to_include) or \
                        node.op_type in self.algo_config.op_types_to_quantize:
                    count += 1
            return count

        def process(self):
            if self.node_quantizer is not None and self.algo_config.algorithm in ("HQQ", "DEFAULT"):
                counter = node_progress.Counter(report, "nodes", self._to_quantize(self.model.graph()))
                inner = self.node_quantizer.quantize

                def quantize(node, graph_stack):
                    out = inner(node, graph_stack)
                    counter.step()
                    return out

                self.node_quantizer.quantize = quantize
            return super().process()

    return Quantizer


def _weight_only_quant(source: Path, work: Path, spec: QuantSpec, reader, settings: dict, report=None):
    nbits = nbits_module()
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
        quantizer = _nbits_quantizer_class(report)(str(source), bits=bits, block_size=spec.block_size,
                                                   is_symmetric=spec.symmetric, nodes_to_exclude=list(spec.exclude),
                                                   algo_config=config)
        with node_progress.tracked(spec.mode, spec.algorithm, report or _no_report):
            quantizer.process()
    except Exception as err:  # noqa: BLE001
        raise quantizer_error(spec.mode, err) from err
    wrapped = quantizer.model
    return _declare_domains(getattr(wrapped, "model", wrapped))


def _declare_domains(model):
    """ORT's GPTQ path (Neural Compressor) writes MatMulNBits nodes without importing their domain: ORT loads
    that, the ONNX checker refuses it. Every contrib domain a node uses gets its opset import (version 1, the only
    one com.microsoft has)."""
    declared = {imp.domain for imp in model.opset_import}
    used = {node.domain for node in model.graph.node} - {"", "ai.onnx"}
    for domain in sorted(used - declared):
        model.opset_import.add(domain=domain, version=1)
    return model


QUANTIZERS = {"int8-dynamic": _dynamic, "int8-static": _static, "fp16": _fp16, "int4": _weight_only_quant,
               "int8-weight": _weight_only_quant}
