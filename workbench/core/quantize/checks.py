"""Everything about a quantization that can be checked before it runs (the spec, the input's graph headers), and
the settings a result reports."""

from __future__ import annotations

import math
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.specs import CALIBRATION_METHODS, QUANT_MODES, WEIGHT_ONLY_ALGOS, QuantSpec
from workbench.core.quantize.sensitivity import check_target

STATIC_OP_TYPES = ("MatMul",)
WEIGHT_ONLY_OP_TYPES = ("MatMul",)
QUANTIZABLE_HINT = ("MatMul", "Gemm", "Conv", "Gather", "Attention")


def weight_only(mode: str) -> bool:
    return mode in ("int4", "int8-weight")


def load_header(path: Path):
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
    header = load_header(limits.regular_file(src, "ONNX file"))
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
            STATIC_OP_TYPES if spec.mode == "int8-static" else WEIGHT_ONLY_OP_TYPES if weight_only(spec.mode)
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
    if weight_only(spec.mode):
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


def base_settings(spec: QuantSpec) -> dict:
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
