"""What every generation decoder shares, whichever runtime runs it: the :class:`Decoder` base (mask and position
bookkeeping over ``prefill(ids, mask)`` / ``step(tokens)``), a model folder's tokenizer (:class:`TextCodec`) and its
generation settings (:func:`folder_settings`).

It lives under runtimes/ so that a runtime module can offer a decoder (``Runtime.decoder``) without importing the
generation modules above it (core/generate*.py import runtimes, never the other way).

Each decoder's two calls return the last position's logits as float32 numpy ``[batch, vocab]``; a subclass
implements ``reset`` (an empty cache) and ``_run(ids, mask, positions)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line


class Decoder:
    """Mask and position bookkeeping shared by both runtimes; subclasses implement ``_run``."""

    runtime = ""
    provider = "cpu"
    name = ""

    def prefill(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.mask = np.ascontiguousarray(mask, dtype=np.int64)
        positions = np.maximum(np.cumsum(self.mask, axis=1) - 1, 0)
        self.next_position = positions[:, -1] + 1
        self.reset()
        return self._run(ids, self.mask, np.ascontiguousarray(positions))

    def step(self, tokens: np.ndarray) -> np.ndarray:
        batch = self.mask.shape[0]
        self.mask = np.concatenate([self.mask, np.ones((batch, 1), dtype=np.int64)], axis=1)
        positions = self.next_position[:, None].copy()
        self.next_position = self.next_position + 1
        ids = np.asarray(tokens, dtype=np.int64).reshape(batch, 1)
        return self._run(ids, self.mask, positions)

    def reset(self) -> None:
        raise NotImplementedError

    def _run(self, ids, mask, positions) -> np.ndarray:
        raise NotImplementedError


class TextCodec:
    """Encode and decode text with a model folder's tokenizer (``tokenizers`` alone when tokenizer.json exists)."""

    def __init__(self, encode, decode):
        self.encode, self.decode = encode, decode

    @classmethod
    def load(cls, folder) -> Optional["TextCodec"]:
        folder = Path(folder)
        if (folder / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            from workbench.core.loading.limits import regular_file

            path = regular_file(folder / "tokenizer.json", "tokenizer file")
            try:
                tok = Tokenizer.from_file(str(path))
            except Exception as err:  # noqa: BLE001 - tokenizers raises a bare Exception for a malformed file
                raise WorkbenchError(f"{path}: not a readable tokenizer ({first_line(err)[:160]})",
                                     "re-copy tokenizer.json from the original model folder, or give --prompt-ids"
                                     ) from None
            return cls(lambda text: tok.encode(text).ids,
                       lambda ids: tok.decode(list(ids), skip_special_tokens=True))
        if any((folder / n).is_file() for n in ("tokenizer.model", "vocab.json", "vocab.txt")):
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            return cls(lambda text: list(tok(text)["input_ids"]),
                       lambda ids: tok.decode(list(ids), skip_special_tokens=True))
        return None


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError, RecursionError):
        return {}


def folder_settings(folder) -> dict:
    """{'eos': [ids], 'pad': id, 'vocab': size or None} from generation_config.json and config.json."""
    folder = Path(folder)
    config = read_json(folder / "config.json")
    text = config.get("text_config") or config
    gen = read_json(folder / "generation_config.json")
    eos = gen.get("eos_token_id", text.get("eos_token_id"))
    eos = [int(e) for e in (eos if isinstance(eos, list) else [eos]) if e is not None]
    pad = gen.get("pad_token_id", text.get("pad_token_id"))
    pad = pad if isinstance(pad, int) else (eos[0] if eos else 0)
    vocab = text.get("vocab_size")
    return {"eos": eos, "pad": pad, "vocab": int(vocab) if vocab else None}
