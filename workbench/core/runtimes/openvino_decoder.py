"""Generation in OpenVINO: an IR (model.xml + model.bin) converted from a ``--task text-generation-with-past`` ONNX
decoder by the openvino target, compiled once (its dynamic batch, sequence and past axes stay dynamic in the IR)
and run step by step through the shared session decoder (session_decoder.py: each step's ``present.*`` fed back as
``past_key_values.*``, the prefill from an empty past). The IR's inputs keep the ONNX names, so the same feeds run it.
The registry's ``decoder`` field names :func:`open_decoder`, so ``workbench generate model.xml`` and the Chat panel
run it. The workbench asks OpenVINO's CPU plugin for f32 inference (runtimes/openvino.py), so an fp32 IR's greedy
tokens match PyTorch's.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

from workbench.core.runtimes.base import GenerateStep
from workbench.core.runtimes.session_decoder import SessionDecoder, open_with


class OpenVinoDecoder(SessionDecoder):
    runtime = "openvino"
    title = "OpenVINO"
    target = "openvino"


def open_decoder(path, provider: str = "cpu", threads: Optional[int] = None) -> OpenVinoDecoder:
    """The registry's decoder factory: (path, provider, threads) -> OpenVinoDecoder on an OpenVINO session
    ("cpu" is OpenVINO's CPU; a device OpenVINO lacks here falls back to CPU with a note)."""
    return open_with(OpenVinoDecoder, "openvino", path, provider, threads)


def generate(session, prompt_ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0,
             seed: int = 0, eos=()) -> Iterator[GenerateStep]:
    """The runtime contract's ``generate`` on an OpenVINO decoder session (``GenerateStep.text`` is '')."""
    from workbench.core.runtimes import session_decoder

    return session_decoder.generate(OpenVinoDecoder(session), prompt_ids, max_new_tokens, temperature=temperature,
                                    top_k=top_k, seed=seed, eos=eos)
