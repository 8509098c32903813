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


# --------------------------------------------------------------------------------------------- hostile input
# Inputs built to exhaust memory or time, or to hang a reader. Each case runs in a child process with its address
# space limited (see test_hostile.py): a refusal must come within seconds and with bounded memory.

HOSTILE_ONNX_COMMANDS = ONNX_COMMANDS + ("generate",)


def _torch_zip(path: Path, pickle_bytes: bytes) -> None:
    import zipfile

    stem = path.stem
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{stem}/data.pkl", pickle_bytes)
        z.writestr(f"{stem}/byteorder", "little")
        z.writestr(f"{stem}/version", "3")


def _loop_onnx(trips: int, computed: bool) -> bytes:
    """x @ w, then a Loop of ``trips`` iterations (a constant, or computed by an Add the checker cannot see)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["v_in", "one"], ["v_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("v_in", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(np.ones((1, 4), np.float32), "one")])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm")]
    inits = [numpy_helper.from_array(np.ones((4, 4), np.float32), "w"), numpy_helper.from_array(np.array(True), "cond")]
    if computed:
        nodes.append(helper.make_node("Add", ["t0", "t1"], ["trips"], name="count"))
        inits += [numpy_helper.from_array(np.array(trips // 2, np.int64), "t0"),
                  numpy_helper.from_array(np.array(trips - trips // 2, np.int64), "t1")]
    else:
        inits.append(numpy_helper.from_array(np.array(trips, np.int64), "trips"))
    nodes.append(helper.make_node("Loop", ["trips", "cond", "h"], ["y"], body=body, name="spin"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def make_hostile(root: Path) -> list:
    """(name, path, commands) of inputs that try to exhaust memory or time, or hang a reader."""
    import os
    import pickle

    import torch

    root.mkdir(parents=True, exist_ok=True)
    cases = []

    def case(name: str, path: Path, commands) -> None:
        cases.append((name, path, tuple(commands)))

    laughs = {"w": torch.zeros(1)}  # 30 levels of 10 references to the one dict below: 10**30 paths, 5 KB
    for _ in range(30):
        laughs = {f"k{j}": laughs for j in range(10)}
    torch.save(laughs, root / "laughs.pt")
    case("billion-laughs pickle", root / "laughs.pt", CHECKPOINT_COMMANDS)
    depth = 200_000  # {'a': {'a': ... {}}}: RecursionError in anything that walks it
    _torch_zip(root / "deep.pt", b"\x80\x02" + (b"}" + b"X\x01\x00\x00\x00a") * depth + b"}" + b"s" * depth + b".")
    case("deeply nested pickle", root / "deep.pt", CHECKPOINT_COMMANDS)
    torch.save({"w": torch.zeros(2)}, root / "protocol5.pt", pickle_protocol=5)
    case("protocol-5 pickle (torch.save)", root / "protocol5.pt", CHECKPOINT_COMMANDS)
    (root / "protocol5.bin").write_bytes(pickle.dumps({"w": [1, 2]}, protocol=5))
    case("protocol-5 pickle (plain)", root / "protocol5.bin", CHECKPOINT_COMMANDS)

    for name in ("zero", "fifo"):
        (root / name).mkdir(exist_ok=True)
        target = root / name / "model.onnx"
        if target.is_symlink() or target.exists():
            target.unlink()
    os.symlink("/dev/zero", root / "zero" / "model.onnx")
    case("model.onnx linked to /dev/zero", root / "zero" / "model.onnx", HOSTILE_ONNX_COMMANDS)
    os.mkfifo(root / "fifo" / "model.onnx")
    case("model.onnx that is a FIFO", root / "fifo" / "model.onnx", HOSTILE_ONNX_COMMANDS)
    (root / "loop_const.onnx").write_bytes(_loop_onnx(10 ** 15, computed=False))
    case("Loop with a constant trip count of 1e15", root / "loop_const.onnx", ("bench", "quantize", "validate"))
    (root / "loop_computed.onnx").write_bytes(_loop_onnx(10 ** 15, computed=True))
    import numpy as np

    (root / "calibration").mkdir(exist_ok=True)  # for quantize-static: ORT's calibrator runs the Loop
    for i in range(2):
        np.savez(root / "calibration" / f"sample{i}.npz", x=np.ones((2, 4), np.float32))
    case("Loop with a computed trip count of 1e15", root / "loop_computed.onnx",
         ("bench", "quantize", "quantize-static"))

    good = _safetensors_bytes({"w": ("F32", [4, 4], bytes(64))})
    base = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 64, "hidden_size": 16,
            "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
    for name, over in (("layers_1e6", {"num_hidden_layers": 10 ** 6}), ("vocab_1e10", {"vocab_size": 10 ** 10})):
        folder = root / name
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_text(json.dumps({**base, **over}))
        (folder / "model.safetensors").write_bytes(good)
        case(f"config.json with {name.replace('_', ' ')}", folder, ("export",))
    folder = root / "deep_config"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (folder / "model.safetensors").write_bytes(good)
    (root / "tiny.onnx").write_bytes(_tiny_onnx())  # the model optimize-against re-validates against the folder
    case("deeply nested config.json", folder, ("export", "inspect", "optimize-against"))
    folder = root / "bad_tokenizer"
    folder.mkdir(exist_ok=True)
    (folder / "model.onnx").write_bytes(_tiny_onnx())
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "vocab_size": 4}))
    (folder / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "BPE", "vocab": 12')
    case("malformed tokenizer.json", folder, ("generate",))
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name, path, commands in make_corpus(out) + make_hostile(out / "hostile"):
        print(f"{name:40s} {path}  ({', '.join(commands)})")


# ------------------------------------------------------------------------------ files that try to run code

CONSTRUCTOR_C = r"""
#include <stdio.h>
__attribute__((constructor)) static void workbench_marker(void) {
    FILE *f = fopen("%s", "w");
    if (f) { fputs("native code ran\n", f); fclose(f); }
}
"""

RECIPE_MODEL_PY = '''
import pathlib
import torch

pathlib.Path({marker!r}).write_text("model.py ran")


class Net(torch.nn.Module):
    example_input_shapes = {{"x": [2, 4]}}

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.lin(x)
'''


def _torch_code_modules():
    """Scripted modules whose __setstate__ / forward write files (defined here so torch.jit.script sees source)."""
    import torch

    class SetstateWrites(torch.nn.Module):
        def __init__(self, marker: str):
            super().__init__()
            self.w = torch.ones(4, 2)
            self.marker = marker

        def forward(self, x):
            return x @ self.w

        @torch.jit.export
        def __getstate__(self):
            return (self.w, self.marker, self.training)

        @torch.jit.export
        def __setstate__(self, state: tuple[torch.Tensor, str, bool]):
            self.w = state[0]
            self.marker = state[1]
            self.training = state[2]
            torch.save(self.w, self.marker)

    class ForwardSaves(torch.nn.Module):
        def __init__(self, marker: str):
            super().__init__()
            self.lin = torch.nn.Linear(4, 2)
            self.marker = marker

        def forward(self, x):
            torch.save(x, self.marker)
            return self.lin(x)

    class ForwardMapsFile(torch.nn.Module):
        def __init__(self, victim: str):
            super().__init__()
            self.lin = torch.nn.Linear(4, 2)
            self.victim = victim

        def forward(self, x):
            mapped = torch.from_file(self.victim, True, 1024)  # shared=True: resizes and writes the file
            return self.lin(x) + mapped.sum()

    return SetstateWrites, ForwardSaves, ForwardMapsFile


def _tiny_linear():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()


def _rewrite_pt2(good: Path, out: Path, edit) -> Path:
    """Copy a .pt2 member by member; ``edit(name, data)`` returns the new bytes (or the same)."""
    import zipfile

    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, edit(item.filename, src.read(item.filename)))
    return out


def make_code_corpus(root: Path) -> dict:
    """Files that run code when a careless loader opens or runs them, and the markers that prove it.

    Returns {"markers": [paths that must never exist], "victim": a user file that must stay unchanged,
    "files": {case name: path}, "benign": {"pt2": ..., "torchscript": ...}, "onnx": a small ONNX model with
    input x [batch, 4] (for validate / bench --compare-torch)}. The AOTInductor case needs gcc (skipped when
    missing: "aoti.pt2" is then absent from "files").
    """
    import shutil
    import subprocess
    import zipfile

    import torch

    root.mkdir(parents=True, exist_ok=True)
    marks = root / "markers"
    marks.mkdir(exist_ok=True)
    victim = root / "users_file.bin"
    victim.write_bytes(b"the user's data\n" * 4)
    files, markers = {}, []

    def marker(name: str) -> str:
        markers.append(marks / name)
        return str(marks / name)

    model, example = _tiny_linear(), (torch.randn(2, 4),)
    benign_pt2 = root / "benign.pt2"
    batch = torch.export.Dim("batch", min=1)
    torch.export.save(torch.export.export(model, example, dynamic_shapes=({0: batch},)), benign_pt2)
    benign_ts = root / "benign_ts.pt"
    torch.jit.save(torch.jit.trace(model, example), benign_ts)
    (root / "model.onnx").write_bytes(_tiny_onnx())

    if shutil.which("gcc"):
        source, library = root / "aoti.c", root / "aoti.so"
        source.write_text(CONSTRUCTOR_C % marker("AOTI_NATIVE_CODE_RAN"))
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
        prefix = next(n for n in zipfile.ZipFile(benign_pt2).namelist() if n.endswith("archive_format"))[:-14]
        aoti = root / "aoti.pt2"
        shutil.copy(benign_pt2, aoti)
        with zipfile.ZipFile(aoti, "a") as z:  # what torch's AOTI loader looks for (checked: it dlopens the .so)
            z.write(library, f"{prefix}data/aotinductor/model/cmodel.wrapper.so")
            z.writestr(f"{prefix}data/aotinductor/model/cmodel.wrapper_metadata.json",
                       json.dumps({"AOTI_DEVICE_KEY": "cpu"}))
            z.writestr(f"{prefix}data/aotinductor/model/cmodel.wrapper.cpp", "// wrapper\n")
        source.unlink()
        library.unlink()
        files["aoti.pt2"] = aoti

    setstate, saves, maps = _torch_code_modules()
    files["ts_setstate_writes.pt"] = root / "ts_setstate_writes.pt"
    torch.jit.save(torch.jit.script(setstate(marker("SETSTATE_RAN"))), files["ts_setstate_writes.pt"])
    files["ts_forward_saves.pt"] = root / "ts_forward_saves.pt"
    torch.jit.save(torch.jit.script(saves(marker("FORWARD_SAVED"))), files["ts_forward_saves.pt"])
    files["ts_forward_from_file.pt"] = root / "ts_forward_from_file.pt"
    torch.jit.save(torch.jit.script(maps(str(victim))), files["ts_forward_from_file.pt"])

    # torch.export cannot trace from_file (no fake kernel), so the graphs are edited in the archive's JSON
    for name, old, new in (("pt2_from_file.pt2", b"torch.ops.aten.relu.default", b"torch.ops.aten.from_file.default"),
                           ("pt2_save.pt2", b"torch.ops.aten.relu.default", b"torch.ops.aten.save.default"),
                           ("pt2_custom_op.pt2", b"torch.ops.aten.relu.default", b"torch.ops.mylib.evil.default"),
                           ("pt2_profiler.pt2", b"torch.ops.aten.relu.default",
                            b"torch.ops.profiler._record_function_enter_new.default")):
        def edit(member, data, old=old, new=new):
            return data.replace(old, new) if member.endswith("models/model.json") else data

        files[name] = _rewrite_pt2(benign_pt2, root / name, edit)

    # strings torch evaluates: a symbolic size goes through sympy.sympify (eval), a guard through exec
    def sympify_payload(member, data):
        if not member.endswith("models/model.json"):
            return data
        code = f"__import__('pathlib').Path({marker('SYMPIFY_RAN')!r}).write_text('x') and Symbol('s"
        return data.replace(b"Symbol('s", json.dumps(code)[1:-1].encode(), 1)

    def guard_payload(member, data):
        if not member.endswith("models/model.json"):
            return data
        program = json.loads(data)
        program["guards_code"] = [f"__import__('pathlib').Path({marker('GUARD_RAN')!r}).touch() or True"]
        return json.dumps(program).encode()

    files["pt2_sympify_code.pt2"] = _rewrite_pt2(benign_pt2, root / "pt2_sympify_code.pt2", sympify_payload)
    files["pt2_guard_code.pt2"] = _rewrite_pt2(benign_pt2, root / "pt2_guard_code.pt2", guard_payload)

    recipe_dir = root / "recipe_trust"
    recipe_dir.mkdir(exist_ok=True)
    (recipe_dir / "model.py").write_text(RECIPE_MODEL_PY.format(marker=str(recipe_dir / "MODEL_PY_RAN")))
    (recipe_dir / "recipe.toml").write_text('name = "trusting"\noutput_dir = "out"\n\n[source]\n'
                                            'path = "model.py:Net"\ntrust_code = true\n')
    return {"markers": markers, "victim": victim, "files": files, "onnx": root / "model.onnx",
            "benign": {"pt2": benign_pt2, "torchscript": benign_ts},
            "recipe": recipe_dir / "recipe.toml", "recipe_marker": recipe_dir / "MODEL_PY_RAN"}
