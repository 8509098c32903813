"""llama.cpp as a runtime: a .gguf file opened by ``llama_cpp.Llama`` (llama-cpp-python).

``run({"input_ids": (batch, n) int array})`` returns ``logits`` (batch, n, vocab) for decoders, or
``last_hidden_state`` (batch, n, hidden) for encoder GGUFs (BERT-like: llama.cpp's pooling is off so the caller
pools as PyTorch does); the rows run one after another, each from an empty cache (``sequential_batch``).
``generate`` decodes greedily (temperature 0) or samples, reusing llama.cpp's KV cache. ``quantize`` rewrites a
GGUF into another type through llama.cpp's own quantizer (q8_0, q4_0, q4_k_m, q5_k_m, q6_k...).

``RuntimeOptions.extra``: ``n_ctx`` (context size, 512 by default), ``logits_all`` (True by default: ``run`` returns
every position's logits; the generation decoder, runtimes/llama_decoder.py, turns it off), ``kv_cache`` (the type
of the K and V cache: ``f16``, llama.cpp's default and what a deployment runs, or ``f32``, which leaves the file's
own rounding alone: validation uses it to measure the FILE; on a tiny Qwen3 the f16 cache alone flips a near-tie
that the f16 file with an f32 cache does not, benchmarks/results/gguf_validate.md). ``device="cuda"`` offloads every layer
(n_gpu_layers=-1) where the build supports GPU offload; otherwise it runs on CPU and says so in ``notes``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.base import Availability, GenerateStep, Runtime, RuntimeOptions, TensorInfo

NAME = "llama.cpp"
INSTALL = ("pip install -c constraints.txt 'model-workbench[llama]' (builds llama.cpp from source: see README, "
           "or install a prebuilt wheel with pip install /tmp/wheels/llama_cpp_python-*.whl)")
# The llama.cpp file types a user can ask for, by the names llama.cpp's own quantize tool uses.
QUANT_TYPES = {"f32": "ALL_F32", "f16": "MOSTLY_F16", "bf16": "MOSTLY_BF16", "q8_0": "MOSTLY_Q8_0",
               "q4_0": "MOSTLY_Q4_0", "q4_1": "MOSTLY_Q4_1", "q5_0": "MOSTLY_Q5_0", "q5_1": "MOSTLY_Q5_1",
               "q2_k": "MOSTLY_Q2_K", "q3_k_m": "MOSTLY_Q3_K_M", "q4_k_s": "MOSTLY_Q4_K_S",
               "q4_k_m": "MOSTLY_Q4_K_M", "q5_k_s": "MOSTLY_Q5_K_S", "q5_k_m": "MOSTLY_Q5_K_M", "q6_k": "MOSTLY_Q6_K"}
ENCODER_ARCHS = ("bert", "nomic-bert", "jina-bert-v2", "modern-bert")  # embedding models: no generation
KV_CACHE_TYPES = {"f16": "GGML_TYPE_F16", "f32": "GGML_TYPE_F32"}  # --kv-cache: llama.cpp's ggml types
FILE_KV_CACHE = "f32"  # what validation runs with: the cache adds no rounding of its own, so the FILE is measured
PRECISION = {"ALL_F32": "fp32", "MOSTLY_F16": "fp16", "MOSTLY_BF16": "bf16", "MOSTLY_Q8_0": "int8"}


_LOG_CALLBACK = None  # kept referenced: llama.cpp calls it from C


def _llama():
    try:
        import llama_cpp
    except ImportError as err:
        raise WorkbenchError(f"llama-cpp-python is not installed ({err})", INSTALL) from None
    _quiet(llama_cpp)
    return llama_cpp


def _quiet(llama_cpp) -> None:
    """llama.cpp's log lines go to the 'llama.cpp' Python logger (shown with --debug), not to stderr:
    llama-cpp-python 0.3.36 maps ggml's levels with an older enum (WARN=3 is read as ERROR), so with verbose off it
    still printed warnings such as 'n_ctx_seq (256) > n_ctx_train (128)' into the CLI's output."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes
    import logging

    log = logging.getLogger("llama.cpp")

    def forward(level, text, user_data):
        log.debug(text.decode("utf-8", "replace").rstrip())

    try:
        _LOG_CALLBACK = llama_cpp.llama_log_callback(forward)
        llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))
    except (AttributeError, TypeError):  # another binding version: keep its own logging
        _LOG_CALLBACK = False


def kv_cache_type(value) -> str:
    """The KV cache type asked for (None: llama.cpp's default, f16), checked before anything loads."""
    name = "f16" if value in (None, "") else str(value).lower()
    if name not in KV_CACHE_TYPES:
        raise WorkbenchError(f"unknown llama.cpp KV cache type '{value}'", f"use one of: {', '.join(KV_CACHE_TYPES)}")
    return name


def _check_gguf(path: Path) -> None:
    if not path.is_file():
        raise WorkbenchError(f"{path}: no such GGUF file", "give the path of a .gguf file")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise WorkbenchError(f"{path}: not a GGUF file (no GGUF magic)", "re-export it: workbench export ... "
                                 "--target gguf, or convert it with llama.cpp's convert_hf_to_gguf.py")


def _header(path: Path) -> tuple:
    """(general.architecture, general.file_type) read by gguf-py, before llama.cpp allocates anything."""
    import gguf

    reader = gguf.GGUFReader(str(path))

    def field(name):
        f = reader.fields.get(name)
        return None if f is None else f.parts[f.data[0]]

    arch, ftype = field("general.architecture"), field("general.file_type")
    if "tokenizer.ggml.model" not in reader.fields:  # llama.cpp's own refusal reads "key not found: ..."
        raise WorkbenchError(f"{path}: the GGUF holds no vocab (tokenizer.ggml.model), and llama.cpp loads no model "
                             "without one", "put the model's tokenizer files (tokenizer.json and its config) in the "
                             "source folder and export it again")
    return (bytes(arch).decode() if arch is not None else "", int(ftype[0]) if ftype is not None else -1)


class LlamaCppSession:
    runtime = NAME
    # llama-cpp-python's Llama holds one sequence: a batch's rows run one after another (run() below), and the
    # benchmark says so with per-sequence numbers (bench/summary.py) rather than timing batch 1 under batch N's name
    sequential_batch = True

    def __init__(self, path, options: RuntimeOptions):
        self.path = Path(str(path))
        _check_gguf(self.path)  # before the import: a bad file is one line whether or not llama.cpp is installed
        try:
            arch, ftype = _header(self.path)
        except (ValueError, IndexError, KeyError, OSError) as err:  # gguf-py on a truncated or corrupt header
            raise WorkbenchError(f"{self.path}: its GGUF header cannot be read ({err})",
                                 "re-export it: workbench export ... --target gguf") from None
        self.kv_cache = kv_cache_type(options.extra.get("kv_cache"))  # before the import too: a bad option is one line
        llama_cpp = _llama()
        self.notes: list = []
        self.device = "cpu"
        gpu_layers = 0
        if options.device != "cpu":
            if options.device == "cuda" and llama_cpp.llama_supports_gpu_offload():
                gpu_layers, self.device = -1, "cuda"
            elif options.strict:
                raise WorkbenchError(f"this llama.cpp build cannot run on '{options.device}'",
                                     "rebuild llama-cpp-python with CMAKE_ARGS=-DGGML_CUDA=on, or use --device cpu")
            else:
                self.notes.append(f"this llama.cpp build cannot run on '{options.device}'; it runs on CPU")
        kwargs = dict(model_path=str(self.path), n_ctx=int(options.extra.get("n_ctx", 512)), n_gpu_layers=gpu_layers,
                      logits_all=bool(options.extra.get("logits_all", True)), verbose=False, seed=0)
        if self.kv_cache != "f16":  # f16 is llama.cpp's own default: left to it
            kwargs.update(type_k=getattr(llama_cpp, KV_CACHE_TYPES[self.kv_cache]),
                          type_v=getattr(llama_cpp, KV_CACHE_TYPES[self.kv_cache]))
        if options.threads:
            kwargs.update(n_threads=int(options.threads), n_threads_batch=int(options.threads))
        try:
            self.encoder = arch in ENCODER_ARCHS
            if self.encoder:  # per-token hidden states; pooling is the caller's (it matches PyTorch's pooling)
                kwargs.update(embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE)
            self.llm = llama_cpp.Llama(**kwargs)
        except (ValueError, RuntimeError) as err:
            raise WorkbenchError(f"{self.path}: llama.cpp cannot load it ({err})",
                                 "check the file is a complete GGUF of an architecture llama.cpp knows") from None
        self.architecture = arch
        names = {getattr(llama_cpp, f"LLAMA_FTYPE_{v}", None): v for v in QUANT_TYPES.values()}
        self.precision = PRECISION.get(names.get(ftype, ""), "int4")

    def inputs(self) -> list:
        return [TensorInfo("input_ids", ["batch", "sequence"], "int64")]

    def outputs(self) -> list:
        if self.encoder:
            return [TensorInfo("last_hidden_state", ["batch", "sequence", self.llm.n_embd()], "float32")]
        return [TensorInfo("logits", ["batch", "sequence", self.llm.n_vocab()], "float32")]

    def run(self, feeds: dict) -> dict:
        """(batch, n) token ids: each row from an empty cache, one after another (``sequential_batch``)."""
        ids = np.asarray(feeds["input_ids"])
        if ids.ndim != 2 or ids.shape[0] < 1:
            raise WorkbenchError(f"llama.cpp takes input_ids of shape (batch, n); got shape {ids.shape}",
                                 "feed input_ids of shape (batch, n)")
        outputs = [self._run_one(ids[i:i + 1]) for i in range(ids.shape[0])]
        return {key: np.concatenate([o[key] for o in outputs]) for key in outputs[0]}

    def _run_one(self, ids: np.ndarray) -> dict:
        vocab = self.llm.n_vocab()
        if not np.issubdtype(ids.dtype, np.integer) or (ids.size and (ids.min() < 0 or ids.max() >= vocab)):
            raise WorkbenchError(f"llama.cpp takes token ids in [0, {vocab}); input_ids holds {ids.dtype} values "
                                 f"{ids.min() if ids.size else ''}..{ids.max() if ids.size else ''}",
                                 "feed the token ids of this model's vocabulary (another model's inputs do not fit)")
        tokens = [int(t) for t in ids[0]]
        if self.encoder:
            return {"last_hidden_state": self._hidden_states(tokens)[None]}
        self.llm.reset()
        self.llm.eval(tokens)
        return {"logits": np.array(self.llm.scores[:len(tokens)], dtype=np.float32)[None]}

    def _hidden_states(self, tokens: list) -> np.ndarray:
        # Llama.embed takes text only; feeding token ids needs llama-cpp-python's batch (as embed does inside).
        import llama_cpp

        llm, n_embd = self.llm, self.llm.n_embd()
        llm._batch.reset()
        llm._batch.add_sequence(tokens, 0, True)
        llm._ctx.kv_cache_clear()
        llm._ctx.decode(llm._batch)
        ptr = llama_cpp.llama_get_embeddings(llm._ctx.ctx)
        out = np.ctypeslib.as_array(ptr, shape=(len(tokens) * n_embd,)).reshape(len(tokens), n_embd).copy()
        llm._batch.reset()
        llm._ctx.kv_cache_clear()
        return out

    def generate(self, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0,
                 top_k: int = 0, seed: int = 0) -> Iterator[GenerateStep]:
        if self.encoder:
            raise WorkbenchError(f"{self.path.name} is an encoder ({self.architecture}): it does not generate",
                                 "use workbench validate for encoders")
        self.llm.reset()
        self.llm.set_seed(seed)
        start = time.perf_counter()
        steps = self.llm.generate([int(t) for t in prompt_ids], temp=temperature, top_k=top_k, top_p=1.0,
                                  min_p=0.0, repeat_penalty=1.0, reset=True)
        for i, token in enumerate(steps):
            now = time.perf_counter()
            yield GenerateStep(int(token), self.llm.detokenize([token]).decode("utf-8", "replace"), now - start)
            if i + 1 >= max_new_tokens or token == self.llm.token_eos():
                return
            start = time.perf_counter()

    def close(self) -> None:
        if getattr(self, "llm", None) is not None:
            self.llm.close()
            self.llm = None


def quantize(src, dst, type_name: str, threads: int = 0) -> Path:
    """Rewrite ``src`` GGUF as ``dst`` in ``type_name`` through llama.cpp's llama_model_quantize (the same code as
    its llama-quantize tool); ``dst`` is written beside its final name and renamed only when llama.cpp succeeds."""
    src, dst = Path(str(src)), Path(str(dst))
    _check_gguf(src)
    llama_cpp = _llama()
    key = QUANT_TYPES.get(type_name.lower())
    if key is None:
        raise WorkbenchError(f"unknown GGUF quantization '{type_name}'", f"use one of: {', '.join(QUANT_TYPES)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_{key}")
    params.nthread = int(threads)
    partial = dst.with_name(dst.name + ".partial")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(partial).encode(), params)
    if rc != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise WorkbenchError(f"llama.cpp could not quantize {src.name} to {type_name} (code {rc})",
                             "K-quants need tensor rows that are multiples of 256: try q8_0 or q4_0 for tiny models")
    partial.replace(dst)
    return dst


def open_session(path, options: RuntimeOptions | None = None) -> LlamaCppSession:
    return LlamaCppSession(path, options or RuntimeOptions())


def availability() -> Availability:
    try:
        import llama_cpp

        devices = ("cpu", "cuda") if llama_cpp.llama_supports_gpu_offload() else ("cpu",)
    except Exception as err:  # noqa: BLE001 - a missing library is an answer
        return Availability(False, hint=f"{INSTALL}: {err}")
    return Availability(True, llama_cpp.__version__, devices)


def register(registry) -> None:
    registry.add_runtime(Runtime(name=NAME, description="llama.cpp through llama-cpp-python (GGUF; logits, "
                                 "encoder hidden states, generation)", suffixes=(".gguf",), open=open_session,
                                 availability=availability, generates=True,
                                 decoder="workbench.core.runtimes.llama_decoder:LlamaDecoder"))
