"""Text generation through a registered runtime (llama.cpp for a .gguf, OpenVINO for an IR .xml, MNN for an .mnn,
and any runtime that says it ``generates``), streamed as the same :class:`workbench.core.runtimes.decoding.TokenStep`
items as the ONNX decoders, so the Chat panel shows them beside PyTorch and ONNX Runtime. A runtime that offers a
decoder (``Runtime.decoder``) runs in the loop every decoder shares (decoding.stream: the same sampler, the text
decoded as it streams); one that offers only ``Session.generate`` streams what that yields.

The prompt is encoded with the tokenizer of ``tokenizer`` (a Hugging Face folder: the PyTorch source, so every column
starts from the same token ids) or, without one, of the artifact's own folder (a GGUF's own vocabulary last).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional

from workbench.core.errors import WorkbenchError


def handles(model, registry=None) -> bool:
    """Whether ``model`` is an artifact file of a registered runtime other than ONNX Runtime's decoders and PyTorch
    (a .gguf, an IR .xml): those generate through their runtime's session."""
    from workbench.core.registry import default_registry

    path = Path(str(model)).expanduser()
    if path.is_dir() or path.suffix.lower() == ".onnx":
        return False
    reg = registry or default_registry()
    return any(r.name != "torch" for r in reg.runtimes_for(path))


def generating_runtime(path, registry=None):
    """The runtime that opens ``path`` (its suffix's own), or a one-line error saying why it cannot chat: its
    library is missing (with the install hint) or it does not generate text."""
    from workbench.core.runtimes.select import choose

    runtime = choose(path, registry=registry)  # an unavailable runtime: one line with its install hint
    if not runtime.generates:
        raise WorkbenchError(f"the {runtime.name} runtime does not generate text",
                             "chat with an ONNX decoder folder or a GGUF (llama.cpp)")
    return runtime


def stream_text(model, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
                top_p: float = 1.0, seed: int = 0, threads: Optional[int] = None, provider: str = "cpu",
                tokenizer=None, cancel=None, registry=None, kv_cache: Optional[str] = None, **_ignored) -> Iterator:
    """Yield one TokenStep per generated token of ``model`` (an artifact a generating runtime opens);
    ``kv_cache`` is llama.cpp's KV cache type for a .gguf (None: llama.cpp's default, f16)."""
    from workbench.core.runtimes.decoder_base import TextCodec
    from workbench.core.runtimes.decoding import TokenStep, encode_prompts
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import open_session

    path = Path(str(model)).expanduser()
    if kv_cache is not None:  # checked before anything loads, as `generate --kv-cache` does
        from workbench.core.runtimes.llama_cpp import kv_cache_type

        kv_cache = kv_cache_type(kv_cache)
        if path.suffix.lower() != ".gguf":
            raise WorkbenchError(f"a KV cache type ({kv_cache}) is llama.cpp's setting; {path.name} is not a .gguf",
                                 "leave the KV cache type out, or give a .gguf file")
    runtime = generating_runtime(path, registry)
    folder = Path(str(getattr(tokenizer, "path", tokenizer))) if tokenizer else path.parent
    codec = TextCodec.load(folder)
    if runtime.decoder is not None:  # llama.cpp, OpenVINO, MNN: their decoder in the loop every decoder shares
        yield from decoder_stream(runtime, path, prompt, max_new_tokens, folder, codec, temperature=temperature,
                                  top_k=top_k, top_p=top_p, seed=seed, threads=threads, provider=provider,
                                  cancel=cancel, **({} if kv_cache is None else {"kv_cache": kv_cache}))
        return
    if top_p != 1.0:
        raise WorkbenchError("top-p sampling is not offered for runtime generation", "leave top_p at 1.0")
    if codec is None and isinstance(prompt, str):
        raise WorkbenchError(f"no tokenizer in {folder} to encode the prompt for {path.name}",
                             "load the model's Hugging Face folder (its tokenizer encodes the prompt), or give token ids")
    prompt_ids = encode_prompts(prompt, codec, None)[0]
    session = open_session(runtime, path, RuntimeOptions(device=provider, threads=threads,
                                                         extra={} if kv_cache is None else {"kv_cache": kv_cache}))
    try:
        steps = session.generate(prompt_ids, int(max_new_tokens), temperature=float(temperature), top_k=int(top_k),
                                 seed=int(seed))
        for index, step in enumerate(steps):
            if cancel is not None and cancel.cancelled:
                return
            yield TokenStep(index=index, tokens=[int(step.token_id)], text=step.text,
                            latency_ms=float(step.seconds) * 1000.0)
    finally:
        session.close()


def decoder_stream(runtime, path: Path, prompt, max_new_tokens: int, folder: Path, codec, *, temperature: float,
                   top_k: int, top_p: float, seed: int, threads: Optional[int], provider: str, cancel,
                   **options) -> Iterator:
    """TokenSteps of ``runtime``'s decoder (``Runtime.decoder``) on ``path`` through decoding.stream: the settings
    (end of sequence, pad, vocabulary) of ``folder`` or the decoder's own, the text decoded by ``codec`` (the
    folder's tokenizer) or the decoder's own vocabulary (a GGUF's)."""
    from workbench.core.runtimes.decoding import Sampling, encode_prompts, stream

    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    sampling.check()  # before the model loads
    decoder = runtime.decoder_factory()(path, provider, threads, **options)  # options: llama.cpp's kv_cache
    try:
        codec = codec or decoder.codec()
        if codec is None and isinstance(prompt, str):
            raise WorkbenchError(f"no tokenizer in {folder} to encode the prompt for {path.name}",
                                 "load the model's Hugging Face folder (its tokenizer encodes the prompt), or give "
                                 "token ids")
        settings = decoder.settings(folder)
        prompt_ids = encode_prompts(prompt, codec, settings["vocab"])[:1]
        yield from stream(decoder, prompt_ids, max_new_tokens, sampling, eos=settings["eos"], pad=settings["pad"],
                          codec=codec, cancel=cancel)
    finally:
        decoder.close()
