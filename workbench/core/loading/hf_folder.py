"""Hugging Face model folders (a directory with config.json): inspect with a plain-words pre-flight check, and load
offline through transformers (``load_hf_model`` sets HF_HUB_OFFLINE; nothing here touches the network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.loading import safetensors_files
from workbench.core.results import InspectResult

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                   "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")
PREPROCESSOR_FILES = ("preprocessor_config.json", "image_processor_config.json")
FLOAT_DTYPES = ("float32", "float16", "bfloat16", "float64")


def can_load(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def _read_config(folder: Path, problems: list) -> dict:
    from workbench.core.loading.limits import read_json

    try:
        config = read_json(folder / "config.json", "config.json")  # a regular file, size and nesting bounded
    except WorkbenchError as err:
        problems.append(err.one_line())
        return {}
    except OSError as err:
        problems.append(f"config.json cannot be read ({err.strerror or err}); check the file's permissions")
        return {}
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        problems.append(f"config.json is not valid JSON ({first_line(err, 120)}); re-download it or "
                        f"fix the syntax")
        return {}
    if not isinstance(config, dict):
        problems.append("config.json is not a JSON object; re-download it")
        return {}
    return config


def _check_config(config: dict, problems: list, notes: list) -> None:
    model_type = config.get("model_type")
    if not model_type:
        problems.append("config.json has no model_type, so transformers cannot tell which architecture to build; "
                        "add the model_type (e.g. \"llama\") from the model's original config")
    else:
        from transformers import CONFIG_MAPPING

        if model_type not in CONFIG_MAPPING:
            if config.get("auto_map"):
                problems.append(f"model_type '{model_type}' is custom code shipped with the model (auto_map), which "
                                f"the workbench does not run; load it as `model.py:ClassName --trust-code` instead")
            else:
                problems.append(f"model_type '{model_type}' is unknown to this transformers version; upgrade "
                                f"transformers or check the model_type spelling")
    if not config.get("architectures"):
        notes.append("config.json lists no architectures; the workbench will build the base model "
                        "(no task head) unless you pass --task")


def _weights(folder: Path, problems: list) -> Optional[InspectResult]:
    try:
        weights = safetensors_files.weights_in_folder(folder)
        if weights is None:
            from workbench.core.loading import torch_files

            weights = torch_files.weights_in_folder(folder)
    except WorkbenchError as err:
        problems.append(f"the weights cannot be read: {err.one_line()}")
        return None
    if weights is None:
        problems.append("no weights file (model.safetensors, a sharded index or pytorch_model.bin); download the "
                        "weights into the folder")
    else:
        problems.extend(weights.problems)
    return weights


def _check_dtype(config: dict, weights: InspectResult, notes: list) -> None:
    declared = config.get("dtype") or config.get("torch_dtype")
    if isinstance(declared, str) and declared.startswith("torch."):
        declared = declared[len("torch."):]
    stored = {k: v for k, v in weights.bytes_by_dtype.items() if k in FLOAT_DTYPES}
    if not isinstance(declared, str) or declared not in FLOAT_DTYPES or not stored:
        return
    main = max(stored, key=stored.get)
    if main != declared:
        notes.append(f"config.json says the weights are {declared} but they are stored as {main}; the model is "
                        f"loaded in the dtype you choose (--dtype), so check that choice")


def _check_tokenizer(folder: Path, notes: list) -> None:
    if any((folder / name).is_file() for name in TOKENIZER_FILES):
        return
    if any((folder / name).is_file() for name in PREPROCESSOR_FILES):
        return  # an image model: its inputs come from the preprocessor, not a tokenizer
    notes.append("no tokenizer files (tokenizer.json, tokenizer_config.json or vocab files); they are needed "
                    "only for text calibration and generation — export, validation and benchmarks work without them")


def inspect(path: Path) -> InspectResult:
    folder = Path(path)
    problems: list = []
    notes: list = []
    config = _read_config(folder, problems)
    if config:
        _check_config(config, problems, notes)
    weights = _weights(folder, problems)
    meta = None
    if weights is not None and config:
        _check_dtype(config, weights, notes)
        from workbench.core.loading import config_shapes

        meta = config_shapes.check(folder, config, weights.tensors, problems, notes)
    _check_tokenizer(folder, notes)
    files = sorted(str(p) for p in folder.iterdir() if p.is_file())
    result = InspectResult(path=str(folder), format="hf-folder", config=config, problems=problems, notes=notes,
                           files=files)
    if meta is not None:
        result.default_dynamic_axes = _default_axes(meta)
    if weights is not None:
        result.tensors = weights.tensors
        result.parameters = weights.parameters
        result.bytes_by_dtype = weights.bytes_by_dtype
        result.total_bytes = weights.total_bytes
        result.metadata = weights.metadata
    return result


def _default_axes(model) -> dict:
    """The dynamic axes export makes by default for this model (the inputs it feeds, from the signature)."""
    from workbench.core.export.dynamic_axes import default_axes
    from workbench.core.loading.model import _hf_inputs

    try:
        return default_axes(_hf_inputs(model, model.config)[0])
    except Exception:  # noqa: BLE001 - informational only
        return {}


def load(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    from workbench.core.loading.model import load_hf_model

    return load_hf_model(Path(source.path).expanduser(), dtype, source.task, source.family_options)


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="hf_folder", can_load=can_load, inspect=inspect, load=load))
