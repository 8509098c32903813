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
from workbench.core.quantize.calibration_text import (  # noqa: F401 - kept importable here
    MAX_TEXT_LENGTH, TEXT_BATCH, TOKENIZER_FILES, _read_lines, find_tokenizer, load_tokenizer, read_text, tokenize_lines)

TEXT_SUFFIXES = (".txt",)
SAMPLE_SUFFIXES = (".npz", ".npy")


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
