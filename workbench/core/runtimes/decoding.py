"""The generation loop every runtime's decoder runs through: :func:`stream` yields one :class:`TokenStep` per step
(the tokens of one step, row 0's new text, the step's latency); step 0 is the prefill and the first token, so its
latency is the time to first token. Prompts (text or token ids) are checked by :func:`encode_prompts` and
left-padded into one batch.

Greedy decoding takes the argmax (a decoder with ``prefill_next``/``step_next``, whose graph computes that argmax
itself, hands over the token ids instead of the logits); sampling (``temperature > 0``) draws from the softmax of ``logits / temperature``
restricted to the ``top_k`` most likely tokens and the smallest set reaching ``top_p``, with a numpy generator
seeded by ``seed``: the same logits and seed give the same tokens in any runtime.

It lives under runtimes/ so that a runtime's own ``generate`` (MNN's, runtimes/mnn_decoder.py) and the registry's
streaming (runtimes/stream.py) run the same loop without importing core/generate.py, which imports runtimes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator, Optional

import numpy as np

from workbench.core.errors import WorkbenchError


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
    # a decoder whose graph computes the greedy token (the GQA decoder's next_token) skips the logits copy
    fast_greedy = sampling.temperature == 0 and hasattr(decoder, "prefill_next")
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
        if fast_greedy:  # the decoder's own argmax: a few bytes per row leave the device, not the logits
            picked = decoder.prefill_next(ids, mask) if index == 0 else decoder.step_next(tokens)
        else:
            picked = pick(decoder.prefill(ids, mask) if index == 0 else decoder.step(tokens))
        tokens = np.where(finished, pad, picked)
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
