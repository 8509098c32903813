"""Hugging Face model folders (a directory with config.json): inspect with a plain-words pre-flight check, and load
offline through transformers (``load_hf_model`` sets HF_HUB_OFFLINE; nothing here touches the network)."""

from __future__ import annotations

import inspect as pyinspect
import json
import os
from pathlib import Path
from typing import Optional

from workbench.core.dynamic_axes import default_axes
from workbench.core.errors import WorkbenchError, first_line, model_error
from workbench.core.loading import safetensors_read
from workbench.core.loading.hf_inputs import hf_class, hf_inputs
from workbench.core.loading.model import LoadedModel, family_settings, make_wrapper, tensor_outputs, torch_dtype
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


def _weights_not_regular(folder: Path) -> Optional[str]:
    """Why a weights file that is there was not read (a pipe, a device link, a folder named like one), or None:
    "no weights file" would send the user to download what the folder seems to hold."""
    from workbench.core.loading.limits import regular_file

    names = ["model.safetensors", "pytorch_model.bin", "model.bin", "model.pt", "model.pth"]
    for entry in [folder / n for n in names] + sorted(folder.glob("*.safetensors")):
        if entry.exists() and not entry.is_file():
            try:
                regular_file(entry, "weights file")
            except WorkbenchError as err:
                return err.one_line()
    return None


def _weights(folder: Path, problems: list) -> Optional[InspectResult]:
    try:
        weights = safetensors_read.weights_in_folder(folder)
        if weights is None:
            from workbench.core.loading import torch_pickle

            weights = torch_pickle.weights_in_folder(folder)
    except WorkbenchError as err:
        problems.append(f"the weights cannot be read: {err.one_line()}")
        return None
    if weights is None:
        odd = _weights_not_regular(folder)
        problems.append(odd or "no weights file (model.safetensors, a sharded index or pytorch_model.bin); "
                               "download the weights into the folder")
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
    try:
        return default_axes(hf_inputs(model, model.config)[0])
    except Exception:  # noqa: BLE001 - informational only
        return {}


# ------------------------------------------------------------------------------------------------ the model

def check_loading_info(folder: str, info: dict) -> None:
    """transformers fills weights it did not find with random values and only logs it: refuse instead, since an
    export of a half-random model "works" and is silently wrong."""
    missing = list(info.get("missing_keys") or [])
    mismatched = [k[0] if isinstance(k, (tuple, list)) else k for k in info.get("mismatched_keys") or []]
    if missing or mismatched:
        names = (mismatched + missing)[:3]
        raise WorkbenchError(
            f"{folder}: the weights do not fit config.json ({len(missing)} tensors missing, {len(mismatched)} of "
            f"the wrong shape, e.g. {', '.join(map(str, names))})",
            "the folder mixes files from different models: download config.json and the weights together")


def load_hf_model(folder: str | os.PathLike, dtype: str = "fp32", task: Optional[str] = None,
                  overrides: Optional[dict] = None, with_weights: bool = True) -> LoadedModel:
    """Build a Hugging Face model folder offline (local files only) with its family settings applied."""
    import torch
    import transformers

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from workbench.core.loading import limits

    folder = str(Path(folder).expanduser().resolve())
    raw = limits.read_json(Path(folder) / "config.json", "config.json")  # size, nesting bounded before transformers
    limits.check_counts(raw if isinstance(raw, dict) else {}, folder)  # 10**6 layers: refused before any build
    try:
        config = transformers.AutoConfig.from_pretrained(folder, local_files_only=True)
    except Exception as err:  # noqa: BLE001 - transformers raises many types for a bad config
        raise WorkbenchError(f"{folder}: cannot read config.json ({first_line(err, 200)})",
                             "check that config.json is valid JSON with a known model_type") from err
    family = family_settings(getattr(config, "model_type", None))
    load_kwargs = {**family.get("load_kwargs", {}), **(overrides or {})}
    cls = hf_class(config, task)
    if with_weights:
        limits.check_model_size(folder, config, cls, dtype, load_kwargs)  # fits in free memory, before allocating
    else:
        limits.check_counts(config.to_dict(), folder)
    try:
        if with_weights:
            model, info = cls.from_pretrained(folder, local_files_only=True, dtype=torch_dtype(dtype),
                                              output_loading_info=True, **load_kwargs)
            check_loading_info(folder, info)
        else:
            build = getattr(cls, "from_config", None) or cls._from_config  # Auto* classes / model classes
            model = build(config, dtype=torch_dtype(dtype), **load_kwargs)
    except WorkbenchError:
        raise
    except Exception as err:  # noqa: BLE001
        first = first_line(err)
        problem = _preflight_problem(folder)
        if problem:  # the pre-flight names the cause (e.g. the tensor whose shape config.json contradicts)
            raise WorkbenchError(f"{folder}: {problem}") from err
        raise WorkbenchError(f"{folder}: transformers could not build the model ({first})",
                             "run `workbench inspect` on the folder to see what is missing or inconsistent") from err
    model.eval()
    infos, kind = hf_inputs(model, config, folder)
    extra = {"return_dict": True}
    if "use_cache" in pyinspect.signature(model.forward).parameters:
        extra["use_cache"] = False
    probe = LoadedModel(module=None, inputs=infos, output_names=[], kind=kind, dtype=dtype)
    try:
        with torch.inference_mode():  # the loader finding the output names the runtime will then report
            out = model(**probe.make_inputs(2, 8), **extra)
    except Exception as err:  # noqa: BLE001 - the model's own code: where it failed, in one line
        raise model_error(err, f"{type(model).__name__}.forward on example {', '.join(probe.input_names)}") \
            from err
    keys = [k for k, _ in tensor_outputs(out)]
    module = make_wrapper(model, [i.name for i in infos], keys, extra)
    return LoadedModel(module=module, inputs=infos, output_names=keys, kind=kind, dtype=dtype, config=config,
                       folder=folder, model_type=getattr(config, "model_type", None), family=family,
                       description=f"{type(model).__name__} ({getattr(config, 'model_type', '?')})")


def _preflight_problem(folder: str) -> Optional[str]:
    """The first blocking problem `workbench inspect` finds in the folder, or None."""
    try:
        problems = inspect(Path(folder)).problems
    except Exception:  # noqa: BLE001 - only a better message; the caller reports the original error
        return None
    return problems[0] if problems else None



def load(source, dtype: str = "fp32", shapes: Optional[dict] = None):
    return load_hf_model(Path(source.path).expanduser(), dtype, source.task, source.family_options)


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="hf_folder", can_load=can_load, inspect=inspect, load=load))
