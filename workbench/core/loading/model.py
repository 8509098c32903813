"""A torch model ready to export, validate and benchmark: a module with flat, named tensor inputs that returns a
tuple of tensors, plus a maker of example inputs.

Every loader ends here: Hugging Face folders (hf_folder.load_hf_model, with example inputs from hf_inputs.py and
the family settings of families.toml applied by model_type), user code, TorchScript and torch.export archives
(wrap_module).
"""

from __future__ import annotations

import inspect as pyinspect
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Optional

from workbench.core.errors import WorkbenchError

TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
SKIPPED_OUTPUTS = ("past_key_values", "hidden_states", "attentions", "cross_attentions", "loss")
INT_INPUT_HINTS = ("ids", "mask", "position", "index", "indices", "labels")
# The forward parameters the workbench builds example values for, and where their sizes come from (config.json
# and the feature extractor's preprocessor_config.json; nothing per architecture). Others with a default are left
# out; a required one that is not here is refused by name.
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "pixel_values", "input_values")


def torch_dtype(name: str):
    import torch

    if name not in TORCH_DTYPES:
        raise WorkbenchError(f"unknown dtype '{name}'", "use fp32, fp16 or bf16")
    return getattr(torch, TORCH_DTYPES[name])


def family_settings(model_type: Optional[str]) -> dict:
    """The families.toml entry for a model_type, or {} when the family needs nothing special."""
    table = tomllib.loads(resources.files("workbench.core.loading").joinpath("families.toml").read_text("utf-8"))
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
        from workbench.core.dynamic_axes import default_axes

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


def tensor_outputs(output) -> list:
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


def make_wrapper(model, input_names: list, output_keys: list, extra_kwargs: dict):
    """A module with one keyword per input (what the exporters need) returning a tuple of tensors."""
    import torch

    class GenericFlat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return tuple(t for _, t in tensor_outputs(self.model(*args)))

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
            named = dict(tensor_outputs(out))
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
        names = forward_names(module)
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
    keys = [k for k, _ in tensor_outputs(out)]
    flat = make_wrapper(module, [i.name for i in infos], keys, {})
    return LoadedModel(module=flat, inputs=infos, output_names=keys, kind="generic", dtype=dtype,
                       description=description or type(module).__name__)


def forward_names(module) -> list:
    try:
        return [p for p in pyinspect.signature(module.forward).parameters if p != "self"]
    except (TypeError, ValueError, AttributeError):
        return []
