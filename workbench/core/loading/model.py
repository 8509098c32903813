"""A torch model ready to export, validate and benchmark: a module with flat, named tensor inputs that returns a
tuple of tensors, plus a maker of example inputs built from the model's signature and config.

Hugging Face folders are built offline (local files only); family settings (families.toml) are applied by
model_type. Other modules (user code, TorchScript, torch.export archives) are wrapped the same way.
"""

from __future__ import annotations

import inspect as pyinspect
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line

TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
SKIPPED_OUTPUTS = ("past_key_values", "hidden_states", "attentions", "cross_attentions", "loss")
INT_INPUT_HINTS = ("ids", "mask", "position", "index", "indices", "labels")


def torch_dtype(name: str):
    import torch

    if name not in TORCH_DTYPES:
        raise WorkbenchError(f"unknown dtype '{name}'", "use fp32, fp16 or bf16")
    return getattr(torch, TORCH_DTYPES[name])


def family_settings(model_type: Optional[str]) -> dict:
    """The families.toml entry for a model_type, or {} when the family needs nothing special."""
    table = tomllib.loads(resources.files("workbench.core.export").joinpath("families.toml").read_text("utf-8"))
    return dict(table.get(model_type or "", {}))


@dataclass
class InputInfo:
    name: str
    dtype: str  # "int64" or "float"
    shape: list  # ints; -1 where the batch goes, -2 where the sequence (text) or length (audio) goes
    high: int = 2  # exclusive upper bound for integer inputs (vocab size for ids)
    role: str = "text"  # "text", "image", "audio" or "generic": which dims are dynamic by default and their names
    step: int = 1  # audio: samples per output frame; a sequence of s frames is s * step + offset samples long
    offset: int = 0

    def dims(self, batch: int, sequence: int) -> list:
        """The input's shape at (batch, sequence): audio inputs are ``sequence`` frames long in samples."""
        return [batch if s == -1 else sequence * self.step + self.offset if s == -2 else s for s in self.shape]


@dataclass
class LoadedModel:
    module: object  # torch.nn.Module taking the named inputs as keywords and returning a tuple of tensors
    inputs: list  # [InputInfo]
    output_names: list
    kind: str  # "text", "vision", "audio", "multimodal" (several of these) or "generic"
    dtype: str = "fp32"
    config: object = None
    folder: Optional[str] = None
    model_type: Optional[str] = None
    family: dict = field(default_factory=dict)
    description: str = ""

    @property
    def input_names(self) -> list:
        return [i.name for i in self.inputs]

    def default_dynamic_axes(self) -> dict:
        from workbench.core.export.dynamic_axes import default_axes

        return default_axes(self.inputs)

    def make_inputs(self, batch: int = 2, sequence: int = 8, pad: bool = False, seed: int = 0,
                    shapes: Optional[dict] = None) -> dict:
        """Random example inputs; with ``pad`` the last row's attention mask ends in zeros (padding)."""
        import torch

        gen = torch.Generator().manual_seed(seed)
        fdtype = torch_dtype(self.dtype)
        out = {}
        for info in self.inputs:
            shape = list((shapes or {}).get(info.name) or info.dims(batch, sequence))
            if info.dtype == "int64":
                if info.name == "attention_mask" or info.name.endswith("mask"):
                    tensor = torch.ones(shape, dtype=torch.int64)
                    # text only: an audio mask counts samples, not the output frames a comparison masks
                    if pad and info.role == "text" and len(shape) == 2 and shape[1] > 2:
                        tensor[-1, -max(1, shape[1] // 3):] = 0
                else:
                    tensor = torch.randint(0, max(info.high, 1), shape, generator=gen, dtype=torch.int64)
            else:
                tensor = torch.randn(shape, generator=gen).to(fdtype)
            out[info.name] = tensor
        return out

    def run(self, inputs: dict) -> dict:
        """Run in PyTorch; returns {output_name: float32 numpy array}."""
        import torch

        with torch.inference_mode():
            result = self.module(**inputs)
        return {name: t.detach().float().cpu().numpy() for name, t in zip(self.output_names, result)}


def _tensor_outputs(output) -> list:
    """Flatten a model output to [(name, tensor)], skipping caches, hidden states and attentions."""
    import torch

    if isinstance(output, torch.Tensor):
        return [("output", output)]
    if hasattr(output, "keys"):
        return [(k, v) for k, v in output.items() if isinstance(v, torch.Tensor) and k not in SKIPPED_OUTPUTS]
    if isinstance(output, (tuple, list)):
        flat = [t for t in output if isinstance(t, torch.Tensor)]
        return [(f"output_{i}", t) for i, t in enumerate(flat)]
    raise WorkbenchError(f"the model returned {type(output).__name__}, not tensors",
                         "wrap the model so that forward returns a tensor, a tuple of tensors or a dict")


def _make_wrapper(model, input_names: list, output_keys: list, extra_kwargs: dict):
    """A module with one keyword per input (what the exporters need) returning a tuple of tensors."""
    import torch

    class GenericFlat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return tuple(t for _, t in _tensor_outputs(self.model(*args)))

    if set(input_names) <= set(KNOWN_INPUTS):
        return _keyword_wrapper(model, input_names, output_keys, extra_kwargs)
    return _PositionalAdapter(GenericFlat(), input_names)


def _keyword_wrapper(model, input_names: list, output_keys: list, extra_kwargs: dict):
    """``forward(self, input_ids=None, pixel_values=None, ...)`` with the model's own input names, passed on as
    keywords. Generated per model: the dynamo exporter reads the signature, and a ``**kwargs`` wrapper fails to
    convert. The names come from KNOWN_INPUTS only (identifiers of this module, no user data)."""
    import torch

    class KeywordInputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def call(self, **given):
            out = self.model(**{k: v for k, v in given.items() if v is not None}, **extra_kwargs)
            named = dict(_tensor_outputs(out))
            return tuple(named[k] for k in output_keys)

    params = ", ".join(f"{n}=None" for n in input_names)
    passed = ", ".join(f"{n}={n}" for n in input_names)
    namespace: dict = {}
    exec(f"def forward(self, {params}):\n    return self.call({passed})\n", namespace)  # noqa: S102
    return type("FlatModel", (KeywordInputs,), {"forward": namespace["forward"]})()


def _PositionalAdapter(flat, input_names):  # noqa: N802 - returns a module
    """Generic modules take positional inputs; expose them by name with the original parameter names."""
    import torch

    params = ", ".join(input_names)
    # Generated once per model so the exporters see real named parameters (not **kwargs); no user data is used
    # in the source besides identifiers checked below.
    for name in input_names:
        if not name.isidentifier():
            raise WorkbenchError(f"input name '{name}' is not a valid identifier", "rename the input")
    namespace: dict = {}
    exec(f"def forward(self, {params}):\n    return self.flat({params})\n", namespace)  # noqa: S102
    cls = type("NamedInputs", (torch.nn.Module,), {"forward": namespace["forward"]})
    module = cls()
    module.flat = flat
    return module


def _hf_class(config, task: Optional[str]):
    import transformers

    if task in ("feature-extraction", "default"):
        return transformers.AutoModel
    by_task = {"text-generation": "AutoModelForCausalLM", "fill-mask": "AutoModelForMaskedLM",
               "text-classification": "AutoModelForSequenceClassification",
               "image-classification": "AutoModelForImageClassification"}
    if task in by_task:
        return getattr(transformers, by_task[task])
    if task:
        raise WorkbenchError(f"unknown task '{task}'", f"use one of: feature-extraction, {', '.join(by_task)}")
    for arch in getattr(config, "architectures", None) or []:
        if hasattr(transformers, arch):
            return getattr(transformers, arch)
    return transformers.AutoModel


# The forward parameters the workbench builds example values for, and where their sizes come from (config.json
# and the feature extractor's preprocessor_config.json; nothing per architecture). Others with a default are left
# out; a required one that is not here is refused by name.
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "pixel_values", "input_values")
AUDIO_FRAME_MS, AUDIO_WINDOW_MS = 10, 25  # a frame per 10 ms over a 25 ms window where the config has no convs


def _tower(config, name: str):
    """The sub-config of one tower (``text_config``, ``vision_config``...) of a multi-tower model, else config."""
    sub = getattr(config, name, None)
    return sub if sub is not None and hasattr(sub, "to_dict") else config


def _image_hw(vision) -> tuple:
    size = getattr(vision, "image_size", None) or 224
    if isinstance(size, dict):
        edge = size.get("shortest_edge", 224)
        return int(size.get("height", edge)), int(size.get("width", edge))
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[-1])
    return int(size), int(size)


def _audio_frames(config, folder: Optional[str]) -> tuple:
    """(step, offset): a raw waveform of ``s * step + offset`` samples gives ``s`` frames. From the convolutional
    feature encoder's kernels and strides (config.json), else from the feature extractor's sampling rate."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    if kernels and strides and len(kernels) == len(strides):
        field_, hop = 1, 1
        for k, s in zip(kernels, strides):
            field_ += (int(k) - 1) * hop
            hop *= int(s)
        return hop, field_ - hop
    rate = int(_preprocessor(folder).get("sampling_rate") or getattr(config, "sampling_rate", 0) or 16000)
    step = rate * AUDIO_FRAME_MS // 1000
    return step, rate * AUDIO_WINDOW_MS // 1000 - step


def _preprocessor(folder: Optional[str]) -> dict:
    """preprocessor_config.json of the folder (the feature extractor's settings), or {}."""
    path = Path(folder) / "preprocessor_config.json" if folder else None
    if path is None or not path.is_file():
        return {}
    from workbench.core.loading import limits

    try:
        data = limits.read_json(path, "preprocessor_config.json")
    except WorkbenchError:
        return {}
    return data if isinstance(data, dict) else {}


def _audio_mask(config, folder: Optional[str]) -> bool:
    """Whether the feature extractor feeds an attention mask: its own setting, else what transformers' feature
    extractors do (only for models whose feature encoder normalises per layer, not per group)."""
    value = _preprocessor(folder).get("return_attention_mask")
    if value is not None:
        return bool(value)
    return getattr(config, "feat_extract_norm", "layer") == "layer"


def _hf_inputs(model, config, folder: Optional[str] = None) -> tuple[list, str]:
    """[InputInfo] for the parameters of ``model.forward`` the workbench can build, and the model's kind."""
    params = pyinspect.signature(model.forward).parameters
    text = _tower(config, "text_config")
    infos = []
    if "input_ids" in params:
        infos.append(InputInfo("input_ids", "int64", [-1, -2], high=int(getattr(text, "vocab_size", 2) or 2)))
    if "pixel_values" in params:
        vision = _tower(config, "vision_config")
        height, width = _image_hw(vision)
        channels = int(getattr(vision, "num_channels", 3) or 3)
        infos.append(InputInfo("pixel_values", "float", [-1, channels, height, width], role="image"))
    if "input_values" in params:
        audio = _tower(config, "audio_config")
        step, offset = _audio_frames(audio, folder)
        infos.append(InputInfo("input_values", "float", [-1, -2], role="audio", step=step, offset=offset))
    if "attention_mask" in params:
        if "input_ids" in params:
            infos.append(InputInfo("attention_mask", "int64", [-1, -2]))
        elif "input_values" in params and _audio_mask(_tower(config, "audio_config"), folder):
            audio = infos[-1]
            infos.append(InputInfo("attention_mask", "int64", [-1, -2], role="audio", step=audio.step,
                                   offset=audio.offset))
    if "input_ids" in params and "token_type_ids" in params and int(getattr(text, "type_vocab_size", 0) or 0) > 1:
        infos.append(InputInfo("token_type_ids", "int64", [-1, -2], high=int(text.type_vocab_size)))
    built = {i.name for i in infos}
    required = [n for n, p in params.items() if p.default is pyinspect.Parameter.empty and n not in built
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required or not infos:
        what = (f"needs '{required[0]}', an input the workbench cannot build from config.json" if required else
                f"takes none of {', '.join(KNOWN_INPUTS)}")
        raise WorkbenchError(f"{type(model).__name__}.forward {what}",
                             "export a model class with text, image or audio inputs (--task feature-extraction "
                             "gives the base model), or wrap it in model.py:ClassName and give --shape")
    roles = {i.role for i in infos if i.name != "attention_mask"}
    kind = {frozenset({"text"}): "text", frozenset({"image"}): "vision", frozenset({"audio"}): "audio"}.get(
        frozenset(roles), "multimodal")
    return infos, kind


def _check_loading_info(folder: str, info: dict) -> None:
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
    cls = _hf_class(config, task)
    if with_weights:
        limits.check_model_size(folder, config, cls, dtype, load_kwargs)  # fits in free memory, before allocating
    else:
        limits.check_counts(config.to_dict(), folder)
    try:
        if with_weights:
            model, info = cls.from_pretrained(folder, local_files_only=True, dtype=torch_dtype(dtype),
                                              output_loading_info=True, **load_kwargs)
            _check_loading_info(folder, info)
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
    infos, kind = _hf_inputs(model, config, folder)
    extra = {"return_dict": True}
    if "use_cache" in pyinspect.signature(model.forward).parameters:
        extra["use_cache"] = False
    probe = LoadedModel(module=None, inputs=infos, output_names=[], kind=kind, dtype=dtype)
    try:
        with torch.inference_mode():
            out = model(**probe.make_inputs(2, 8), **extra)
    except Exception as err:  # noqa: BLE001 - the model's own code: where it failed, in one line
        from workbench.core.export.errors import model_error

        raise model_error(err, f"{type(model).__name__}.forward on example {', '.join(probe.input_names)}") \
            from err
    keys = [k for k, _ in _tensor_outputs(out)]
    module = _make_wrapper(model, [i.name for i in infos], keys, extra)
    return LoadedModel(module=module, inputs=infos, output_names=keys, kind=kind, dtype=dtype, config=config,
                       folder=folder, model_type=getattr(config, "model_type", None), family=family,
                       description=f"{type(model).__name__} ({getattr(config, 'model_type', '?')})")


def _preflight_problem(folder: str) -> Optional[str]:
    """The first blocking problem `workbench inspect` finds in the folder, or None."""
    try:
        from workbench.core.loading import hf_folder

        problems = hf_folder.inspect(Path(folder)).problems
    except Exception:  # noqa: BLE001 - only a better message; the caller reports the original error
        return None
    return problems[0] if problems else None


def parse_shape(text: str) -> list:
    """'2x3x32x32' or '2,3,32,32' -> [2, 3, 32, 32]."""
    parts = text.replace(",", "x").lower().split("x")
    try:
        dims = [int(p) for p in parts if p.strip()]
    except ValueError:
        dims = []
    if not dims or any(d <= 0 for d in dims):
        raise WorkbenchError(f"bad shape '{text}'", "write a shape as positive integers, e.g. 2x3x224x224")
    return dims


def wrap_module(module, shapes: dict, dtype: str = "fp32", description: str = "") -> LoadedModel:
    """Wrap any nn.Module (user code, TorchScript, torch.export) given {input_name: [dims]}; dim 0 is batch."""
    import torch

    if not shapes:
        names = _forward_names(module)
        raise WorkbenchError(
            "this model has no config to build example inputs from",
            f"give each input's shape, e.g. --shape {names[0] if names else 'x'}=2x3x32x32",
        )
    infos = []
    for name, dims in shapes.items():
        is_int = any(h in name.lower() for h in INT_INPUT_HINTS)
        infos.append(InputInfo(name, "int64" if is_int else "float", [-1, *list(dims)[1:]], high=2))
    module = module.to(torch_dtype(dtype)) if hasattr(module, "to") else module
    try:
        module.eval()
    except (AttributeError, NotImplementedError):  # ExportedProgram.module() refuses eval(): it is already so
        pass
    keys_probe = LoadedModel(module=None, inputs=infos, output_names=[], kind="generic", dtype=dtype)
    with torch.inference_mode():
        out = module(*keys_probe.make_inputs(batch=list(shapes.values())[0][0]).values())
    keys = [k for k, _ in _tensor_outputs(out)]
    flat = _make_wrapper(module, [i.name for i in infos], keys, {})
    return LoadedModel(module=flat, inputs=infos, output_names=keys, kind="generic", dtype=dtype,
                       description=description or type(module).__name__)


def _forward_names(module) -> list:
    try:
        return [p for p in pyinspect.signature(module.forward).parameters if p != "self"]
    except (TypeError, ValueError, AttributeError):
        return []
