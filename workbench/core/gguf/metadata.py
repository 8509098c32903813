"""What llama.cpp needs beyond tensor names, from config.json (convert_hf_to_gguf.py's set_gguf_parameters)."""

from __future__ import annotations

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
    pooling = folder / "1_Pooling" / "config.json"
    mode = json.loads(pooling.read_text()) if pooling.is_file() else {}
    writer.add_pooling_type(gguf.PoolingType.CLS if mode.get("pooling_mode_cls_token") else gguf.PoolingType.MEAN)


def write_hparams(writer: gguf.GGUFWriter, config: dict, name: str, folder=None) -> None:
    writer.add_name(name)
    if config.get("model_type") == "bert":
        return _bert(writer, config, folder)
    if config.get("model_type") == "gpt2":
        return _gpt2(writer, config)
    writer.add_context_length(int(config.get("max_position_embeddings", 2048)))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    heads = int(config["num_attention_heads"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    head_dim = config.get("head_dim") or int(config["hidden_size"]) // heads
    writer.add_key_length(int(head_dim))
    writer.add_value_length(int(head_dim))
    writer.add_rope_dimension_count(int(head_dim))
    writer.add_rope_freq_base(float(config.get("rope_theta", 10000.0)))
    scaling = config.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear" and "factor" in scaling:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
    elif kind == "yarn" and "factor" in scaling:
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
        if "original_max_position_embeddings" in scaling:
            writer.add_rope_scaling_orig_ctx_len(int(scaling["original_max_position_embeddings"]))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(int(config["vocab_size"]))
