"""HF tensor names -> GGUF names through gguf-py's TensorNameMap; the architecture from config.json's model_type.

What llama.cpp needs beyond a renaming is data here, one entry per model_type (as convert_hf_to_gguf.py's model
classes do it in code): ``permute_qk`` undoes HF's rotate-half q/k layout (LlamaModel.permute), ``norm_plus_one``
stores Gemma's (1 + w) RMSNorm weights, ``tied`` drops an lm_head llama.cpp rebuilds from token_embd, ``experts``
stacks per-expert MoE weights into one (n_expert, out, in) tensor, ``mla`` splits DeepSeek's kv_b_proj into the
k_b / v_b pair llama.cpp's absorbed MLA wants (DeepseekV2Model.modify_tensors)."""

from __future__ import annotations

import gguf
import numpy as np

from workbench.core.errors import WorkbenchError

ARCHES = {
    "llama": dict(arch=gguf.MODEL_ARCH.LLAMA, permute_qk=True),
    "mistral": dict(arch=gguf.MODEL_ARCH.LLAMA, permute_qk=True),
    "qwen2": dict(arch=gguf.MODEL_ARCH.QWEN2),
    "qwen3": dict(arch=gguf.MODEL_ARCH.QWEN3),
    "gemma": dict(arch=gguf.MODEL_ARCH.GEMMA, norm_plus_one=True, tied=True),  # llama.cpp scales embeddings itself
    "phi3": dict(arch=gguf.MODEL_ARCH.PHI3),  # fused qkv_proj / gate_up_proj map 1:1 (attn_qkv, ffn_up)
    "deepseek_v3": dict(arch=gguf.MODEL_ARCH.DEEPSEEK2, experts=True, mla=True),
    "deepseek_v2": dict(arch=gguf.MODEL_ARCH.DEEPSEEK2, experts=True, mla=True),
    "gpt2": dict(arch=gguf.MODEL_ARCH.GPT2),
    "bert": dict(arch=gguf.MODEL_ARCH.BERT),
}
# GPT-2 stores Linear layers as Conv1D (in, out): llama.cpp wants (out, in); its causal-mask buffers are not weights
CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
SKIP = ("rotary_emb.inv_freq", ".attn.bias", ".attn.masked_bias", "position_ids")
SKIP_PREFIXES = ("pooler.", "bert.pooler.", "cls.")  # BERT: llama.cpp pools itself (pooling_type); no MLM head
EXPERT_PARTS = ("gate_proj", "up_proj", "down_proj")


def architecture(config: dict) -> dict:
    model_type = config.get("model_type", "?")
    if model_type not in ARCHES:
        raise WorkbenchError(f"model_type '{model_type}' has no GGUF conversion here",
                             f"convert one of: {', '.join(sorted(ARCHES))}, or use llama.cpp's convert_hf_to_gguf.py")
    return dict(ARCHES[model_type], model_type=model_type)


def name_map(arch, blocks: int):
    return gguf.get_tensor_name_map(arch, blocks)


def gguf_name(tmap, hf_name: str) -> str:
    name = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
    if name is None and hf_name.endswith("e_score_correction_bias"):  # DeepSeek-V3's router bias: exp_probs_b.bias
        name = tmap.get_name(hf_name[:-len("_bias")] + ".bias", try_suffixes=(".weight", ".bias"))
    if name is None:
        raise WorkbenchError(f"tensor '{hf_name}' has no llama.cpp counterpart",
                             "remove it from the checkpoint, or convert it with llama.cpp's convert_hf_to_gguf.py")
    return name


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """HF's rotate-half q/k rows -> llama.cpp's interleaved pairs (convert_hf_to_gguf.py LlamaModel.permute)."""
    return weights[permutation(weights.shape[0], n_head, n_head_kv)]


def permutation(rows: int, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """The row order of ``permute`` as indices; it only moves rows inside one head, so heads can be read apart."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return np.arange(rows).reshape(n_head, 2, rows // n_head // 2).swapaxes(1, 2).reshape(rows)
