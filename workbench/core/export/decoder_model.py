"""The model side of a decoder with past key values (task ``text-generation-with-past``), shared by its export
(decoder.py) and its check against PyTorch (decoder_check.py): the cache layout read from the model, the wrapper
with flat named tensor parameters, the ONNX names and dynamic axes, example inputs.

Nothing here is written per architecture: the cache layout (layers, heads and head sizes of keys and values) is
read from the cache the model itself returns for a short forward, so grouped-query attention and DeepSeek's MLA
(latent keys and rope values of different sizes) come out right.
"""

from __future__ import annotations

import dataclasses

from workbench.core.errors import WorkbenchError
from workbench.core.specs import ExportSpec

TASK = "text-generation-with-past"
RTOL = {"fp32": 1e-3, "fp16": 3e-2, "bf16": 6e-2}  # max |diff| / max |reference| accepted by the check
MOE_HINTS = ("moe", "expert")


@dataclasses.dataclass(frozen=True)
class CacheLayer:
    key_heads: int
    key_dim: int
    value_heads: int
    value_dim: int


def past_names(layers: int) -> list:
    return [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]


def present_names(layers: int) -> list:
    return [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]


def arg_name(name: str) -> str:
    """ONNX name -> the wrapper's Python parameter name (past_key_values.0.key -> past_key_values_0_key)."""
    return name.replace(".", "_")


def cache_pairs(cache) -> list:
    """[(keys, values)] of a model's returned cache (a transformers Cache, or the legacy tuple of tuples)."""
    if hasattr(cache, "layers"):
        pairs = []
        for layer in cache.layers:
            if not hasattr(layer, "keys") or not hasattr(layer, "values"):
                raise WorkbenchError(f"the model's cache has a {type(layer).__name__} layer, not keys and values",
                                     "only key/value caches (attention layers) export as a decoder with past")
            pairs.append((layer.keys, layer.values))
        return pairs
    if isinstance(cache, (tuple, list)):
        return [(pair[0], pair[1]) for pair in cache]
    raise WorkbenchError(f"the model returned a {type(cache).__name__} as its cache", "this model cannot be "
                         "exported with past key values; export it with --task text-generation instead")


def cache_layout(model, probe_length: int = 3) -> list:
    """[CacheLayer] read from the cache the model returns for a forward of ``probe_length`` tokens."""
    import torch

    ids = torch.arange(probe_length, dtype=torch.int64).unsqueeze(0) % max(int(vocab_size(model)), 1)
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, return_dict=True)
    cache = getattr(out, "past_key_values", None)
    if cache is None:
        raise WorkbenchError(f"{type(model).__name__} returned no cache with use_cache=True",
                             "this model cannot be exported with past key values; use --task text-generation")
    layout = []
    for keys, values in cache_pairs(cache):
        ok = all(t is not None and t.dim() == 4 and t.shape[0] == 1 and t.shape[2] == probe_length
                 for t in (keys, values))
        if not ok:
            shapes = [None if t is None else list(t.shape) for t in (keys, values)]
            raise WorkbenchError(f"the model's cache holds tensors shaped {shapes}, not [batch, heads, "
                                 "sequence, dim]", "only attention key/value caches export as a decoder with past")
        layout.append(CacheLayer(int(keys.shape[1]), int(keys.shape[3]), int(values.shape[1]),
                                 int(values.shape[3])))
    if not layout:
        raise WorkbenchError("the model's cache is empty", "this model has no key/value cache to export")
    return layout


def vocab_size(model) -> int:
    config = getattr(model, "config", None)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return int(getattr(text, "vocab_size", 0) or 2)


def decoder_module(model, layers: int, with_positions: bool = True):
    """A module with flat, named tensor parameters (what the exporters need) returning (logits, *presents)."""
    import torch
    from transformers import DynamicCache

    names = ["input_ids", "attention_mask"] + (["position_ids"] if with_positions else [])
    pasts = [arg_name(n) for n in past_names(layers)]
    params = ", ".join(names + pasts)
    keywords = ", ".join(f"{n}={n}" for n in names)
    # The dynamo exporter reads the signature: generate one real parameter per input (no *args). Only generated
    # identifiers go into this source.
    source = (f"def forward(self, {params}):\n"
              f"    return self.step(dict({keywords}), [{', '.join(pasts)}])\n")
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102

    class DecoderWithPast(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def step(self, inputs: dict, flat: list):
            cache = DynamicCache(ddp_cache_data=[(flat[2 * i], flat[2 * i + 1]) for i in range(layers)])
            out = self.model(**inputs, past_key_values=cache, use_cache=True, return_dict=True)
            presents = [t for pair in cache_pairs(out.past_key_values) for t in pair]
            return (out.logits, *presents)

    DecoderWithPast.forward = namespace["forward"]
    return DecoderWithPast().eval()


def input_names(layers: int, with_positions: bool = True) -> list:
    return ["input_ids", "attention_mask"] + (["position_ids"] if with_positions else []) + past_names(layers)


def dynamic_axes(layers: int, with_positions: bool = True) -> dict:
    """{wrapper parameter: {axis: dimension name}}; the mask spans past + new tokens."""
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total_sequence"}}
    if with_positions:
        axes["position_ids"] = {0: "batch", 1: "sequence"}
    for name in past_names(layers):
        axes[arg_name(name)] = {0: "batch", 2: "past_sequence"}
    return axes


def make_inputs(layout: list, batch: int, sequence: int, past: int, vocab: int, dtype: str = "fp32",
                seed: int = 0, with_positions: bool = True) -> dict:
    """Random decoder inputs keyed by the wrapper's parameter names (ids, ones mask, positions after the past)."""
    import torch

    from workbench.core.loading.model import torch_dtype

    gen = torch.Generator().manual_seed(seed)
    inputs = {"input_ids": torch.randint(0, max(vocab, 1), (batch, sequence), generator=gen),
              "attention_mask": torch.ones(batch, past + sequence, dtype=torch.int64)}
    if with_positions:
        inputs["position_ids"] = torch.arange(past, past + sequence, dtype=torch.int64).expand(batch, -1).clone()
    fdtype = torch_dtype(dtype)
    for i, layer in enumerate(layout):
        inputs[arg_name(f"past_key_values.{i}.key")] = torch.randn(
            batch, layer.key_heads, past, layer.key_dim, generator=gen).to(fdtype)
        inputs[arg_name(f"past_key_values.{i}.value")] = torch.randn(
            batch, layer.value_heads, past, layer.value_dim, generator=gen).to(fdtype)
    return inputs


def example_sizes(batch: int, sequence: int) -> tuple:
    """(batch, sequence, past) for the traced example: each at least 2 (a size of 1 is specialised) and batch,
    sequence, past and past + sequence all different (equal sizes may be unified into one dimension)."""
    batch = max(2, int(batch))
    sequence = max(2, int(sequence))
    sequence += 1 if sequence == batch else 0
    past = sequence + 3
    while past in (batch, sequence) or past + sequence == batch:
        past += 1
    return batch, sequence, past


def is_moe(model) -> bool:
    """True when some submodule is a mixture of experts (by its class name: no per-architecture list)."""
    return any(any(h in type(m).__name__.lower() for h in MOE_HINTS) for m in model.modules())


def load_decoder(spec: ExportSpec):
    from workbench.core.loading import load_model

    loaded = load_model(dataclasses.replace(spec.source, task="text-generation"), spec.dtype)
    model = getattr(loaded.module, "model", None)
    if loaded.folder is None or model is None or not hasattr(model, "generate"):
        raise WorkbenchError(f"{spec.source.path}: --task {TASK} needs a Hugging Face causal LM folder",
                             "give the model folder (config.json + weights) of a text-generation model")
    if "logits" not in loaded.output_names:
        raise WorkbenchError(f"{loaded.description} returns no logits", f"--task {TASK} needs a causal LM")
    return loaded, model
