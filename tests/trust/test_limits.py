"""The bounds in workbench/core/loading/limits.py: real checkpoints and configs pass, hostile ones are refused with
the number that broke the bound (the CLI side is in test_hostile.py)."""

import os

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.loading import limits


def test_real_state_dicts_pass_the_pickle_scan(tmp_path):
    torch = pytest.importorskip("torch")
    tied = torch.zeros(8, 4)
    state = {f"layers.{i}.{kind}": torch.zeros(4, 4) for i in range(300) for kind in ("q", "k", "v", "o")}
    state.update({"embed.weight": tied, "lm_head.weight": tied})
    torch.save(state, tmp_path / "plain.pt")
    torch.save(state, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    torch.save({"state_dict": state, "epoch": 3, "optimizer": {"param_groups": [{"lr": 0.1, "betas": (0.9, 0.99)}]}},
               tmp_path / "wrapped.ckpt")
    for name in ("plain.pt", "legacy.pt", "wrapped.ckpt"):
        limits.check_pickle(tmp_path / name)


def test_shared_references_depth_and_self_reference_are_refused(tmp_path):
    import pickle

    laughs = [1]
    for _ in range(40):
        laughs = [laughs, laughs]
    (tmp_path / "laughs.bin").write_bytes(pickle.dumps(laughs, protocol=2))
    with pytest.raises(WorkbenchError, match="billion laughs"):
        limits.check_pickle(tmp_path / "laughs.bin")
    deep: list = []
    for _ in range(150):
        deep = [deep]
    (tmp_path / "deep.bin").write_bytes(pickle.dumps(deep, protocol=2))
    with pytest.raises(WorkbenchError, match="nests containers 151 levels deep"):
        limits.check_pickle(tmp_path / "deep.bin")
    me: dict = {}
    me["me"] = me
    (tmp_path / "self.bin").write_bytes(pickle.dumps(me, protocol=2))
    with pytest.raises(WorkbenchError, match="contains itself"):
        limits.check_pickle(tmp_path / "self.bin")


def test_only_regular_files_are_inputs(tmp_path):
    os.mkfifo(tmp_path / "pipe.onnx")
    os.symlink("/dev/zero", tmp_path / "zero.onnx")
    with pytest.raises(WorkbenchError, match="named pipe"):
        limits.regular_file(tmp_path / "pipe.onnx", "ONNX file")
    with pytest.raises(WorkbenchError, match="character device"):
        limits.input_path(tmp_path / "zero.onnx")
    with pytest.raises(WorkbenchError, match="is a folder, not an ONNX file"):
        limits.regular_file(tmp_path, "ONNX file")
    with pytest.raises(WorkbenchError, match="no such ONNX file"):
        limits.regular_file(tmp_path / "missing.onnx", "ONNX file")
    assert limits.input_path(tmp_path) == tmp_path


def test_model_size_is_checked_against_free_memory(monkeypatch):
    config = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
              "num_hidden_layers": 32}
    assert 6e9 < limits.rough_parameters(config) < 8e9  # Llama-2-7B: 6.7e9
    monkeypatch.setattr(limits, "free_memory", lambda: 16 * 10 ** 9)
    with pytest.raises(WorkbenchError, match=r"about 6\.\d+ billion parameters \(2\d\.\d GB in fp32\), more than "
                                             r"the 16\.0 GB of free memory"):
        limits.check_model_size("llama7b", config)
    limits.check_model_size("llama7b", config, dtype="fp16")  # 13.5 GB fits
    with pytest.raises(WorkbenchError, match="num_hidden_layers = 1,000,000 is beyond any real model"):
        limits.check_model_size("deep", {**config, "num_hidden_layers": 10 ** 6})


def test_exact_count_from_the_meta_device_when_close(monkeypatch):
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                      num_attention_heads=2, num_key_value_heads=2)
    exact = sum(p.numel() for p in transformers.LlamaForCausalLM(config).parameters())
    monkeypatch.setattr(limits, "free_memory", lambda: exact * 4 - 1)
    with pytest.raises(WorkbenchError) as err:
        limits.check_model_size("tiny", config, transformers.LlamaForCausalLM)
    assert f"of {exact / 1e9:.3g} billion parameters" in str(err.value)  # exact: no "about"


def test_run_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(limits.RUN_TIMEOUT_ENV, "1.5")
    assert limits.run_timeout_s() == 1.5
    monkeypatch.setenv(limits.RUN_TIMEOUT_ENV, "nonsense")
    assert limits.run_timeout_s() == limits.DEFAULT_RUN_TIMEOUT_S
