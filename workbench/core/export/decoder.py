"""Export a causal LM as a decoder for generation (task ``text-generation-with-past``).

The ONNX graph takes ``input_ids``, ``attention_mask`` (past + new tokens), ``position_ids`` and one
``past_key_values.{i}.key`` / ``past_key_values.{i}.value`` pair per layer, and returns ``logits`` and
``present.{i}.key`` / ``present.{i}.value`` (the past with the new tokens appended). Batch, sequence and past
sequence are dynamic; a past of length 0 is the prefill.

Nothing here is written per architecture: the cache layout (layers, heads and head sizes of keys and values) is
read from the cache the model itself returns for a short forward, so grouped-query attention and DeepSeek's MLA
(latent keys and rope values of different sizes) come out right; family settings come from families.toml. The
wrapper rebuilds a ``DynamicCache`` from the flat tensors inside ``forward``.

After the export the decoder is checked against PyTorch on inputs other than the traced ones (other token ids,
other shapes, a decode step): an exporter that froze data-dependent values, e.g. the expert routing of an MoE model,
gives other results there, and the export is refused.
"""

from __future__ import annotations

import dataclasses
import inspect as pyinspect
import json
import shutil
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fsutil import check_output, output_rules, staged_output
from workbench.core.jobs import Stages
from workbench.core.results import ExportResult
from workbench.core.specs import ExportSpec

TASK = "text-generation-with-past"
GENERATION_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                    "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt",
                    "added_tokens.json", "chat_template.jinja", "chat_template.json")
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


def _arg(name: str) -> str:
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

    ids = torch.arange(probe_length, dtype=torch.int64).unsqueeze(0) % max(int(_vocab(model)), 1)
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


def _vocab(model) -> int:
    config = getattr(model, "config", None)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return int(getattr(text, "vocab_size", 0) or 2)


def decoder_module(model, layers: int, with_positions: bool = True):
    """A module with flat, named tensor parameters (what the exporters need) returning (logits, *presents)."""
    import torch
    from transformers import DynamicCache

    names = ["input_ids", "attention_mask"] + (["position_ids"] if with_positions else [])
    pasts = [_arg(n) for n in past_names(layers)]
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
        axes[_arg(name)] = {0: "batch", 2: "past_sequence"}
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
        inputs[_arg(f"past_key_values.{i}.key")] = torch.randn(
            batch, layer.key_heads, past, layer.key_dim, generator=gen).to(fdtype)
        inputs[_arg(f"past_key_values.{i}.value")] = torch.randn(
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


def _output_path(spec: ExportSpec) -> Path:
    out = Path(spec.output).expanduser()
    return out if out.suffix.lower() == ".onnx" else out / "model.onnx"


def _load(spec: ExportSpec):
    from workbench.core.loading import load_model

    loaded = load_model(dataclasses.replace(spec.source, task="text-generation"), spec.dtype)
    model = getattr(loaded.module, "model", None)
    if loaded.folder is None or model is None or not hasattr(model, "generate"):
        raise WorkbenchError(f"{spec.source.path}: --task {TASK} needs a Hugging Face causal LM folder",
                             "give the model folder (config.json + weights) of a text-generation model")
    if "logits" not in loaded.output_names:
        raise WorkbenchError(f"{loaded.description} returns no logits", f"--task {TASK} needs a causal LM")
    return loaded, model


def export_decoder(spec: ExportSpec, progress=None, cancel=None) -> ExportResult:
    """Export ``spec.source`` as a decoder with past key values; the output folder also gets what generation
    needs (config.json, generation_config.json, tokenizer files). Nothing is written unless the decoder matches
    PyTorch on fresh inputs."""
    from workbench.core.export import torch_onnx
    from workbench.core.export.decoder_check import check_decoder
    from workbench.core.export.readback import check_dynamic

    final = _output_path(spec)
    torch_onnx._check_spec(dataclasses.replace(spec, output=str(final)))
    check_output(final, **output_rules(spec))  # before the work: nothing it may not replace
    if spec.input_names or spec.output_names or spec.dynamic_axes:
        raise WorkbenchError(f"--task {TASK} names its inputs, outputs and dynamic axes itself",
                             "leave out --input-names, --output-names and --dynamic")
    stages = Stages(["loading the model", "reading the cache layout", "exporting", "checking against PyTorch",
                     "copying the tokenizer and configs"], progress, cancel)
    started = time.perf_counter()
    stages.next()
    loaded, model = _load(spec)
    stages.next()
    layout = cache_layout(model)
    positions = "position_ids" in pyinspect.signature(model.forward).parameters
    module = decoder_module(model, len(layout), positions)
    batch, sequence, past = example_sizes(spec.inputs.batch, spec.inputs.sequence)
    inputs = make_inputs(layout, batch, sequence, past, _vocab(model), spec.dtype, 0, positions)
    names = (input_names(len(layout), positions), ["logits", *present_names(len(layout))])
    axes = dynamic_axes(len(layout), positions)
    exporter = spec.exporter if spec.exporter != "dynamo" else loaded.family.get("exporter", "dynamo")
    stages.next()
    with staged_output(final, **output_rules(spec)) as path:
        exporter, fallback_reason = _run_exporter(exporter, module, inputs, path, spec, names, axes)
        stages.next()
        torch_onnx._check(path)
        shapes = check_dynamic(path, {n: axes[_arg(n)] for n in names[0]},
                               {n: list(inputs[_arg(n)].shape) for n in names[0]})
        report = check_decoder(path, module, layout, _vocab(model), spec.dtype, positions, moe=is_moe(model),
                               exporter=exporter)
        _stamp(path, spec, loaded, layout, report)
        stages.next()
        copy_generation_files(Path(loaded.folder), path.parent, model)
        written = sorted(p.name for p in path.parent.iterdir())
    stages.done(f"exported a decoder with {len(layout)} cached layers")
    out_dir = final.resolve().parent
    return ExportResult(outputs=[str(out_dir / n) for n in sorted(written, key=lambda n: n != final.name)],
                        exporter=exporter, fallback_reason=fallback_reason, input_names=names[0],
                        output_names=names[1], dynamic_axes={n: {str(a): d for a, d in axes[_arg(n)].items()}
                                                              for n in names[0]},
                        example_shapes={n: list(inputs[_arg(n)].shape) for n in names[0]},
                        input_shapes=shapes[0], output_shapes=shapes[1],
                        opset=torch_onnx._opset(final.resolve()), dtype=spec.dtype,
                        family_settings=loaded.family, seconds=time.perf_counter() - started)


def _run_exporter(exporter: str, module, inputs: dict, path: Path, spec: ExportSpec, names: tuple,
                  axes: dict) -> tuple:
    """(exporter used, why dynamo fell back or None): torch_onnx's exporters, with its fallback rule."""
    from workbench.core.export import torch_onnx
    from workbench.core.export.errors import explain, export_error

    fallback_reason = None
    if exporter == "dynamo":
        try:
            torch_onnx._dynamo(module, inputs, path, spec, names, axes, True)
            return exporter, None
        except Exception as err:  # noqa: BLE001 - exporter errors come in many types
            if not spec.fallback:
                raise export_error(err, "dynamo") from err
            fallback_reason = explain(err, "dynamo")[0]
            for item in path.parent.iterdir():
                item.unlink()
    try:
        torch_onnx._legacy(module, inputs, path, spec, names, axes)
    except Exception as err:  # noqa: BLE001
        raise export_error(err, "legacy", fallback_reason) from err
    return "legacy", fallback_reason


def _stamp(path: Path, spec: ExportSpec, loaded, layout: list, report: dict) -> None:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    props = {"workbench.source": str(Path(loaded.folder).resolve()), "workbench.model_type": loaded.model_type or "",
             "workbench.dtype": spec.dtype, "workbench.kind": "text", "workbench.task": TASK,
             "workbench.cache_layout": json.dumps([dataclasses.asdict(c) for c in layout]),
             "workbench.decoder_check": json.dumps(report)}
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save_model(model, str(path))  # external data references are kept as they are


def copy_generation_files(source: Path, dest: Path, model=None) -> list:
    """Copy config, generation config and tokenizer files; write generation_config.json from the model if the
    folder has none. Returns the names written."""
    written = []
    for name in GENERATION_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, dest / name)
            written.append(name)
    generation = getattr(model, "generation_config", None)
    if "generation_config.json" not in written and generation is not None:
        generation.save_pretrained(str(dest))
        written.append("generation_config.json")
    return written
