"""Vocab for llama.cpp from tokenizer.json (BPE: tokens, types, merges) plus gguf-py's SpecialVocab (bos/eos/pad/unk
ids, add_bos, chat template). A folder without tokenizer files gets no vocab (noted): llama.cpp then needs one."""

from __future__ import annotations

import json
from pathlib import Path

import gguf


def write_vocab(writer: gguf.GGUFWriter, folder: Path, vocab_size: int) -> str | None:
    path = folder / "tokenizer.json"
    if not path.is_file():
        return "no tokenizer.json: written without a vocab"
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("model", {})
    if model.get("type") != "BPE":
        return f"tokenizer model {model.get('type')} is not converted yet: written without a vocab"
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
