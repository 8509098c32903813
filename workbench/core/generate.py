"""Text generation, token by token, over an exported ONNX decoder, a GGUF or the PyTorch model, and the
token-for-token comparison with PyTorch.

Every decoder comes from the registered runtime that runs the model (generate_decoders.open_decoder ->
``Runtime.decoder``), and the loop is runtimes/decoding.py's :func:`stream` (a generator of :class:`TokenStep`;
``Sampling``, ``TokenStep``, ``encode_prompts`` and ``stream`` stay importable from here). :func:`generate` runs it
to the end (``GenerateResult``); :func:`compare_generation` runs ONNX Runtime and PyTorch greedily on the same prompts
and reports the agreement rate and the first position where they diverge, per prompt.
"""

from __future__ import annotations

import time
from typing import Iterator, Optional

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.generate_judge import agreement, judge  # noqa: F401 - generate's public names
from workbench.core.results import GenerateResult
from workbench.core.runtimes.decoding import (Sampling, TokenStep, _pad_left, encode_prompts,  # noqa: F401
                                              stream)


def _percentiles(values: list) -> dict:
    if not values:
        return {"p50": None, "p95": None}
    p50, p95 = np.percentile(np.asarray(values, dtype=np.float64), [50, 95])
    return {"p50": float(p50), "p95": float(p95)}


def run_steps(decoder, prompt_ids: list, max_new_tokens: int, sampling: Sampling, settings: dict, codec=None,
              stop_at_eos: bool = True, cancel=None) -> dict:
    """Run :func:`stream` to its end: {'rows': [[ids] per row], 'text', 'ttft_ms', 'decode_ms': [..]}."""
    rows = [[] for _ in prompt_ids]
    done = [False] * len(prompt_ids)
    text, latencies = [], []
    for step in stream(decoder, prompt_ids, max_new_tokens, sampling, eos=settings["eos"], pad=settings["pad"],
                       codec=codec, stop_at_eos=stop_at_eos, cancel=cancel):
        latencies.append(step.latency_ms)
        for row, token in enumerate(step.tokens):
            if not done[row]:
                rows[row].append(token)
                done[row] = stop_at_eos and token in settings["eos"]
        text.append(step.text or "")
    if cancel is not None and getattr(cancel, "cancelled", False):
        from workbench.core.errors import JobCancelled

        raise JobCancelled()
    return {"rows": rows, "text": "".join(text), "ttft_ms": latencies[0] if latencies else 0.0,
            "decode_ms": latencies[1:]}


def _prepare(model, prompt, sampling: Sampling, provider: str, threads: Optional[int],
             kv_cache: Optional[str] = None) -> tuple:
    """(decoder, codec, settings, prompt ids); the prompt and settings are checked before the model loads.
    ``kv_cache`` is llama.cpp's KV cache type (a .gguf only; None: llama.cpp's default, f16)."""
    from workbench.core.generate_decoders import TextCodec, folder_settings, open_decoder, resolve, runtime_decoder

    sampling.check()
    kind, path, folder = resolve(model)
    if kv_cache is not None and kind != "gguf":
        raise WorkbenchError(f"a KV cache type ({kv_cache}) is llama.cpp's setting; {model} is not a .gguf",
                             "leave --kv-cache out, or give a .gguf file")
    if kind in ("gguf", "runtime"):  # a GGUF carries its vocab: llama.cpp's tokenizer where no tokenizer.json is
        decoder = runtime_decoder(path, provider, threads, **({} if kv_cache is None else {"kv_cache": kv_cache}))
        settings = decoder.settings(folder)
        codec = TextCodec.load(folder) or decoder.codec()
        return decoder, codec, settings, encode_prompts(prompt, codec, settings["vocab"])
    codec, settings = TextCodec.load(folder), folder_settings(folder)
    prompt_ids = encode_prompts(prompt, codec, settings["vocab"])
    decoder, _ = open_decoder(model, provider, threads)
    return decoder, codec, settings, prompt_ids


def timed_generation(model, decoder, prompt_ids, max_new_tokens, sampling, settings, codec, stop_at_eos,
                     cancel) -> GenerateResult:
    """One prompt generated through ``decoder``, timed, as the GenerateResult every generator reports (decoder-only
    here, encoder-decoder in seq2seq_generate.py, which adds its encoder time)."""
    started = time.perf_counter()
    run = run_steps(decoder, prompt_ids, max_new_tokens, sampling, settings, codec, stop_at_eos, cancel)
    seconds = time.perf_counter() - started
    tokens = run["rows"][0]
    return GenerateResult(text=run["text"], tokens=tokens, ttft_ms=run["ttft_ms"],
                          decode_ms=_percentiles(run["decode_ms"]),
                          tokens_per_s=len(tokens) / seconds if seconds > 0 else 0.0,
                          prompt_tokens=len(prompt_ids[0]), model=str(model), runtime=decoder.runtime,
                          provider=decoder.provider)


def generate(model, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
             top_p: float = 1.0, seed: int = 0, provider: str = "cpu", threads: Optional[int] = None,
             compare_torch=None, stop_at_eos: bool = True, kv_cache: Optional[str] = None, progress=None,
             cancel=None) -> GenerateResult:
    """Generate from ``model`` (an exported decoder folder or .onnx file, or a Hugging Face folder for PyTorch).

    With ``compare_torch`` (a Hugging Face folder) PyTorch generates from the same prompt with the same settings
    and ``agreement`` holds the agreement rate and the first divergence. ``tokens_per_s`` counts the new tokens
    over the whole generation, prefill included. ``kv_cache`` (a .gguf only) is llama.cpp's KV cache type; left
    out, a comparison with PyTorch runs the file's measure (f32, runtimes/llama_cpp.FILE_KV_CACHE) and plain
    generation llama.cpp's default (f16).
    """
    from workbench.core.generate_decoders import resolve

    report = progress or (lambda fraction, message: None)
    report(0.0, "loading the model")
    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    if kv_cache is None and compare_torch is not None and resolve(model)[0] == "gguf":
        from workbench.core.runtimes.llama_cpp import FILE_KV_CACHE

        kv_cache = FILE_KV_CACHE
    decoder, codec, settings, prompt_ids = _prepare(model, prompt, sampling, provider, threads, kv_cache)
    if len(prompt_ids) != 1:
        raise WorkbenchError("generate takes one prompt", "use compare_generation or bench for several")
    report(0.1, "generating")
    result = timed_generation(model, decoder, prompt_ids, max_new_tokens, sampling, settings, codec, stop_at_eos,
                              cancel)
    tokens = result.tokens
    if compare_torch is not None:
        report(0.6, "generating with PyTorch")
        from workbench.core.generate_decoders import torch_decoder

        torch_folder = getattr(compare_torch, "path", compare_torch)
        reference = run_steps(torch_decoder(torch_folder, provider, threads), prompt_ids, max_new_tokens, sampling,
                              settings, None, stop_at_eos, cancel)["rows"][0]
        result.agreement = {**judge(tokens, reference, sampling.temperature == 0, decoder.runtime, codec),
                            "torch_text": codec.decode(reference) if codec else None}
        if getattr(decoder, "kv_cache", None):
            result.agreement["kv_cache"] = decoder.kv_cache
            result.notes.append(f"llama.cpp ran with an {decoder.kv_cache} KV cache"
                                + (" (--kv-cache f16 measures llama.cpp's default)" if decoder.kv_cache == "f32"
                                   else ""))
        if sampling.temperature > 0:
            result.notes.append("sampled tokens compared but not judged: both runtimes drew with the same seed, so "
                                "they agree only while their probabilities agree closely")
    report(1.0, "done")
    return result


def compare_generation(onnx_dir, torch_src, prompts, max_new_tokens: int = 16, *, provider: str = "cpu",
                       progress=None, cancel=None) -> dict:
    """Greedy generation in ONNX Runtime and PyTorch on each prompt (text or token ids), ``max_new_tokens`` each
    (end-of-sequence does not stop it, so every position is compared).

    Returns {'rate': overall agreement, 'prompts': [{'prompt_tokens', 'rate', 'first_divergence', 'onnx',
    'torch'}], 'max_new_tokens', 'model', 'torch_source'}; fp32 exports are expected to agree 100%.
    """
    from workbench.core.generate_decoders import TextCodec, folder_settings, onnx_decoder, resolve, torch_decoder

    kind, path, folder = resolve(onnx_dir)
    if kind != "onnx":
        raise WorkbenchError(f"{onnx_dir} holds no ONNX decoder", "give the folder export wrote, or its .onnx file")
    codec, settings = TextCodec.load(folder), folder_settings(folder)
    prompt_ids = encode_prompts(list(prompts) if not isinstance(prompts, str) else prompts, codec,
                                settings["vocab"])
    report = progress or (lambda fraction, message: None)
    decoders = [onnx_decoder(path, provider), torch_decoder(getattr(torch_src, "path", torch_src), provider)]
    rows, same, total = [], 0, 0
    for i, ids in enumerate(prompt_ids):
        report(i / len(prompt_ids), f"prompt {i + 1}/{len(prompt_ids)}")
        onnx_tokens, torch_tokens = (run_steps(d, [ids], max_new_tokens, Sampling(), settings, None, False,
                                               cancel)["rows"][0] for d in decoders)
        agree = agreement(onnx_tokens, torch_tokens)
        same += round(agree["rate"] * max(len(onnx_tokens), len(torch_tokens)))
        total += max(len(onnx_tokens), len(torch_tokens))
        rows.append({"prompt_tokens": len(ids), **agree, "onnx": onnx_tokens, "torch": torch_tokens})
    report(1.0, "done")
    return {"rate": same / total if total else 1.0, "prompts": rows, "max_new_tokens": int(max_new_tokens),
            "model": str(path), "torch_source": str(getattr(torch_src, "path", torch_src))}


def stream_text(model, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
                top_p: float = 1.0, seed: int = 0, provider: str = "cpu", threads: Optional[int] = None,
                stop_at_eos: bool = True, cancel=None) -> Iterator[TokenStep]:
    """:func:`stream` for one prompt (text or ids) on ``model``; loading happens at the first step asked for."""
    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    decoder, codec, settings, prompt_ids = _prepare(model, prompt, sampling, provider, threads)
    yield from stream(decoder, prompt_ids[:1], max_new_tokens, sampling, eos=settings["eos"], pad=settings["pad"],
                      codec=codec, stop_at_eos=stop_at_eos, cancel=cancel)
