"""The GroupQueryAttention decoder (core/export/decoder_gqa.py + core/runtimes/ort_gqa.py) on the CPU: greedy tokens
equal PyTorch's for Llama, Mistral, Qwen2 (q/k/v bias), Phi-3 (packed qkv_proj / gate_up_proj) and Gemma (scaled
embeddings, 1 + w norms, tanh GELU), the KV buffer really is shared (ORT writes the cache
into the bound buffer), ``optimize --target cuda`` on a decoder export writes it, and the refusals."""

import numpy as np
import onnx
import pytest
import torch
import transformers as tf

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.export.decoder_gqa import build
from workbench.core.runtimes.ort_gqa import GQADecoder, GQAGenerate, is_gqa
from workbench.core.specs import ModelSource

COMMON = dict(vocab_size=128, hidden_size=64, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64)


def _model(kind):
    torch.manual_seed(0)
    cls = {"llama": (tf.LlamaConfig, tf.LlamaForCausalLM), "mistral": (tf.MistralConfig, tf.MistralForCausalLM),
           "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM), "phi3": (tf.Phi3Config, tf.Phi3ForCausalLM),
           "gemma": (tf.GemmaConfig, tf.GemmaForCausalLM)}[kind]
    extra = {"head_dim": 32} if kind == "gemma" else {"pad_token_id": 0} if kind == "phi3" else {}  # Gemma: head_dim set
    model = cls[1](cls[0](**COMMON, **extra)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if kind == "qwen2" and name.endswith("proj.bias"):  # real q/k/v biases (random init leaves them 0)
                p.normal_(0, 0.5)
            if kind == "gemma" and name.endswith("norm.weight"):  # Gemma's norms start at w = 0 (scale 1 + w)
                p.normal_(0, 0.5)
    model.generation_config.eos_token_id = None
    return model


def _greedy(model, prompts, n):
    ids = torch.tensor(prompts)
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False,
                             pad_token_id=0)
    return out[:, prompts.shape[1]:].numpy()


@pytest.mark.parametrize("kind", ["llama", "mistral", "qwen2", "phi3", "gemma"])
def test_gqa_decoder_greedy_equals_pytorch(kind, tmp_path):
    model = _model(kind)
    path = tmp_path / "gqa.onnx"
    onnx.save(build(model, 48, "float32"), str(path))
    prompts = np.random.RandomState(1).randint(0, 128, (3, 9))
    decoder = GQADecoder(path, "cpu")
    got = decoder.generate(prompts, 16)
    np.testing.assert_array_equal(got, _greedy(model, prompts, 16))
    # the cache is the bound buffer: layer 0's values for the prompt equal PyTorch's (values carry no rotary)
    decoder.prefill(prompts)
    with torch.no_grad():
        past = model(torch.tensor(prompts), use_cache=True).past_key_values
    want = past.layers[0].values.numpy() if hasattr(past, "layers") else past[0][1].numpy()
    np.testing.assert_allclose(decoder.cache[1].numpy()[:, :, :9], want, atol=1e-5)


def test_gqa_decoder_refusals(tmp_path):
    gpt2 = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=64, n_embd=16, n_layer=1, n_head=2, n_positions=32))
    with pytest.raises(WorkbenchError, match="supports llama, mistral, qwen2, phi3, gemma, not 'gpt2'"):
        build(gpt2, 32)
    partial = tf.Phi3ForCausalLM(tf.Phi3Config(**COMMON, partial_rotary_factor=0.5, pad_token_id=0))
    with pytest.raises(WorkbenchError, match=r"partial rotary \(factor 0.5\)"):
        build(partial, 32)
    gelu_llama = tf.LlamaForCausalLM(tf.LlamaConfig(**COMMON, hidden_act="gelu"))
    with pytest.raises(WorkbenchError, match="activation 'gelu' is not supported"):
        build(gelu_llama, 32)
    path = tmp_path / "gqa.onnx"
    onnx.save(build(_model("llama"), 16, "float32"), str(path))
    decoder = GQADecoder(path, "cpu")
    with pytest.raises(WorkbenchError, match="does not fit the decoder's 16-position KV buffer"):
        decoder.prefill(np.zeros((1, 16), np.int64))
    decoder.prefill(np.zeros((1, 14), np.int64))
    decoder.step(np.zeros(1, np.int64))  # positions 14 and 15: the buffer's last two
    decoder.step(np.zeros(1, np.int64))
    with pytest.raises(WorkbenchError, match="holds 16 positions"):
        decoder.step(np.zeros(1, np.int64))
    other = tmp_path / "plain.onnx"
    m = onnx.helper.make_model(onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])], "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])]))
    onnx.save(m, str(other))
    with pytest.raises(WorkbenchError, match="not a GroupQueryAttention decoder"):
        GQADecoder(other, "cpu")


def test_optimize_cuda_on_a_decoder_export_writes_the_gqa_decoder(tmp_path):
    model = _model("llama")
    model.config.architectures = ["LlamaForCausalLM"]
    src = tmp_path / "src"
    model.save_pretrained(str(src))
    api.export(ModelSource(str(src), task="text-generation-with-past"), str(tmp_path / "dec"))
    out = tmp_path / "cuda" / "model.onnx"
    result = api.optimize(str(tmp_path / "dec" / "model.onnx"), str(out), target="cuda")
    assert result.op_counts_after.get("GroupQueryAttention") == 2
    assert "matches PyTorch" in result.steps[0]["detail"]
    assert (out.parent / "config.json").is_file()
    # the fp16 file runs on the CPU too and decodes like PyTorch for the first tokens at least
    got = GQADecoder(out, "cpu").generate(np.array([[5, 6, 7, 8]]), 4)
    assert got.shape == (1, 4)
    assert got[0, 0] == _greedy(model, np.array([[5, 6, 7, 8]]), 1)[0, 0]
    # workbench generate and bench --generate run it through the GQA path (also for --provider cuda without CUDA)
    gen = api.generate(str(out), [5, 6, 7, 8], 4, provider="cuda", stop_at_eos=False)
    # (the first token only: this random model's fp16 logits tie exactly at the second step)
    assert gen.tokens[0] == got[0, 0] and len(gen.tokens) == 4 and gen.provider == "cpu"
    bench = api.bench_generate([str(out)], prompt_tokens=6, max_new_tokens=3, batch=2, repeats=1)
    # (the generic OrtDecoder cannot run this graph: it has no attention_mask or position_ids inputs)
    assert [r.batch for r in bench.rows] == [1, 2] and all(r.decode_ms["p50"] > 0 for r in bench.rows)
    with pytest.raises(WorkbenchError, match="prompts of one length"):  # left-padded prompts are refused
        GQAGenerate(out).prefill(np.array([[5, 6, 7], [0, 5, 6]]), np.array([[1, 1, 1], [0, 1, 1]]))
    # float16 outputs are the generic preset's choice: refused for the GQA decoder, nothing written
    refused = tmp_path / "fp16out" / "model.onnx"
    with pytest.raises(WorkbenchError, match="not a choice of the GroupQueryAttention decoder"):
        api.optimize(str(tmp_path / "dec" / "model.onnx"), str(refused), target="cuda", fp16_outputs=True)
    assert not refused.exists()
    # --no-fusion keeps the generic preset (no GQA)
    plain = api.optimize(str(tmp_path / "dec" / "model.onnx"), str(tmp_path / "plain.onnx"), target="cuda",
                         fusion=False)
    assert "GroupQueryAttention" not in plain.op_counts_after


def test_gqa_decoder_refuses_head_sizes_gqa_cannot_run():
    cfg = tf.LlamaConfig(**{**COMMON, "hidden_size": 32})  # head size 8
    with pytest.raises(WorkbenchError, match="head size 8 is not a multiple of 16"):
        build(tf.LlamaForCausalLM(cfg), 16)


def test_gqa_decoder_caps_its_buffer_at_the_sliding_window(tmp_path):
    """A query must never see a key outside the window: the buffer holds at most the window's positions."""
    model = tf.MistralForCausalLM(tf.MistralConfig(**{**COMMON, "sliding_window": 24})).eval()
    meta = {p.key: p.value for p in build(model, 48, "float32").metadata_props}
    assert meta["workbench.max_length"] == "24"
    no_window = tf.MistralForCausalLM(tf.MistralConfig(**{**COMMON, "sliding_window": None})).eval()
    assert {p.key: p.value for p in build(no_window, 48, "float32").metadata_props}["workbench.max_length"] == "48"


def test_greedy_stream_takes_the_graphs_next_token_not_the_logits(tmp_path, monkeypatch):
    """generate's loop on a GQA decoder reads next_token (no logits copy) and picks what argmax would."""
    from workbench.core.runtimes.decoding import Sampling, stream

    model = _model("qwen2")
    path = tmp_path / "gqa.onnx"
    onnx.save(build(model, 48, "float32"), str(path))
    prompts = [[3, 9, 27, 81], [5, 1, 7, 2]]
    fast = GQAGenerate(path)
    read = []
    monkeypatch.setattr(fast, "_logits", lambda: read.append(1))
    got = [s.tokens for s in stream(fast, prompts, 12, Sampling(), stop_at_eos=False)]
    assert not read  # the logits were never read
    class LogitsOnly:  # the same decoder seen without its own argmax: logits -> numpy's argmax
        def __init__(self, inner):
            self.prefill, self.step = inner.prefill, inner.step

    want = [s.tokens for s in stream(LogitsOnly(GQAGenerate(path)), prompts, 12, Sampling(), stop_at_eos=False)]
    assert got == want
    assert np.array(got).T.tolist() == _greedy(model, np.array(prompts), 12).tolist()
    sampled = [s.tokens for s in stream(GQAGenerate(path), prompts, 6, Sampling(temperature=0.7, seed=3),
                                        stop_at_eos=False)]
    assert len(sampled) == 6  # sampling still goes through the logits


def test_optimize_cuda_falls_back_to_the_generic_preset_where_the_gqa_decoder_cannot_be_written(tmp_path):
    """A covered family with a rope the GQA decoder does not write (Llama 3's scaled rope) still optimizes:
    the generic CUDA preset runs, and its first step says why the fast decoder was not written."""
    torch.manual_seed(0)
    rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 32, "rope_theta": 10000.0}
    model = tf.LlamaForCausalLM(tf.LlamaConfig(**COMMON, rope_scaling=rope)).eval()
    model.config.architectures = ["LlamaForCausalLM"]
    src = tmp_path / "src"
    model.save_pretrained(str(src))
    api.export(ModelSource(str(src), task="text-generation-with-past"), str(tmp_path / "dec"))
    result = api.optimize(str(tmp_path / "dec" / "model.onnx"), str(tmp_path / "cuda" / "model.onnx"),
                          target="cuda")
    first = result.steps[0]
    assert first["name"] == "GroupQueryAttention decoder" and not first["applied"]
    assert "rope scaling 'llama3' is not written into the GQA decoder" in first["detail"]
    assert not is_gqa(result.output)
    assert any(s["name"] == "fp16" and s["applied"] for s in result.steps)
