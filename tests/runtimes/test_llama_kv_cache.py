"""llama.cpp's KV cache type (RuntimeOptions.extra["kv_cache"], `--kv-cache` on generate and bench): an f32 cache
takes the cache's own rounding out of the comparison, so an f32 GGUF's logits match PyTorch's to float32 noise where
llama.cpp's default f16 cache leaves ~1e-4..1e-3; validation and generate --compare-torch run with f32 (they measure
the file) unless told otherwise; a bad type or a non-GGUF model with --kv-cache is one line before anything loads."""

import numpy as np
import pytest
import torch

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions

from gguf_fixtures import tiny_gguf

NEEDS_LLAMA = "llama-cpp-python is not installed (pip install '.[llama]')"
IDS = np.array([[1, 17, 42, 99, 5, 64, 3, 120, 7, 77, 31, 2]], dtype=np.int64)


@pytest.fixture(scope="module")
def llama_f32(tiny_models, tmp_path_factory):
    return tiny_gguf(tiny_models, "llama", tmp_path_factory.mktemp("kv"), "f32")


def _max_abs(path, folder, kv_cache):
    from transformers import AutoModelForCausalLM

    session = default_registry().runtime("llama.cpp").open(path, RuntimeOptions(threads=1, extra={"kv_cache": kv_cache}))
    try:
        got = session.run({"input_ids": IDS})["logits"]
        assert session.kv_cache == (kv_cache or "f16")
    finally:
        session.close()
    model = AutoModelForCausalLM.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        want = model(torch.from_numpy(IDS)).logits.numpy()
    return float(np.abs(got - want).max())


def test_an_f32_cache_leaves_only_the_files_error(llama_f32):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    folder, path = llama_f32
    default, f16, f32 = (_max_abs(path, folder, kv) for kv in (None, "f16", "f32"))
    assert default == f16  # llama.cpp's own default is the f16 cache
    assert f32 < 1e-4 and f32 < f16 / 4, (f16, f32)


def test_validation_and_compare_torch_measure_the_file(llama_f32):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    from workbench import api
    from workbench.core.gguf_validate import validate_gguf

    folder, path = llama_f32
    result = validate_gguf(path, folder, threads=1)
    assert result["passed"] and result["kv_cache"] == "f32"
    assert max(r["max_abs"] for r in result["prompts"]) < 1e-4
    compared = api.generate(str(path), IDS[0].tolist(), 4, threads=1, compare_torch=str(folder), stop_at_eos=False)
    assert compared.agreement["kv_cache"] == "f32" and compared.agreement["rate"] == 1.0
    assert any("f32 KV cache" in n for n in compared.notes)
    told = api.generate(str(path), IDS[0].tolist(), 4, threads=1, compare_torch=str(folder), stop_at_eos=False,
                        kv_cache="f16")
    assert told.agreement["kv_cache"] == "f16"
    plain = api.generate(str(path), IDS[0].tolist(), 4, threads=1, stop_at_eos=False)
    assert plain.agreement is None and not any("KV cache" in n for n in plain.notes)


def test_bench_generate_runs_the_asked_cache(llama_f32):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    from workbench import api

    folder, path = llama_f32
    result = api.bench_generate([str(path)], prompt_tokens=8, max_new_tokens=4, threads=1, repeats=1,
                                isolated=False, kv_cache="f32")
    assert any("f32 KV cache" in n for n in result.notes) and result.rows


def test_bad_kv_cache_requests_are_one_line(llama_f32, tiny_models, tmp_path, capsys):
    from workbench.cli import main

    folder, path = llama_f32
    with pytest.raises(WorkbenchError, match="unknown llama.cpp KV cache type 'q3'") as err:
        default_registry().runtime("llama.cpp").open(path, RuntimeOptions(extra={"kv_cache": "q3"}))
    assert "f32" in err.value.hint
    # a Hugging Face folder is PyTorch's: the KV cache type is llama.cpp's, refused before the model loads
    assert main(["generate", str(folder), "--prompt-ids", "1,2,3", "--kv-cache", "f32", "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "llama.cpp's setting" in err and "\n" not in err
    assert main(["bench", str(tmp_path / "model.onnx"), "--kv-cache", "f32", "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "--kv-cache is llama.cpp's setting" in err and "\n" not in err
    with pytest.raises(SystemExit):  # argparse: only the two types llama.cpp runs without flash attention
        main(["generate", str(path), "--prompt-ids", "1,2", "--kv-cache", "q8_0"])
