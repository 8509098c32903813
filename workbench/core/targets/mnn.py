"""MNN target: the ONNX target's export into a private folder, then MNN's own converter (``MNNConvert -f ONNX``):
fp32, ``--dtype fp16`` (the converter's ``--fp16``: weights stored as half floats), ``--quant int8|int4`` (its
``--weightQuantBits 8|4``: weights stored as int8/int4, per output channel, computed in float), and the converter's
``--optimizeLevel`` (0, 1: only rewrites right for every input, the default, 2: rewrites that are normally right).
The .mnn appears only once it is complete (staged). Validated through the mnn runtime by validate.py.

Two things the export hands the converter besides the graph:
* ``IsNaN`` has no MNN conversion rule, and torch's exports put one after every softmax of a masked attention
  (``Where(IsNaN(p), 0, p)``). It becomes ``Not(Equal(x, x))``, which is the same for every float (NaN is the one
  value not equal to itself), through onnxscript's pattern rewriter.
* Three MNN faults are worked around in the graph, each a rewrite that computes the same for every input:
  constant negative ``GatherND`` indices become non-negative (MNN reads them as out of range),
  a batched ``MatMul`` that broadcasts a head axis of 1 gets an explicit ``Expand`` (MNN's kernel goes wrong on it
  after a batch-1 call), ``ScatterElements`` loses its default ``reduction`` (MNN's converter reads only the first
  of ``axis`` and ``reduction``). See each function.
* The dynamic axes go in as the metadata ``workbench.mnn.dynamic_axes`` (the converter keeps ONNX metadata): MNN
  writes a dynamic batch as 1, so without the record a dynamic batch would read as a fixed one.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.registry import Target
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec
from workbench.core.target_options import FLOAT_WEIGHTS, NO_COMPRESSION, Choice, TargetForm, TargetOption

DTYPES = ("fp32", "fp16")
QUANTS = {"int8": 8, "int4": 4}  # the converter's weight quantization bits
FORM = TargetForm(options=(FLOAT_WEIGHTS, TargetOption("quant", "Weight quantization (MNN)", (
    NO_COMPRESSION,
    Choice("int8", "8-bit weights per channel: a quarter of the fp32 file, small loss, computed in float"),
    Choice("int4", "4-bit weights per channel: the smallest file, more loss, computed in float")),
    "none", flag="--quant"), TargetOption("optimize_level", "Converter optimization (MNN)", (
    Choice("0", "no graph rewrites: the graph as exported"),
    Choice("1", "only rewrites that are right for every input (MNN's default)"),
    Choice("2", "also rewrites that are right for usual inputs (validate checks the result)")),
    "1", flag="--optimize-level", kind="int"),))
LEVELS = (0, 1, 2)
DEFAULT_LEVEL = 1
_UNSUPPORTED = re.compile(r"These Op Not Support:\s*(.+)")


def _unsupported(report: str) -> str | None:
    """The operators the converter's report names as not supported ('ONNX::IsNaN ONNX::Foo' -> 'IsNaN, Foo')."""
    found = []
    for line in _UNSUPPORTED.findall(report):
        found += [op.split("::")[-1] for op in line.replace(",", " ").split() if op]
    return ", ".join(dict.fromkeys(found)) or None


def _report_line(report: str) -> str:
    lines = [x.strip() for x in report.splitlines() if x.strip() and "device supports" not in x]
    bad = [x for x in lines if re.search(r"error|fail|not support|invalid|abort", x, re.I)]
    return (bad or lines or ["no output"])[0]


def prepare_onnx(onnx_path: str, out_path: str, dynamic_axes: dict, weights: str = "fp32") -> None:
    """Rewrite IsNaN for MNN and record the dynamic axes and the weights' precision (see the module's note)."""
    import onnx
    from onnxscript.rewriter import pattern, rewrite

    def isnan(op, x):
        return op.IsNaN(x)

    def not_equal_self(op, x):
        return op.Not(op.Equal(x, x))

    model = onnx.load(onnx_path)
    model = rewrite(model, pattern_rewrite_rules=[pattern.RewriteRule(isnan, not_equal_self)])
    non_negative_gather_nd(model)
    expand_broadcast_matmul(model)
    scatter_elements_attributes(model)
    axes = {name: sorted(int(a) for a in dims) for name, dims in (dynamic_axes or {}).items()}
    del model.metadata_props[:]
    for prop in onnx.load(onnx_path, load_external_data=False).metadata_props:
        if not prop.key.startswith("workbench.mnn."):
            model.metadata_props.add(key=prop.key, value=prop.value)
    model.metadata_props.add(key="workbench.mnn.dynamic_axes", value=json.dumps(axes))
    model.metadata_props.add(key="workbench.mnn.weights", value=weights)  # the runtime's precision, for validate
    onnx.save(model, out_path, save_as_external_data=model.ByteSize() > 1_900_000_000)


def non_negative_gather_nd(model) -> int:
    """MNN's GatherND takes a negative index for out of range and gives zeros (ONNX counts it from the end):
    Falcon's fused-QKV split, ``qkv[..., [-2], :]``, exports as GatherND(indices [[-2]]) and its keys and values came
    out 0 in MNN. Constant negative indices become their non-negative equals where the graph's value_info (the dynamo
    exporter writes it; else ONNX shape inference) fixes the indexed dimensions. Returns the nodes changed."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type == "GatherND" and len(n.input) > 1 and n.input[1] in inits
             and (numpy_helper.to_array(inits[n.input[1]]) < 0).any()]
    if not nodes:
        return 0
    dims = _known_dims(model)
    changed = 0
    for node in nodes:
        batch = next((a.i for a in node.attribute if a.name == "batch_dims"), 0)
        index = numpy_helper.to_array(inits[node.input[1]])
        sizes = (dims.get(node.input[0]) or [])[batch:batch + index.shape[-1]]
        if len(sizes) != index.shape[-1] or None in sizes:
            continue
        name = f"{node.input[1]}_non_negative_{changed}"
        model.graph.initializer.append(numpy_helper.from_array(
            np.where(index < 0, index + np.asarray(sizes, dtype=index.dtype), index).astype(index.dtype), name))
        node.input[1] = name
        changed += 1
    return changed


def _known_dims(model) -> dict:
    """{value name: its dims, None where unknown}: what the graph's value_info, inputs and outputs say (the dynamo
    exporter writes them), each dimension fixed where either they or ONNX shape inference with data propagation
    (on a copy without that value_info, which it would otherwise keep: a Reshape to a computed shape, such as
    Falcon's key heads, stays unknown there) fixes it."""
    import onnx

    def read(infos) -> dict:
        return {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
                for v in infos if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape")}

    graph = model.graph
    dims = read([*graph.value_info, *graph.input, *graph.output])
    try:
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        del copy.graph.value_info[:]
        inferred = read(onnx.shape_inference.infer_shapes(copy, data_prop=True).graph.value_info)
    except Exception:  # noqa: BLE001 - inference is a help here, not a requirement (a graph past 2 GB, an odd op)
        inferred = {}
    for name, found in inferred.items():
        known = dims.get(name)
        dims[name] = found if known is None or len(known) != len(found) else [
            k if k is not None else f for k, f in zip(known, found)]
    return dims


def expand_broadcast_matmul(model) -> int:
    """MNN's MatMul, in a shape-mutable module, goes wrong on a batched MatMul that broadcasts a leading dimension
    (one side's head axis fixed at 1, the other's larger: multi-query attention, Falcon's one key head for all
    query heads) once a call with every leading dimension 1 has run: at a larger batch after it the result is
    garbage (values up to FLT_MAX), while a fresh module at that batch is right (measured on a one-op graph,
    MNN 3.6.1). The broadcast side gets an explicit ``Expand`` to the other side's leading dimensions, so MNN's
    MatMul never broadcasts (the same values: ONNX MatMul broadcasts exactly so). Where the graph does not say
    the ranks, or no leading dimension is fixed at 1 against a larger or unknown one, the node is left as it is.
    Returns the MatMuls changed."""
    import numpy as np
    from onnx import helper, numpy_helper

    def is_matmul(node) -> bool:
        return node.op_type == "MatMul" and node.domain in ("", "ai.onnx") and len(node.input) == 2

    matmuls = [n for n in model.graph.node if is_matmul(n)]
    if not matmuls:
        return 0
    dims = _known_dims(model)

    def broadcasts(mine, other) -> bool:
        return any(a == 1 and b != 1 for a, b in zip(mine[:-2], other[:-2]))

    names = {o for n in model.graph.node for o in n.output} | {i.name for i in model.graph.initializer}
    nodes, changed = [], 0
    for node in model.graph.node:
        a, b = (dims.get(v) for v in node.input) if is_matmul(node) else (None, None)
        if a is not None and b is not None and len(a) == len(b) >= 3:
            for side, mine, other in ((0, a, b), (1, b, a)):
                if not broadcasts(mine, other):
                    continue
                value, partner = node.input[side], node.input[1 - side]
                base = f"{value}_mnn_expand_{changed}"
                while any(x.startswith(base) for x in names):
                    base += "_"
                for suffix, number in (("zero", 0), ("minus2", -2), ("end", np.iinfo(np.int64).max)):
                    model.graph.initializer.append(numpy_helper.from_array(np.array([number], np.int64),
                                                                           f"{base}_{suffix}"))
                # Shape + Slice (any opset from 10), not Shape's start/end attributes (opset 15 on)
                nodes += [helper.make_node("Shape", [partner], [f"{base}_partner"]),
                          helper.make_node("Slice", [f"{base}_partner", f"{base}_zero", f"{base}_minus2"],
                                           [f"{base}_lead"]),
                          helper.make_node("Shape", [value], [f"{base}_own"]),
                          helper.make_node("Slice", [f"{base}_own", f"{base}_minus2", f"{base}_end"],
                                           [f"{base}_rows"]),
                          helper.make_node("Concat", [f"{base}_lead", f"{base}_rows"], [f"{base}_shape"], axis=0),
                          helper.make_node("Expand", [value, f"{base}_shape"], [base])]
                names.add(base)
                node.input[side] = base
                changed += 1
        nodes.append(node)
    if changed:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    return changed


def scatter_elements_attributes(model) -> int:
    """MNN's converter reads only the first of ScatterElements' ``axis`` and ``reduction`` attributes (its loop stops
    at either; MNN 3.6.1, tools/converter OnnxScatterElements): the dynamo exporter writes ``reduction="none"``
    before ``axis=1`` (DeepSeek-V3's router, ``group_mask.scatter_(1, group_idx, 1)``), so the scatter went to axis
    0 and the router picked other experts (logits cosine 0.993). ``reduction="none"`` is the default and is
    dropped; ``axis=0`` beside a reduction likewise. A reduction on another axis cannot reach MNN and is refused in
    one line. Returns the nodes changed."""
    from workbench.core.errors import WorkbenchError

    changed = 0
    for node in model.graph.node:
        if node.op_type != "ScatterElements" or node.domain not in ("", "ai.onnx"):
            continue
        attrs = {a.name: a for a in node.attribute}
        reduction = attrs["reduction"].s.decode() if "reduction" in attrs else "none"
        axis = attrs["axis"].i if "axis" in attrs else 0
        drop = {"reduction"} if reduction == "none" else {"axis"} if axis == 0 else None
        if drop is None:
            raise WorkbenchError(f"MNN cannot convert ScatterElements node '{node.name}' (axis {axis}, reduction "
                                 f"{reduction}): its converter reads only one of the two attributes",
                                 "run the model on ONNX Runtime or OpenVINO, or scatter along axis 0")
        if drop & attrs.keys():
            keep = [a for a in node.attribute if a.name not in drop]
            del node.attribute[:]
            node.attribute.extend(keep)
            changed += 1
    return changed


def convert_onnx(onnx_path: str, out_path: str, dtype: str = "fp32", quant: str | None = None,
                 optimize_level: int = 1) -> str:
    """MNNConvert an ONNX file to ``out_path``; returns the converter's report. Its report of unsupported
    operators (or its first error line) becomes the one-line WorkbenchError."""
    from workbench.core.loading.mnn_files import convert

    args = ["-f", "ONNX", "--modelFile", onnx_path, "--MNNModel", out_path, "--bizCode", "workbench",
            "--optimizeLevel", str(optimize_level)]
    if dtype == "fp16":
        args.append("--fp16")
    if quant:
        args += ["--weightQuantBits", str(QUANTS[quant])]
    done = convert(args)
    report = done.stdout + done.stderr
    if "Converted Success" in report and Path(out_path).is_file() and Path(out_path).stat().st_size:
        return report
    ops = _unsupported(report)
    if ops:
        raise WorkbenchError(f"MNN cannot convert the model: its converter does not support {ops}",
                             "export to ONNX and run it on ONNX Runtime, or register the operator in MNN "
                             "(--customOpLibs)")
    raise WorkbenchError(f"MNN's converter failed: {_report_line(report)} (exit {done.returncode})",
                         "export to ONNX first and check it with `workbench validate`, then convert again")


def _check(spec: ExportSpec, optimize_level: int) -> None:
    """Every option checked before anything is exported (``quant`` "none" is no quantization)."""
    out = Path(str(spec.output)).expanduser()
    if out.suffix.lower() != ".mnn":
        raise WorkbenchError(f"output '{spec.output}' is not an MNN file name", "name it like model.mnn")
    if spec.dtype not in DTYPES:
        raise WorkbenchError(f"--dtype {spec.dtype} is not offered for MNN", f"use one of: {', '.join(DTYPES)}")
    if spec.quant is not None and spec.quant not in QUANTS:
        raise WorkbenchError(f"--quant {spec.quant} is not offered for MNN",
                             f"use one of: {', '.join(QUANTS)} (MNN weight quantization), or leave it out")
    if spec.quant and spec.dtype == "fp16":
        raise WorkbenchError("--dtype fp16 and --quant cannot be combined for MNN",
                             "choose one: fp16 weights, or int8/int4 weights")
    if optimize_level not in LEVELS:
        raise WorkbenchError(f"MNN optimization level {optimize_level!r} does not exist",
                             f"use one of: {', '.join(map(str, LEVELS))}")


def export_mnn(spec: ExportSpec, progress=None, cancel=None, optimize_level: int | None = None) -> ExportResult:
    """``optimize_level``: the converter's level when the spec leaves ``optimize_level`` unset (default 1)."""
    from workbench.core.export import seq2seq
    from workbench.core.export.decoder import generation_files_beside
    from workbench.core.export.torch_onnx import export_onnx
    from workbench.core.loading.mnn_files import available

    if spec.optimize_level is not None:
        optimize_level = spec.optimize_level
    optimize_level = DEFAULT_LEVEL if optimize_level is None else optimize_level

    if spec.quant == "none":
        spec = dataclasses.replace(spec, quant=None)
    _check(spec, optimize_level)
    seq2seq.refuse_for(spec, "mnn")
    missing = available()
    if missing:
        raise WorkbenchError(missing, "install it, then export again")
    check_output(spec.output, **output_rules(spec))
    stages = Stages(["exporting to ONNX", "converting with MNN", "saving"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    with tempfile.TemporaryDirectory(prefix="workbench-mnn-") as scratch:
        onnx_spec = dataclasses.replace(spec, output=str(Path(scratch) / "model.onnx"), target="onnx",
                                        dtype="fp32", quant=None, force=False)
        onnx = export_onnx(onnx_spec, cancel=cancel)
        stages.next()
        prepared = str(Path(scratch) / "prepared.onnx")
        prepare_onnx(onnx.path, prepared, onnx.dynamic_axes, spec.quant or spec.dtype)
        converted = Path(scratch) / "model.mnn"
        convert_onnx(prepared, str(converted), spec.dtype, spec.quant, optimize_level)
        stages.next()
        with staged_output(spec.output, **output_rules(spec)) as path:
            converted.replace(path)
            beside = generation_files_beside(spec, onnx.path, path.parent)
    stages.done("exported")
    from importlib.metadata import version  # not MNN.version(): importing MNN prints to stdout

    notes = list(onnx.notes) + [f"converted from the {onnx.exporter} ONNX export by MNN {version('mnn')}"
                                f" (optimize level {optimize_level})"]
    if beside:
        notes.append(f"for generation, beside it: {', '.join(beside)}")
    if spec.dtype == "fp16":
        notes.append("weights stored as fp16 (MNNConvert --fp16); MNN computes in the precision mode asked for")
    if spec.quant:
        notes.append(f"weights stored as {spec.quant} (MNNConvert --weightQuantBits {QUANTS[spec.quant]}, "
                     "per channel, dequantized to float when run)")
    return ExportResult(outputs=[str(Path(str(spec.output)).expanduser().resolve())], exporter=f"mnn ({onnx.exporter})",
                        target="mnn", fallback_reason=onnx.fallback_reason, input_names=onnx.input_names,
                        output_names=onnx.output_names, dynamic_axes=onnx.dynamic_axes,
                        example_shapes=onnx.example_shapes, input_shapes=onnx.input_shapes,
                        output_shapes=onnx.output_shapes, opset=onnx.opset,
                        dtype=spec.quant or spec.dtype, family_settings=onnx.family_settings,
                        seconds=time.perf_counter() - started, notes=notes)


def register(registry) -> None:
    from workbench.core.validate import validate_model

    registry.add_target(Target(name="mnn", description="MNN (ONNX export + MNNConvert)",
                               export=export_mnn, validate=validate_model, suffix=".mnn", form=FORM))
