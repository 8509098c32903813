"""A KV-cache decoder over any runtime Session that runs a ``--task text-generation-with-past`` export (inputs
``input_ids``, ``attention_mask``, optional ``position_ids``, ``past_key_values.{i}.key|value``; outputs ``logits``
and ``present.{i}.key|value``): each step feeds the previous ``present.*`` back as ``past_key_values.*`` as numpy
arrays, the prefill starting from an empty past (length 0). MNN (mnn_decoder.py) and OpenVINO (openvino_decoder.py)
generate through it; mask and position bookkeeping is the ONNX decoder's (``decoder_base.Decoder``) and token
picking is ``decoding.Sampling``'s, so greedy tokens compare one for one with ONNX Runtime's and PyTorch's.

``open_with(runtime, path, provider, threads)`` is what a registered runtime's ``decoder`` factory returns: the
generation loop (``generate``, the Chat panel) reaches it through the registry, never importing a runtime module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.runtimes.decoder_base import Decoder
from workbench.core.runtimes.base import GenerateStep

PAST = "past_key_values."


def is_decoder(inputs: list) -> bool:
    names = {i.name for i in inputs}
    return "input_ids" in names and any(n.startswith(PAST) for n in names)


class SessionDecoder(Decoder):
    """``prefill``/``step`` on a runtime session holding a decoder with past key values."""

    title = ""  # how the runtime is named to the user ("MNN", "OpenVINO")
    target = ""  # the export target that writes its files ("mnn", "openvino"), for the one-line hints

    def __init__(self, session):
        inputs = session.inputs()
        if not is_decoder(inputs):
            raise WorkbenchError(f"{session.path} is not a decoder with past key values (inputs: "
                                 f"{', '.join(i.name for i in inputs[:4])}...)",
                                 f"export it with --task text-generation-with-past --target {self.target}")
        self.session, self.name = session, f"{self.title} {Path(str(session.path)).name}"
        self.path = Path(str(session.path))
        self.provider = session.device
        self.notes = list(getattr(session, "notes", []))
        self.pasts = [i for i in inputs if i.name.startswith(PAST)]
        bad = [i for i in self.pasts if not (isinstance(i.shape[1], int) and isinstance(i.shape[3], int))]
        if bad:
            raise WorkbenchError(f"{bad[0].name} has no fixed heads and head size ({bad[0].shape})",
                                 f"re-export with --task text-generation-with-past --target {self.target}")
        self.positions = any(i.name == "position_ids" for i in inputs)
        self.past: list = []

    def settings(self, folder: Optional[Path] = None) -> dict:
        """folder_settings of ``folder`` (the tokenizer's), else of the artifact's own folder."""
        from workbench.core.runtimes.decoder_base import folder_settings

        return folder_settings(folder if folder is not None else self.path.parent)

    def codec(self):
        """The artifact has no vocabulary of its own: None (the folder's tokenizer encodes, or token ids are given)."""
        return None

    def reset(self) -> None:
        batch = self.mask.shape[0]
        self.past = [np.zeros((batch, i.shape[1], 0, i.shape[3]), np.float32) for i in self.pasts]

    def _run(self, ids, mask, positions) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, **({"position_ids": positions} if self.positions else {})}
        feeds.update({i.name: p for i, p in zip(self.pasts, self.past)})
        out = self.session.run(feeds)
        self.past = [out["present." + i.name[len(PAST):]] for i in self.pasts]
        return np.asarray(out["logits"][:, -1, :], dtype=np.float32)

    def close(self) -> None:
        self.session.close()


def open_with(decoder_class, runtime_name: str, path, provider: str = "cpu", threads: Optional[int] = None):
    """``decoder_class`` on a session of the registered runtime ``runtime_name`` (its availability checked: a
    missing library is one line with the install hint)."""
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.select import choose, open_session

    runtime = choose(path, runtime_name)
    session = open_session(runtime, path, RuntimeOptions(device=provider, threads=threads))
    try:
        return decoder_class(session)
    except Exception:
        session.close()
        raise


def generate(decoder, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0,
             seed: int = 0, eos=()) -> Iterator[GenerateStep]:
    """The runtime contract's ``generate`` through ``decoder`` (``GenerateStep.text`` is '' here: the session has no
    tokenizer; callers decode the ids)."""
    from workbench.core.runtimes.decoding import Sampling, stream

    steps = stream(decoder, [[int(t) for t in prompt_ids]], max_new_tokens, Sampling(float(temperature), int(top_k),
                                                                                     1.0, int(seed)), eos=eos)
    for step in steps:
        yield GenerateStep(step.tokens[0], "", step.latency_ms / 1000)
