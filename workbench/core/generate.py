"""Text generation, token by token, over an exported ONNX decoder or the PyTorch model, and the token-for-token
comparison of the two.

:func:`stream` is the loop: a generator of :class:`TokenStep` (the tokens of one step, row 0's new text, the step's
latency), so a chat panel can show tokens as they come; nothing runs until the first step is asked for. Step 0 is
the prefill and the first token: its latency is the time to first token. :func:`generate` runs it to the end
(``GenerateResult``); :func:`compare_generation` runs ONNX Runtime and PyTorch greedily on the same prompts and
reports the agreement rate and the first position where they diverge, per prompt.

Greedy decoding takes the argmax; sampling (``temperature > 0``) draws from the softmax of ``logits / temperature``
restricted to the ``top_k`` most likely tokens and the smallest set reaching ``top_p``, with a numpy generator
seeded by ``seed``: the same logits and seed give the same tokens in either runtime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator, Optional

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.generate_judge import agreement, judge  # noqa: F401 - generate's public names
from workbench.core.results import GenerateResult


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0: greedy
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0
    seed: int = 0

    def check(self) -> None:
        if self.temperature < 0 or self.top_k < 0 or not 0 < self.top_p <= 1:
            raise WorkbenchError(f"bad sampling settings (temperature {self.temperature}, top_k {self.top_k}, "
                                 f"top_p {self.top_p})", "use temperature >= 0, top_k >= 0 and 0 < top_p <= 1")

    def picker(self):
        """fn(logits [batch, vocab]) -> token ids [batch]."""
        self.check()
        rng = np.random.default_rng(self.seed)

        def pick(logits: np.ndarray) -> np.ndarray:
            if self.temperature == 0:
                return np.argmax(logits, axis=-1).astype(np.int64)
            scores = logits.astype(np.float64) / self.temperature
            if self.top_k and self.top_k < scores.shape[-1]:
                kth = np.sort(scores, axis=-1)[:, -self.top_k][:, None]
                scores = np.where(scores < kth, -np.inf, scores)
            probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs /= probs.sum(axis=-1, keepdims=True)
            if self.top_p < 1:
                order = np.argsort(-probs, axis=-1)
                sorted_p = np.take_along_axis(probs, order, axis=-1)
                drop = np.cumsum(sorted_p, axis=-1) - sorted_p >= self.top_p
                np.put_along_axis(probs, order, np.where(drop, 0.0, sorted_p), axis=-1)
                probs /= probs.sum(axis=-1, keepdims=True)
            return np.array([rng.choice(probs.shape[-1], p=row) for row in probs], dtype=np.int64)

        return pick


@dataclass
class TokenStep:
    index: int  # 0: the prefill's token
    tokens: list  # one id per batch row (rows that finished repeat the pad id)
    text: Optional[str]  # row 0's new text (None without a tokenizer; may be '' while a character is incomplete)
    latency_ms: float  # step 0: time to first token (prefill); then one decode step


def encode_prompts(prompts, codec, vocab: Optional[int]) -> list:
    """A prompt is text (needs the folder's tokenizer) or a list of token ids; one prompt or a list of them."""
    if isinstance(prompts, str) or (isinstance(prompts, (list, tuple)) and prompts and
                                    all(isinstance(t, (int, np.integer)) for t in prompts)):
        prompts = [prompts]
    if not prompts:
        raise WorkbenchError("no prompt given", "give a prompt: text or a list of token ids")
    out = []
    for prompt in prompts:
        if isinstance(prompt, str):
            if codec is None:
                raise WorkbenchError("this model folder has no tokenizer, so a text prompt cannot be encoded",
                                     "give token ids, or export from a folder with tokenizer files")
            ids = codec.encode(prompt)
        else:
            ids = [int(t) for t in prompt]
        if not ids:
            raise WorkbenchError("the prompt is empty (no tokens)", "give a prompt with at least one token")
        bad = [t for t in ids if t < 0 or (vocab is not None and t >= vocab)]
        if bad:
            raise WorkbenchError(f"token id {bad[0]} is outside the vocabulary (0 to {(vocab or 1) - 1})",
                                 "give token ids the model knows")
        out.append(ids)
    return out


def _pad_left(prompts: list, pad: int) -> tuple:
    width = max(len(p) for p in prompts)
    ids = np.full((len(prompts), width), pad, dtype=np.int64)
    mask = np.zeros((len(prompts), width), dtype=np.int64)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt):] = prompt
        mask[row, width - len(prompt):] = 1
    return ids, mask


def stream(decoder, prompts: list, max_new_tokens: int, sampling: Sampling = Sampling(), *, eos=(), pad: int = 0,
           codec=None, stop_at_eos: bool = True, cancel=None) -> Iterator[TokenStep]:
    """Generate up to ``max_new_tokens`` per row for token-id ``prompts`` (left-padded into one batch)."""
    if int(max_new_tokens) < 1:
        raise WorkbenchError(f"max new tokens must be at least 1 (got {max_new_tokens})", "ask for 1 or more")
    pick = sampling.picker()
    eos = set(int(e) for e in eos)
    ids, mask = _pad_left(prompts, pad)
    generated: list = []
    shown = ""
    finished = np.zeros(len(prompts), dtype=bool)
    tokens = None
    for index in range(int(max_new_tokens)):
        if cancel is not None and getattr(cancel, "cancelled", False):
            return
        start = time.perf_counter_ns()
        logits = decoder.prefill(ids, mask) if index == 0 else decoder.step(tokens)
        tokens = np.where(finished, pad, pick(logits))
        latency = (time.perf_counter_ns() - start) / 1e6
        if not finished[0]:
            generated.append(int(tokens[0]))
        finished |= np.isin(tokens, list(eos))
        last = index == int(max_new_tokens) - 1 or bool(stop_at_eos and eos and finished.all())
        text = None
        if codec is not None:
            full = codec.decode(generated)
            held = full.endswith("\ufffd") and not last  # an incomplete character: wait for its next byte
            text = "" if held else full[len(shown):]
            shown = shown if held else full
        yield TokenStep(index, [int(t) for t in tokens], text, latency)
        if last:
            return


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


def _prepare(model, prompt, sampling: Sampling, provider: str, threads: Optional[int]) -> tuple:
    """(decoder, codec, settings, prompt ids); the prompt and settings are checked before the model loads."""
    from workbench.core.generate_decoders import TextCodec, folder_settings, open_decoder, resolve

    sampling.check()
    kind, path, folder = resolve(model)
    if kind == "gguf":  # the file carries its vocab: llama.cpp's tokenizer where no tokenizer.json is beside it
        decoder, _ = open_decoder(model, provider, threads)
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
             compare_torch=None, stop_at_eos: bool = True, progress=None, cancel=None) -> GenerateResult:
    """Generate from ``model`` (an exported decoder folder or .onnx file, or a Hugging Face folder for PyTorch).

    With ``compare_torch`` (a Hugging Face folder) PyTorch generates from the same prompt with the same settings
    and ``agreement`` holds the agreement rate and the first divergence. ``tokens_per_s`` counts the new tokens
    over the whole generation, prefill included.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "loading the model")
    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    decoder, codec, settings, prompt_ids = _prepare(model, prompt, sampling, provider, threads)
    if len(prompt_ids) != 1:
        raise WorkbenchError("generate takes one prompt", "use compare_generation or bench for several")
    report(0.1, "generating")
    result = timed_generation(model, decoder, prompt_ids, max_new_tokens, sampling, settings, codec, stop_at_eos,
                              cancel)
    tokens = result.tokens
    if compare_torch is not None:
        report(0.6, "generating with PyTorch")
        from workbench.core.generate_decoders import TorchDecoder

        torch_folder = getattr(compare_torch, "path", compare_torch)
        reference = run_steps(TorchDecoder(torch_folder, provider, threads=threads), prompt_ids, max_new_tokens, sampling, settings,
                              None, stop_at_eos, cancel)["rows"][0]
        result.agreement = {**judge(tokens, reference, sampling.temperature == 0, decoder.runtime, codec),
                            "torch_text": codec.decode(reference) if codec else None}
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
    from workbench.core.generate_decoders import OrtDecoder, TextCodec, TorchDecoder, folder_settings, resolve

    kind, path, folder = resolve(onnx_dir)
    if kind != "onnx":
        raise WorkbenchError(f"{onnx_dir} holds no ONNX decoder", "give the folder export wrote, or its .onnx file")
    codec, settings = TextCodec.load(folder), folder_settings(folder)
    prompt_ids = encode_prompts(list(prompts) if not isinstance(prompts, str) else prompts, codec,
                                settings["vocab"])
    report = progress or (lambda fraction, message: None)
    decoders = [OrtDecoder(path, provider), TorchDecoder(getattr(torch_src, "path", torch_src), provider)]
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
