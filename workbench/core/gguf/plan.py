"""Which GGUF tensors a Hugging Face checkpoint becomes, each with its numpy shape and a list of row-chunk loaders.

Nothing is read until a loader runs: ``convert`` writes tensor infos from the plan, then calls each tensor's loaders
one at a time, so memory stays near one chunk (a few MB), not one tensor. Rows can be split freely because every
GGUF quant block lies inside one row. The per-architecture steps (tensor_map.ARCHES) are those of llama.cpp's
convert_hf_to_gguf.py: q/k permutation, Gemma's norm + 1, MoE expert stacking, DeepSeek's kv_b split."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.gguf import tensor_map

CHUNK_ELEMENTS = 1 << 21  # 8 MB of float32 per chunk


@dataclass
class Item:
    name: str  # GGUF name
    shape: tuple  # numpy order (rows..., columns)
    chunks: list = field(default_factory=list)  # [() -> float32 array of whole rows], in order
    hf: str = ""


class Reader:
    """Row slices of safetensors tensors (any shard), as float32: safetensors "pt" because numpy has no bf16."""

    def __init__(self, files: dict):
        self.files = files

    def shape(self, name: str) -> tuple:
        from safetensors import safe_open

        with safe_open(str(self.files[name]), "pt") as f:
            return tuple(f.get_slice(name).get_shape())

    def rows(self, name: str, start: int, stop: int, transpose: bool = False) -> np.ndarray:
        from safetensors import safe_open

        with safe_open(str(self.files[name]), "pt") as f:
            part = f.get_slice(name)
            if transpose:  # Conv1D (in, out): rows of the (out, in) result are columns here
                return np.ascontiguousarray(part[:, start:stop].float().numpy().T)
            return part[start:stop].float().numpy()

    def whole(self, name: str) -> np.ndarray:
        shape = self.shape(name)
        return self.rows(name, 0, shape[0]) if shape else self.rows(name, 0, 1)


def _row_chunks(rows: int, cols: int, step_rows: int = 1) -> list:
    """[(start, stop)] covering ``rows`` in pieces of about CHUNK_ELEMENTS, each a multiple of ``step_rows``."""
    per = max(step_rows, (CHUNK_ELEMENTS // max(cols, 1)) // step_rows * step_rows)
    return [(a, min(a + per, rows)) for a in range(0, rows, per)]


def _plain(reader: Reader, hf: str, shape: tuple, opts: dict, config: dict, name: str) -> Item:
    transpose = hf.endswith(tensor_map.CONV1D)
    if transpose:
        shape = shape[::-1]
    plus_one = opts.get("norm_plus_one") and hf.endswith("norm.weight")
    if len(shape) < 2:
        def load(hf=hf):
            data = reader.whole(hf).reshape(shape)
            return data + 1.0 if plus_one else data  # Gemma's RMSNorm computes x * (1 + w)
        return Item(name, shape, [load], hf)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    perm, step = None, 1
    if opts.get("permute_qk") and name.endswith(("attn_q.weight", "attn_k.weight")):
        heads = int(config["num_attention_heads"])
        kv = int(config.get("num_key_value_heads") or heads)
        n = kv if name.endswith("attn_k.weight") else heads
        perm, step = tensor_map.permutation(rows, n, n), rows // n  # a chunk holds whole heads

    def load(a, b):
        data = reader.rows(hf, a, b, transpose)
        return data if perm is None else data[perm[a:b] - a]
    return Item(name, shape, [lambda a=a, b=b: load(a, b) for a, b in _row_chunks(rows, cols, step)], hf)


def _experts(reader: Reader, tmap, layer: int, part: str, n_expert: int) -> Item:
    """llama.cpp's ffn_{gate,up,down}_exps: the experts' (out, in) weights stacked as (n_expert, out, in)."""
    names = [f"model.layers.{layer}.mlp.experts.{e}.{part}.weight" for e in range(n_expert)]
    missing = [n for n in names if n not in reader.files]
    if missing:
        raise WorkbenchError(f"MoE layer {layer} lacks {missing[0]}", "convert a complete checkpoint (all shards)")
    out, cols = reader.shape(names[0])
    chunks = [lambda n=n, a=a, b=b: reader.rows(n, a, b) for n in names for a, b in _row_chunks(out, cols)]
    name = tensor_map.gguf_name(tmap, f"model.layers.{layer}.mlp.experts.{part}.weight")
    return Item(name, (n_expert, out, cols), chunks, names[0])


def _kv_b(reader: Reader, tmap, hf: str, config: dict) -> list:
    """DeepSeek MLA: kv_b_proj (heads * (nope + v), rank) -> k_b (heads, rank, nope) and v_b (heads, v, rank)."""
    heads, nope, v = (int(config[k]) for k in ("num_attention_heads", "qk_nope_head_dim", "v_head_dim"))
    rank = reader.shape(hf)[1]

    def split(which):
        kv_b = reader.whole(hf).reshape(heads, nope + v, rank)
        return np.ascontiguousarray(kv_b[:, :nope].transpose(0, 2, 1) if which == "k" else kv_b[:, nope:])
    return [Item(tensor_map.gguf_name(tmap, hf.replace("kv_b_proj", "k_b_proj")), (heads, rank, nope),
                 [lambda: split("k")], hf),
            Item(tensor_map.gguf_name(tmap, hf.replace("kv_b_proj", "v_b_proj")), (heads, v, rank),
                 [lambda: split("v")], hf)]


def plan(files: dict, config: dict, opts: dict, tmap, blocks: int) -> list:
    """[Item] in checkpoint order; experts are stacked where the first expert of a layer appears."""
    reader, items, done = Reader(files), [], set()
    expert_re = re.compile(r"model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.(\w+)\.weight$")
    for hf in files:
        if hf.endswith(tensor_map.SKIP) or hf.startswith(tensor_map.SKIP_PREFIXES):
            continue  # rotary frequencies are recomputed by llama.cpp; GPT-2's mask buffers are not weights
        layer = re.match(r"model\.layers\.(\d+)\.", hf)
        if layer and int(layer.group(1)) >= blocks:
            continue  # DeepSeek-V3's multi-token-prediction layers: llama.cpp does not run them
        if opts.get("tied") and hf == "lm_head.weight":
            continue  # llama.cpp reuses token_embd.weight
        if opts.get("experts") and (m := expert_re.match(hf)):
            key = (int(m.group(1)), m.group(3))
            if key not in done:
                done.add(key)
                items.append(_experts(reader, tmap, key[0], key[1], int(config["n_routed_experts"])))
            continue
        if opts.get("mla") and hf.endswith("kv_b_proj.weight"):
            items.extend(_kv_b(reader, tmap, hf, config))
            continue
        items.append(_plain(reader, hf, reader.shape(hf), opts, config, tensor_map.gguf_name(tmap, hf)))
    return items + _extra(config, opts)


def _extra(config: dict, opts: dict) -> list:
    """Tensors written from config.json: Phi-3 LongRoPE's per-dimension factors (Phi3MiniModel)."""
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if opts["model_type"] != "phi3" or not rope.get("long_factor"):
        return []
    out = []
    for key, name in (("long_factor", "rope_factors_long.weight"), ("short_factor", "rope_factors_short.weight")):
        values = np.asarray(rope[key], dtype=np.float32)
        out.append(Item(name, values.shape, [lambda v=values: v], key))
    return out


def weight_files(folder: Path) -> dict:
    """{tensor name: safetensors file}, through model.safetensors.index.json for shards."""
    import json

    from safetensors import safe_open

    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return {k: folder / v for k, v in json.loads(index.read_text())["weight_map"].items()}
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise WorkbenchError(f"'{folder}' has no .safetensors weights", "save the model with save_pretrained()")
    out = {}
    for file in files:
        with safe_open(str(file), "np") as f:
            out.update({k: file for k in f.keys()})
    return out

