"""A .gguf as a generation decoder (``prefill``/``step``, last-position logits), so ``workbench generate X.gguf``
(with ``--compare-torch``: the same greedy judge as the ONNX decoders) and ``bench --generate X.gguf`` run llama.cpp
through the loop every decoder shares (core/generate.py): the same numpy sampler, the same timings.

llama.cpp keeps the KV cache: the prefill evaluates the prompt from an empty cache, each step one token. It runs one
sequence at a time (batch 1); only the last position's logits are computed (``logits_all`` off, as llama.cpp's own
tools do), so the prefill's timing is llama.cpp's prompt processing. The GGUF carries its own vocabulary: without a
tokenizer.json beside it, text is encoded and decoded by llama.cpp's tokenizer, and end-of-sequence, vocabulary
size and context length come from the file's header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.decoder_base import Decoder

DEFAULT_CTX = 2048  # context allocated for generation, capped by the file's own context length


def header_config(path) -> dict:
    """config.json-like facts of a GGUF from its header (gguf-py, no tensors read): vocab_size,
    max_position_embeddings, eos_token_id, bos_token_id, pad_token_id (absent keys are left out)."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as err:  # noqa: BLE001 - gguf-py raises ValueError, struct errors, numpy errors alike
        raise WorkbenchError(f"{path}: not a readable GGUF ({type(err).__name__}: {str(err)[:120]})",
                             "re-export it: workbench export SRC -o OUT.gguf --target gguf") from None

    def value(name):
        field = reader.fields.get(name)
        return None if field is None else field.contents()

    arch = value("general.architecture") or ""
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    out = {"architecture": arch,
           "vocab_size": len(tokens.data) if tokens is not None else None,
           "max_position_embeddings": value(f"{arch}.context_length"),
           "eos_token_id": value("tokenizer.ggml.eos_token_id"),
           "bos_token_id": value("tokenizer.ggml.bos_token_id"),
           "pad_token_id": value("tokenizer.ggml.padding_token_id")}
    return {k: v for k, v in out.items() if v is not None}


def is_decoder_gguf(path) -> bool:
    """A .gguf file whose header names a generating architecture (not BERT-like); False for anything unreadable."""
    from workbench.core.errors import WorkbenchError as Error
    from workbench.core.runtimes.llama_cpp import ENCODER_ARCHS

    if not str(path).lower().endswith(".gguf") or not Path(str(path)).is_file():
        return False
    try:
        return header_config(path).get("architecture", "") not in ENCODER_ARCHS + ("",)
    except Error:
        return False


def settings(path, folder: Optional[Path] = None) -> dict:
    """folder_settings for a GGUF: the folder's generation settings where it has a config.json, else the header's."""
    from workbench.core.runtimes.decoder_base import folder_settings

    if folder is not None and (Path(folder) / "config.json").is_file():
        return folder_settings(folder)
    head = header_config(path)
    eos = [int(head["eos_token_id"])] if "eos_token_id" in head else []
    pad = head.get("pad_token_id", eos[0] if eos else 0)
    return {"eos": eos, "pad": int(pad), "vocab": head.get("vocab_size")}


class LlamaDecoder(Decoder):
    """A decoder GGUF in llama.cpp (llama-cpp-python), batch 1, KV cache kept by llama.cpp."""

    runtime = "llama.cpp"

    def __init__(self, path, provider: str = "cpu", threads: Optional[int] = None, n_ctx: Optional[int] = None,
                 kv_cache: Optional[str] = None):
        from workbench.core.runtimes.base import RuntimeOptions
        from workbench.core.runtimes.llama_cpp import LlamaCppSession

        self.path = Path(str(path))
        self.name = f"llama.cpp {self.path.name}"
        trained = header_config(self.path).get("max_position_embeddings") if self.path.is_file() else None
        ctx = int(n_ctx or min(DEFAULT_CTX, int(trained or DEFAULT_CTX)))
        self.session = LlamaCppSession(self.path, RuntimeOptions(device=provider, threads=threads,
                                                                 extra={"n_ctx": ctx, "logits_all": False,
                                                                        "kv_cache": kv_cache}))
        if self.session.encoder:
            self.session.close()
            raise WorkbenchError(f"{self.path.name} is an encoder ({self.session.architecture}): it does not "
                                 "generate", "validate it instead: workbench validate X.gguf --against SRC")
        self.llm = self.session.llm
        self.provider = self.session.device
        self.notes = self.session.notes
        self.n_ctx = ctx
        self.kv_cache = self.session.kv_cache

    def settings(self, folder: Optional[Path] = None) -> dict:
        """folder_settings for this file (the folder's where it has a config.json, else the header's)."""
        return settings(self.path, folder)

    def codec(self):
        """A TextCodec over llama.cpp's own tokenizer (the vocabulary the GGUF carries)."""
        from workbench.core.runtimes.decoder_base import TextCodec

        llm = self.llm
        return TextCodec(lambda text: llm.tokenize(text.encode("utf-8"), add_bos=True, special=False),
                         lambda ids: llm.detokenize([int(t) for t in ids]).decode("utf-8", "replace"))

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if np.asarray(ids).shape[0] != 1:
            raise WorkbenchError(f"llama.cpp generates one sequence at a time (batch {np.asarray(ids).shape[0]} "
                                 "asked)", "give one prompt (bench --generate runs a GGUF's batch as its sequences one "
                                 "after another)")
        return super().prefill(ids, mask)

    def reset(self) -> None:
        self.llm.reset()  # n_tokens 0: the next eval drops the cached positions

    def _run(self, ids, mask, positions) -> np.ndarray:
        import llama_cpp

        tokens = [int(t) for t in np.asarray(ids)[0]]
        if self.llm.n_tokens + len(tokens) > self.n_ctx:
            raise WorkbenchError(f"the prompt and new tokens exceed the {self.n_ctx}-token context allocated in "
                                 "llama.cpp", "give a shorter prompt or fewer new tokens")
        try:
            self.llm.eval(tokens)
        except Exception as err:  # noqa: BLE001 - llama-cpp-python raises RuntimeError with llama.cpp's code
            raise WorkbenchError(f"llama.cpp failed to evaluate the tokens ({err})",
                                 "check the prompt's token ids against the model's vocabulary") from None
        # logits_all is off: llama-cpp-python keeps no scores, so read the last position's logits from the context
        ptr = llama_cpp.llama_get_logits_ith(self.llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.llm.n_vocab(),)).astype(np.float32)[None]

    def close(self) -> None:
        self.session.close()
