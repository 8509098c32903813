"""`workbench generate X.gguf [--compare-torch SRC]` and `bench --generate X.gguf`: llama.cpp through the shared
generation loop (runtimes/llama_decoder.py). The llama.cpp parts skip without llama-cpp-python (CI lacks it); the
refusals that need no llama.cpp run everywhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")

from workbench.cli import main  # noqa: E402

NEEDS_LLAMA = "llama-cpp-python is not installed (pip install '.[llama]')"
PROMPT = np.random.default_rng(0).integers(0, 128, size=24).tolist()


def _llama_folder(folder: Path, seed: int) -> Path:
    sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
    from gguf_fixtures import add_tiny_tokenizer

    torch.manual_seed(seed)
    # initializer_range 0.1: peaked logits, so f16 noise (~3e-4) cannot flip a near-tie of the random model
    config = transformers.LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                      initializer_range=0.1, eos_token_id=2, bos_token_id=1)
    transformers.LlamaForCausalLM(config).eval().save_pretrained(str(folder))
    add_tiny_tokenizer(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from workbench.core.gguf.convert import convert

    root = tmp_path_factory.mktemp("gguf-generate")
    folder = _llama_folder(root / "llama", 0)
    other = _llama_folder(root / "other", 1)  # same shapes, other weights: PyTorch must disagree with the GGUF
    out = root / "gguf" / "llama-f16.gguf"
    out.parent.mkdir()
    convert(folder, out, "f16")
    return folder, other, out


def _run(capsys, *argv) -> tuple:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_generate_gguf_agrees_with_pytorch(tiny, capsys):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    folder, _, gguf_file = tiny
    rc, out, err = _run(capsys, "generate", str(gguf_file), "--prompt-ids", ",".join(map(str, PROMPT)),
                        "--max-new-tokens", "12", "--compare-torch", str(folder), "--json")
    result = json.loads(out)
    assert rc == 0, err
    assert result["runtime"] == "llama.cpp" and result["prompt_tokens"] == len(PROMPT)
    assert result["agreement"]["passed"] and result["agreement"]["rate"] == 1.0
    assert result["tokens"] == result["agreement"]["torch_tokens"] and len(result["tokens"]) >= 1
    # the GGUF folder holds no tokenizer.json: text goes through llama.cpp's own tokenizer (the file's vocab)
    rc, out, err = _run(capsys, "generate", str(gguf_file), "--prompt", "hello", "--max-new-tokens", "4")
    assert rc == 0 and "[llama.cpp cpu]" in out, err


def test_generate_gguf_disagreement_exits_1(tiny, capsys):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    _, other, gguf_file = tiny
    rc, out, err = _run(capsys, "generate", str(gguf_file), "--prompt-ids", ",".join(map(str, PROMPT)),
                        "--max-new-tokens", "12", "--compare-torch", str(other))
    lines = [line for line in err.splitlines() if line.startswith("workbench generate:")]
    assert rc == 1 and len(lines) == 1
    assert "greedy tokens differ from PyTorch at step" in lines[0] and "llama.cpp gave token" in lines[0]


def test_bench_generate_gguf_beside_pytorch(tiny):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    from workbench import api

    folder, _, gguf_file = tiny
    result = api.bench_generate([str(gguf_file)], folder, prompt_tokens=16, max_new_tokens=6, batch=2,
                                threads=1, repeats=1, isolated=False)
    rows = {(r.runtime, r.batch): r for r in result.rows}
    # llama.cpp: batch 2 is its 2 sequences one after another (tests/runtimes/test_llama_batch.py)
    assert set(rows) == {("pytorch", 1), ("pytorch", 2), ("llama.cpp", 1), ("llama.cpp", 2)}
    assert any("batch 2 run as 2 sequences one after another" in n for n in result.notes)
    assert f"llama.cpp llama-f16.gguf: file {gguf_file.stat().st_size / 1e6:.1f} MB" in result.notes
    row = rows[("llama.cpp", 1)]
    assert row.name == "llama.cpp llama-f16.gguf" and row.new_tokens == 6
    assert row.prompt_tokens_per_s > 0 and row.tokens_per_s > 0 and row.peak_rss_mb > 0
    assert row.decode_ms["p50"] is not None and row.agreement["rate"] == 1.0
    from workbench.core.render import render_generate_bench
    assert "prompt tok/s" in render_generate_bench(result)


def test_bench_of_a_decoder_gguf_is_its_generation(tiny, capsys):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    _, _, gguf_file = tiny
    rc, out, err = _run(capsys, "bench", str(gguf_file), "--seq", "8", "--max-new-tokens", "4", "--threads", "1",
                        "--json")
    result = json.loads(out)
    assert rc == 0, err
    assert result["batches"] == [1] and [r["runtime"] for r in result["rows"]] == ["llama.cpp"]
    assert result["prompt_tokens"] == 8 and result["rows"][0]["new_tokens"] == 4
    rc, out, err = _run(capsys, "bench", str(gguf_file), "--runtime", "llama.cpp", "--seq", "8", "--iterations",
                        "2", "--warmup", "1", "--json")
    assert rc == 0 and "rows" not in json.loads(out), err  # --runtime: one forward pass timed, as for any runtime


def test_llama_session_refuses_ids_outside_its_vocab(tiny):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    from workbench.core.errors import WorkbenchError
    from workbench.core.runtimes.llama_cpp import open_session

    session = open_session(tiny[2])
    try:  # another model's inputs (floats, or ids past this vocab) are one line, not llama_decode's -1
        for bad in (np.zeros((1, 4), np.float32), np.array([[1, 2, 128]])):
            with pytest.raises(WorkbenchError, match=r"token ids in \[0, 128\)") as err:
                session.run({"input_ids": bad})
            assert "\n" not in str(err.value)
        assert session.run({"input_ids": np.array([[1, 2, 127]])})["logits"].shape == (1, 3, 128)
    finally:
        session.close()


def _error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("workbench generate:")]
    assert len(lines) == 1, err
    return lines[0]


def test_gguf_refusals_are_one_line(tiny, tmp_path, capsys, monkeypatch):
    _, _, gguf_file = tiny
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"NOPE" + bytes(60))
    rc, _, err = _run(capsys, "generate", str(fake), "--prompt-ids", "1,2,3")
    assert rc == 1 and "not a readable GGUF" in _error(err) and "--target gguf" in _error(err)
    rc, _, err = _run(capsys, "generate", str(tmp_path / "missing.gguf"), "--prompt-ids", "1,2,3")
    assert rc == 1 and "missing.gguf" in _error(err)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as on CI: no llama-cpp-python
    rc, _, err = _run(capsys, "generate", str(gguf_file), "--prompt-ids", "1,2,3")
    assert rc == 1 and "llama-cpp-python is not installed" in _error(err) and "pip install" in _error(err)
