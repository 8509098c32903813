"""HF tensor names -> GGUF names through gguf-py's TensorNameMap; the architecture from config.json's model_type.
The q/k permutation undoes HF's rotary layout for llama.cpp (as convert_hf_to_gguf.py's LlamaModel.permute)."""

from __future__ import annotations

import gguf
import numpy as np

from workbench.core.errors import WorkbenchError

# model_type -> (llama.cpp architecture, permute q/k for rotary)
ARCHES = {
    "llama": (gguf.MODEL_ARCH.LLAMA, True),
    "mistral": (gguf.MODEL_ARCH.LLAMA, True),
    "qwen2": (gguf.MODEL_ARCH.QWEN2, False),
    "qwen3": (gguf.MODEL_ARCH.QWEN3, False),
    "gpt2": (gguf.MODEL_ARCH.GPT2, False),
    "bert": (gguf.MODEL_ARCH.BERT, False),
}
# GPT-2 stores Linear layers as Conv1D (in, out): llama.cpp wants (out, in); its causal-mask buffers are not weights
CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
SKIP = ("rotary_emb.inv_freq", ".attn.bias", ".attn.masked_bias", "position_ids")
SKIP_PREFIXES = ("pooler.", "bert.pooler.", "cls.")  # BERT: llama.cpp pools itself (pooling_type); no MLM head


def architecture(config: dict):
    model_type = config.get("model_type", "?")
    if model_type not in ARCHES:
        raise WorkbenchError(f"model_type '{model_type}' has no GGUF conversion here",
                             f"convert one of: {', '.join(sorted(ARCHES))}, or use llama.cpp's convert_hf_to_gguf.py")
    return ARCHES[model_type]


def name_map(arch, blocks: int):
    return gguf.get_tensor_name_map(arch, blocks)


def gguf_name(tmap, hf_name: str) -> str:
    name = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
    if name is None:
        raise WorkbenchError(f"tensor '{hf_name}' has no llama.cpp counterpart",
                             "remove it from the checkpoint or report the architecture")
    return name


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """HF's rotate-half q/k rows -> llama.cpp's interleaved pairs (convert_hf_to_gguf.py LlamaModel.permute)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))
