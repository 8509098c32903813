"""Encoder-decoder models end to end: tiny random T5, BART (exported with --task text-generation-with-past),
Marian and Whisper (8 mel bins, 16 source positions) export as encoder_model.onnx + decoder_with_past_model.onnx,
validate by greedy generation against PyTorch (100% identical tokens), read their dynamic axes back; a decoder
weight scaled 1.05 fails validation with exit 1; the pre-flight understands tied and computed weights.

Each model is d_model 32, one layer, vocab 99, exported once per module (an export is 40-80 s of the dynamo
exporter on a loaded 2-core machine; validation is a few seconds).
"""

import json

import numpy as np
import onnx
import pytest

from workbench import api
from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.export.readback import check_dynamic, read_shapes
from workbench.core.export.seq2seq import DECODER_FILE, ENCODER_FILE
from workbench.core.specs import ModelSource

KINDS = ("t5", "bart", "marian", "whisper")
TASKS = {"bart": "text-generation-with-past"}  # BART through the task that used to be refused


def _build(kind: str, folder):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    small = dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                 decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64)
    if kind == "t5":
        model = tf.T5ForConditionalGeneration(tf.T5Config(
            vocab_size=99, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=4,
            decoder_start_token_id=0, pad_token_id=0, eos_token_id=1))
    elif kind == "bart":
        model = tf.BartForConditionalGeneration(tf.BartConfig(
            vocab_size=99, max_position_embeddings=64, decoder_start_token_id=2, pad_token_id=1, eos_token_id=2,
            bos_token_id=0, **small))
    elif kind == "marian":
        model = tf.MarianMTModel(tf.MarianConfig(vocab_size=99, max_position_embeddings=64, decoder_start_token_id=98,
                                                 pad_token_id=98, eos_token_id=0, **small))
    else:
        model = tf.WhisperForConditionalGeneration(tf.WhisperConfig(
            vocab_size=99, num_mel_bins=8, max_source_positions=16, max_target_positions=32,
            decoder_start_token_id=0, pad_token_id=1, eos_token_id=2, bos_token_id=0, begin_suppress_tokens=None,
            suppress_tokens=None, **small))
    model.config.architectures = [type(model).__name__]
    model.eval().save_pretrained(str(folder))
    if kind == "whisper":  # 1 s chunks at 16 kHz, hop 500: 32 frames = 2 x max_source_positions
        tf.WhisperFeatureExtractor(feature_size=8, sampling_rate=16000, hop_length=500,
                                   chunk_length=1).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory):
    """seq2seq(kind) -> (source folder, export folder, ExportResult), exported once per module."""
    cache: dict = {}
    root = tmp_path_factory.mktemp("seq2seq")

    def get(kind: str):
        if kind not in cache:
            src = _build(kind, root / "src" / kind)
            out = root / "out" / kind
            result = api.export(ModelSource(str(src), task=TASKS.get(kind)), str(out))
            cache[kind] = (src, out, result)
        return cache[kind]

    return get


@pytest.mark.parametrize("kind", KINDS)
def test_export_writes_encoder_and_decoder_with_dynamic_axes(seq2seq, kind):
    src, out, result = seq2seq(kind)
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert {ENCODER_FILE, DECODER_FILE, "config.json", "generation_config.json"} <= set(names), names
    assert [p.rsplit("/", 1)[-1] for p in result.outputs[:2]] == [ENCODER_FILE, DECODER_FILE]
    enc_in, enc_out = read_shapes(out / ENCODER_FILE)
    dec_in, dec_out = read_shapes(out / DECODER_FILE)
    assert enc_out["present.0.encoder.key"][0] == "batch"
    assert dec_in["decoder_input_ids"] == ["batch", "decoder_sequence"]
    assert dec_in["past_key_values.0.decoder.key"][:3] == ["batch", 4, "past_decoder_sequence"]
    assert dec_out["logits"][:2] == ["batch", "decoder_sequence"] and dec_out["logits"][2] == 99
    assert dec_out["present.0.decoder.value"][2] != "past_decoder_sequence"  # past + new tokens
    if kind == "whisper":  # the encoder refuses any other length: static source, said so
        assert enc_in["input_features"] == ["batch", 8, 32]
        assert dec_in["encoder_hidden_states"] == ["batch", 16, 32]
        assert "encoder_attention_mask" not in dec_in
        assert any("static" in n for n in result.notes)
    else:
        assert enc_in["input_ids"] == ["batch", "encoder_sequence"]
        assert enc_in["attention_mask"] == ["batch", "encoder_sequence"]
        assert dec_in["encoder_attention_mask"] == ["batch", "encoder_sequence"]
        assert dec_in["past_key_values.0.encoder.key"][2] == "encoder_sequence"
    assert any("100% identical tokens" in n for n in result.notes), result.notes


@pytest.mark.parametrize("kind", KINDS)
def test_validate_generates_the_same_tokens_as_pytorch(seq2seq, kind, capsys):
    src, out, _ = seq2seq(kind)
    assert main(["validate", str(out), "--against", str(src), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] and data["ok"]
    generation = next(r["generation"] for r in data["runs"] if "generation" in r)
    assert generation["agreement"] == 1.0 and generation["tokens"] == 24
    assert generation["onnx_tokens"] == generation["torch_tokens"]
    assert len(generation["steps"]) == 8 and all(s["max_abs_diff"] < 1e-3 for s in generation["steps"])
    encoder_shapes = [r["shape"] for r in data["runs"] if "generation" not in r]
    assert len({tuple(s) for s in encoder_shapes}) >= 2  # two source shapes (Whisper: two batch sizes)
    if kind != "whisper":
        assert len({s[1] for s in encoder_shapes}) >= 2  # two source lengths


def _scale_largest(path, dest, factor=1.05):
    """Write ``path`` to ``dest`` with its largest float initializer scaled by ``factor``."""
    from onnx import numpy_helper

    model = onnx.load(str(path))
    init = max((t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT),
               key=lambda t: int(np.prod(t.dims)))
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * np.float32(factor), init.name))
    onnx.save_model(model, str(dest), save_as_external_data=True, location=dest.name + ".data")
    return init.name


@pytest.mark.parametrize("kind", ("bart", "whisper"))
def test_a_perturbed_decoder_fails_validation(seq2seq, kind, tmp_path, capsys):
    import shutil

    src, out, _ = seq2seq(kind)
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    for name in (DECODER_FILE, f"{DECODER_FILE}.data"):
        (bad / name).unlink()
    _scale_largest(out / DECODER_FILE, bad / DECODER_FILE)
    assert main(["validate", str(bad), "--against", str(src)]) == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.out
    assert "differ" in captured.err.splitlines()[-1]
    # the untouched export still passes (the failure is the weight, not the comparison)
    assert api.validate(str(out), against=str(src)).passed


def test_a_static_dimension_asked_dynamic_is_an_error(seq2seq):
    _, out, _ = seq2seq("whisper")
    with pytest.raises(WorkbenchError, match="input_features:2=frames"):
        check_dynamic(out / ENCODER_FILE, {"input_features": {0: "batch", 2: "frames"}},
                      {"input_features": [2, 8, 32]})


def test_output_named_like_one_file_is_refused_before_any_work(seq2seq, tmp_path):
    src, _, _ = seq2seq("t5")
    with pytest.raises(WorkbenchError, match="give -o a folder"):
        api.export(str(src), str(tmp_path / "model.onnx"))
    assert not (tmp_path / "model.onnx").exists()


def test_a_model_that_cannot_step_fails_in_one_line_naming_the_code(seq2seq, tmp_path, monkeypatch):
    import transformers as tf

    src, _, _ = seq2seq("t5")

    def broken(self, *args, **kwargs):
        raise TypeError("unsupported cache layout")

    monkeypatch.setattr(tf.T5ForConditionalGeneration, "forward", broken)
    with pytest.raises(WorkbenchError) as err:
        api.export(str(src), str(tmp_path / "out"))
    line = str(err.value)
    assert "T5ForConditionalGeneration failed while" in line and "TypeError" in line and "in broken" in line
    assert "\n" not in line and "report it" not in line
    assert not (tmp_path / "out").exists()


def test_preflight_understands_tied_and_computed_weights(seq2seq, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    for kind, needed in (("marian", "model.shared.weight"), ("t5", "shared.weight")):
        src, _, _ = seq2seq(kind) if kind == "t5" else (_build(kind, tmp_path / kind), None, None)
        assert api.inspect(str(src)).problems == []  # tied embeddings, Marian's sinusoidal positions
        broken = tmp_path / f"{kind}-broken"
        shutil.copytree(src, broken)
        tensors = load_file(str(broken / "model.safetensors"))
        del tensors[needed]  # the one stored side of the tie
        save_file(tensors, str(broken / "model.safetensors"), metadata={"format": "pt"})
        problems = api.inspect(str(broken)).problems
        assert any(needed in p and "not in the checkpoint" in p for p in problems), problems


def test_an_export_that_differs_from_pytorch_writes_nothing(seq2seq, tmp_path, monkeypatch):
    from workbench.core.export import seq2seq_check

    src, _, _ = seq2seq("whisper")
    real = seq2seq_check.compare_export

    def scaled(folder, *args, **kwargs):  # the staged decoder with a weight x1.05, as a broken exporter would
        decoder = folder / DECODER_FILE
        _scale_largest(decoder, decoder)
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(seq2seq_check, "compare_export", scaled)
    with pytest.raises(WorkbenchError, match="differ"):
        api.export(str(src), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir()]  # no staging folder left either
