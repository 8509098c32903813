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
  of ``axis`` and ``reduction``). See each function in mnn_graph.py.
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
    from workbench.core.targets.mnn_graph import (expand_broadcast_matmul, non_negative_gather_nd,
                                                  scatter_elements_attributes)

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
