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

from workbench.core.errors import WorkbenchError

TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
HF_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "pixel_values")
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
    shape: list  # ints; -1 where the batch / sequence goes
    high: int = 2  # exclusive upper bound for integer inputs (vocab size for ids)


@dataclass
class LoadedModel:
    module: object  # torch.nn.Module taking the named inputs as keywords and returning a tuple of tensors
    inputs: list  # [InputInfo]
    output_names: list
    kind: str  # "text", "vision" or "generic"
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
            shape = list((shapes or {}).get(info.name) or
                         [batch if s == -1 else sequence if s == -2 else s for s in info.shape])
            if info.dtype == "int64":
                if info.name == "attention_mask" or info.name.endswith("mask"):
                    tensor = torch.ones(shape, dtype=torch.int64)
                    if pad and len(shape) == 2 and shape[1] > 2:
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

    class FlatModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        # Fixed parameter names: the dynamo exporter reads the signature; *args/**kwargs wrappers fail to convert.
        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, pixel_values=None):
            given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
                     "pixel_values": pixel_values}
            out = self.model(**{k: v for k, v in given.items() if v is not None}, **extra_kwargs)
            named = dict(_tensor_outputs(out))
            return tuple(named[k] for k in output_keys)

    class GenericFlat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return tuple(t for _, t in _tensor_outputs(self.model(*args)))

    if set(input_names) <= set(HF_INPUTS):
        return FlatModel()
    return _PositionalAdapter(GenericFlat(), input_names)


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


def _hf_inputs(model, config) -> tuple[list, str]:
    signature = pyinspect.signature(model.forward).parameters
    if "pixel_values" in signature and "input_ids" not in signature:
        vision = getattr(config, "vision_config", config)
        size = getattr(vision, "image_size", 224)
        size = size if isinstance(size, int) else (size.get("height") if isinstance(size, dict) else size[0])
        channels = getattr(vision, "num_channels", 3)
        return [InputInfo("pixel_values", "float", [-1, channels, size, size])], "vision"
    infos = [InputInfo("input_ids", "int64", [-1, -2], high=int(getattr(config, "vocab_size", 2) or 2))]
    if "attention_mask" in signature:
        infos.append(InputInfo("attention_mask", "int64", [-1, -2]))
    if "token_type_ids" in signature and int(getattr(config, "type_vocab_size", 0) or 0) > 1:
        infos.append(InputInfo("token_type_ids", "int64", [-1, -2], high=int(config.type_vocab_size)))
    return infos, "text"


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
        raise WorkbenchError(f"{folder}: cannot read config.json ({str(err).splitlines()[0][:200]})",
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
        first = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        problem = _preflight_problem(folder)
        if problem:  # the pre-flight names the cause (e.g. the tensor whose shape config.json contradicts)
            raise WorkbenchError(f"{folder}: {problem}") from err
        raise WorkbenchError(f"{folder}: transformers could not build the model ({first})",
                             "run `workbench inspect` on the folder to see what is missing or inconsistent") from err
    model.eval()
    infos, kind = _hf_inputs(model, config)
    extra = {"return_dict": True}
    if "use_cache" in pyinspect.signature(model.forward).parameters:
        extra["use_cache"] = False
    probe = LoadedModel(module=None, inputs=infos, output_names=[], kind=kind, dtype=dtype)
    with torch.inference_mode():
        out = model(**probe.make_inputs(2, 8), **extra)
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
