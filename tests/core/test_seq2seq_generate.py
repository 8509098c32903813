"""Generation over encoder-decoder exports (core/seq2seq_generate.py): tiny random T5 and BART (d_model 32, one
layer, vocab 99, from tests/core/test_seq2seq.py's builder), exported once per module with the legacy exporter
(the dynamo one takes 40-80 s here). Greedy tokens match transformers' generate; a source padded in a batch keeps
its tokens; bench --generate reports encoder_ms; a decoder weight x1.05 makes --compare-torch fail with exit 1;
a text prompt goes through the folder's tokenizer.json; a Whisper export is refused in one line.
"""

import json
import shutil

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.export.seq2seq import DECODER_FILE
from workbench.core.specs import ModelSource

from tests.core.test_seq2seq import _build

PROMPT = [5, 17, 42, 8, 63, 21, 1]


def _bart(folder):
    """A BART whose greedy tokens depend on the source: random init at std 0.5, untied output projection (the
    shared tiny one at std 0.02 repeats its start token whatever the source); EOS 98 (rare) so runs go long."""
    import torch
    import transformers as tf

    torch.manual_seed(0)
    model = tf.BartForConditionalGeneration(tf.BartConfig(
        vocab_size=99, max_position_embeddings=64, decoder_start_token_id=2, pad_token_id=1, eos_token_id=98,
        forced_eos_token_id=None, bos_token_id=0, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        init_std=0.5, tie_word_embeddings=False))
    model.config.architectures = [type(model).__name__]
    model.eval().save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def s2s(tmp_path_factory):
    cache: dict = {}
    root = tmp_path_factory.mktemp("s2sgen")

    def get(kind: str):
        if kind not in cache:
            src = (_bart if kind == "bart" else lambda f: _build(kind, f))(root / "src" / kind)
            out = root / "out" / kind
            api.export(ModelSource(str(src)), str(out), exporter="legacy")
            cache[kind] = (src, out)
        return cache[kind]

    return get


def _hf_generate(src, ids, n):
    import torch
    from transformers import AutoModelForSeq2SeqLM, GenerationConfig

    model = AutoModelForSeq2SeqLM.from_pretrained(str(src)).eval()
    # transformers merges the model's generation_config into this one (its EOS would stop early): EOS ids 97 and 98,
    # which these prompts never produce, lets every step run, as stop_at_eos=False does in the workbench
    config = GenerationConfig(max_new_tokens=n, do_sample=False, num_beams=1, eos_token_id=[97, 98],
                              decoder_start_token_id=model.config.decoder_start_token_id,
                              pad_token_id=model.config.pad_token_id)
    with torch.inference_mode():
        out = model.generate(input_ids=torch.tensor([ids]), generation_config=config)
    assert out.shape[1] == n + 1, "EOS 97/98 was generated: pick another prompt"
    return out[0, 1:].tolist()


@pytest.mark.parametrize("kind", ["t5", "bart"])
def test_greedy_tokens_match_transformers_generate(s2s, kind):
    src, out = s2s(kind)
    result = api.generate(str(out), PROMPT, 10, stop_at_eos=False, compare_torch=str(src))
    assert result.tokens == _hf_generate(src, PROMPT, 10)
    assert len(result.tokens) == 10 and result.encoder_ms > 0 and result.ttft_ms >= result.encoder_ms
    assert result.agreement["rate"] == 1.0 and result.outcome() == (True, None)


def test_compare_torch_cli_greedy_and_sampled(s2s, capsys):
    src, out = s2s("bart")
    assert main(["generate", str(out), "--prompt-ids", ",".join(map(str, PROMPT)), "--max-new-tokens", "6",
                 "--compare-torch", str(src), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agreement"]["rate"] == 1.0 and data["agreement"]["first_divergence"] is None
    a, b = (api.generate(str(out), PROMPT, 8, temperature=1.5, top_k=20, seed=s, stop_at_eos=False)
            for s in (3, 3))
    assert a.tokens == b.tokens and len(a.tokens) == 8  # sampling is seeded


def test_padded_batch_rows_generate_as_alone(s2s):
    """A shorter source padded in a batch (bench's case) gives the tokens it gives alone: BART has absolute
    positions, so the left-padded rows of generate.stream are packed to the right before encoding."""
    from workbench.core.generate_decoders import folder_settings
    from workbench.core.seq2seq_generate import open_decoder
    from workbench.core.generate import Sampling, run_steps

    src, out = s2s("bart")
    decoder, folder = open_decoder(str(out))
    settings = folder_settings(folder)
    short = PROMPT[2:]
    batch = run_steps(decoder, [PROMPT, short], 6, Sampling(), settings, stop_at_eos=False)["rows"]
    alone = run_steps(decoder, [short], 6, Sampling(), settings, stop_at_eos=False)["rows"]
    assert batch[1] == alone[0] == _hf_generate(src, short, 6)


def test_perturbed_decoder_fails_compare_torch(s2s, tmp_path, capsys):
    src, out = s2s("t5")
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    model = onnx.load(str(bad / DECODER_FILE))
    big = max(model.graph.initializer, key=lambda t: np.prod(t.dims) if t.data_type == 1 else 0)
    big.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(big) * np.float32(3.0) + np.float32(0.5), big.name))
    onnx.save(model, str(bad / DECODER_FILE))
    code = main(["generate", str(bad), "--prompt-ids", ",".join(map(str, PROMPT)), "--max-new-tokens", "8",
                 "--compare-torch", str(src), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and "greedy tokens differ from PyTorch" in captured.err
    assert json.loads(captured.out)["agreement"]["rate"] < 1.0


def test_bench_generate_reports_encoder_time(s2s):
    src, out = s2s("t5")
    result = api.bench_generate([str(out)], str(src), prompt_tokens=6, max_new_tokens=4, batch=2, repeats=1,
                                isolated=False)
    rows = result.rows
    assert {(r.runtime, r.batch) for r in rows} == {("pytorch", 1), ("pytorch", 2), ("onnxruntime", 1),
                                                   ("onnxruntime", 2)}
    for row in rows:
        assert row.encoder_ms > 0 and row.ttft_ms > row.encoder_ms and row.decode_ms["p50"] > 0
        assert row.tokens_per_s > 0 and row.new_tokens == 4
    assert all(r.agreement["rate"] == 1.0 for r in rows if r.runtime == "onnxruntime")
    assert "encoder_ms" in rows[0].to_dict()
    from workbench.core.render import render_text

    assert "encoder ms" in render_text(result).splitlines()[1]


def test_bench_cli_isolated_json(s2s, capsys):
    """The default path: each variant in its own process, JSON as the decoder-only result plus encoder_ms."""
    src, out = s2s("bart")
    assert main(["bench", str(out), "--generate", "--seq", "5", "--max-new-tokens", "3", "--batch", "2",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["runtime"], r["batch"]) for r in rows] == [("onnxruntime", 1), ("onnxruntime", 2)]
    assert all(r["encoder_ms"] > 0 and r["tokens_per_s"] > 0 and r["ttft_ms"] > r["encoder_ms"] for r in rows)


def test_text_prompt_uses_the_export_folders_tokenizer(s2s, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    src, out = s2s("t5")
    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>"] + [f"w{i}" for i in range(96)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    folder = tmp_path / "with_tok"
    shutil.copytree(out, folder)
    tok.save(str(folder / "tokenizer.json"))
    result = api.generate(str(folder), "w5 w17 w42", 5, stop_at_eos=False)
    assert result.prompt_tokens == 3
    assert result.tokens == _hf_generate(src, [vocab["w5"], vocab["w17"], vocab["w42"]], 5)
    assert result.text == tok.decode(result.tokens, skip_special_tokens=True)


def test_decoder_only_folder_still_generates(tiny_models):
    """The dispatch leaves decoder-only folders on their own path (PyTorch here: no export needed)."""
    result = api.generate(str(tiny_models("llama")), [1, 2, 3], 3, stop_at_eos=False)
    assert len(result.tokens) == 3 and result.encoder_ms is None and result.runtime == "pytorch"


def test_speech_export_refused_in_one_line(tmp_path):
    src = _build("whisper", tmp_path / "src")
    out = tmp_path / "out"
    api.export(ModelSource(str(src)), str(out), exporter="legacy")
    with pytest.raises(WorkbenchError, match="speech model.*input_features"):
        api.generate(str(out), [1, 2, 3], 3)


def test_compare_torch_ignores_the_models_search_rules(s2s, tmp_path):
    """A generation_config with beams, n-gram and length rules and a forced first token (as summarisation models
    ship) does not leak into the greedy reference: the comparison is plain greedy against plain greedy."""
    from transformers import GenerationConfig

    src, out = s2s("bart")
    ruled = tmp_path / "ruled"
    shutil.copytree(src, ruled)
    GenerationConfig(decoder_start_token_id=2, eos_token_id=98, pad_token_id=1, num_beams=4, no_repeat_ngram_size=2,
                     forced_bos_token_id=5, min_length=12, repetition_penalty=2.0,
                     length_penalty=2.0).save_pretrained(str(ruled))
    result = api.generate(str(out), PROMPT, 10, compare_torch=str(ruled))
    assert result.agreement["rate"] == 1.0, (result.tokens, result.agreement["torch_tokens"])
    assert result.agreement["torch_tokens"][0] != 5 or result.tokens[0] == 5
