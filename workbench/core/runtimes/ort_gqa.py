"""Greedy generation with the GroupQueryAttention decoder (core/export/decoder_gqa.py) through ONNX Runtime.

Every input and output is bound once to a device buffer (IOBinding): the KV cache is one fixed-size buffer per
layer bound as both past and present (ORT shares it, no copy per token), ``logits`` and ``next_token`` have their
own buffers, and each decode step copies only the new token ids to the device and ``next_token`` back. On CUDA the
decode step is captured as a CUDA graph (``enable_cuda_graph``; one graph per batch size, ``gpu_graph_id``) and
replayed; the prefill runs outside the graph (``gpu_graph_id`` -1). On the CPU the same loop runs without graphs.
"""

from __future__ import annotations

import time

import numpy as np

from workbench.core.errors import WorkbenchError


def _meta(sess) -> dict:
    props = sess.get_modelmeta().custom_metadata_map
    if props.get("workbench.decoder") != "gqa":
        raise WorkbenchError("this model is not a GroupQueryAttention decoder",
                             "build one with workbench.core.export.decoder_gqa (optimize --target cuda)")
    return {k.split(".", 1)[1]: int(v) for k, v in props.items() if k != "workbench.decoder"}


class GQADecoder:
    def __init__(self, path, provider: str = "cpu", cuda_graph: bool = True, threads: int = 0):
        import onnxruntime as ort

        self.ort = ort
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        if provider == "cuda":
            if hasattr(ort, "preload_dlls"):
                ort.preload_dlls()
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise WorkbenchError("CUDA is not available to ONNX Runtime here",
                                     "install onnxruntime-gpu (docs/gpu.md) or use --provider cpu")
            from workbench.core.ort import decoder_cuda_options

            opts = {"enable_cuda_graph": "1" if cuda_graph else "0", **decoder_cuda_options()}
            providers = [("CUDAExecutionProvider", opts)]
            self.device = "cuda"
        else:
            providers, cuda_graph, self.device = ["CPUExecutionProvider"], False, "cpu"
        self.cuda_graph = cuda_graph
        self.sess = ort.InferenceSession(str(path), so, providers=providers)
        self.meta = _meta(self.sess)
        self.max_length = self.meta["max_length"]
        t = self.sess.get_outputs()[0].type
        self.dtype = np.float16 if "float16" in t else np.float32
        self._batch = None

    def _value(self, arr_or_shape, dtype=None):
        OV = self.ort.OrtValue
        if isinstance(arr_or_shape, np.ndarray):
            return OV.ortvalue_from_numpy(arr_or_shape, self.device, 0)
        return OV.ortvalue_from_shape_and_type(arr_or_shape, dtype, self.device, 0)

    def _allocate(self, batch: int) -> None:
        """Buffers for ``batch`` sequences (kept while the batch size stays the same)."""
        if self._batch == batch:
            return
        m = self.meta
        shape = (batch, m["kv_heads"], self.max_length, m["head_size"])
        self.cache = [self._value(shape, self.dtype) for _ in range(2 * m["layers"])]
        self.logits = self._value((batch, 1, m["vocab"]), self.dtype)
        self.next_token = self._value((batch, 1), np.int64)
        self.step_ids = self._value(np.zeros((batch, 1), np.int64))
        self.seqlens = self._value(np.zeros(batch, np.int32))
        self.total_max = self.ort.OrtValue.ortvalue_from_numpy(np.array(self.max_length, np.int32))
        self._batch = batch

    def _binding(self, ids, seqlens, total):
        io = self.sess.io_binding()
        io.bind_ortvalue_input("input_ids", ids)
        io.bind_ortvalue_input("seqlens_k", seqlens)
        io.bind_ortvalue_input("total_sequence_length", total)
        for i in range(self.meta["layers"]):
            for j, kind in enumerate(("key", "value")):
                buf = self.cache[2 * i + j]
                io.bind_ortvalue_input(f"past_key_values.{i}.{kind}", buf)
                io.bind_ortvalue_output(f"present.{i}.{kind}", buf)
        io.bind_ortvalue_output("logits", self.logits)
        io.bind_ortvalue_output("next_token", self.next_token)
        return io

    def _run(self, io, graph: bool) -> None:
        ro = self.ort.RunOptions()
        if self.cuda_graph:
            ro.add_run_config_entry("gpu_graph_id", str(self._batch) if graph else "-1")
        self.sess.run_with_iobinding(io, ro)

    def prefill(self, prompts: np.ndarray) -> np.ndarray:
        """Run the prompts (B, S), equal lengths; returns the first new token per sequence (B,)."""
        prompts = np.ascontiguousarray(prompts, dtype=np.int64)
        b, s = prompts.shape
        if s >= self.max_length:
            raise WorkbenchError(f"a prompt of {s} tokens does not fit the decoder's {self.max_length}-position "
                                 "KV buffer", "build the decoder with a larger max_length")
        self._allocate(b)
        self.length = s
        seq = self._value(np.full(b, s - 1, np.int32))
        total = self.ort.OrtValue.ortvalue_from_numpy(np.array(s, np.int32))
        io = self._binding(self._value(prompts), seq, total)
        self._run(io, graph=False)
        self._decode_io = self._binding(self.step_ids, self.seqlens, self.total_max)
        return self.next_token.numpy()[:, 0].copy()

    def step(self, tokens: np.ndarray) -> np.ndarray:
        """Feed one token per sequence; returns the next one (B,)."""
        if self.length + 1 > self.max_length:
            raise WorkbenchError(f"the KV buffer holds {self.max_length} positions", "generate fewer tokens")
        self.step_ids.update_inplace(np.ascontiguousarray(tokens, dtype=np.int64).reshape(-1, 1))
        self.seqlens.update_inplace(np.full(self._batch, self.length, np.int32))
        self.length += 1
        self._run(self._decode_io, graph=True)
        return self.next_token.numpy()[:, 0].copy()

    def generate(self, prompts, new_tokens: int, timings: list | None = None) -> np.ndarray:
        """Greedy: (B, new_tokens) ids; ``timings`` gets [ttft_s, step_s, ...] when given."""
        t = time.perf_counter()
        tok = self.prefill(np.asarray(prompts))
        out = [tok]
        if timings is not None:
            timings.append(time.perf_counter() - t)
        for _ in range(new_tokens - 1):
            t = time.perf_counter()
            tok = self.step(tok)
            out.append(tok)
            if timings is not None:
                timings.append(time.perf_counter() - t)
        return np.stack(out, 1)


def is_gqa(path) -> bool:
    """Whether ``path`` is a GQA decoder, from its metadata. ONNX writes metadata_props after the graph, so the
    file's tail holds them: read 64 KB there instead of parsing a file of up to 2 GB (written by hand: no library
    reads one field of a ModelProto)."""
    from pathlib import Path

    path = Path(path)
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - 65536))
            tail = f.read()
    except OSError:
        return False
    return b"workbench.decoder" in tail and b"gqa" in tail


class GQAGenerate:
    """The generation loop's decoder (generate.py's ``prefill(ids, mask)`` / ``step(tokens)`` returning float32
    last-position logits [batch, vocab]) over :class:`GQADecoder`: what ``workbench generate`` and
    ``bench --generate`` run for a GQA decoder. Prompts of one length only (no left padding)."""

    runtime = "onnxruntime"

    def __init__(self, path, provider: str = "cpu", threads=None):
        from pathlib import Path

        import onnxruntime as ort

        if provider == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
            provider = "cpu"  # as the other decoders: no CUDA here, the CPU runs it (self.provider says so)
        self.decoder = GQADecoder(path, provider, cuda_graph=provider == "cuda", threads=threads or 0)
        self.provider = self.decoder.device
        self.name = f"ORT {Path(path).name} (GQA)"

    def _logits(self) -> np.ndarray:
        return self.decoder.logits.numpy()[:, 0].astype(np.float32)

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.prefill_next(ids, mask)
        return self._logits()

    def step(self, tokens: np.ndarray) -> np.ndarray:
        self.step_next(tokens)
        return self._logits()

    # greedy without the logits: the graph's ArgMax (next_token, first index on ties like numpy's) is copied, 8
    # bytes per sequence, instead of the whole fp16 logits row converted to float32 for numpy to take the argmax
    def prefill_next(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if not np.asarray(mask).all():
            raise WorkbenchError("the GroupQueryAttention decoder takes prompts of one length (no padding)",
                                 "generate the prompts one at a time, or use the exported decoder (model.onnx)")
        return self.decoder.prefill(np.asarray(ids))

    def step_next(self, tokens: np.ndarray) -> np.ndarray:
        return self.decoder.step(np.asarray(tokens))
