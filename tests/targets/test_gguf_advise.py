"""`workbench advise SRC [--device] [--memory GB]`: the pick follows the measured table (workbench/core/gguf/measured.py,
replaced here by a small one so the rules are what is tested), the budget and the model's own size; bad input is one
line. No llama.cpp needed."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")

from workbench.cli import main  # noqa: E402
from workbench.core.errors import WorkbenchError  # noqa: E402
from workbench.core.gguf import advise as advise_mod, measured  # noqa: E402

TABLE = {"f16": {"bits_per_weight": 16.0, "tokens_per_s": 2.0, "fidelity": {"encoder": 0.99999, "decoder": 1.0}},
         "q8_0": {"bits_per_weight": 8.5, "tokens_per_s": 4.0, "fidelity": {"encoder": 0.9995, "decoder": 0.98}},
         "q4_k_m": {"bits_per_weight": 5.0, "tokens_per_s": 6.0, "fidelity": {"encoder": 0.989, "decoder": 0.70}},
         "q4_0": {"bits_per_weight": 4.5, "tokens_per_s": 7.0, "fidelity": {"encoder": 0.955, "decoder": None}}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=1000, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    out = tmp_path_factory.mktemp("advise") / "llama"
    transformers.LlamaForCausalLM(config).save_pretrained(str(out))
    return out


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setattr(measured, "GGUF", TABLE)
    monkeypatch.setattr(measured, "RUNTIME_OVERHEAD_BYTES", 1_000_000)
    monkeypatch.setattr(measured, "CPU_ROUTE", "gguf")


def test_facts_come_from_the_model(folder):
    facts = advise_mod.model_facts(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder))
    assert facts["parameters"] == sum(p.numel() for p in model.parameters())
    assert facts["kind"] == "decoder" and facts["context"] == 256
    assert facts["kv_bytes_per_token"] == 2 * 2 * (2 * 32) * 2  # layers x (k+v) x kv_heads x head_dim x f16


def test_pick_is_the_fastest_lossless_type_that_fits(folder, table):
    params = advise_mod.model_facts(folder)["parameters"]
    kv = 2 * 2 * 64 * 2 * 256
    roomy = advise_mod.advise(folder, memory_gb=1.0)
    assert roomy["pick"]["quant"] == "q8_0"  # faster than f16, both lossless; q4_k_m is faster but lossy
    assert [r["quant"] for r in roomy["types"]] == ["f16", "q8_0", "q4_k_m"]  # q4_0: no decoder fidelity measured
    assert roomy["pick"]["need_bytes"] == int(params * 8.5 / 8 + kv + 1_000_000)
    text = str(roomy)
    assert "--quant q8_0" in text and "why: the fastest measured type that is practically lossless" in text
    # a budget between q4_k_m's and q8_0's footprint: no lossless type fits, the best that does
    tight = (params * 5.0 / 8 + kv + 1_000_000 + params * 8.5 / 8 + kv + 1_000_000) / 2 / 1e9
    small = advise_mod.advise(folder, memory_gb=tight)
    assert small["pick"]["quant"] == "q4_k_m" and "no practically lossless type fits" in small["why"]
    none = advise_mod.advise(folder, memory_gb=1e-4)
    assert none["pick"] is None and none.outcome()[0] is False and "nothing fits" in str(none)


def test_the_cli_prints_the_advice_and_exits_1_when_nothing_fits(folder, table, capsys):
    assert main(["advise", str(folder), "--memory", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pick"]["quant"] == "q8_0" and data["budget_from"] == "--memory" and data["route"] == "gguf"
    assert main(["advise", str(folder), "--memory", "0.0001"]) == 1
    out, err = capsys.readouterr()
    assert "nothing fits" in out and err.strip().splitlines()[-1].startswith("workbench advise: no GGUF type fits")


def test_bad_input_is_one_line(tmp_path, folder, capsys):
    for argv, words in ((["advise", str(tmp_path)], "not a Hugging Face model folder"),
                        (["advise", str(folder), "--memory", "-1"], "must be positive")):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0]
    bloom = tmp_path / "bloom"
    transformers.BloomForCausalLM(transformers.BloomConfig(hidden_size=32, n_layer=1, n_head=2,
                                                           vocab_size=32)).save_pretrained(str(bloom))
    with pytest.raises(WorkbenchError, match="model_type 'bloom' has no GGUF conversion"):
        advise_mod.advise(bloom, memory_gb=1)


def test_the_shipped_table_is_measured_and_complete():
    """measured.py is written by benchmarks/gguf_advise_data.py: every type has a size and a fidelity."""
    assert measured.GGUF and "gguf_cpu_table" in measured.SOURCES["cpu_table"]
    for quant, row in measured.GGUF.items():
        assert 4 <= row["bits_per_weight"] <= 17 and row["tokens_per_s"] > 0, quant
        assert any(v is not None for v in row["fidelity"].values()), quant
    assert measured.CPU_ROUTE in ("gguf", "onnx") and measured.RUNTIME_OVERHEAD_BYTES > 0
