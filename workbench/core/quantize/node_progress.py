"""Per-node progress of ONNX Runtime's quantizers, which take no callback of their own.

Each quantizer's per-node step is a module-level name or a method its loop looks up at call time, so for the
duration of one quantization (under workdir.LOCK, as every quantizer runs) it is wrapped to count what is done:

* int8-dynamic: ``onnx_quantizer.CreateOpQuantizer`` (``ONNXQuantizer.quantize_model`` builds one op quantizer per
  node of the graph and calls its ``quantize()``); counted: every node of the top graph.
* int8-static: ``qdq_quantizer.CreateQDQQuantizer`` (one per node ``should_quantize_node`` accepts; counted: those),
  after the calibration batches (the data reader's ``get_next``, one inference each).
* int4 / int8-weight with rtn or hqq: ``MatMulNBitsQuantizer``'s ``node_quantizer.quantize`` (methods.py's
  subclass wraps it; counted: the nodes of every graph its loop would quantize).
* gptq: the bundled Neural Compressor port's ``weight_only.simple_progress_bar(total, i)``, called once per group
  of MatMuls that share an input (counted: those groups; it also stops that function's prints to stdout).
* fp16: ``float16.convert_tensor_float_to_float16`` on the float initializers (counted: those).

``report(done, total, unit)`` gets every step while there are at most ``EVERY_STEP`` of them, otherwise about
``EVERY_STEP`` evenly spaced ones, always the last; it never depends on the clock.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Callable

EVERY_STEP = 200
Report = Callable[[int, int, str], None]


class Counter:
    """Counts steps of one phase and forwards the ones worth showing."""

    def __init__(self, report: Report, unit: str, total: int = 0):
        self.report, self.unit, self.total, self.done = report, unit, total, 0

    def step(self, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done += 1
        total = max(self.total, self.done)
        stride = max(1, total // EVERY_STEP)
        if self.done == total or self.done % stride == 0:
            self.report(self.done, total, self.unit)


def _wrap_quantize(op, after: Callable[[], None]):
    inner = op.quantize

    def quantize(*args, **kwargs):
        out = inner(*args, **kwargs)
        after()
        return out

    op.quantize = quantize
    return op


@contextlib.contextmanager
def _patched(module_name: str, attr: str, make_replacement):
    module = importlib.import_module(module_name)
    original = getattr(module, attr)
    setattr(module, attr, make_replacement(original))
    try:
        yield
    finally:
        setattr(module, attr, original)


def _dynamic(report: Report):
    counter = Counter(report, "nodes")

    def make(original):
        def create(quantizer, node):
            op = original(quantizer, node)
            if getattr(quantizer, "parent", None) is None:  # sub-graph quantizers are counted in their node
                if not counter.total:
                    counter.total = len(quantizer.model.nodes())
                _wrap_quantize(op, counter.step)
            return op

        return create

    return _patched("onnxruntime.quantization.onnx_quantizer", "CreateOpQuantizer", make)


def _static(report: Report):
    counter = Counter(report, "nodes")

    def make(original):
        def create(quantizer, node):
            op = original(quantizer, node)
            if not counter.total:
                counter.total = sum(1 for n in quantizer.model.nodes() if quantizer.should_quantize_node(n))
            return _wrap_quantize(op, counter.step)

        return create

    return _patched("onnxruntime.quantization.qdq_quantizer", "CreateQDQQuantizer", make)


def _gptq(report: Report):
    counter = Counter(report, "MatMul groups")

    def make(_original):
        def simple_progress_bar(total, i):  # noqa: ARG001 - i is the same count, kept for the signature
            counter.step(total)

        return simple_progress_bar

    return _patched("onnxruntime.quantization.neural_compressor.weight_only", "simple_progress_bar", make)


def _fp16(report: Report, names: set):
    counter = Counter(report, "initializers", len(names))

    def make(original):
        def convert(tensor, *args, **kwargs):
            out = original(tensor, *args, **kwargs)
            if tensor.name in names:
                counter.step()
            return out

        return convert

    return _patched("onnxruntime.transformers.float16", "convert_tensor_float_to_float16", make)


def float_initializers(model) -> set:
    """Names of the float32 initializers of every graph (what fp16 converts)."""
    from onnx import AttributeProto, TensorProto

    names, graphs = set(), [model.graph]
    while graphs:
        graph = graphs.pop()
        names.update(t.name for t in graph.initializer if t.data_type == TensorProto.FLOAT)
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == AttributeProto.GRAPH:
                    graphs.append(attr.g)
                elif attr.type == AttributeProto.GRAPHS:
                    graphs.extend(attr.graphs)
    return names


def tracked(mode: str, algorithm: str, report: Report, *, fp16_names: set | None = None):
    """The context that counts ``mode``'s per-node steps (weight-only rtn/hqq count inside methods.py's subclass,
    which gets the same ``report``)."""
    if mode == "int8-dynamic":
        return _dynamic(report)
    if mode == "int8-static":
        return _static(report)
    if mode == "fp16":
        return _fp16(report, fp16_names or set())
    if algorithm == "gptq":
        return _gptq(report)
    return contextlib.nullcontext()


@contextlib.contextmanager
def counting_reader(reader, report: Report):
    """Count a calibration data reader's batches (static int8's calibration runs one inference each): its
    ``get_next`` is shadowed on the instance while the context lives (it stays the CalibrationDataReader ORT
    checks for)."""
    counter = Counter(report, "calibration batches", len(reader))
    inner = reader.get_next

    def get_next():
        item = inner()
        if item is not None:
            counter.step()
        return item

    reader.get_next = get_next
    try:
        yield reader
    finally:
        del reader.get_next
