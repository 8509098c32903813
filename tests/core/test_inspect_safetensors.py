"""Safetensors headers: single files, sharded checkpoints, damaged files, and a sparse 10 GB checkpoint."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from workbench.api import inspect
from workbench.core.errors import WorkbenchError
from workbench.core.loading import load_model
from workbench.core.loading.safetensors_read import read_header
from workbench.core.specs import ModelSource


@pytest.fixture(autouse=True)
def _loaders_only(loaders_only):
    return loaders_only


def _tensors():
    return {
        "embed.weight": torch.zeros(16, 8, dtype=torch.float32),
        "layer.0.weight": torch.zeros(8, 8, dtype=torch.float16),
        "layer.0.bias": torch.zeros(8, dtype=torch.bfloat16),
        "positions": torch.zeros(3, 5, dtype=torch.int64),
    }


def write_sparse(path: Path, tensors: dict, metadata: dict | None = None) -> int:
    """A valid safetensors file whose data is a hole: header written, then the file extended to full size.

    ``tensors`` maps name -> (safetensors dtype, shape). Returns the file size."""
    bits = {"F32": 32, "F16": 16, "BF16": 16, "I64": 64, "U8": 8}
    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = 1
        for d in shape:
            n *= d
        size = n * bits[dtype] // 8
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.truncate(8 + len(raw) + offset)
    return 8 + len(raw) + offset


def test_single_file(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_file(_tensors(), str(path), metadata={"format": "pt", "note": "tiny"})
    info = inspect(str(path))
    assert info.format == "safetensors"
    by_name = {t.name: t for t in info.tensors}
    assert set(by_name) == set(_tensors())
    assert by_name["embed.weight"].dtype == "float32" and by_name["embed.weight"].shape == [16, 8]
    assert by_name["layer.0.weight"].dtype == "float16"
    assert by_name["layer.0.bias"].dtype == "bfloat16"
    assert by_name["positions"].dtype == "int64" and by_name["positions"].shape == [3, 5]
    assert info.parameters == 16 * 8 + 64 + 8 + 15
    assert info.bytes_by_dtype == {"float32": 512, "float16": 128, "bfloat16": 16, "int64": 120}
    assert info.total_bytes == 512 + 128 + 16 + 120
    assert info.metadata == {"format": "pt", "note": "tiny"}
    assert info.files == [str(path)]
    assert info.problems == []


def test_scalar_and_empty_tensors(tmp_path):
    path = tmp_path / "odd.safetensors"
    save_file({"scalar": torch.tensor(1.0), "empty": torch.zeros(0, 4)}, str(path))
    info = inspect(str(path))
    shapes = {t.name: t.shape for t in info.tensors}
    assert shapes == {"scalar": [], "empty": [0, 4]}
    assert info.parameters == 1


def _write_shards(folder: Path) -> dict:
    folder.mkdir(exist_ok=True)
    shard1 = {"a.weight": torch.zeros(4, 4), "a.bias": torch.zeros(4)}
    shard2 = {"b.weight": torch.zeros(2, 4, dtype=torch.float16)}
    save_file(shard1, str(folder / "model-00001-of-00002.safetensors"), metadata={"format": "pt"})
    save_file(shard2, str(folder / "model-00002-of-00002.safetensors"), metadata={"format": "pt"})
    weight_map = {**{k: "model-00001-of-00002.safetensors" for k in shard1},
                  **{k: "model-00002-of-00002.safetensors" for k in shard2}}
    index = {"metadata": {"total_size": 16 * 4 + 4 * 4 + 8 * 2}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    return index


def test_sharded_index(tmp_path):
    _write_shards(tmp_path / "ckpt")
    info = inspect(str(tmp_path / "ckpt" / "model.safetensors.index.json"))
    assert info.format == "safetensors-sharded"
    assert sorted(t.name for t in info.tensors) == ["a.bias", "a.weight", "b.weight"]
    assert info.parameters == 16 + 4 + 8
    assert info.bytes_by_dtype == {"float32": 80, "float16": 16}
    assert info.total_bytes == 96
    assert info.metadata["total_size"] == 96 and info.metadata["format"] == "pt"
    assert len(info.files) == 3
    assert info.problems == []


def test_folder_without_config_is_a_checkpoint(tmp_path):
    _write_shards(tmp_path / "ckpt")
    info = inspect(str(tmp_path / "ckpt"))
    assert info.format == "safetensors-sharded"
    assert info.parameters == 28


def test_missing_shard_is_a_problem(tmp_path):
    _write_shards(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "model-00002-of-00002.safetensors").unlink()
    info = inspect(str(tmp_path / "ckpt" / "model.safetensors.index.json"))
    assert len(info.problems) == 1
    assert "missing" in info.problems[0] and "model-00002-of-00002.safetensors" in info.problems[0]
    assert info.parameters == 20


def test_all_shards_missing_is_an_error(tmp_path):
    _write_shards(tmp_path / "ckpt")
    for p in (tmp_path / "ckpt").glob("*.safetensors"):
        p.unlink()
    with pytest.raises(WorkbenchError, match="none of the 2 shards"):
        inspect(str(tmp_path / "ckpt" / "model.safetensors.index.json"))


def test_index_tensor_absent_from_shard(tmp_path):
    index = _write_shards(tmp_path / "ckpt")
    index["weight_map"]["c.weight"] = "model-00002-of-00002.safetensors"
    (tmp_path / "ckpt" / "model.safetensors.index.json").write_text(json.dumps(index))
    info = inspect(str(tmp_path / "ckpt" / "model.safetensors.index.json"))
    assert any("'c.weight'" in p and "not in it" in p for p in info.problems)


def test_bad_index_json(tmp_path):
    _write_shards(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "model.safetensors.index.json").write_text("{not json")
    with pytest.raises(WorkbenchError, match="not a valid checkpoint index"):
        inspect(str(tmp_path / "ckpt" / "model.safetensors.index.json"))


def _valid_file(tmp_path) -> Path:
    path = tmp_path / "w.safetensors"
    save_file(_tensors(), str(path))
    return path


def test_truncated_file(tmp_path):
    path = _valid_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(WorkbenchError) as err:
        inspect(str(path))
    message = str(err.value)
    assert "not a valid safetensors file" in message and "re-download" in message
    assert "\n" not in message


def test_truncated_inside_header(tmp_path):
    path = _valid_file(tmp_path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(WorkbenchError, match="runs past the end"):
        inspect(str(path))


def test_shorter_than_length_prefix(tmp_path):
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(WorkbenchError, match="shorter than the 8-byte"):
        inspect(str(path))


def test_oversized_header_length(tmp_path):
    path = _valid_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[:8] = struct.pack("<Q", 200 * 1000 * 1000)
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbenchError, match="100 MB"):
        inspect(str(path))


def test_trailing_bytes(tmp_path):
    path = _valid_file(tmp_path)
    with open(path, "ab") as f:
        f.write(b"\0" * 16)
    with pytest.raises(WorkbenchError, match="after the last tensor"):
        inspect(str(path))


@pytest.mark.parametrize("mutate, reason", [
    (lambda h: h.replace(b'"dtype":"F32"', b'"dtype":"F33"'), "unknown dtype"),
    (lambda h: h.replace(b'"shape":[16,8]', b'"shape":[16,9]'), "data_offsets span"),
    (lambda h: h.replace(b"{", b"[", 1), "not JSON"),
    (lambda h: h.replace(b'"shape":[16,8]', b'"shape":[-6,8]'), "bad shape"),
])
def test_corrupted_header(tmp_path, mutate, reason):
    path = tmp_path / "w.safetensors"
    save_file({"embed.weight": torch.zeros(16, 8), "x": torch.zeros(2)}, str(path))
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = data[8:8 + n]
    changed = mutate(header)
    assert changed != header and len(changed) == len(header)
    path.write_bytes(data[:8] + changed + data[8 + n:])
    with pytest.raises(WorkbenchError, match=reason):
        inspect(str(path))


def test_bit_flip_in_offsets(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"embed.weight": torch.zeros(16, 8), "x": torch.zeros(2)}, str(path))
    data = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    at = bytes(data).index(b'"data_offsets":[0,512]') + len('"data_offsets":[0,5')
    data[at] ^= 0x04  # '1' -> '5': 512 -> 552
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbenchError, match="not a valid safetensors file"):
        read_header(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_bit_flip_is_a_clean_error_or_still_valid(tmp_path, data):
    """A flipped bit anywhere in the length or header never escapes as anything but a WorkbenchError."""
    path = tmp_path / "w.safetensors"
    if not path.exists():
        save_file({"embed.weight": torch.zeros(4, 2), "b": torch.zeros(2, dtype=torch.float16)}, str(path))
    original = path.read_bytes()
    (n,) = struct.unpack("<Q", original[:8])
    position = data.draw(st.integers(0, 8 + n - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(original)
    flipped[position] ^= 1 << bit
    target = tmp_path / "flipped.safetensors"
    target.write_bytes(bytes(flipped))
    try:
        header = read_header(target)
    except WorkbenchError as err:
        assert "not a valid safetensors file" in str(err)
    else:  # e.g. a flip inside a tensor name: still a consistent file
        assert header.total_bytes == len(original) - 8 - n


def test_sparse_10gb_checkpoint(tmp_path):
    """5 shards x 2 GB, LLM-like names; the data is a hole, only the headers are real."""
    folder = tmp_path / "big"
    folder.mkdir()
    weight_map, total, layers_per_shard, hidden = {}, 0, 8, 4096
    for s in range(5):
        name = f"model-{s + 1:05d}-of-00005.safetensors"
        tensors = {}
        for layer in range(s * layers_per_shard, (s + 1) * layers_per_shard):
            p = f"model.layers.{layer}."
            for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
                tensors[p + f"self_attn.{proj}.weight"] = ("BF16", [hidden, hidden])
            tensors[p + "mlp.gate_proj.weight"] = ("BF16", [7680, hidden])
            tensors[p + "mlp.up_proj.weight"] = ("BF16", [7680, hidden])
            tensors[p + "mlp.down_proj.weight"] = ("BF16", [hidden, 7680])
            tensors[p + "input_layernorm.weight"] = ("F32", [hidden])
        total += write_sparse(folder / name, tensors, {"format": "pt"})
        weight_map.update({t: name for t in tensors})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    assert total > 9.5e9
    inspect(str(folder))  # warm
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        info = inspect(str(folder))
        best = min(best, time.perf_counter() - start)
    assert info.format == "safetensors-sharded"
    assert len(info.tensors) == 40 * 8
    assert info.total_bytes > 9.5e9
    assert info.parameters == 40 * (4 * hidden * hidden + 3 * 7680 * hidden + hidden)
    assert set(info.bytes_by_dtype) == {"bfloat16", "float32"}
    assert best < 0.05, f"inspect took {best * 1000:.1f} ms"


def test_load_bare_state_dict_needs_an_architecture(tmp_path):
    path = _valid_file(tmp_path)
    with pytest.raises(WorkbenchError) as err:
        load_model(ModelSource(str(path)))
    assert "config.json" in str(err.value) and "--trust-code" in str(err.value)
