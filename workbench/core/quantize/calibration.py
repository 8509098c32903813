"""Calibration data for static int8 and GPTQ: an ``onnxruntime.quantization.CalibrationDataReader`` built from

* a folder of samples: ``.npz`` files holding one array per model input (named like the inputs), or ``.npy``
  files for a model with a single input; each file is one batch, fed as it is;
* a ``.txt`` file, one text per line, run through the model's tokenizer
  (``transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)``) and padded to one fixed length:
  the histogram calibrators (entropy, percentile) stack every batch of a tensor, so all batches need one shape.

Every sample is checked against the model's inputs (names, dtypes, ranks, fixed dimensions) before calibration
starts, so a mistake is reported as one line naming the file, not as a failure deep inside the quantizer.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from workbench.core.errors import WorkbenchError, first_line

TEXT_SUFFIXES = (".txt",)
SAMPLE_SUFFIXES = (".npz", ".npy")
TEXT_BATCH = 8  # lines per calibration batch
MAX_TEXT_LENGTH = 512  # tokens; the fixed length is the longest line's, capped here and by the tokenizer
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "tokenizer.model", "vocab.json",
                   "spiece.model", "sentencepiece.bpe.model")


@dataclass
class ModelInput:
    name: str
    dtype: np.dtype
    shape: list  # ints for fixed dimensions, None for dynamic ones

    def describe(self) -> str:
        dims = "x".join(str(d) if d is not None else "?" for d in self.shape)
        return f"{self.name} ({self.dtype.name}, {dims or 'scalar'})"


def model_inputs(model_path) -> list:
    """The graph inputs a session needs (initializers excluded), read from the file's header."""
    import onnx
    from onnx import helper

    model = onnx.load(str(model_path), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    out = []
    for value in model.graph.input:
        if value.name in inits:
            continue
        tensor = value.type.tensor_type
        try:
            dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))
        except Exception:  # noqa: BLE001 - non-tensor or exotic input types
            dtype = np.dtype(np.float32)
        shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
        out.append(ModelInput(value.name, dtype, shape))
    return out


class SampleReader(CalibrationDataReader):
    """A rewindable CalibrationDataReader over a list of ready feeds ({input name: array})."""

    def __init__(self, samples: list, description: str = "", info: Optional[dict] = None):
        self.samples = list(samples)
        self.description = description
        self.info = dict(info or {})
        self.index = 0

    def get_next(self) -> Optional[dict]:
        if self.index >= len(self.samples):
            return None
        self.index += 1
        return self.samples[self.index - 1]

    def rewind(self) -> None:
        self.index = 0

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get_next()
        if item is None:
            raise StopIteration
        return item

    def __len__(self) -> int:
        return len(self.samples)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.samples = self.samples[start_index:end_index]
        self.index = 0


def make_reader(source, model_path, tokenizer: Optional[str] = None, samples: int = 32,
                same_shape: bool = False) -> SampleReader:
    """A calibration reader for ``model_path`` from a folder of .npz/.npy samples or a .txt file of lines.

    ``same_shape``: every sample must have the first one's shapes (the entropy and percentile calibrators stack
    the batches of a tensor; min-max does not need it). Text is always padded to one length.
    """
    if not source:
        raise WorkbenchError("this quantization needs calibration data",
                             "give --calibration: a folder of .npz samples or a .txt file with one text per line")
    if samples < 1:
        raise WorkbenchError(f"calibration_samples is {samples}", "use at least 1 calibration sample")
    from workbench.core.loading.limits import input_path

    path = input_path(source, "calibration file or folder",
                      "give a folder of .npz/.npy samples or a .txt file with one text per line")
    inputs = model_inputs(model_path)
    if path.is_dir():
        feeds = read_folder(path, inputs, samples, same_shape)
        return SampleReader(feeds, f"{len(feeds)} samples from {path}", {"samples": len(feeds)})
    if path.suffix.lower() in TEXT_SUFFIXES:
        lines = _read_lines(path, samples)  # an empty file is reported before a missing tokenizer
        feeds, info = tokenize_lines(lines, inputs, find_tokenizer(tokenizer, model_path, path), path)
        return SampleReader(feeds, f"{info['lines']} lines of {path} at {info['length']} tokens", info)
    if path.suffix.lower() in SAMPLE_SUFFIXES:
        feeds = [_check_sample(path, _load_sample(path, inputs), inputs)]
        return SampleReader(feeds, f"1 sample from {path}", {"samples": 1})
    raise WorkbenchError(f"calibration data {source}: not a folder, .txt, .npz or .npy file",
                         "give a folder of .npz/.npy samples or a .txt file with one text per line")


# --- folders of .npz / .npy samples -------------------------------------------------------------------------------

def read_folder(folder: Path, inputs: list, limit: int, same_shape: bool = False) -> list:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SAMPLE_SUFFIXES)
    if not files:
        raise WorkbenchError(f"calibration folder {folder} holds no .npz or .npy files",
                             "save each sample with numpy.savez(path, **{input_name: array}), one file per batch")
    feeds = [_check_sample(p, _load_sample(p, inputs), inputs) for p in files[:limit]]
    if same_shape:
        _check_same_shapes(feeds, files)
    return feeds


def _load_sample(path: Path, inputs: list) -> dict:
    names = ", ".join(i.name for i in inputs)
    try:
        if path.suffix.lower() == ".npy":
            if len(inputs) != 1:
                raise WorkbenchError(f"{path}: a .npy file holds one array but the model has {len(inputs)} inputs",
                                     f"save each sample as .npz with arrays named {names}")
            return {inputs[0].name: np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as data:
            return {key: np.asarray(data[key]) for key in data.files}
    except WorkbenchError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        first = first_line(err, 200)
        raise WorkbenchError(f"{path}: cannot read the calibration sample ({first})",
                             "save samples with numpy.save / numpy.savez (no pickled objects)") from err


def _kind_ok(array: np.ndarray, want: np.dtype) -> bool:
    if want.kind in "iu":
        return array.dtype.kind in "iub"
    if want.kind == "b":
        return array.dtype.kind in "biu"
    if want.kind in "fc":
        return array.dtype.kind in "f"
    return True


def _check_sample(path: Path, sample: dict, inputs: list) -> dict:
    wanted = {i.name: i for i in inputs}
    expected = "; ".join(i.describe() for i in inputs)
    missing = [n for n in wanted if n not in sample]
    extra = [n for n in sample if n not in wanted]
    if missing:
        raise WorkbenchError(f"{path}: no array for the model input '{missing[0]}'",
                             f"each sample needs one array per model input: {expected}")
    if extra:
        raise WorkbenchError(f"{path}: the array '{extra[0]}' is not a model input",
                             f"name the arrays like the model inputs: {expected}")
    feed = {}
    for name, info in wanted.items():
        array = np.asarray(sample[name])
        if not _kind_ok(array, info.dtype):
            raise WorkbenchError(f"{path}: '{name}' is {array.dtype.name}, the model expects {info.dtype.name}",
                                 f"save '{name}' as {info.dtype.name}")
        if array.ndim != len(info.shape):
            raise WorkbenchError(f"{path}: '{name}' has {array.ndim} dimensions, the model expects "
                                 f"{len(info.shape)}", f"the model's inputs are: {expected}")
        for axis, (got, fixed) in enumerate(zip(array.shape, info.shape)):
            if fixed is not None and got != fixed:
                raise WorkbenchError(f"{path}: '{name}' has size {got} on axis {axis}, the model expects {fixed}",
                                     f"the model's inputs are: {expected}")
        if 0 in array.shape:
            raise WorkbenchError(f"{path}: '{name}' is empty (shape {list(array.shape)})",
                                 "give samples with at least one element")
        feed[name] = np.ascontiguousarray(array.astype(info.dtype, copy=False))
    return feed


def _check_same_shapes(feeds: list, files: list) -> None:
    """The histogram calibrators stack the batches of a tensor: every sample needs the first one's shapes."""
    first = {k: v.shape for k, v in feeds[0].items()}
    for path, feed in zip(files[1:], feeds[1:]):
        for name, array in feed.items():
            if array.shape != first[name]:
                dims = "x".join(map(str, first[name]))
                raise WorkbenchError(
                    f"{path}: '{name}' has shape {'x'.join(map(str, array.shape))}, but {files[0].name} has {dims}",
                    "give every sample the same shape (pad to one length), or use --method minmax")


# --- text files through the tokenizer ----------------------------------------------------------------------------

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
