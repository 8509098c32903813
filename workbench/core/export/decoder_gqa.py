"""A Llama-family decoder written straight into ONNX Runtime's fused operators, for fast decoding on CUDA.

The field's way (onnxruntime-genai's model builder does the same; it is not a dependency here, so the graph is
written with ``onnx.helper`` from the PyTorch weights):

* attention is ``com.microsoft::GroupQueryAttention`` on a packed QKV projection, rotary inside the operator
  (``do_rotary``, cos/sin caches as initializers), positions taken from ``seqlens_k``;
* the KV cache is one fixed-size buffer per layer, ``(batch, kv_heads, max_length, head_size)``, bound both as
  ``past_key_values.{i}.key`` and as ``present.{i}.key`` (ORT shares the buffer: no cache copy per token);
* RMSNorm as ``SimplifiedLayerNormalization`` / ``com.microsoft::SkipSimplifiedLayerNormalization`` (residual
  add fused), gate and up projections packed into one MatMul;
* only the last position goes through the final norm and the LM head; ``next_token`` (greedy ArgMax) comes out
  beside ``logits`` so a greedy loop copies 8 bytes per sequence to the host.

Inputs: ``input_ids`` (B, S) int64, ``seqlens_k`` (B,) int32 = tokens in the cache after this step - 1,
``total_sequence_length`` () int32, and the cache buffers. Supported: Llama, Mistral, Qwen2 (q/k/v bias), Phi-3
(packed qkv_proj and gate_up_proj) and Gemma (scaled embeddings, RMSNorm times 1 + w, tanh-GELU gate) shapes:
RMSNorm, rotate-half rotary over the whole head with the default rope, a gated MLP; anything else is refused in
one line. A sliding window caps the KV buffer at the window, so no position ever falls outside it.
"""

from __future__ import annotations

import numpy as np

from workbench.core.errors import WorkbenchError

FAMILIES = ("llama", "mistral", "qwen2", "phi3", "gemma")
ACTIVATIONS = {"silu": "silu", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu_tanh"}  # HF Gemma maps gelu to tanh


def _check(cfg) -> None:
    kind = getattr(cfg, "model_type", "")
    if kind not in FAMILIES:
        raise WorkbenchError(f"the GroupQueryAttention decoder supports {', '.join(FAMILIES)}, not '{kind}'",
                             "export it with --task text-generation-with-past instead")
    rope = getattr(cfg, "rope_scaling", None) or {}
    if rope and rope.get("rope_type", rope.get("type", "default")) != "default":
        raise WorkbenchError(f"rope scaling '{rope.get('rope_type')}' is not written into the GQA decoder",
                             "export it with --task text-generation-with-past instead")
    act = _activation(cfg)
    if act not in ACTIVATIONS or (act == "gelu" and kind != "gemma"):
        raise WorkbenchError(f"activation '{act}' is not supported by the GQA decoder",
                             "export it with --task text-generation-with-past instead")
    partial = (getattr(cfg, "partial_rotary_factor", None) or (getattr(cfg, "rope_parameters", None) or {}).get(
        "partial_rotary_factor") or 1.0)
    if float(partial) != 1.0:
        raise WorkbenchError(f"partial rotary (factor {partial}) is not written into the GQA decoder",
                             "export it with --task text-generation-with-past instead")


def refusal(cfg) -> "str | None":
    """Why the GQA decoder cannot be written for ``cfg`` (one line), or None when it can."""
    try:
        _check(cfg)
    except WorkbenchError as err:
        return err.what
    head = layout(cfg)["head_size"]
    return f"head size {head} is not a multiple of 16" if head % 16 else None


def _activation(cfg) -> str:
    return getattr(cfg, "hidden_activation", None) or getattr(cfg, "hidden_act", "silu")


def window_cap(cfg, max_length: int) -> int:
    """``max_length`` capped at the model's sliding window (HF: a query sees the last ``window`` keys), so the
    decoder never needs a window mask; None or a disabled window leaves it."""
    window = getattr(cfg, "sliding_window", None)
    if not window or getattr(cfg, "use_sliding_window", True) is False:
        return max_length
    return min(max_length, int(window))


def _rope_caches(cfg, head: int, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    theta = float(getattr(cfg, "rope_theta", None) or (getattr(cfg, "rope_parameters", None) or {}).get(
        "rope_theta", 10000.0))
    inv = 1.0 / theta ** (np.arange(0, head, 2, dtype=np.float64) / head)
    freqs = np.outer(np.arange(max_length, dtype=np.float64), inv)
    return np.cos(freqs), np.sin(freqs)


def layout(cfg) -> dict:
    heads = cfg.num_attention_heads
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    head = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    return {"layers": cfg.num_hidden_layers, "heads": heads, "kv_heads": kv, "head_size": head,
            "vocab": cfg.vocab_size, "hidden": cfg.hidden_size}


def build(model, max_length: int, dtype: str = "float16"):
    """The ONNX ModelProto of ``model`` (a transformers *ForCausalLM, weights read from it) with a KV buffer of
    ``max_length`` positions; ``dtype`` float16 (CUDA) or float32 (CPU)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg = model.config
    _check(cfg)
    max_length = window_cap(cfg, max_length)
    L = layout(cfg)
    gemma = cfg.model_type == "gemma"
    if L["head_size"] % 16:
        raise WorkbenchError(f"head size {L['head_size']} is not a multiple of 16, which ONNX Runtime's "
                             "GroupQueryAttention needs", "export it with --task text-generation-with-past instead")
    np_t = np.float16 if dtype == "float16" else np.float32
    onnx_t = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.FLOAT
    eps = float(getattr(cfg, "rms_norm_eps", 1e-6))
    sd = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    inits, nodes = [], []

    def norm_w(key):  # Gemma's RMSNorm scales by 1 + w
        return sd[key] + 1.0 if gemma else sd[key]

    def init(name, arr, t=None):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr.astype(t or np_t)), name))
        return name

    def node(op, ins, outs, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=f"{op}_{len(nodes)}", domain=domain, **attrs))
        return outs[0]

    cos, sin = _rope_caches(cfg, L["head_size"], max_length)
    init("cos_cache", cos), init("sin_cache", sin)
    emb = sd["model.embed_tokens.weight"]
    init("embed_tokens", emb)
    x = node("Gather", ["embed_tokens", "input_ids"], ["embedded"])
    scale = float(getattr(model.model.embed_tokens, "scalar_embed_scale", 1.0))  # Gemma: sqrt(hidden)
    if scale != 1.0:
        x = node("Mul", [x, init("embed_scale", np.array(scale))], ["embedded_scaled"])
    residual = None
    B, kvh, hd = "batch", L["kv_heads"], L["head_size"]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [B, "sequence"]),
              helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [B]),
              helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, [])]
    outputs = []
    for i in range(L["layers"]):
        p = f"model.layers.{i}."
        ln1 = init(f"ln1_{i}", norm_w(p + "input_layernorm.weight"))
        if residual is None:
            h = node("SimplifiedLayerNormalization", [x, ln1], [f"n1_{i}"], axis=-1, epsilon=eps)
            residual = x
        else:
            h = node("SkipSimplifiedLayerNormalization", [x, residual, ln1], [f"n1_{i}", "", "", f"r1_{i}"],
                     domain="com.microsoft", epsilon=eps)
            residual = f"r1_{i}"
        w = (sd[p + "self_attn.qkv_proj.weight"] if p + "self_attn.qkv_proj.weight" in sd else  # Phi-3: packed
             np.concatenate([sd[p + f"self_attn.{n}_proj.weight"] for n in "qkv"], 0)).T
        qkv = node("MatMul", [h, init(f"qkv_w_{i}", w)], [f"qkv_{i}"])
        if p + "self_attn.q_proj.bias" in sd:
            b = np.concatenate([sd[p + f"self_attn.{n}_proj.bias"] for n in "qkv"])
            qkv = node("Add", [qkv, init(f"qkv_b_{i}", b)], [f"qkvb_{i}"])
        pk, pv, ok, ov = (f"past_key_values.{i}.key", f"past_key_values.{i}.value", f"present.{i}.key",
                          f"present.{i}.value")
        for n in (pk, pv):
            inputs.append(helper.make_tensor_value_info(n, onnx_t, [B, kvh, "max_length", hd]))
        for n in (ok, ov):
            outputs.append(helper.make_tensor_value_info(n, onnx_t, [B, kvh, "max_length", hd]))
        att = node("GroupQueryAttention", [qkv, "", "", pk, pv, "seqlens_k", "total_sequence_length",
                                           "cos_cache", "sin_cache"], [f"att_{i}", ok, ov], domain="com.microsoft",
                   num_heads=L["heads"], kv_num_heads=kvh, do_rotary=1, rotary_interleaved=0,
                   scale=float(hd) ** -0.5)
        o = node("MatMul", [att, init(f"o_w_{i}", sd[p + "self_attn.o_proj.weight"].T)], [f"o_{i}"])
        ln2 = init(f"ln2_{i}", norm_w(p + "post_attention_layernorm.weight"))
        h = node("SkipSimplifiedLayerNormalization", [o, residual, ln2], [f"n2_{i}", "", "", f"r2_{i}"],
                 domain="com.microsoft", epsilon=eps)
        residual = f"r2_{i}"
        gu = (sd[p + "mlp.gate_up_proj.weight"] if p + "mlp.gate_up_proj.weight" in sd else  # Phi-3: gate, up
              np.concatenate([sd[p + "mlp.gate_proj.weight"], sd[p + "mlp.up_proj.weight"]], 0)).T
        g = node("MatMul", [h, init(f"gu_w_{i}", gu)], [f"gu_{i}"])
        gate, up = f"g_{i}", f"u_{i}"
        node("Split", [g], [gate, up], axis=-1, num_outputs=2)
        if ACTIVATIONS[_activation(cfg)] == "gelu_tanh":  # FastGelu: the tanh GELU, on CPU and CUDA
            act = node("FastGelu", [gate], [f"gelu_{i}"], domain="com.microsoft")
        else:
            act = node("Mul", [gate, node("Sigmoid", [gate], [f"sg_{i}"])], [f"silu_{i}"])
        m = node("Mul", [act, up], [f"gm_{i}"])
        x = node("MatMul", [m, init(f"down_w_{i}", sd[p + "mlp.down_proj.weight"].T)], [f"down_{i}"])
    # the last position only: its residual sum, the final norm and the LM head
    init("last_start", np.array([-1]), np.int64), init("last_end", np.array([2 ** 62]), np.int64)
    init("axis1", np.array([1]), np.int64)
    xl = node("Slice", [x, "last_start", "last_end", "axis1"], ["x_last"])
    rl = node("Slice", [residual, "last_start", "last_end", "axis1"], ["r_last"])
    fn = init("final_norm", norm_w("model.norm.weight"))
    h = node("SkipSimplifiedLayerNormalization", [xl, rl, fn], ["n_final"], domain="com.microsoft", epsilon=eps)
    head = sd.get("lm_head.weight", emb)
    node("MatMul", [h, init("lm_head_w", head.T)], ["logits"])
    node("ArgMax", ["logits"], ["next_token"], axis=-1, keepdims=0)
    outputs = [helper.make_tensor_value_info("logits", onnx_t, [B, 1, L["vocab"]]),
               helper.make_tensor_value_info("next_token", TensorProto.INT64, [B, 1])] + outputs
    graph = helper.make_graph(nodes, "gqa_decoder", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="workbench.decoder_gqa")
    m.ir_version = 10
    meta = {"workbench.decoder": "gqa", "workbench.max_length": str(max_length), **{f"workbench.{k}": str(v)
                                                                                      for k, v in L.items()}}
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    return m
