"""workbench inspect X.gguf: header-only through GGUFReader (architecture, metadata, tensors, parameters, bytes per
quant type); a truncated or foreign file is one WorkbenchError line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

from workbench import api  # noqa: E402
from workbench.core.errors import WorkbenchError  # noqa: E402


@pytest.fixture
def tiny_gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_context_length(64)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(["a", "b", "c"])
    writer.add_tensor("token_embd.weight", np.ones((3, 32), np.float16))
    writer.add_tensor("output_norm.weight", np.ones(32, np.float32))
    q = gguf.quants.quantize(np.ones((4, 32), np.float32), gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("blk.0.attn_q.weight", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_inspect_reads_header(tiny_gguf):
    result = api.inspect(str(tiny_gguf))
    assert result.format == "gguf"
    assert result.metadata["general.architecture"] == "llama" and result.metadata["llama.block_count"] == 1
    assert result.metadata["tokenizer.ggml.tokens"] == "3 tokens"
    shapes = {t.name: (t.shape, t.dtype) for t in result.tensors}
    assert shapes["token_embd.weight"] == ([3, 32], "F16") and shapes["blk.0.attn_q.weight"] == ([4, 32], "Q8_0")
    assert result.parameters == 3 * 32 + 32 + 4 * 32
    assert result.bytes_by_dtype == {"F16": 3 * 32 * 2, "F32": 32 * 4, "Q8_0": 4 * 34}


def test_inspect_json_cli(tiny_gguf):
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "inspect", str(tiny_gguf), "--json"],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    assert data["format"] == "gguf" and len(data["tensors"]) == 3


@pytest.mark.parametrize("cut", [10, 200, -40])
def test_truncated_is_one_line(tiny_gguf, tmp_path, cut):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(tiny_gguf.read_bytes()[:cut])
    with pytest.raises(WorkbenchError) as err:
        api.inspect(str(bad))
    assert "not a valid GGUF file" in str(err.value) and "\n" not in str(err.value)
