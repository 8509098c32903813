"""What llama.cpp needs beyond tensor names, from config.json (convert_hf_to_gguf.py's set_gguf_parameters of the
TextModel base and of the Gemma, Phi3 and DeepseekV2 classes)."""

from __future__ import annotations

import math

import gguf


def _gpt2(writer: gguf.GGUFWriter, config: dict) -> None:
    """GPT-2's names (n_embd, n_layer...) and LayerNorm with biases (convert_hf_to_gguf.py GPT2Model)."""
    writer.add_context_length(int(config.get("n_ctx") or config["n_positions"]))
    writer.add_embedding_length(int(config["n_embd"]))
    writer.add_block_count(int(config["n_layer"]))
    writer.add_feed_forward_length(int(config.get("n_inner") or 4 * config["n_embd"]))
    writer.add_head_count(int(config["n_head"]))
    writer.add_layer_norm_eps(float(config.get("layer_norm_epsilon", 1e-5)))
    writer.add_vocab_size(int(config["vocab_size"]))


def _bert(writer: gguf.GGUFWriter, config: dict, folder) -> None:
    """An embedding model: not causal, pooled as sentence-transformers' 1_Pooling/config.json says (else mean)."""
    import json

    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
    writer.add_causal_attention(False)
    writer.add_vocab_size(int(config["vocab_size"]))
    writer.add_token_type_count(int(config.get("type_vocab_size", 2)))  # llama.cpp refuses a BERT without it
    pooling = folder / "1_Pooling" / "config.json"
    mode = json.loads(pooling.read_text()) if pooling.is_file() else {}
    writer.add_pooling_type(gguf.PoolingType.CLS if mode.get("pooling_mode_cls_token") else gguf.PoolingType.MEAN)


def rope(config: dict) -> dict:
    """transformers 5 writes rope_parameters (rope_theta inside); older configs rope_theta + rope_scaling."""
    params = dict(config.get("rope_scaling") or {})
    params.update(config.get("rope_parameters") or {})
    params.setdefault("rope_theta", config.get("rope_theta", 10000.0))
    if "original_max_position_embeddings" in config:
        params.setdefault("original_max_position_embeddings", config["original_max_position_embeddings"])
    return params


def _rope(writer: gguf.GGUFWriter, params: dict) -> None:
    writer.add_rope_freq_base(float(params["rope_theta"]))
    kind, factor = params.get("rope_type", params.get("type")), params.get("factor")
    if kind == "linear" and factor:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(factor))
    elif kind == "yarn" and factor:
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(float(factor))
        if "original_max_position_embeddings" in params:
            writer.add_rope_scaling_orig_ctx_len(int(params["original_max_position_embeddings"]))
    elif kind in ("su", "longrope"):
        writer.add_rope_scaling_type(gguf.RopeScalingType.LONGROPE)


def _decoder(writer: gguf.GGUFWriter, config: dict) -> tuple:
    writer.add_context_length(int(config.get("max_position_embeddings", 2048)))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    heads = int(config["num_attention_heads"])
    writer.add_head_count(heads)
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(int(config["vocab_size"]))
    params = rope(config)
    _rope(writer, params)
    return heads, head_dim, params


def _deepseek2(writer: gguf.GGUFWriter, config: dict) -> None:
    """MLA as MQA with one wide kv head (DeepseekV2Model.set_gguf_parameters), MoE routing and its gating."""
    rank, rope_dim = int(config["kv_lora_rank"]), int(config["qk_rope_head_dim"])
    writer.add_head_count_kv(1)
    writer.add_key_length(rank + rope_dim)
    writer.add_value_length(rank)
    writer.add_key_length_mla(int(config["qk_nope_head_dim"]) + rope_dim)
    writer.add_value_length_mla(int(config["v_head_dim"]))
    writer.add_kv_lora_rank(rank)
    if config.get("q_lora_rank") is not None:
        writer.add_q_lora_rank(int(config["q_lora_rank"]))
    writer.add_rope_dimension_count(rope_dim)
    moe = config.get("n_routed_experts") is not None
    dense = config.get("first_k_dense_replace")
    writer.add_leading_dense_block_count(int(dense if dense is not None else (0 if moe else config["num_hidden_layers"])))
    writer.add_expert_feed_forward_length(int(config.get("moe_intermediate_size") or config["intermediate_size"]))
    if moe:
        writer.add_expert_count(int(config["n_routed_experts"]))
        writer.add_expert_used_count(int(config["num_experts_per_tok"]))
    writer.add_expert_shared_count(int(config.get("n_shared_experts") or 0))
    if config.get("routed_scaling_factor") is not None:
        writer.add_expert_weights_scale(float(config["routed_scaling_factor"]))
    if config.get("norm_topk_prob"):
        writer.add_expert_weights_norm(True)
    for key, add in (("n_group", writer.add_expert_group_count), ("topk_group", writer.add_expert_group_used_count)):
        if config.get(key) is not None:
            add(int(config[key]))
    # transformers' DeepseekV3 router is sigmoid whatever config says; V2's is config's scoring_func (softmax)
    func = "sigmoid" if config["model_type"] == "deepseek_v3" else config.get("scoring_func", "softmax")
    writer.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID if func == "sigmoid"
                                  else gguf.ExpertGatingFuncType.SOFTMAX)
    mscale = rope(config).get("mscale_all_dim")
    if mscale is not None:  # convert_hf_to_gguf.py's legacy 0.1 * mscale_all_dim
        writer.add_rope_scaling_yarn_log_mul(0.1 * float(mscale))


def _phi3(writer: gguf.GGUFWriter, config: dict, heads: int, params: dict) -> None:
    """Partial rotary, the original context of LongRoPE and its attention factor (Phi3MiniModel)."""
    n_embd = int(config["hidden_size"])
    rope_dims = int(float(params.get("partial_rotary_factor", 1.0)) * n_embd) // heads
    writer.add_rope_dimension_count(rope_dims)
    orig = int(params.get("original_max_position_embeddings", config.get("max_position_embeddings", 4096)))
    writer.add_rope_scaling_orig_ctx_len(orig)
    writer.add_sliding_window(int(config.get("sliding_window") or 0))
    if params.get("long_factor"):
        scale = int(config["max_position_embeddings"]) / orig
        factor = math.sqrt(1 + math.log(scale) / math.log(orig)) if scale > 1.0 else 1.0
        writer.add_rope_scaling_attn_factors(factor)


def write_hparams(writer: gguf.GGUFWriter, config: dict, name: str, folder=None) -> None:
    writer.add_name(name)
    model_type = config.get("model_type")
    if model_type == "bert":
        return _bert(writer, config, folder)
    if model_type == "gpt2":
        return _gpt2(writer, config)
    heads, head_dim, params = _decoder(writer, config)
    if model_type in ("deepseek_v2", "deepseek_v3"):
        return _deepseek2(writer, config)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    if model_type == "phi3":
        return _phi3(writer, config, heads, params)
    writer.add_rope_dimension_count(head_dim)
