"""PyTorch eager's generation decoder: the model of a Hugging Face folder stepping with its own cache (what
``transformers``' ``generate`` uses, fed back as ``past_key_values``); :func:`open_decoder` is the ``torch``
runtime's ``Runtime.decoder``, the reference every other runtime's tokens are compared with.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.runtimes.decoder_base import Decoder


class TorchDecoder(Decoder):
    """The PyTorch model of a Hugging Face folder, with its own cache (the semantics of ``generate``)."""

    runtime = "pytorch"

    def __init__(self, folder, provider: str = "cpu", dtype: str = "fp32", family_options: Optional[dict] = None,
                 threads: Optional[int] = None):
        import inspect

        import torch

        from workbench.core.loading.hf_folder import load_hf_model

        loaded = load_hf_model(folder, dtype, "text-generation", family_options)
        self.model = loaded.module.model
        self.name = "PyTorch eager" + ("" if dtype == "fp32" else f" {dtype}")
        self.provider = "cuda" if provider == "cuda" and torch.cuda.is_available() else "cpu"
        self.model.to(self.provider)
        self.positions = "position_ids" in inspect.signature(self.model.forward).parameters
        self.threads = threads  # torch's intra-op threads while this decoder runs (restored after each step)
        self.cache = None

    def reset(self) -> None:
        self.cache = None

    def _run(self, ids, mask, positions) -> np.ndarray:
        import torch

        def t(a):
            return torch.from_numpy(a).to(self.provider)

        extra = {"position_ids": t(positions)} if self.positions else {}
        before = torch.get_num_threads()
        try:
            if self.threads:
                torch.set_num_threads(int(self.threads))
            with torch.inference_mode():
                out = self.model(input_ids=t(ids), attention_mask=t(mask), past_key_values=self.cache,
                                 use_cache=True, return_dict=True, **extra)
        except Exception as err:  # noqa: BLE001
            raise WorkbenchError(f"PyTorch failed to run the model: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err
        finally:
            torch.set_num_threads(before)
        self.cache = out.past_key_values
        return out.logits[:, -1, :].float().cpu().numpy()


def open_decoder(folder, provider: str = "cpu", threads: Optional[int] = None, dtype: str = "fp32",
                 family_options: Optional[dict] = None) -> TorchDecoder:
    return TorchDecoder(folder, provider, dtype, family_options, threads=threads)
