"""The llama.cpp runtime: it opens a GGUF the workbench's converter wrote from a tiny random Llama, returns logits
like PyTorch's for the same token ids, generates the same greedy tokens, quantizes through llama.cpp, and turns a
corrupt file into one line. Tests needing llama-cpp-python skip with the reason where it is not installed."""

import numpy as np
import pytest
import torch

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions

from gguf_fixtures import tiny_gguf

IDS = np.array([[1, 17, 42, 99, 5, 64, 3, 120]], dtype=np.int64)


@pytest.fixture(scope="module")
def llama_gguf(tiny_models, tmp_path_factory):
    return tiny_gguf(tiny_models, "llama", tmp_path_factory.mktemp("gguf"), "f32")


def _torch_logits(folder, ids):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        return model(torch.from_numpy(ids)).logits.numpy()


def test_a_corrupt_gguf_is_one_line(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"NOTGGUF" + bytes(64))
    with pytest.raises(WorkbenchError, match="not a GGUF file") as err:
        default_registry().runtime("llama.cpp").open(bad, RuntimeOptions())
    assert "\n" not in str(err.value)
    availability = default_registry().runtime("llama.cpp").availability()
    assert availability.available or "llama" in availability.hint


def test_a_gguf_without_a_vocab_is_refused_in_one_line_at_export_and_at_open(tiny_models, tmp_path):
    # the suite's tiny folders have no tokenizer: the converter says llama.cpp will refuse the file, and the runtime
    # refuses it before llama.cpp does (its own message is "key not found: tokenizer.ggml.model"), installed or not
    from workbench.core.gguf.convert import convert

    out = tmp_path / "novocab.gguf"
    info = convert(tiny_models("llama"), out, "f16")
    assert any("without a vocab" in n and "llama.cpp refuses" in n for n in info["notes"])
    with pytest.raises(WorkbenchError, match="holds no vocab") as err:
        default_registry().runtime("llama.cpp").open(out, RuntimeOptions())
    assert "\n" not in str(err.value) and "tokenizer" in err.value.hint
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(out.read_bytes()[:200])
    with pytest.raises(WorkbenchError) as err:
        default_registry().runtime("llama.cpp").open(truncated, RuntimeOptions())
    assert "\n" not in str(err.value)


def test_llama_cpp_logits_and_greedy_tokens_match_pytorch(llama_gguf):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    folder, path = llama_gguf
    runtime = default_registry().runtime("llama.cpp")
    assert runtime.opens(path) and runtime.generates
    session = runtime.open(path, RuntimeOptions(threads=1, device="cuda"))
    try:
        assert session.device in ("cpu", "cuda") and session.precision == "fp32"
        assert session.device == "cuda" or session.notes
        got = session.run({"input_ids": IDS})["logits"]
        want = _torch_logits(folder, IDS)
        assert got.shape == want.shape == (1, 8, 128)
        assert np.abs(got - want).max() < 1e-3
        steps = list(session.generate(IDS[0].tolist(), 6))
        ids = IDS.copy()
        for _ in range(6):  # PyTorch greedy, token by token
            ids = np.concatenate([ids, _torch_logits(folder, ids)[:, -1].argmax(-1)[:, None]], axis=1)
        assert [s.token_id for s in steps] == ids[0, 8:].tolist()
    finally:
        session.close()


def test_quantize_through_llama_cpp_and_refusals(llama_gguf, tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    from workbench.core.runtimes.llama_cpp import quantize

    folder, path = llama_gguf
    out = quantize(path, tmp_path / "q8.gguf", "q8_0")
    assert out.stat().st_size < path.stat().st_size / 2
    session = default_registry().runtime("llama.cpp").open(out, RuntimeOptions(threads=1))
    try:
        assert session.precision == "int8"
        got, want = session.run({"input_ids": IDS})["logits"][0], _torch_logits(folder, IDS)[0]
        cos = (got * want).sum(-1) / np.linalg.norm(got, axis=-1) / np.linalg.norm(want, axis=-1)
        assert cos.min() > 0.99
    finally:
        session.close()
    with pytest.raises(WorkbenchError, match="unknown GGUF quantization 'q9'"):
        quantize(path, tmp_path / "x.gguf", "q9")
    assert not (tmp_path / "x.gguf").exists()
