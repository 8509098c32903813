"""MNN as a runtime: a .mnn file the mnn target wrote, loaded as an ``MNN.nn`` module (shape-mutable, so every
dynamic axis can change between calls) on MNN's CPU backend.

``RuntimeOptions.threads`` is MNN's thread count (1 by default, MNN's own); ``RuntimeOptions.extra["precision"]``
is MNN's precision mode: "high" by default (float32 everywhere: a result is the file's precision, not the
machine's), "normal" (MNN's default: fp16 or bf16 kernels where the CPU has them), "low" (fp16 where the CPU has
it), "low_bf16". Devices other than "cpu" fall back to CPU with a note (``strict``: refused).

MNN's fp32 is not float32-exact, whatever the precision mode: its CPU kernels approximate GELU (max abs error
4.7e-4 on [-6, 6], where ONNX Runtime's is 1e-7) and LayerNorm (1.2e-4 at width 384), measured on one-op graphs
through this runtime (the optimize level and the precision mode change nothing: "high", "normal" and "low" give the
same output on this AVX-512 CPU, which has no fp16 kernels for MNN). Real MiniLM reads max rel diff 1.5e-3 (b1) /
1.9e-3 (b8) at cosine 0.999997, so an fp32 .mnn is judged by ``FP32_TOLERANCES`` (rel 5e-3, the fp32 cosine
floor kept), said in validate's notes.

Two MNN faults the mnn target works around before converting (targets/mnn.py; both found on the runtime coverage
list, measured on one-op graphs with MNN 3.6.1): MNN's ``MatMul`` kernel, in a shape-mutable module, gives garbage
(up to FLT_MAX) on a batched MatMul that broadcasts a head axis of 1 once a call at batch 1 has run (Falcon's
multi-query attention; a fresh module at the same batch is right), so the target expands that side explicitly;
and MNN's converter reads only the first of ``ScatterElements``' ``axis`` and ``reduction`` attributes (the
exporter's ``reduction="none"`` before ``axis=1`` scattered along axis 0: DeepSeek-V3's router), so the target
drops the default one and refuses a reduction along another axis than 0.

The inputs and their dynamic axes come from the file's header (loading/mnn_files.read_info); the weights' precision
from the metadata the target recorded (``workbench.mnn.weights``), so validate judges an fp16 or int8 file by its
own tolerances. MNN prints to the C stdout (its CPU features on import, the precision on load): that goes to
stderr here, so ``--json`` output stays JSON.
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.runtimes.base import Availability, Runtime, RuntimeOptions, TensorInfo

NAME = "mnn"
# (rtol, atol, cosine floor) for an fp32 .mnn: the fp32 cosine floor, rel 5e-3 for the approximated kernels
FP32_TOLERANCES = (5e-3, 1e-5, 0.99999)
PRECISIONS = {"high": "High", "normal": "Normal", "low": "Low", "low_bf16": "Low_BF16"}


@contextlib.contextmanager
def c_stdout_to_stderr():
    """What C code prints to stdout goes to stderr while the block runs (flushed before stdout is back)."""
    import ctypes

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (a GUI without a console): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        ctypes.CDLL(None).fflush(None)
        os.dup2(saved, 1)
        os.close(saved)


def _mnn():
    with c_stdout_to_stderr():
        import MNN
        import MNN.expr
        import MNN.nn
    return MNN


class MnnSession:
    runtime = NAME

    def __init__(self, path, options: RuntimeOptions):
        from workbench.core.loading.mnn_files import dynamic_axes, read_info

        self.path = str(path)
        self.notes: list = []
        if options.device.lower() != "cpu":
            if options.strict:
                raise WorkbenchError(f"the workbench runs MNN on CPU only, not '{options.device}'",
                                     "use --provider cpu (MNN's GPU backends are not in the PyPI build)")
            self.notes.append(f"MNN runs on CPU here, not '{options.device}'")
        self.device = "cpu"
        mode = str(options.extra.get("precision") or "high").lower()
        if mode not in PRECISIONS:
            raise WorkbenchError(f"unknown MNN precision mode '{mode}'", f"use one of: {', '.join(PRECISIONS)}")
        self.precision_mode = mode
        self.threads = int(options.threads or 1)
        info = read_info(self.path)  # a file MNN refuses stops here, in one line
        axes = dynamic_axes(info)
        self._inputs = [TensorInfo(name=i["name"], dtype=i["dtype"],
                                   shape=[f"dim{a}" if a in axes.get(i["name"], ()) else d
                                          for a, d in enumerate(i["shape"])]) for i in info["inputs"]]
        self._output_names = list(info["outputs"])
        self.metadata = info["metadata"]
        self.precision = self.metadata.get("workbench.mnn.weights", "fp32")
        self.fp32_tolerances = FP32_TOLERANCES
        if self.precision == "fp32":
            self.notes.append(f"MNN's fp32 kernels approximate GELU and LayerNorm, so max rel diff is bounded by "
                              f"{FP32_TOLERANCES[0]:g} (cosine >= {FP32_TOLERANCES[2]:g} as for any fp32 model)")
        mnn = _mnn()
        expr = mnn.expr
        with c_stdout_to_stderr():
            self.module = mnn.nn.load_module_from_file(
                self.path, [i.name for i in self._inputs], self._output_names, shape_mutable=True, rearrange=True,
                backend=expr.Backend.CPU, precision_mode=getattr(expr.PrecisionMode, PRECISIONS[mode]),
                thread_num=self.threads)
        self._expr = expr
        self._types = {"float32": expr.float, "int32": expr.int, "int64": expr.int, "uint8": expr.uint8,
                       "int8": expr.int8}
        if mode != "high":
            self.notes.append(f"MNN precision mode '{mode}': kernels may compute below float32")

    def inputs(self) -> list:
        return list(self._inputs)

    def outputs(self) -> list:
        return [TensorInfo(name=n, shape=[], dtype="float32") for n in self._output_names]

    def _var(self, info: TensorInfo, value):
        expr = self._expr
        array = np.ascontiguousarray(value)
        kind = self._types.get(info.dtype, expr.float)
        array = array.astype(np.int32 if kind is expr.int else np.float32 if kind is expr.float else array.dtype,
                             copy=False)
        return expr.const(array, list(array.shape), expr.NCHW, kind)

    def run(self, feeds: dict) -> dict:
        expr = self._expr
        try:
            args = [self._var(i, feeds[i.name]) for i in self._inputs]
        except KeyError as err:
            raise WorkbenchError(f"no value for the MNN model input {err}",
                                 f"the model expects: {', '.join(i.name for i in self._inputs)}") from None
        with c_stdout_to_stderr():
            outs = self.module.forward(args)
        result = {}
        for name, var in zip(self._output_names, outs if isinstance(outs, (list, tuple)) else [outs]):
            if var.data_format == expr.NC4HW4:  # MNN's packed layout: back to the file's
                var = expr.convert(var, expr.NCHW)
            result[name] = np.array(var.read(), copy=True)
        return result

    def run_exposed(self, feeds: dict, names: list) -> dict:
        """One run with the file's intermediate tensors ``names`` as extra outputs (``validate --locate``): MNN
        keeps the ONNX tensor names it converted (``MNN.expr.load_as_dict`` lists them); a name it fused away is
        left out of the answer. {name: array} of those it has."""
        expr, mnn = self._expr, _mnn()
        with c_stdout_to_stderr():
            known = set(expr.load_as_dict(self.path))
        wanted = [n for n in dict.fromkeys(names) if n in known and n not in self._output_names]
        if not wanted:
            return {}
        with c_stdout_to_stderr():
            module = mnn.nn.load_module_from_file(
                self.path, [i.name for i in self._inputs], wanted, shape_mutable=True, rearrange=True,
                backend=expr.Backend.CPU, precision_mode=getattr(expr.PrecisionMode, PRECISIONS[self.precision_mode]),
                thread_num=self.threads)
        saved = self.module, self._output_names
        try:
            self.module, self._output_names = module, wanted
            return self.run(feeds)
        finally:
            self.module, self._output_names = saved

    def generate(self, prompt_ids, max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0, seed: int = 0):
        """Token by token on a decoder .mnn (runtimes/mnn_decoder.py); another model is a one-line error."""
        from workbench.core.runtimes.mnn_decoder import generate

        return generate(self, prompt_ids, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed)

    def close(self) -> None:
        self.module = None


def open_session(path, options: RuntimeOptions | None = None) -> MnnSession:
    return MnnSession(path, options or RuntimeOptions())


def availability() -> Availability:
    from workbench.core.loading.mnn_files import INSTALL

    try:
        from importlib.metadata import version

        mnn = _mnn()
        return Availability(True, str(getattr(mnn, "version", lambda: version("mnn"))()), ("cpu",))
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"{INSTALL}: {first_line(err)}")


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="MNN (CPU)", suffixes=(".mnn",), open=open_session,
                                 availability=availability, generates=True,
                                 decoder="workbench.core.runtimes.mnn_decoder:open_decoder"))
