"""Generate a corpus of broken inputs: truncated, bit-flipped and oversized-header safetensors, broken ONNX
protobufs and external-data references, bad GGUF headers, broken config.json and recipes, wrong dtypes and shapes.

    python tests/trust/make_corpus.py OUT_DIR     # writes the corpus and prints one line per case

Each case is (name, path, commands) where commands lists the CLI commands to try on it; the suite runs every
one and requires one line on stderr, exit code 1, no traceback and no output written.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path


def _safetensors_bytes(tensors: dict) -> bytes:
    header, offset, blobs = {}, 0, []
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(blobs)


def _tiny_onnx() -> bytes:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _external_onnx(folder: Path, location: str, length: int = 64) -> Path:
    import onnx
    from onnx import TensorProto, helper

    w = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [w])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


ONNX_COMMANDS = ("inspect", "validate", "optimize", "quantize", "bench")
CHECKPOINT_COMMANDS = ("inspect", "export")


def make_corpus(root: Path) -> list:
    root.mkdir(parents=True, exist_ok=True)
    cases = []

    def case(name: str, path: Path, commands) -> None:
        cases.append((name, path, tuple(commands)))

    good = _safetensors_bytes({"w": ("F32", [4, 4], bytes(64)), "b": ("F16", [4], bytes(8))})
    (root / "truncated.safetensors").write_bytes(good[: len(good) - 20])
    case("truncated safetensors", root / "truncated.safetensors", CHECKPOINT_COMMANDS)
    flipped = bytearray(good)
    flipped[12] ^= 0xFF
    (root / "bitflip.safetensors").write_bytes(bytes(flipped))
    case("bit-flipped safetensors header", root / "bitflip.safetensors", CHECKPOINT_COMMANDS)
    (root / "huge_header.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    case("oversized header length", root / "huge_header.safetensors", CHECKPOINT_COMMANDS)
    (root / "not_json.safetensors").write_bytes(struct.pack("<Q", 8) + b"\xff\xfe{{{{{{")
    case("header not JSON", root / "not_json.safetensors", CHECKPOINT_COMMANDS)
    bad_dtype = _safetensors_bytes({"w": ("F33", [4, 4], bytes(64))})
    (root / "bad_dtype.safetensors").write_bytes(bad_dtype)
    case("unknown dtype", root / "bad_dtype.safetensors", CHECKPOINT_COMMANDS)
    bad_shape = _safetensors_bytes({"w": ("F32", [5, 4], bytes(64))})
    (root / "bad_shape.safetensors").write_bytes(bad_shape)
    case("shape disagrees with bytes", root / "bad_shape.safetensors", CHECKPOINT_COMMANDS)

    (root / "garbage.onnx").write_bytes(b"\x08\x07garbage" * 10)
    case("garbage ONNX", root / "garbage.onnx", ONNX_COMMANDS)
    (root / "empty.onnx").write_bytes(b"")
    case("empty ONNX", root / "empty.onnx", ONNX_COMMANDS)
    tiny = _tiny_onnx()
    (root / "truncated.onnx").write_bytes(tiny[: len(tiny) // 2])
    case("truncated ONNX", root / "truncated.onnx", ONNX_COMMANDS)
    case("missing external data", _external_onnx(root / "ext_missing", "model.onnx.data"), ONNX_COMMANDS)
    short = _external_onnx(root / "ext_short", "model.onnx.data")
    (short.parent / "model.onnx.data").write_bytes(bytes(10))
    case("external data too short", short, ONNX_COMMANDS)
    case("external data outside the folder", _external_onnx(root / "ext_escape", "../../../etc/passwd"),
         ONNX_COMMANDS)

    (root / "bad_magic.gguf").write_bytes(b"GGUX" + bytes(60))
    case("bad GGUF header", root / "bad_magic.gguf", CHECKPOINT_COMMANDS)
    (root / "truncated.gguf").write_bytes(b"GGUF\x03\x00")
    case("truncated GGUF", root / "truncated.gguf", CHECKPOINT_COMMANDS)

    folder = root / "bad_config"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama", "hidden_size": ')
    (folder / "model.safetensors").write_bytes(good)
    case("broken config.json", folder, ("export",))
    folder = root / "unknown_type"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "no_such_model"}')
    (folder / "model.safetensors").write_bytes(good)
    case("unknown model_type", folder, ("export",))
    folder = root / "wrong_weights"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                                                    "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32,
                                                    "num_hidden_layers": 1, "num_attention_heads": 2}))
    (folder / "model.safetensors").write_bytes(good)
    case("weights that do not fit the config", folder, ("export",))

    (root / "broken.toml").write_text("[source\npath = 'x'\n")
    case("broken recipe syntax", root / "broken.toml", ("run",))
    (root / "unknown_key.toml").write_text("[source]\npath = 'x'\n[export]\nopset = 'eighteen'\n")
    case("recipe value of the wrong type", root / "unknown_key.toml", ("run",))
    (root / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    case("recipe that is not text", root / "binary.yaml", ("run",))
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name, path, commands in make_corpus(out):
        print(f"{name:40s} {path}  ({', '.join(commands)})")
