"""Hugging Face folders: the pre-flight problems list, and offline loading of a tiny Llama."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from workbench.api import inspect
from workbench.core.errors import WorkbenchError
from workbench.core.loading import load_model
from workbench.core.specs import ModelSource


@pytest.fixture(autouse=True)
def _loaders_only(loaders_only):
    return loaders_only


def _tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def llama_dirs(tmp_path_factory):
    """One tiny Llama saved twice: as a single model.safetensors and as a sharded checkpoint."""
    model = _tiny_llama()
    root = tmp_path_factory.mktemp("hf")
    model.save_pretrained(root / "single")
    model.save_pretrained(root / "sharded", max_shard_size="40KB")
    return {"single": root / "single", "sharded": root / "sharded",
            "parameters": sum(p.numel() for p in model.parameters())}


@pytest.fixture
def folder(llama_dirs, tmp_path):
    """A private copy of the single-file folder, free to damage."""
    return Path(shutil.copytree(llama_dirs["single"], tmp_path / "model"))


def _only_tokenizer_problem(info):
    assert info.problems == [], info.problems
    assert len(info.notes) == 1, info.notes
    assert "tokenizer" in info.notes[0] and "only for text calibration and generation" in info.notes[0]


def test_clean_folder_has_only_the_tokenizer_problem(llama_dirs):
    info = inspect(str(llama_dirs["single"]))
    assert info.format == "hf-folder"
    assert info.config["model_type"] == "llama"
    assert info.config["architectures"] == ["LlamaForCausalLM"]
    _only_tokenizer_problem(info)
    assert info.parameters == llama_dirs["parameters"]
    assert info.bytes_by_dtype == {"float32": 4 * llama_dirs["parameters"]}
    assert any(t.name == "model.embed_tokens.weight" and t.shape == [128, 32] for t in info.tensors)
    assert any(f.endswith("config.json") for f in info.files)


def test_tokenizer_present_means_no_problems(folder):
    (folder / "tokenizer_config.json").write_text("{}")
    assert inspect(str(folder)).problems == []


def test_sharded_folder(llama_dirs):
    assert (llama_dirs["sharded"] / "model.safetensors.index.json").exists()
    info = inspect(str(llama_dirs["sharded"]))
    _only_tokenizer_problem(info)
    assert info.parameters == llama_dirs["parameters"]


def test_missing_shard_is_a_plain_words_problem(llama_dirs, tmp_path):
    folder = Path(shutil.copytree(llama_dirs["sharded"], tmp_path / "sharded"))
    shards = sorted(folder.glob("model-*.safetensors"))
    assert len(shards) >= 2
    shards[-1].unlink()
    info = inspect(str(folder))
    missing = [p for p in info.problems if "missing" in p]
    assert len(missing) == 1 and shards[-1].name in missing[0]


def test_broken_config_is_a_problem_not_an_exception(folder):
    (folder / "config.json").write_text('{"model_type": "llama",,}')
    info = inspect(str(folder))
    assert info.config == {}
    assert any("config.json is not valid JSON" in p for p in info.problems)
    assert info.parameters > 0  # the weights are still reported


def test_config_without_model_type_or_architectures(folder):
    config = json.loads((folder / "config.json").read_text())
    del config["model_type"], config["architectures"]
    (folder / "config.json").write_text(json.dumps(config))
    info = inspect(str(folder))
    assert any("no model_type" in p for p in info.problems)
    assert any("no architectures" in p for p in info.notes)


def test_unknown_model_type(folder):
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "llama-from-the-future"
    (folder / "config.json").write_text(json.dumps(config))
    assert any("unknown to this transformers version" in p for p in inspect(str(folder)).problems)


def test_no_weights(folder):
    (folder / "model.safetensors").unlink()
    info = inspect(str(folder))
    assert any("no weights file" in p for p in info.problems)
    assert info.parameters is None


def test_dtype_mismatch(folder):
    config = json.loads((folder / "config.json").read_text())
    config["dtype"] = "bfloat16"
    config.pop("torch_dtype", None)
    (folder / "config.json").write_text(json.dumps(config))
    assert any("bfloat16" in p and "float32" in p for p in inspect(str(folder)).notes)


def test_corrupt_weights_are_a_problem(folder):
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    info = inspect(str(folder))
    assert any("not a valid safetensors file" in p for p in info.problems)


def test_pytorch_bin_folder(folder):
    from safetensors.torch import load_file

    state = load_file(str(folder / "model.safetensors"))
    (folder / "model.safetensors").unlink()
    torch.save(state, folder / "pytorch_model.bin")
    info = inspect(str(folder))
    _only_tokenizer_problem(info)
    assert info.parameters == sum(t.numel() for t in state.values())


def test_load_and_run(llama_dirs):
    loaded = load_model(ModelSource(str(llama_dirs["single"])))
    assert loaded.kind == "text" and loaded.model_type == "llama"
    outputs = loaded.run(loaded.make_inputs(batch=2, sequence=5))
    assert outputs["logits"].shape == (2, 5, 128)


def test_load_through_the_weights_file(llama_dirs):
    """A .safetensors file inside a Hugging Face folder builds the folder's model."""
    loaded = load_model(ModelSource(str(llama_dirs["sharded"] / "model.safetensors.index.json")))
    assert loaded.run(loaded.make_inputs(batch=1, sequence=3))["logits"].shape == (1, 3, 128)


def test_load_broken_config_is_a_workbench_error(folder):
    (folder / "config.json").write_text("not json")
    with pytest.raises(WorkbenchError, match="config.json"):
        load_model(ModelSource(str(folder)))


def _bart(folder):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    config = tf.BartConfig(vocab_size=128, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                           decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
                           max_position_embeddings=64, tie_word_embeddings=True)
    model = tf.BartForConditionalGeneration(config).eval()
    model.config.architectures = ["BartForConditionalGeneration"]
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def test_tied_lm_head_is_not_reported_missing(tmp_path):
    from safetensors import safe_open

    from workbench import api
    from workbench.core.loading.hf_folder import load_hf_model

    folder = _bart(tmp_path / "bart")
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        assert "lm_head.weight" not in set(f.keys())  # tied to model.shared: stored once
    info = api.inspect(str(folder))
    assert info.problems == [], info.problems
    assert not any("lm_head" in n for n in info.notes)
    loaded = load_hf_model(folder)  # the load-time check (missing keys) does not refuse it either
    assert "logits" in loaded.output_names


def test_config_wider_than_the_weights_is_a_problem_naming_the_tensor(tiny_models, tmp_path):
    import json
    import shutil

    from workbench import api

    folder = tmp_path / "llama"
    shutil.copytree(tiny_models("llama"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["num_hidden_layers"] = 3  # one layer more than the weights hold
    (folder / "config.json").write_text(json.dumps(config))
    info = api.inspect(str(folder))
    assert info.outcome()[0] is False
    assert any("model.layers.2." in p and "not in the checkpoint" in p for p in info.problems), info.problems


def test_config_asking_for_a_million_layers_is_refused_without_building_it(tiny_models, tmp_path):
    import json
    import shutil
    import time

    from workbench import api

    folder = tmp_path / "llama"
    shutil.copytree(tiny_models("llama"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["num_hidden_layers"] = 1_000_000
    (folder / "config.json").write_text(json.dumps(config))
    started = time.perf_counter()
    info = api.inspect(str(folder))
    assert time.perf_counter() - started < 30
    assert any("1000000 layers" in p and "holds 2" in p for p in info.problems), info.problems
