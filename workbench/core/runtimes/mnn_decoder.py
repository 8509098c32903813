"""Generation in MNN: an .mnn converted from a ``--task text-generation-with-past`` ONNX decoder, run step by step on
an MNN session through the shared session decoder (session_decoder.py: the past fed back as numpy arrays, since
MNN's Python module API has no device binding; the prefill's empty past, length 0, MNN runs). The registry's
``decoder`` field names :func:`open_decoder`, so ``workbench generate X.mnn`` and the Chat panel run it.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

from workbench.core.runtimes.base import GenerateStep
from workbench.core.runtimes.session_decoder import PAST, SessionDecoder, is_decoder, open_with  # noqa: F401

__all__ = ["MnnDecoder", "open_decoder", "generate", "is_decoder", "PAST"]


class MnnDecoder(SessionDecoder):
    runtime = "mnn"
    title = "MNN"
    target = "mnn"


def open_decoder(path, provider: str = "cpu", threads: Optional[int] = None) -> MnnDecoder:
    """The registry's decoder factory: (path, provider, threads) -> MnnDecoder on an MNN session."""
    return open_with(MnnDecoder, "mnn", path, provider, threads)


def generate(session, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0,
             seed: int = 0, eos=()) -> Iterator[GenerateStep]:
    """The runtime contract's ``generate`` on an MNN decoder session (``GenerateStep.text`` is '')."""
    from workbench.core.runtimes import session_decoder

    return session_decoder.generate(MnnDecoder(session), prompt_ids, max_new_tokens, temperature=temperature,
                                    top_k=top_k, seed=seed, eos=eos)
