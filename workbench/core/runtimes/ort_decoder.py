"""ONNX Runtime's generation decoders: an exported decoder with past key values (:class:`OrtDecoder`) or the
GroupQueryAttention decoder of ``optimize --target cuda`` (runtimes/ort_gqa.py); :func:`open_decoder` picks one for
a file and is the ``onnxruntime`` runtime's ``Runtime.decoder``.

``present.*`` of one run are bound as ``past_key_values.*`` of the next through IOBinding, as OrtValues on the
session's device, so on CUDA the cache never leaves the GPU (only the ids, the mask and the positions go up, and the
logits come down). The prefill starts from an empty past (length 0). Never imports torch or transformers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.runtimes.decoder_base import Decoder

_ORT_FLOATS = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


class OrtDecoder(Decoder):
    """An ONNX decoder exported with ``--task text-generation-with-past``."""

    runtime = "onnxruntime"

    def __init__(self, path, provider: str = "cpu", threads: Optional[int] = None, session=None):
        """``session``: an ONNX Runtime session already open on ``path`` (an OrtSession's), else one is made."""
        from workbench.core.ort import decoder_cuda_options, make_session

        self.path = Path(path)
        self.name = f"ORT {self.path.name}"
        self.session = session if session is not None else make_session(
            self.path, provider, threads, provider_options=decoder_cuda_options())
        self.provider = "cuda" if "CUDAExecutionProvider" in self.session.get_providers() else "cpu"
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.past_names = [n for n in inputs if n.startswith("past_key_values.")]
        if "input_ids" not in inputs or not self.past_names:
            raise WorkbenchError(f"{self.path} is not a decoder with past key values (inputs: "
                                 f"{', '.join(list(inputs)[:4])}...)",
                                 "export it with --task text-generation-with-past")
        self.positions = "position_ids" in inputs
        self.present_names = ["present." + n[len("past_key_values."):] for n in self.past_names]
        outputs = {o.name for o in self.session.get_outputs()}
        missing = [n for n in ["logits", *self.present_names] if n not in outputs]
        if missing:
            raise WorkbenchError(f"{self.path} lacks the outputs {', '.join(missing[:3])}",
                                 "export it with --task text-generation-with-past")
        self.past_specs = []
        for name in self.past_names:
            info = inputs[name]
            heads, dim = info.shape[1], info.shape[3]
            if not isinstance(heads, int) or not isinstance(dim, int):
                raise WorkbenchError(f"{name} has no fixed heads and head size ({info.shape})",
                                     "re-export with --task text-generation-with-past")
            self.past_specs.append((heads, dim, _ORT_FLOATS.get(info.type, np.float32)))
        self.past: list = []

    def reset(self) -> None:
        import onnxruntime as ort

        batch = self.mask.shape[0]
        self.past = [ort.OrtValue.ortvalue_from_shape_and_type([batch, heads, 0, dim], dtype, self.provider, 0)
                     for heads, dim, dtype in self.past_specs]

    def _run(self, ids, mask, positions) -> np.ndarray:
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", ids)
        binding.bind_cpu_input("attention_mask", mask)
        if self.positions:
            binding.bind_cpu_input("position_ids", positions)
        for name, value in zip(self.past_names, self.past):
            binding.bind_ortvalue_input(name, value)
        binding.bind_output("logits", "cpu")
        for name in self.present_names:
            binding.bind_output(name, self.provider, 0)
        try:
            self.session.run_with_iobinding(binding)
        except WorkbenchError:
            raise  # the run-time guard's one line (core/loading/limits.py)
        except Exception as err:  # noqa: BLE001 - ORT raises its own types
            raise WorkbenchError(f"ONNX Runtime failed to run the decoder: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err
        outputs = binding.get_outputs()
        self.past = list(outputs[1:])
        return np.asarray(outputs[0].numpy()[:, -1, :], dtype=np.float32)


def open_decoder(path, provider: str = "cpu", threads: Optional[int] = None, **_ignored) -> Decoder:
    """OrtDecoder for an exported decoder, or the GroupQueryAttention decoder's (``optimize --target cuda``)."""
    from workbench.core.runtimes.ort_gqa import GQAGenerate, is_gqa

    return GQAGenerate(path, provider, threads) if is_gqa(path) else OrtDecoder(path, provider, threads)


def session_generate(ort_session, prompt_ids, max_new_tokens: int, *, temperature: float = 0.0, top_k: int = 0,
                     seed: int = 0, eos=()):
    """The runtime contract's ``generate`` on an onnxruntime Session (runtimes/onnxruntime.py's OrtSession) of a
    decoder with past key values: its own ORT session steps (a GroupQueryAttention decoder opens its own, for its
    CUDA-graph buffers), through the shared loop; ``GenerateStep.text`` is '' (the file has no tokenizer)."""
    from workbench.core.runtimes.ort_gqa import GQAGenerate, is_gqa
    from workbench.core.runtimes.session_decoder import generate

    path = ort_session.path
    decoder = (GQAGenerate(path, ort_session.device) if is_gqa(path)
               else OrtDecoder(path, ort_session.device, session=ort_session.session))
    return generate(decoder, prompt_ids, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed, eos=eos)
