"""A tiny SentencePiece-style tokenizer.json (BPE with byte fallback, U+2581 word marks, <0xNN> byte tokens), as
transformers writes one for Llama 2 / Mistral / Gemma / Phi-3, built with the tokenizers library."""

from pathlib import Path


def add_spm_tokenizer(folder: Path, vocab_size: int, prepend: bool = True, extra_specials=()) -> list:
    """Writes tokenizer.json + tokenizer_config.json with ``vocab_size`` ids; returns the merges."""
    from tokenizers import Tokenizer, decoders, models, normalizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", *extra_specials]
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


FAMILIES = ("llama", "qwen2", "deepseek_v3", "gemma", "phi3")


def build_family(kind: str, folder: Path) -> Path:
    """The tiny random folder of one family, with a tokenizer (the anchor benchmark converts the same ones)."""
    import sys

    import torch
    import transformers as tf

    torch.manual_seed(0)
    if kind == "deepseek_v3":
        from workbench.core.demo import build_demo_model
        return build_demo_model(folder)
    common = dict(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128)
    cls, cfg = {"llama": (tf.LlamaForCausalLM, tf.LlamaConfig), "qwen2": (tf.Qwen2ForCausalLM, tf.Qwen2Config),
                "gemma": (tf.GemmaForCausalLM, tf.GemmaConfig), "phi3": (tf.Phi3ForCausalLM, tf.Phi3Config)}[kind]
    extra = {"head_dim": 16} if kind == "gemma" else {"pad_token_id": 0, "eos_token_id": 2} if kind == "phi3" else {}
    if kind == "phi3":  # llama.cpp's SPM vocab needs the <0xNN> byte tokens (its newline is <0x0A>)
        common["vocab_size"] = 320
    model = cls(cfg(**common, **extra)).eval()
    model.config.architectures = [cls.__name__]
    model.save_pretrained(str(folder))
    if kind in ("gemma", "phi3"):
        # Phi-3's own vocab has <|endoftext|>: llama.cpp looks it up by text in any model named phi3
        add_spm_tokenizer(folder, common["vocab_size"], prepend=kind != "gemma",
                          extra_specials=("<|endoftext|>",) if kind == "phi3" else ())
    else:
        sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
        from gguf_fixtures import add_tiny_tokenizer
        add_tiny_tokenizer(folder)
    return folder
