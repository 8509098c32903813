"""The private working folder every quantizer runs in (current directory, temporary folder and loggers pointed
there), the copy of the input it works on, and loading/saving inside it."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from pathlib import Path

from workbench.core import onnx_io
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.fsutil import file_size, work_folder
from workbench.core.quantize.checks import load_header
from workbench.core.quiet import library_output

LOCK = threading.RLock()  # the working directory and tempfile.tempdir are process-wide


class _QuietOrt(logging.Filter):
    """Drops ORT's advice logged on the root logger (e.g. 'consider pre-processing'); errors still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "onnxruntime" not in (record.pathname or "")


@contextlib.contextmanager
def workdir(parent: Path):
    """A private folder next to the output, made the current directory and the temporary folder while it lives."""
    scratch = contextlib.ExitStack()  # .quantize-work-PID-*, removed with the folders made for it
    work = scratch.enter_context(work_folder(parent, "quantize"))
    with LOCK, scratch:
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


def save(model, path: Path) -> bool:
    """Save a ModelProto; tensors go to ``<name>.data`` beside it above onnx_io's threshold. Returns whether they
    did."""
    try:
        return onnx_io.save(model, path)
    except OSError as err:
        raise WorkbenchError(f"cannot write {path.name}: {err.strerror or err}",
                             "free some disk space or choose another output folder") from err


def copy_input(src: Path, work: Path, pretranspose_gemm: bool = False) -> Path:
    """The input loaded with its external data and saved into the working folder: quantizers only see the copy.
    ``pretranspose_gemm``: see pretranspose_gemm_weights (int8-dynamic)."""
    import onnx

    try:
        model = onnx.load(str(src), load_external_data=True)
    except Exception as err:  # noqa: BLE001
        raise WorkbenchError(f"cannot read {src} with its weights ({first_line(err)})",
                             "keep the external data file(s) (e.g. model.onnx.data) beside the .onnx file") from err
    if pretranspose_gemm:
        pretranspose_gemm_weights(model)
    dst = work / "input.onnx"
    save(model, dst)
    return dst


def pretranspose_gemm_weights(model) -> int:
    """Each Gemm with transB=1 and a constant B reads a new initializer holding B transposed, with transB=0 (the
    same product); B itself goes when nothing else reads it. ONNX Runtime 1.31's quantize_dynamic turns Gemm into
    MatMul by transposing B in place under the same name, so B's value_info (torch's exporter writes one) or another
    reader of B then disagrees with its shape and the quantizer stops with 'ShapeInferenceError: Inferred shape and
    existing shape differ' (seen on the H200 machine: the demo model's router Gemm); 1.32 makes a new initializer
    itself, which this does for every version. Top-level graph only. Returns how many Gemms it changed."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    names = set(inits) | {v.name for v in (*graph.input, *graph.output, *graph.value_info)}
    names.update(x for n in graph.node for x in (*n.input, *n.output))
    done: dict = {}
    changed = 0
    for node in graph.node:
        if node.op_type != "Gemm" or len(node.input) < 2 or node.input[1] not in inits:
            continue
        attrs = {a.name: a for a in node.attribute}
        if "transB" not in attrs or helper.get_attribute_value(attrs["transB"]) != 1:
            continue
        b = node.input[1]
        if b not in done:
            new = f"{b}_transposed"
            while new in names:
                new += "_"
            names.add(new)
            graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(inits[b]).T.copy(), new))
            done[b] = new
        node.input[1] = done[b]
        attrs["transB"].i = 0
        changed += 1
    for b in done:
        if any(b in n.input for n in graph.node) or any(o.name == b for o in graph.output):
            continue  # another node reads B as it is: it stays
        graph.initializer.remove(inits[b])
        for field in (graph.value_info, graph.input):
            for v in [v for v in field if v.name == b]:
                field.remove(v)
    return changed


def is_big(path: Path) -> bool:
    return onnx_io.is_large(file_size(path))


def load(path: Path):
    import onnx

    return onnx.load(str(path), load_external_data=True)


def node_names(path: Path) -> set:
    return {n.name for n in onnx_io.nodes(load_header(path).graph)}
