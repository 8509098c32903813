"""Generation over an encoder-decoder export (encoder_model.onnx + decoder_with_past_model.onnx, export/seq2seq.py)
and over its PyTorch source, through the same loop as decoder-only generation (generate.stream / run_steps): which
decoder opens a model, the text stream, and ``generate`` with the comparison against PyTorch. The decoders that run
the files and the model are runtimes/seq2seq_decoders.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError


def is_seq2seq_folder(path) -> bool:
    """True for a Hugging Face folder whose config.json says is_encoder_decoder (PyTorch side)."""
    from workbench.core.generate_decoders import read_json

    path = Path(path)
    return path.is_dir() and bool(read_json(path / "config.json").get("is_encoder_decoder"))


def is_seq2seq(model) -> bool:
    """True for an encoder-decoder export (folder or one of its files) or an encoder-decoder Hugging Face folder."""
    from workbench.core.export.seq2seq_check import is_export

    return is_export(Path(str(model)).expanduser()) or is_seq2seq_folder(Path(str(model)).expanduser())


def open_decoder(model, provider: str = "cpu", threads: Optional[int] = None) -> tuple:
    """generate_decoders.open_decoder that also opens encoder-decoders: (decoder, folder)."""
    from workbench.core import generate_decoders

    kind, path, folder = generate_decoders.resolve(model)
    if kind == "seq2seq" or (kind == "torch" and is_seq2seq_folder(path)):
        from workbench.core.runtimes.seq2seq_decoders import Seq2SeqOrtDecoder, Seq2SeqTorchDecoder

        cls = Seq2SeqOrtDecoder if kind == "seq2seq" else Seq2SeqTorchDecoder
        return cls(path, provider, threads, generate_decoders.folder_settings(folder)["pad"]), folder
    return generate_decoders.open_decoder(model, provider, threads)


def stream_text(model, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
                top_p: float = 1.0, seed: int = 0, provider: str = "cpu", threads: Optional[int] = None,
                stop_at_eos: bool = True, cancel=None):
    """generate.stream_text for an encoder-decoder (the source is the prompt; no chat template)."""
    from workbench.core.generate_decoders import TextCodec, folder_settings, resolve
    from workbench.core.generate import Sampling, encode_prompts, stream

    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    sampling.check()
    folder = resolve(model)[2]
    codec, settings = TextCodec.load(folder), folder_settings(folder)
    prompt_ids = encode_prompts(prompt, codec, settings["vocab"])
    decoder, _ = open_decoder(model, provider, threads)
    yield from stream(decoder, prompt_ids[:1], max_new_tokens, sampling, eos=settings["eos"], pad=settings["pad"],
                      codec=codec, stop_at_eos=stop_at_eos, cancel=cancel)


def generate(model, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
             top_p: float = 1.0, seed: int = 0, provider: str = "cpu", threads: Optional[int] = None,
             compare_torch=None, stop_at_eos: bool = True, progress=None, cancel=None):
    """generate.generate for an encoder-decoder export folder: ``prompt`` is the source (text or token ids).
    With ``compare_torch`` greedy tokens are compared with transformers' ``generate``; sampled ones with the
    PyTorch model stepped through the same numpy sampler (torch's RNG cannot draw what numpy draws)."""
    from workbench.core.generate_decoders import TextCodec, folder_settings
    from workbench.core.generate import Sampling, encode_prompts, judge, run_steps, timed_generation

    report = progress or (lambda fraction, message: None)
    sampling = Sampling(float(temperature), int(top_k), float(top_p), int(seed))
    sampling.check()
    from workbench.core.generate_decoders import resolve

    folder = resolve(model)[2]
    codec, settings = TextCodec.load(folder), folder_settings(folder)
    prompt_ids = encode_prompts(prompt, codec, settings["vocab"])
    if len(prompt_ids) != 1:
        raise WorkbenchError("generate takes one prompt", "use bench --generate for several")
    report(0.0, "loading the model")
    decoder, _ = open_decoder(model, provider, threads)
    report(0.1, "generating")
    result = timed_generation(model, decoder, prompt_ids, max_new_tokens, sampling, settings, codec, stop_at_eos,
                              cancel)
    result.encoder_ms = decoder.encoder_ms  # the prefill encoded the source
    result.notes.append(f"encoder-decoder: the source was encoded once ({decoder.encoder_ms:.2f} ms, part of the "
                        "time to first token), then decoded with the past")
    tokens = result.tokens
    if compare_torch is not None:
        report(0.6, "generating with PyTorch")
        from workbench.core.runtimes.seq2seq_decoders import Seq2SeqTorchDecoder, hf_greedy

        torch_folder = getattr(compare_torch, "path", compare_torch)
        reference_decoder = Seq2SeqTorchDecoder(torch_folder, provider, threads, settings["pad"])
        if sampling.temperature == 0 and stop_at_eos:
            reference = hf_greedy(reference_decoder.model, prompt_ids[0], max_new_tokens, settings,
                                  reference_decoder.info.start_token)
            result.notes.append("compared with transformers' generate (greedy, one beam)")
        else:
            reference = run_steps(reference_decoder, prompt_ids, max_new_tokens, sampling, settings, None,
                                  stop_at_eos, cancel)["rows"][0]
            result.notes.append("compared with the PyTorch model stepped through the same sampler and seed: they "
                                "agree only while their probabilities agree closely")
        result.agreement = {**judge(tokens, reference, sampling.temperature == 0, decoder.runtime, codec),
                            "torch_text": codec.decode(reference) if codec else None}
    report(1.0, "done")
    return result
