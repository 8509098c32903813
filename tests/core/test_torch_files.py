"""PyTorch files: weights-only loading (malicious pickles refused, nothing runs), state dicts, TorchScript,
torch.export archives, and the user's own model.py:ClassName."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import textwrap
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from workbench.api import inspect
from workbench.core.errors import WorkbenchError
from workbench.core.loading import load_model
from workbench.core.specs import ModelSource


@pytest.fixture(autouse=True)
def _loaders_only(loaders_only):
    return loaders_only


class TinyCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.conv(x).mean((2, 3)))


def _cnn():
    torch.manual_seed(0)
    return TinyCNN().eval()


# ------------------------------------------------------------------------------------------ malicious pickles

class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.eval, (f"open({str(self.marker)!r}, 'w').close()",))


class RunsExec:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",))


def _malicious_files(tmp_path, marker):
    files = {}
    files["torch_save_os_system.pt"] = lambda p: torch.save({"w": torch.zeros(2), "x": RunsShell(marker)}, p)
    files["legacy_os_system.pth"] = lambda p: torch.save({"x": RunsShell(marker)}, p,
                                                         _use_new_zipfile_serialization=False)
    files["raw_pickle_eval.bin"] = lambda p: p.write_bytes(pickle.dumps(RunsEval(marker)))
    files["raw_pickle_exec_proto2.ckpt"] = lambda p: p.write_bytes(pickle.dumps(RunsExec(marker), protocol=2))
    files["torch_save_eval.pt"] = lambda p: torch.save([RunsEval(marker)], p)
    paths = []
    for name, write in files.items():
        write(tmp_path / name)
        paths.append(tmp_path / name)
    return paths


EXPECTED_GLOBAL = {"torch_save_os_system.pt": "system", "legacy_os_system.pth": "system",
                   "raw_pickle_eval.bin": "builtins.eval", "raw_pickle_exec_proto2.ckpt": "exec",
                   "torch_save_eval.pt": "eval"}


def test_malicious_pickles_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "MARKER"
    for path in _malicious_files(tmp_path, marker):
        for action in (lambda p: inspect(str(p)), lambda p: load_model(ModelSource(str(p)))):
            with pytest.raises(WorkbenchError) as err:
                action(path)
            message = str(err.value)
            assert "needs full unpickling" in message and "refuses" in message, message
            assert EXPECTED_GLOBAL[path.name] in message, message
            assert "re-save it as a plain state dict or safetensors" in message
            assert not marker.exists(), f"{path.name} ran code"
    assert not marker.exists()


def test_pickled_module_is_refused(tmp_path):
    path = tmp_path / "whole_model.pt"
    torch.save(_cnn(), path)
    with pytest.raises(WorkbenchError, match="TinyCNN|torch.nn"):
        inspect(str(path))


def test_malicious_pt2_archive_is_refused(tmp_path):
    """torch.export.load itself falls back to full unpickling for sample inputs; the workbench does not."""
    marker = tmp_path / "MARKER"
    good = tmp_path / "good.pt2"
    torch.export.save(torch.export.export(_cnn(), (torch.randn(2, 3, 8, 8),)), good)
    payload = io.BytesIO()
    torch.save((RunsShell(marker),), payload)
    evil = tmp_path / "evil.pt2"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, payload.getvalue() if item.filename.endswith("sample_inputs/model.pt") else data)
    for action in (lambda: inspect(str(evil)), lambda: load_model(ModelSource(str(evil)))):
        with pytest.raises(WorkbenchError, match="needs full unpickling"):
            action()
    assert not marker.exists()
    assert torch.load is not None and "weights_only_load" not in repr(torch.load)  # the patch was undone


def test_garbage_file(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(WorkbenchError, match="not a readable PyTorch checkpoint"):
        inspect(str(path))


# ---------------------------------------------------------------------------------------------- state dicts

def test_plain_state_dict(tmp_path):
    path = tmp_path / "weights.pt"
    state = {"a.weight": torch.zeros(4, 3), "a.bias": torch.zeros(4, dtype=torch.float16),
             "steps": torch.tensor(3, dtype=torch.int64)}
    torch.save(state, path)
    info = inspect(str(path))
    assert info.format == "pytorch"
    assert {t.name: (t.dtype, t.shape) for t in info.tensors} == {
        "a.weight": ("float32", [4, 3]), "a.bias": ("float16", [4]), "steps": ("int64", [])}
    assert info.parameters == 12 + 4 + 1
    assert info.bytes_by_dtype == {"float32": 48, "float16": 8, "int64": 8}
    assert info.total_bytes == 64


def test_nested_lightning_style_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    torch.save({"epoch": 7, "global_step": 70, "state_dict": _cnn().state_dict(),
                "optimizer_states": [{"state": {}}]}, path)
    info = inspect(str(path))
    assert sorted(t.name for t in info.tensors) == sorted(_cnn().state_dict())
    assert info.metadata == {"epoch": 7, "global_step": 70}


def test_legacy_format_state_dict(tmp_path):
    path = tmp_path / "old.pth"
    torch.save({"w": torch.ones(2, 2)}, path, _use_new_zipfile_serialization=False)
    info = inspect(str(path))
    assert info.parameters == 4


def test_state_dict_has_no_architecture(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(_cnn().state_dict(), path)
    with pytest.raises(WorkbenchError) as err:
        load_model(ModelSource(str(path)))
    assert "config.json" in str(err.value) and "model.py:ClassName" in str(err.value)


# ------------------------------------------------------------------------------- TorchScript and torch.export

def test_torchscript(tmp_path):
    model, x = _cnn(), torch.randn(2, 3, 8, 8)
    path = tmp_path / "cnn_ts.pt"
    torch.jit.save(torch.jit.trace(model, (x,)), path)
    info = inspect(str(path))
    assert info.format == "torchscript"
    assert [i.name for i in info.inputs] == ["x"]
    assert info.parameters == sum(p.numel() for p in model.parameters())
    with pytest.raises(WorkbenchError, match="is a TorchScript program.*--trust-code"):
        load_model(ModelSource(str(path)), shapes={"x": [2, 3, 8, 8]})
    with pytest.raises(WorkbenchError, match="--shape x=2x3x32x32"):
        load_model(ModelSource(str(path), trust_code=True))
    loaded = load_model(ModelSource(str(path), trust_code=True), shapes={"x": [2, 3, 8, 8]})
    out = loaded.run({"x": x})
    np.testing.assert_allclose(out[loaded.output_names[0]], model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_export_archive(tmp_path):
    model, x = _cnn(), torch.randn(2, 3, 8, 8)
    path = tmp_path / "cnn.pt2"
    torch.export.save(torch.export.export(model, (x,)), path)
    info = inspect(str(path))
    assert info.format == "torch-export"
    assert [(i.name, i.dtype, i.shape) for i in info.inputs] == [("x", "float32", [2, 3, 8, 8])]
    assert len(info.outputs) == 1 and info.outputs[0].shape == [2, 2]
    assert info.parameters == sum(p.numel() for p in model.parameters())
    with pytest.raises(WorkbenchError, match="is a torch.export program.*--trust-code"):
        load_model(ModelSource(str(path)))
    loaded = load_model(ModelSource(str(path), trust_code=True))  # shapes from the archive's example inputs
    assert loaded.input_names == ["x"]
    out = loaded.run({"x": x})
    np.testing.assert_allclose(out[loaded.output_names[0]], model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------------ user code

USER_CODE = textwrap.dedent("""
    import pathlib
    import torch

    pathlib.Path(__file__).with_name("IMPORTED").touch()  # proves whether the file ran


    class Net(torch.nn.Module):
        example_input_shapes = {"x": [2, 3, 8, 8]}

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.head = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.conv(x).mean((2, 3)))


    class NoShapes(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 2)

        def forward(self, features):
            return self.lin(features)
""")


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "mymodel.py"
    path.write_text(USER_CODE)
    torch.manual_seed(1)
    weights = TinyCNN().state_dict()
    torch.save(weights, tmp_path / "net.pt")
    save_file(weights, str(tmp_path / "net.safetensors"))
    return path


def test_user_code_needs_trust(user_file):
    with pytest.raises(WorkbenchError, match="--trust-code"):
        load_model(ModelSource(f"{user_file}:Net", weights=str(user_file.parent / "net.pt")))
    assert not (user_file.parent / "IMPORTED").exists()


@pytest.mark.parametrize("weights_name", ["net.pt", "net.safetensors"])
def test_user_code_with_trust_loads_and_runs(user_file, weights_name):
    source = ModelSource(f"{user_file}:Net", weights=str(user_file.parent / weights_name), trust_code=True)
    loaded = load_model(source)
    assert loaded.input_names == ["x"]
    x = torch.randn(2, 3, 8, 8)
    reference = TinyCNN()
    reference.load_state_dict(torch.load(user_file.parent / "net.pt", weights_only=True))
    out = loaded.run({"x": x})
    np.testing.assert_allclose(out[loaded.output_names[0]], reference.eval()(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_user_code_wrong_keys(user_file):
    state = {f"model.{k}": v for k, v in TinyCNN().state_dict().items()}
    torch.save(state, user_file.parent / "prefixed.pt")
    source = ModelSource(f"{user_file}:Net", weights=str(user_file.parent / "prefixed.pt"), trust_code=True)
    with pytest.raises(WorkbenchError) as err:
        load_model(source)
    message = str(err.value)
    assert "missing 4 keys" in message and "conv.weight" in message
    assert "unexpected 4 keys" in message and "model.conv.weight" in message


def test_user_code_wrong_shapes(user_file):
    state = TinyCNN().state_dict()
    state["head.weight"] = torch.zeros(3, 4)
    torch.save(state, user_file.parent / "wrong.pt")
    source = ModelSource(f"{user_file}:Net", weights=str(user_file.parent / "wrong.pt"), trust_code=True)
    with pytest.raises(WorkbenchError, match="head.weight"):
        load_model(source)


def test_user_code_shapes(user_file):
    source = ModelSource(f"{user_file}:NoShapes", trust_code=True)
    with pytest.raises(WorkbenchError, match="--shape features="):
        load_model(source)
    loaded = load_model(source, shapes={"features": [3, 4]})
    assert loaded.run(loaded.make_inputs(batch=3))[loaded.output_names[0]].shape == (3, 2)


def test_user_code_unknown_class(user_file):
    with pytest.raises(WorkbenchError, match="defines no 'Nope'"):
        load_model(ModelSource(f"{user_file}:Nope", trust_code=True))


def test_sharded_bin_index(tmp_path):
    import json

    torch.save({"a": torch.zeros(2, 2)}, tmp_path / "pytorch_model-00001-of-00002.bin")
    torch.save({"b": torch.zeros(3)}, tmp_path / "pytorch_model-00002-of-00002.bin")
    index = {"metadata": {"total_size": 28}, "weight_map": {"a": "pytorch_model-00001-of-00002.bin",
                                                           "b": "pytorch_model-00002-of-00002.bin"}}
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps(index))
    info = inspect(str(tmp_path))  # a folder without config.json: the torch checkpoint loader
    assert info.format == "pytorch" and info.parameters == 7 and info.problems == []
    (tmp_path / "pytorch_model-00002-of-00002.bin").unlink()
    info = inspect(str(tmp_path / "pytorch_model.bin.index.json"))
    assert info.parameters == 4 and "1 of 2 weight shards" in info.problems[0]


def test_pt2_graph_calling_a_non_operator_is_refused(tmp_path):
    good = tmp_path / "good.pt2"
    torch.export.save(torch.export.export(_cnn(), (torch.randn(2, 3, 8, 8),)), good)
    bad = tmp_path / "bad.pt2"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("models/model.json"):
                assert b"torch.ops.aten.mean.dim" in data
                data = data.replace(b"torch.ops.aten.mean.dim", b"torch.hub.load")
            out.writestr(item, data)
    with pytest.raises(WorkbenchError, match="torch.hub.load"):
        load_model(ModelSource(str(bad), trust_code=True))


# ------------------------------------------------------------------- programs: read as data, run only if trusted

def test_inspect_never_loads_a_program(tmp_path, monkeypatch):
    model, x = _cnn(), torch.randn(2, 3, 8, 8)
    torch.jit.save(torch.jit.trace(model, (x,)), tmp_path / "ts.pt")
    torch.export.save(torch.export.export(model, (x,)), tmp_path / "ep.pt2")

    def forbidden(*_a, **_k):
        raise AssertionError("inspect deserialized a program")

    monkeypatch.setattr(torch.jit, "load", forbidden)
    monkeypatch.setattr(torch.export, "load", forbidden)
    monkeypatch.setattr(torch._C, "import_ir_module", forbidden)
    for name in ("ts.pt", "ep.pt2"):
        info = inspect(str(tmp_path / name))
        assert info.parameters == sum(p.numel() for p in model.parameters())
        assert any("--trust-code" in n for n in info.notes)


@pytest.mark.parametrize("target, allowed", [
    ("torch.ops.aten.add.Tensor", True), ("torch.ops.prims.convert_element_type.default", True),
    ("_operator.getitem", True), ("torch.sym_float", True), ("math.ceil", True),
    ("torch.ops.higher_order.cond", True),
    ("torch.ops.aten.from_file.default", False), ("torch.ops.aten.save.default", False),
    ("torch.ops.aten._print.default", False), ("torch.ops.profiler._record_function_enter_new.default", False),
    ("torch.ops.mylib.anything.default", False), ("torch.ops.higher_order.run_with_rng_state", False),
    ("_operator.methodcaller", False), ("builtins.eval", False), ("torch.hub.load", False), ("os.system", False),
])
def test_pt2_op_policy(target, allowed):
    from workbench.core.loading import program_ops

    if allowed:
        program_ops.check_export_target("m.pt2", target)
    else:
        with pytest.raises(WorkbenchError, match="refuses to run it"):
            program_ops.check_export_target("m.pt2", target)


def test_loaded_fx_graph_is_checked_again():
    from workbench.core.loading import program_ops

    ep = torch.export.export(_cnn(), (torch.randn(2, 3, 8, 8),))
    program_ops.check_fx_graphs("m.pt2", ep)
    node = next(n for n in ep.graph_module.graph.nodes if n.op == "call_function")
    node.target = torch.ops.aten.from_file.default
    with pytest.raises(WorkbenchError, match="aten::from_file"):
        program_ops.check_fx_graphs("m.pt2", ep)


class _Prints(torch.nn.Module):
    def forward(self, x):
        print("side effect")
        return x * 2


class _Saves(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _Prints()

    def forward(self, x):
        torch.save(x, "/nonexistent/never-written")
        return self.inner(x)


def test_loaded_script_module_graph_is_checked():
    """The graph check after torch.jit.load (the second line behind the source scan), submodules included."""
    from workbench.core.loading import program_ops

    program_ops.check_script_module("ok.pt", torch.jit.trace(_cnn(), (torch.randn(2, 3, 8, 8),)))
    with pytest.raises(WorkbenchError, match="aten::save"):
        program_ops.check_script_module("saves.pt", torch.jit.script(_Saves()))
    with pytest.raises(WorkbenchError, match="prim::Print"):
        program_ops.check_script_module("prints.pt", torch.jit.script(_Prints()))


def test_torchscript_program_refused_before_loading(tmp_path, monkeypatch):
    path = tmp_path / "saves.pt"
    torch.jit.save(torch.jit.script(_Saves()), path)
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loaded")))
    with pytest.raises(WorkbenchError, match="aten::save"):
        load_model(ModelSource(str(path), trust_code=True), shapes={"x": [2, 4]})
    info = inspect(str(path))
    assert any("aten::save" in p for p in info.problems)


@pytest.mark.parametrize("text, ok", [
    ("Symbol('s31', positive=True, integer=True)", True),
    ("Mul(Integer(2), Symbol('s77', positive=True, integer=True))", True),
    ("FloorDiv(Symbol('s77', positive=True, integer=True), Integer(2))", True),
    ("__import__('os').system('true')", False), ("Symbol('s0').__class__", False), ("open('x', 'w')", False),
    ("[c for c in ()]", False), ("(lambda: 0)()", False),
])
def test_pt2_symbolic_shapes_must_be_plain_sympy(text, ok):
    """torch parses these with sympy.sympify, which is eval."""
    from workbench.core.loading import program_ops

    if ok:
        program_ops.check_sympy_expr("m.pt2", text)
    else:
        with pytest.raises(WorkbenchError, match="symbolic shape"):
            program_ops.check_sympy_expr("m.pt2", text)


@pytest.mark.parametrize("text, ok", [
    ("L['x'].size()[0] <= 64", True), ("Eq(Mod(L['x'].size()[1], 2), 0)", True),
    ("L['x'].size()[0] == L['y'].size()[0]", True),
    ("__import__('os').system('true') or True", False), ("L['x'].__class__", False), ("print(1)", False),
    ("L['x'].numpy().tofile('/tmp/x')", False),
])
def test_pt2_guards_must_be_shape_checks(text, ok):
    """torch compiles these with exec when it builds ep.module()."""
    from workbench.core.loading import program_ops

    if ok:
        program_ops.check_guard("m.pt2", text)
    else:
        with pytest.raises(WorkbenchError, match="guard"):
            program_ops.check_guard("m.pt2", text)


def test_torchscript_data_pkl_is_read_by_an_inert_unpickler(tmp_path):
    good = tmp_path / "ts.pt"
    torch.jit.save(torch.jit.trace(_cnn(), (torch.randn(2, 3, 8, 8),)), good)
    marker = tmp_path / "MARKER"
    evil = tmp_path / "evil_ts.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, pickle.dumps(RunsShell(marker)) if item.filename.endswith("/data.pkl") else data)
    info = inspect(str(evil))
    assert not marker.exists()
    assert any("data.pkl was not read" in n and "system" in n for n in info.notes), info.notes
