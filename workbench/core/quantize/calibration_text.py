"""Calibration text: a .txt file of lines, its tokenizer found beside the model (or given), tokenized and padded to
one fixed length in batches that match the model's inputs (calibration.py reads folders of samples)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError, first_line

TEXT_BATCH = 8  # lines per calibration batch
MAX_TEXT_LENGTH = 512  # tokens; the fixed length is the longest line's, capped here and by the tokenizer
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "tokenizer.model", "vocab.json",
                   "spiece.model", "sentencepiece.bpe.model")


def _has_tokenizer(folder: Path) -> bool:
    return folder.is_dir() and any((folder / f).is_file() for f in TOKENIZER_FILES)


def find_tokenizer(given: Optional[str], model_path, text_path: Path) -> Path:
    """The tokenizer folder: the one given, else the model's folder, else a folder recorded in its metadata."""
    if given:
        folder = Path(given).expanduser()
        if not _has_tokenizer(folder):
            raise WorkbenchError(f"tokenizer folder {given}: no tokenizer files found",
                                 "give a folder with tokenizer.json or tokenizer_config.json (a Hugging Face "
                                 "model folder)")
        return folder
    candidates = [Path(model_path).expanduser().resolve().parent]
    try:
        import onnx

        model = onnx.load(str(model_path), load_external_data=False)
        for prop in model.metadata_props:
            value = prop.value.strip()
            if value and len(value) < 4096 and ("\n" not in value):
                candidates.append(Path(value).expanduser())
    except Exception:  # noqa: BLE001 - metadata is only a hint
        pass
    for folder in candidates:
        try:
            if _has_tokenizer(folder):
                return folder
        except OSError:
            continue
    raise WorkbenchError(f"no tokenizer found for the text calibration file {text_path}",
                         "give --tokenizer FOLDER (with tokenizer.json / tokenizer_config.json), or calibrate "
                         "with a folder of .npz samples")


def _read_lines(path: Path, limit: int) -> list:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WorkbenchError(f"{path}: cannot read the calibration text ({err})",
                             "give a UTF-8 text file with one text per line") from err
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise WorkbenchError(f"{path}: the calibration text file is empty",
                             "write one representative text per line (32 or more is a good start)")
    return lines[:limit]


def load_tokenizer(folder: Path):
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import transformers

        transformers.utils.logging.set_verbosity_error()
        tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except Exception as err:  # noqa: BLE001 - transformers raises many types here
        first = first_line(err, 200)
        raise WorkbenchError(f"cannot load the tokenizer in {folder}: {first}",
                             "give --tokenizer with a folder that AutoTokenizer can load offline") from err
    if tok.pad_token is None:
        fallback = tok.eos_token or tok.unk_token
        if fallback is None:
            raise WorkbenchError(f"the tokenizer in {folder} has no padding token",
                                 "add a pad_token to tokenizer_config.json, or calibrate with .npz samples")
        tok.pad_token = fallback
    return tok


def read_text(path: Path, inputs: list, tokenizer_folder: Path, limit: int) -> tuple:
    """Tokenize up to ``limit`` lines padded to one fixed length; returns (feeds, info)."""
    return tokenize_lines(_read_lines(path, limit), inputs, tokenizer_folder, path)


def tokenize_lines(lines: list, inputs: list, tokenizer_folder: Path, path: Path) -> tuple:
    tok = load_tokenizer(tokenizer_folder)
    by_name = {i.name: i for i in inputs}
    seq_fixed = next((i.shape[1] for i in inputs if len(i.shape) >= 2 and i.shape[1] is not None
                      and i.dtype.kind in "iu"), None)
    cap = MAX_TEXT_LENGTH
    model_max = getattr(tok, "model_max_length", None)
    if isinstance(model_max, int) and 0 < model_max < cap:
        cap = model_max
    if seq_fixed:
        length = seq_fixed
    else:
        longest = max(len(tok(line, truncation=True, max_length=cap)["input_ids"]) for line in lines)
        length = max(2, min(longest, cap))
    batch_fixed = next((i.shape[0] for i in inputs if i.shape and i.shape[0] is not None), None)
    step = batch_fixed or TEXT_BATCH
    feeds = []
    for start in range(0, len(lines), step):
        chunk = lines[start:start + step]
        if batch_fixed and len(chunk) < batch_fixed:
            if feeds:
                break  # a fixed batch size: drop the incomplete tail
            chunk = (chunk * batch_fixed)[:batch_fixed]
        enc = tok(chunk, padding="max_length", truncation=True, max_length=length, return_tensors="np")
        feeds.append(_text_feed(dict(enc), by_name, path))
    return feeds, {"lines": len(lines), "length": int(length), "tokenizer": str(tokenizer_folder),
                   "batches": len(feeds)}


def _text_feed(encoded: dict, inputs: dict, path: Path) -> dict:
    ids = np.asarray(encoded["input_ids"])
    feed = {}
    for name, info in inputs.items():
        if name in encoded:
            value = np.asarray(encoded[name])
        elif name == "token_type_ids":
            value = np.zeros_like(ids)
        elif name == "position_ids":
            value = np.broadcast_to(np.arange(ids.shape[1]), ids.shape).copy()
        elif name == "attention_mask":
            value = np.ones_like(ids)
        else:
            raise WorkbenchError(f"the model input '{name}' is not something the tokenizer makes",
                                 f"calibrate with a folder of .npz samples instead of {path.name}")
        if value.ndim != len(info.shape):
            raise WorkbenchError(f"the tokenizer makes '{name}' with {value.ndim} dimensions, the model expects "
                                 f"{len(info.shape)}", "calibrate with a folder of .npz samples instead")
        feed[name] = np.ascontiguousarray(value.astype(info.dtype, copy=False))
    return feed
