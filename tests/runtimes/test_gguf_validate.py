"""GGUF validation: the per-token comparison itself, a faithful GGUF passing against its folder in llama.cpp, and a
GGUF converted from a copy with one weight scaled failing (CLI exit 1)."""

import shutil

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.gguf_validate import compare_logits, validate_gguf

from gguf_fixtures import tiny_gguf

NEEDS_LLAMA = "llama-cpp-python is not installed (pip install '.[llama]')"


def test_compare_logits_measures_each_token():
    want = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    got = want.copy()
    got[1] = [0.0, 1.0, 3.0]  # second token: argmax moves, cosine drops
    m = compare_logits(got, want)
    assert m["top1_agreement"] == 0.5 and m["tokens"] == 2 and m["max_abs"] == 3.0
    assert m["cosine_min"] == pytest.approx(1.0 / 10.0)
    assert compare_logits(want, want)["cosine_min"] == pytest.approx(1.0)
    with pytest.raises(WorkbenchError, match="shape"):
        compare_logits(got[:, :2], want)


def test_a_faithful_gguf_passes_and_a_perturbed_one_fails(tiny_models, tmp_path):
    pytest.importorskip("llama_cpp", reason=NEEDS_LLAMA, exc_type=ImportError)
    from safetensors.numpy import load_file, save_file

    folder, path = tiny_gguf(tiny_models, "llama", tmp_path, "f16")
    result = validate_gguf(path, folder, threads=1)
    assert result["passed"] and result["precision"] == "fp16" and result["kind"] == "decoder"
    assert all(r["top1_agreement"] >= 0.95 and r["tokens"] > 5 for r in result["prompts"])

    bad = tmp_path / "perturbed"
    shutil.copytree(folder, bad)
    weights = load_file(str(bad / "model.safetensors"))
    weights["model.layers.0.mlp.down_proj.weight"] *= 30.0
    save_file(weights, str(bad / "model.safetensors"), metadata={"format": "pt"})
    from workbench.core.gguf.convert import convert

    convert(bad, tmp_path / "bad.gguf", "f16")
    failed = validate_gguf(tmp_path / "bad.gguf", folder, threads=1)
    assert not failed["passed"] and min(r["cosine_min"] for r in failed["prompts"]) < 0.999
    from workbench.cli import main

    assert main(["validate", str(tmp_path / "bad.gguf"), "--against", str(folder), "--json"]) == 1
    assert main(["validate", str(path), "--against", str(folder)]) == 0


def test_cli_validate_of_a_corrupt_gguf_is_one_line(tmp_path, capsys):
    from workbench.cli import main

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"\x00" * 32)
    assert main(["validate", str(bad), "--against", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "not a GGUF file" in err and "\n" not in err
