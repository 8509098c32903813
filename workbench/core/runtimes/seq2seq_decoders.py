"""The two decoders of an encoder-decoder model, for seq2seq_generate.py's loop (generate.stream / run_steps): its
export (encoder_model.onnx + decoder_with_past_model.onnx) in the registered onnxruntime runtime, and its PyTorch
source stepped with its own EncoderDecoderCache, plus transformers' own greedy ``generate`` as the reference. They
are here, with the decoder-only ones (ort_decoder.py, torch_decoder.py), because running an artifact or the PyTorch
model is a runtime's job; the export's metadata and the model's description come from loading/seq2seq.py.

Both classes have the decoders' two calls: ``prefill(ids, mask)`` encodes the source once (the encoder also returns
the cross-attention cache) and runs the first decoder step from the start token; ``step(tokens)`` runs one decoder
step with the self-attention past. The source arrives left-padded (the decoder-only convention of generate.stream)
and is re-packed to the right here: BART-like models have absolute positions, so a real token must keep its
position. ``encoder_ms`` is the last prefill's encoder time. Speech models (Whisper: ``input_features``) are refused
in one line: a text prompt is not their input.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line


def _refuse_audio(info, where) -> None:
    if info.main_input != "input_ids":
        raise WorkbenchError(f"{where} is a speech model: it takes {info.main_input} (audio features), not a text "
                             "prompt, and generation from audio is not supported yet",
                             "check it with `workbench validate DIR --against SRC` (greedy generation vs PyTorch)")


def _pack_right(ids: np.ndarray, mask: np.ndarray, pad: int) -> tuple:
    """Left-padded rows -> right-padded rows (real tokens from position 0)."""
    out_ids, out_mask = np.full_like(ids, pad), np.zeros_like(mask)
    for row in range(ids.shape[0]):
        real = ids[row][mask[row] == 1]
        out_ids[row, :len(real)], out_mask[row, :len(real)] = real, 1
    return out_ids, out_mask


class Seq2SeqOrtDecoder:
    """The two ONNX files of an encoder-decoder export, each a session of the registered ``onnxruntime`` runtime."""

    runtime = "onnxruntime"

    def __init__(self, folder, provider: str = "cpu", threads: Optional[int] = None, pad: int = 0):
        from workbench.core.loading.seq2seq import DECODER_FILE, ENCODER_FILE, read_info
        from workbench.core.runtimes.base import RuntimeOptions
        from workbench.core.runtimes.select import choose, open_session

        ort_runtime = choose(Path(folder) / ENCODER_FILE, "onnxruntime")  # its library missing: one line

        self.folder = Path(folder)
        self.info = read_info(self.folder / ENCODER_FILE)
        if self.info is None:
            raise WorkbenchError(f"{self.folder / ENCODER_FILE} was not written by the workbench's encoder-decoder "
                                 "export (no workbench.seq2seq metadata)", "re-export it with `workbench export`")
        _refuse_audio(self.info, self.folder)
        self.name = f"ORT {self.folder.name}"
        self.pad = pad
        options = RuntimeOptions(device=provider, threads=threads)
        self.encoder = open_session(ort_runtime, self.folder / ENCODER_FILE, options)
        self.decoder = open_session(ort_runtime, self.folder / DECODER_FILE, options)
        self.provider = self.decoder.device
        self.encoder_inputs = {i.name for i in self.encoder.inputs()}
        self.decoder_inputs = {i.name for i in self.decoder.inputs()}
        self.encoder_ms = 0.0

    def _run(self, session, feeds: dict) -> dict:
        try:
            return session.run(session.feed(feeds))
        except WorkbenchError:
            raise
        except Exception as err:  # noqa: BLE001 - ORT raises its own types
            raise WorkbenchError(f"ONNX Runtime failed to run the encoder-decoder: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        ids, mask = _pack_right(np.asarray(ids, np.int64), np.asarray(mask, np.int64), self.pad)
        started = time.perf_counter_ns()
        enc = self._run(self.encoder, {k: v for k, v in (("input_ids", ids), ("attention_mask", mask))
                                       if k in self.encoder_inputs})
        self.encoder_ms = (time.perf_counter_ns() - started) / 1e6
        self.hidden, self.mask = enc["last_hidden_state"], mask
        batch, dtype = ids.shape[0], self.hidden.dtype
        self.past = {}
        for i, (kh, kd, vh, vd) in enumerate(self.info.self_layout):
            self.past[f"past_key_values.{i}.decoder.key"] = np.zeros((batch, kh, 0, kd), dtype)
            self.past[f"past_key_values.{i}.decoder.value"] = np.zeros((batch, vh, 0, vd), dtype)
            for k in ("key", "value"):
                self.past[f"past_key_values.{i}.encoder.{k}"] = enc[f"present.{i}.encoder.{k}"]
        return self.step(np.full(batch, self.info.start_token, np.int64))

    def step(self, tokens) -> np.ndarray:
        feeds = {"decoder_input_ids": np.asarray(tokens, np.int64).reshape(-1, 1),
                 "encoder_hidden_states": self.hidden, "encoder_attention_mask": self.mask, **self.past}
        out = self._run(self.decoder, {k: v for k, v in feeds.items() if k in self.decoder_inputs})
        for i in range(self.info.layers):
            for k in ("key", "value"):
                self.past[f"past_key_values.{i}.decoder.{k}"] = out[f"present.{i}.decoder.{k}"]
        return np.asarray(out["logits"][:, -1], dtype=np.float32)


class Seq2SeqTorchDecoder:
    """The PyTorch model of an encoder-decoder folder, stepping with its own EncoderDecoderCache."""

    runtime = "pytorch"

    def __init__(self, folder, provider: str = "cpu", threads: Optional[int] = None, pad: int = 0):
        from workbench.core.loading.seq2seq import describe, load
        from workbench.core.specs import ModelSource

        self.model, _, _ = load(ModelSource(str(folder)), "fp32")
        self.info = describe(self.model, Path(folder))
        _refuse_audio(self.info, folder)
        self.name, self.provider, self.threads, self.pad = "PyTorch eager", "cpu", threads, pad
        self.encoder_ms = 0.0

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch
        from transformers import DynamicCache, EncoderDecoderCache

        ids, mask = _pack_right(np.asarray(ids, np.int64), np.asarray(mask, np.int64), self.pad)
        self.mask = torch.from_numpy(mask)
        started = time.perf_counter_ns()
        with torch.inference_mode():
            self.hidden = self.model.get_encoder()(input_ids=torch.from_numpy(ids), attention_mask=self.mask,
                                                   return_dict=True).last_hidden_state
        self.encoder_ms = (time.perf_counter_ns() - started) / 1e6
        self.cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        return self.step(np.full(ids.shape[0], self.info.start_token, np.int64))

    def step(self, tokens) -> np.ndarray:
        import torch

        from workbench.core.loading.seq2seq import cache_kwarg, cache_of, encoder_output

        before = torch.get_num_threads()
        try:
            if self.threads:
                torch.set_num_threads(int(self.threads))
            with torch.inference_mode():
                out = self.model(encoder_outputs=encoder_output(self.hidden), attention_mask=self.mask,
                                 decoder_input_ids=torch.as_tensor(np.asarray(tokens, np.int64)).reshape(-1, 1),
                                 use_cache=True, return_dict=True, **{cache_kwarg(self.model): self.cache})
        except Exception as err:  # noqa: BLE001 - the model's own code
            raise WorkbenchError(f"PyTorch failed to run the model: {first_line(err)}",
                                 "check the prompt's token ids against the model's vocabulary") from err
        finally:
            torch.set_num_threads(before)
        self.cache = cache_of(out)
        return out.logits[:, -1].float().numpy()


def hf_greedy(model, prompt_ids: list, max_new_tokens: int, settings: dict, start_token: int) -> list:
    """transformers' own ``generate`` (greedy, one beam, no length or repetition rules from the model's
    generation_config: the same plain settings as the ONNX loop) -> the new tokens, EOS included."""
    import torch
    from transformers import GenerationConfig

    # transformers fills the unset (default) fields of a passed config from the model's generation_config (beams,
    # n-gram bans, forced tokens, min length...); keyword arguments are applied last, so the plain rules go there
    plain = dict(max_new_tokens=int(max_new_tokens), do_sample=False, num_beams=1, num_beam_groups=1,
                 decoder_start_token_id=start_token, eos_token_id=settings["eos"] or None,
                 pad_token_id=settings["pad"], min_length=0, min_new_tokens=None, no_repeat_ngram_size=0,
                 encoder_no_repeat_ngram_size=0, repetition_penalty=1.0, encoder_repetition_penalty=1.0,
                 length_penalty=1.0, forced_bos_token_id=None, forced_eos_token_id=None, bad_words_ids=None,
                 suppress_tokens=None, begin_suppress_tokens=None, forced_decoder_ids=None, sequence_bias=None,
                 exponential_decay_length_penalty=None, renormalize_logits=False, temperature=None, top_k=None,
                 top_p=None)
    with torch.inference_mode():
        out = model.generate(input_ids=torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids),
                             dtype=torch.int64), generation_config=GenerationConfig(**plain), **plain)
    return [int(t) for t in out[0, 1:]]
