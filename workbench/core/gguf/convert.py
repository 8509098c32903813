"""Stream a Hugging Face folder (safetensors, sharded or not) into one .gguf: tensor infos first, then each tensor's
data read, converted and written one at a time (memory near the largest tensor). Quantization by gguf.quants."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.gguf import metadata, tensor_map, tokenizer

QUANTS = {"f32": gguf.GGMLQuantizationType.F32, "f16": gguf.GGMLQuantizationType.F16,
          "bf16": gguf.GGMLQuantizationType.BF16, "q8_0": gguf.GGMLQuantizationType.Q8_0,
          "q4_0": gguf.GGMLQuantizationType.Q4_0, "q4_1": gguf.GGMLQuantizationType.Q4_1,
          "q5_0": gguf.GGMLQuantizationType.Q5_0, "q5_1": gguf.GGMLQuantizationType.Q5_1}
FILE_TYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
              "bf16": gguf.LlamaFileType.MOSTLY_BF16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
              "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
              "q5_0": gguf.LlamaFileType.MOSTLY_Q5_0, "q5_1": gguf.LlamaFileType.MOSTLY_Q5_1}


def _weight_files(folder: Path) -> dict:
    """{tensor name: safetensors file}, through model.safetensors.index.json for shards."""
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


def _read(file: Path, name: str) -> np.ndarray:
    from safetensors import safe_open

    with safe_open(str(file), "pt") as f:  # "pt": numpy has no bf16
        return f.get_tensor(name).float().numpy()


def _target_type(name: str, shape: tuple, quant) -> "gguf.GGMLQuantizationType":
    """1-D tensors (norms, biases) stay F32; a row not divisible by the quant block falls back to F16 (as llama.cpp)."""
    if len(shape) < 2:
        return gguf.GGMLQuantizationType.F32
    block = gguf.GGML_QUANT_SIZES[quant][0]
    if shape[-1] % block:
        return gguf.GGMLQuantizationType.F16
    return quant


def _encode(data: np.ndarray, qtype) -> np.ndarray:
    if qtype == gguf.GGMLQuantizationType.F32:
        return data.astype(np.float32)
    if qtype == gguf.GGMLQuantizationType.F16:
        return data.astype(np.float16)
    return gguf.quants.quantize(data.astype(np.float32), qtype)


def convert(folder: Path, out: Path, quant: str = "f16", cancel=None) -> dict:
    """Write ``out``; returns {"arch", "tensors", "notes"}."""
    folder = Path(folder)
    if quant not in QUANTS:
        raise WorkbenchError(f"quant type '{quant}' is not written by this converter",
                             f"use one of: {', '.join(QUANTS)}")
    config = json.loads((folder / "config.json").read_text())
    arch, permute_qk = tensor_map.architecture(config)
    blocks = int(config.get("num_hidden_layers") or config["n_layer"])
    tmap = tensor_map.name_map(arch, blocks)
    files = _weight_files(folder)
    heads = int(config.get("num_attention_heads") or config["n_head"])
    kv_heads = int(config.get("num_key_value_heads") or heads)

    plan = []  # (hf name, gguf name, shape, qtype)
    for hf_name in files:
        if hf_name.endswith(tensor_map.SKIP) or hf_name.startswith(tensor_map.SKIP_PREFIXES):
            continue  # rotary frequencies are recomputed by llama.cpp; GPT-2's mask buffers are not weights
        from safetensors import safe_open
        with safe_open(str(files[hf_name]), "pt") as f:
            shape = tuple(f.get_slice(hf_name).get_shape())
        if hf_name.endswith(tensor_map.CONV1D):
            shape = shape[::-1]
        plan.append((hf_name, tensor_map.gguf_name(tmap, hf_name), shape, _target_type(hf_name, shape, QUANTS[quant])))
    # a tied output (no lm_head in the file) is left out: llama.cpp then reuses token_embd.weight

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    metadata.write_hparams(writer, config, folder.name, folder)
    writer.add_file_type(FILE_TYPES[quant])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    notes = [n for n in [tokenizer.write_vocab(writer, folder, int(config["vocab_size"]))] if n]
    if config.get("model_type") == "gpt2":
        notes.append("GPT-2: Conv1D weights transposed to (out, in)")
    for _, name, shape, qtype in plan:
        byte_shape = gguf.quant_shape_to_byte_shape(shape, qtype) if qtype not in (
            gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16) else shape
        itemsize = {gguf.GGMLQuantizationType.F32: 4, gguf.GGMLQuantizationType.F16: 2}.get(qtype, 1)
        dtype = {gguf.GGMLQuantizationType.F32: np.float32, gguf.GGMLQuantizationType.F16: np.float16}.get(
            qtype, np.uint8)
        writer.add_tensor_info(name, byte_shape, np.dtype(dtype), int(np.prod(byte_shape)) * itemsize, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for hf_name, name, _, qtype in plan:
        if cancel is not None and cancel():
            writer.close()
            raise WorkbenchError("GGUF conversion cancelled", "run it again")
        data = _read(files[hf_name], hf_name)
        if hf_name.endswith(tensor_map.CONV1D):
            data = np.ascontiguousarray(data.T)
        if permute_qk and name.endswith(("attn_q.weight", "attn_k.weight")):
            data = tensor_map.permute(data, heads, kv_heads if name.endswith("attn_k.weight") else heads)
        writer.write_tensor_data(_encode(data, qtype))
    writer.close()
    return {"arch": gguf.MODEL_ARCH_NAMES[arch], "tensors": len(plan), "notes": notes}
