"""Tiny GGUFs for the llama.cpp tests: a tiny random Llama folder gets a tiny byte-level BPE tokenizer.json
(the suite's tiny models have none; llama.cpp needs a vocab) and is converted by the workbench's gguf converter."""

import shutil
from pathlib import Path


def add_tiny_tokenizer(folder: Path, vocab_size: int = 128) -> None:
    """A byte-level BPE over the first printable byte-level symbols plus a few merges, ``vocab_size`` ids. Past
    the 256 symbols + 8 merges, merges of symbol pairs fill the rest, so a real-size vocab (32000: every id a real
    token, none of the converter's [PADn] rows) costs no training."""
    from itertools import product

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = sorted(ByteLevel.alphabet())
    base = alphabet[:vocab_size - 8]
    if vocab_size <= len(alphabet) + 8:
        merges = [(base[i], base[i + 1]) for i in range(8)]
    elif vocab_size <= len(alphabet) * (len(alphabet) + 1):
        merges = list(product(alphabet, alphabet))[:vocab_size - len(alphabet)]
    else:
        raise ValueError(f"vocab_size {vocab_size}: at most {len(alphabet) * (len(alphabet) + 1)} ids")
    vocab = {t: i for i, t in enumerate(base)}
    for a, b in merges:
        vocab[a + b] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.save(str(folder / "tokenizer.json"))


def tiny_gguf(tiny_models, kind: str, out_dir: Path, quant: str = "f32") -> tuple:
    """(HF folder with a tokenizer, its GGUF in ``quant``)."""
    from workbench.core.gguf.convert import convert

    folder = out_dir / f"{kind}-hf"
    if not folder.exists():
        shutil.copytree(tiny_models(kind), folder)
        add_tiny_tokenizer(folder)
    out = out_dir / f"{kind}-{quant}.gguf"
    if not out.exists():
        convert(folder, out, quant)
    return folder, out
