"""A tiny SentencePiece-style tokenizer.json (BPE with byte fallback, U+2581 word marks, <0xNN> byte tokens), as
transformers writes one for Llama 2 / Mistral / Gemma / Phi-3, built with the tokenizers library."""

from pathlib import Path


def add_spm_tokenizer(folder: Path, vocab_size: int, prepend: bool = True) -> list:
    """Writes tokenizer.json + tokenizer_config.json with ``vocab_size`` ids; returns the merges."""
    from tokenizers import Tokenizer, decoders, models, normalizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>"]
    pieces = specials + [f"<0x{b:02X}>" for b in range(256)] if vocab_size > 300 else list(specials)
    chars = ["\u2581"] + list("etaoinshrdlucmfwypvbgk")
    pieces += [c for c in chars if c not in pieces]
    merges = [("\u2581", "t"), ("h", "e"), ("\u2581t", "he"), ("i", "n"), ("\u2581", "a"), ("e", "r")]
    for a, b in merges:
        pieces.append(a + b)
    pieces = pieces[:vocab_size]
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = [(a, b) for a, b in merges if a + b in vocab]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, fuse_unk=True, unk_token="<unk>"))
    steps = ([normalizers.Prepend("\u2581")] if prepend else []) + [normalizers.Replace(" ", "\u2581")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
                                    + ([decoders.Strip(" ", 1, 0)] if prepend else []))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    fast.save_pretrained(str(folder))
    return merges
