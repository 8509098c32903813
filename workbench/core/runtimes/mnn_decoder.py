"""Generation in MNN: an .mnn converted from a ``--task text-generation-with-past`` ONNX decoder (inputs
``input_ids``, ``attention_mask``, ``position_ids``, ``past_key_values.{i}.key|value``; outputs ``logits`` and
``present.{i}.key|value``), run step by step on an MNN session: the prefill starts from an empty past (length 0,
which MNN runs), each step feeds the previous ``present.*`` back as ``past_key_values.*`` (as numpy arrays: the
Python module API has no device binding). Mask and position bookkeeping is the ONNX decoder's
(``runtimes.decoder_base.Decoder``), and token picking is ``runtimes.decoding.Sampling``'s, so greedy tokens compare
one for one with ONNX Runtime's and PyTorch's.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from workbench.core.runtimes.decoder_base import Decoder
from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.base import GenerateStep

PAST = "past_key_values."


def is_decoder(inputs: list) -> bool:
    names = {i.name for i in inputs}
    return "input_ids" in names and any(n.startswith(PAST) for n in names)


class MnnDecoder(Decoder):
    runtime = "mnn"
    provider = "cpu"

    def __init__(self, session):
        inputs = session.inputs()
        if not is_decoder(inputs):
            raise WorkbenchError(f"{session.path} is not a decoder with past key values (inputs: "
                                 f"{', '.join(i.name for i in inputs[:4])}...)",
                                 "export it with --task text-generation-with-past --target mnn")
        self.session, self.name = session, f"MNN {session.path}"
        self.pasts = [i for i in inputs if i.name.startswith(PAST)]
        bad = [i for i in self.pasts if not (isinstance(i.shape[1], int) and isinstance(i.shape[3], int))]
        if bad:
            raise WorkbenchError(f"{bad[0].name} has no fixed heads and head size ({bad[0].shape})",
                                 "re-export with --task text-generation-with-past --target mnn")
        self.positions = any(i.name == "position_ids" for i in inputs)
        self.past: list = []

    def reset(self) -> None:
        batch = self.mask.shape[0]
        self.past = [np.zeros((batch, i.shape[1], 0, i.shape[3]), np.float32) for i in self.pasts]

    def _run(self, ids, mask, positions) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, **({"position_ids": positions} if self.positions else {})}
        feeds.update({i.name: p for i, p in zip(self.pasts, self.past)})
        out = self.session.run(feeds)
        self.past = [out["present." + i.name[len(PAST):]] for i in self.pasts]
        return np.asarray(out["logits"][:, -1, :], dtype=np.float32)


def generate(session, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0,
             seed: int = 0, eos=()) -> Iterator[GenerateStep]:
    """The runtime contract's ``generate`` on an MNN decoder session (``GenerateStep.text`` is '' here: the
    session has no tokenizer; callers decode the ids)."""
    from workbench.core.runtimes.decoding import Sampling, stream

    decoder = MnnDecoder(session)
    steps = stream(decoder, [[int(t) for t in prompt_ids]], max_new_tokens, Sampling(float(temperature), int(top_k),
                                                                                     1.0, int(seed)), eos=eos)
    for step in steps:
        yield GenerateStep(step.tokens[0], "", step.latency_ms / 1000)
