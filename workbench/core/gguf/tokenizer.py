"""Vocab for llama.cpp from tokenizer.json plus gguf-py's SpecialVocab (bos/eos/pad/unk ids, add_bos, chat template):
byte-level BPE (GPT-2, Llama 3, Qwen: "gpt2" model, tokens, types, merges), SentencePiece BPE with byte fallback
(Llama 2, Mistral, Gemma, Phi-3: "llama" model, tokens, scores, types), SentencePiece Unigram (T5-style: "t5"
model, llama.cpp's UGM tokenizer, for any architecture) and WordPiece (BERT). A folder without
tokenizer files gets no vocab (noted): llama.cpp then needs one."""

from __future__ import annotations

import json
from pathlib import Path

import gguf


# llama.cpp (llama-vocab.cpp in llama-cpp-python 0.3.36) sets token attributes by their text, with
# token_to_id.at(), for a model whose general.name contains one of these: a vocab lacking one of the tokens does not
# load ("error loading model vocabulary: unordered_map::at"). Phi-3's own vocab has them all.
NAMED_TOKENS = ((("phi-3", "phi3"), ("</s>", "<unk>", "<s>", "<|endoftext|>")),)


def check_named_tokens(folder: Path, name: str) -> None:
    """Refuse, in one line, a vocab llama.cpp would fail to load because of the model's name (NAMED_TOKENS)."""
    from workbench.core.errors import WorkbenchError

    path = folder / "tokenizer.json"
    rules = [tokens for names, tokens in NAMED_TOKENS if any(n in name.lower() for n in names)]
    if not rules or not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    vocab = data.get("model", {}).get("vocab") or {}
    have = set(vocab) if isinstance(vocab, dict) else {v[0] for v in vocab}
    have |= {t.get("content") for t in data.get("added_tokens", [])}
    missing = [t for tokens in rules for t in tokens if t not in have]
    if missing:
        raise WorkbenchError(f"llama.cpp cannot load a model named '{name}' whose vocab lacks {', '.join(missing)} "
                             "(for Phi-3 models it looks these tokens up by text)",
                             "convert the folder with Phi-3's own tokenizer files, which hold these tokens")


CONVERTED = ("WordPiece", "BPE", "Unigram")


def vocab_problem(folder: Path) -> str | None:
    """Why the folder's GGUF would hold no vocab, or None. llama.cpp (llama-vocab.cpp) loads no model without
    tokenizer.ggml.model; its "none" model loads but asserts on the first token lookup, so no way around it."""
    path = folder / "tokenizer.json"
    if not path.is_file():
        return "no tokenizer.json"
    try:
        kind = json.loads(path.read_text(encoding="utf-8")).get("model", {}).get("type")
    except (ValueError, AttributeError, UnicodeDecodeError) as err:
        return f"tokenizer.json is not readable JSON ({type(err).__name__})"
    return None if kind in CONVERTED else f"tokenizer model {kind} is not converted yet"


def write_vocab(writer: gguf.GGUFWriter, folder: Path, vocab_size: int, opts: dict | None = None) -> str | None:
    problem = vocab_problem(folder)
    if problem:
        return (f"{problem}: written without a vocab, which llama.cpp refuses to load; put the model's "
                "tokenizer files in the folder and export again")
    data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    model = data.get("model", {})
    if model.get("type") == "WordPiece":
        return _wordpiece(writer, folder, data, vocab_size)
    if model.get("type") == "BPE" and model.get("byte_fallback"):
        return _sentencepiece(writer, folder, data, vocab_size)
    if model.get("type") == "Unigram":
        return _unigram(writer, folder, data, vocab_size)
    by_id = {i: t for t, i in model["vocab"].items()}
    added = {t["id"]: t for t in data.get("added_tokens", [])}
    tokens, types = [], []
    for i in range(vocab_size):
        if i in added:
            tokens.append(added[i]["content"])
            types.append(gguf.TokenType.CONTROL if added[i].get("special") else gguf.TokenType.USER_DEFINED)
        elif i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)
        else:  # padding rows of the embedding (llama.cpp's convention)
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=True, n_vocab=vocab_size).add_to_gguf(writer)
    return None


def _wordpiece(writer: gguf.GGUFWriter, folder: Path, data: dict, vocab_size: int) -> None:
    """BERT's WordPiece as llama.cpp reads it: a word start gets the phantom space U+2581, a "##" piece loses its
    marks, [SPECIAL] tokens stay (convert_hf_to_gguf.py BertModel.set_vocab)."""
    by_id = {i: t for t, i in data["model"]["vocab"].items()}
    special = {t["id"] for t in data.get("added_tokens", []) if t.get("special")}
    tokens, types = [], []
    for i in range(vocab_size):
        tok = by_id.get(i, f"[PAD{i}]")
        if i in special or (tok.startswith("[") and tok.endswith("]")):
            tokens.append(tok)
            types.append(gguf.TokenType.CONTROL if i in special else gguf.TokenType.UNUSED if i not in by_id
                         else gguf.TokenType.NORMAL)
        else:
            tokens.append(tok[2:] if tok.startswith("##") else "\u2581" + tok)
            types.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("bert")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special_vocab = gguf.SpecialVocab(folder, load_merges=False, n_vocab=vocab_size)
    ids = {t: i for i, t in by_id.items()}
    # GGUF has no CLS key: llama.cpp's BERT reads [CLS] as bos and [SEP] as eos
    for kind, tok in (("bos", "[CLS]"), ("eos", "[SEP]")):
        if kind not in special_vocab.special_token_ids and tok in ids:
            special_vocab.special_token_ids[kind] = ids[tok]
    special_vocab.add_to_gguf(writer)
    return None


def _sentencepiece(writer: gguf.GGUFWriter, folder: Path, data: dict, vocab_size: int) -> None:
    """SentencePiece BPE as tokenizer.json holds it, through gguf-py's LlamaHfVocab (convert_hf_to_gguf.py's
    _set_vocab_llama_hf). LlamaHfVocab gives every token the placeholder score -1000, but llama.cpp's SPM tokenizer
    merges by score: a token made by merge rank r gets -r here instead (by hand: no library maps merges to scores)."""
    from workbench.core.errors import WorkbenchError

    vocab = gguf.LlamaHfVocab(folder)
    merges = data["model"].get("merges") or []
    rank = {(m if isinstance(m, str) else " ".join(m)).replace(" ", ""): r for r, m in enumerate(merges)}
    tokens, scores, types = [], [], []
    for text, _, kind in vocab.all_tokens():
        tokens.append(text)
        scores.append(-float(rank[text.decode("utf-8")]) if kind == gguf.TokenType.NORMAL
                      and text.decode("utf-8") in rank else 0.0)
        types.append(kind)
    if len(tokens) > vocab_size:
        raise WorkbenchError(f"tokenizer.json has {len(tokens)} tokens, config.json vocab_size {vocab_size}",
                             "convert the folder the tokenizer belongs to")
    for i in range(len(tokens), vocab_size):  # padding rows of the embedding (llama.cpp's convention)
        tokens.append(f"[PAD{i}]".encode())
        scores.append(-10000.0)
        types.append(gguf.TokenType.UNUSED)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_add_space_prefix(_space_prefix(data))
    gguf.SpecialVocab(folder, n_vocab=vocab_size).add_to_gguf(writer)
    return None


def _unigram(writer: gguf.GGUFWriter, folder: Path, data: dict, vocab_size: int) -> None:
    """SentencePiece Unigram (T5-style) as llama.cpp's UGM tokenizer reads it ("t5" model, convert_hf_to_gguf.py
    T5Model.set_vocab): pieces with their log-probability scores, types, the normalizer's precompiled charsmap.
    Read from tokenizer.json by hand: gguf-py's vocab classes read only sentencepiece's .model file."""
    import base64
    import re

    from workbench.core.errors import WorkbenchError

    model = data["model"]
    pieces = model.get("vocab") or []
    if len(pieces) > vocab_size:
        raise WorkbenchError(f"tokenizer.json has {len(pieces)} tokens, config.json vocab_size {vocab_size}",
                             "convert the folder the tokenizer belongs to")
    special = {t["id"] for t in data.get("added_tokens", []) if t.get("special")}
    unk, byte_fallback = model.get("unk_id"), bool(model.get("byte_fallback"))
    tokens, scores, types = [], [], []
    for i in range(vocab_size):
        if i >= len(pieces):  # padding rows of the embedding (llama.cpp's convention)
            tokens.append(f"[PAD{i}]")
            scores.append(-10000.0)
            types.append(gguf.TokenType.UNUSED)
            continue
        piece, score = pieces[i]
        tokens.append(piece)
        scores.append(float(score))
        types.append(gguf.TokenType.UNKNOWN if i == unk else gguf.TokenType.CONTROL if i in special else
                     gguf.TokenType.BYTE if byte_fallback and re.fullmatch(r"<0x[0-9A-F]{2}>", piece) else
                     gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("t5")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_add_space_prefix(_space_prefix(data))
    steps = _nodes(data.get("normalizer"))
    writer.add_remove_extra_whitespaces(any(n.get("type") == "Replace" and " {2,}" in str(n.get("pattern"))
                                            for n in steps))
    charsmap = next((n["precompiled_charsmap"] for n in steps if n.get("type") == "Precompiled"
                     and n.get("precompiled_charsmap")), None)
    if charsmap:
        writer.add_precompiled_charsmap(base64.b64decode(charsmap))
    gguf.SpecialVocab(folder, n_vocab=vocab_size).add_to_gguf(writer)
    return None


def _nodes(node) -> list:
    """Every dict in a tokenizer.json normalizer (a Sequence nests them)."""
    if isinstance(node, dict):
        return [node] + [n for v in node.values() for n in _nodes(v)]
    return [n for v in node for n in _nodes(v)] if isinstance(node, list) else []


def _space_prefix(data: dict) -> bool:
    """Llama 2 prepends U+2581 to the text (a Prepend normalizer or a Metaspace prepend_scheme); Gemma does not."""
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Prepend" or (node.get("type") == "Metaspace"
                                                 and node.get("prepend_scheme", "always") != "never"):
                return True
            return any(walk(v) for v in node.values())
        return isinstance(node, list) and any(walk(v) for v in node)
    return walk(data.get("normalizer")) or walk(data.get("pre_tokenizer"))
