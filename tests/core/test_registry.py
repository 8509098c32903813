"""One registry: built-ins register like plugins; plugins come from entry points and plugin folders; a broken
plugin is reported and skipped; every registered target has a test."""

from pathlib import Path

import pytest

from workbench.core import registry as reg_mod
from workbench.core.errors import WorkbenchError

TARGET_TESTS = Path(__file__).resolve().parents[1] / "targets"  # tests/targets/test_<target name>.py
RUNTIME_TESTS = Path(__file__).resolve().parents[1] / "runtimes"  # tests/runtimes/test_<runtime name>.py


def runtime_test(name: str) -> Path:
    return RUNTIME_TESTS / f"test_{name.replace('.', '_').replace('-', '_')}.py"


def test_builtins_and_example_plugin_are_registered():
    reg = reg_mod.build_registry()
    assert {"onnx", "torchscript", "safetensors"} <= set(reg.targets)
    assert reg.targets["safetensors"].origin.endswith("safetensors_target.py")
    assert reg.targets["onnx"].origin == "builtin"
    assert list(reg.loaders) == ["safetensors_files", "hf_folder", "torch_files", "onnx_files", "gguf_files",
                                 "paddle_files", "mnn_files", "openvino_files"]
    assert reg.broken == []


def test_every_registered_target_has_a_test():
    # derived from the registry: each target registered (built-in or plugin) has tests/targets/test_<name>.py,
    # which exports through that target and validates the result
    reg = reg_mod.build_registry()
    assert reg.targets and not reg.broken
    missing = [name for name in reg.targets if not (TARGET_TESTS / f"test_{name}.py").is_file()]
    assert missing == [], f"add tests/targets/test_<name>.py (export + validate) for: {', '.join(missing)}"
    for name in reg.targets:
        text = (TARGET_TESTS / f"test_{name}.py").read_text("utf-8")
        assert f'"{name}"' in text and "export(" in text and "validate(" in text, f"test_{name}.py tests no {name}"


def test_a_target_without_a_test_is_caught(tmp_path, monkeypatch):
    # the check above, on a registry with one more (plugin) target: it must name the target
    (tmp_path / "untested.py").write_text(
        "from workbench.core.registry import Target\n"
        "def register(r):\n"
        "    r.add_target(Target('untested', 'no test module', export=lambda *a, **k: None))\n")
    monkeypatch.setenv("WORKBENCH_PLUGIN_PATH", str(tmp_path))
    with pytest.raises(AssertionError, match="for: untested"):
        test_every_registered_target_has_a_test()


def test_every_registered_runtime_has_a_test():
    # derived from the registry: each runtime registered (built-in or plugin) has tests/runtimes/test_<name>.py
    # ("." and "-" as "_"), which opens an artifact through that runtime, runs it and compares it with PyTorch
    reg = reg_mod.build_registry()
    assert {"onnxruntime", "torch"} <= set(reg.runtimes) and not reg.broken
    missing = [name for name in reg.runtimes if not runtime_test(name).is_file()]
    assert missing == [], f"add tests/runtimes/test_<name>.py (open + run + compare) for: {', '.join(missing)}"
    for name in reg.runtimes:
        text = runtime_test(name).read_text("utf-8")
        # a runtime no machine here can install (TensorRT) cannot be run: its test proves the one-line refusal
        runs = ".run(" in text or ("not state.available" in text and "pytest.raises(WorkbenchError)" in text)
        assert f'"{name}"' in text and ".open(" in text and runs, f"{runtime_test(name).name} runs no {name}"


def test_a_runtime_without_a_test_is_caught(tmp_path, monkeypatch):
    # the check above, on a registry with one more (plugin) runtime whose name needs the "." / "-" mapping
    (tmp_path / "untested_rt.py").write_text(
        "from workbench.core.runtimes.base import Availability, Runtime\n"
        "def register(r):\n"
        "    r.add_runtime(Runtime('my-rt.v2', 'no test module', ('.xyz',), open=None,\n"
        "                          availability=lambda: Availability(False, hint='pip install my-rt')))\n")
    monkeypatch.setenv("WORKBENCH_PLUGIN_PATH", str(tmp_path))
    assert runtime_test("my-rt.v2").name == "test_my_rt_v2.py"
    with pytest.raises(AssertionError, match="for: my-rt.v2"):
        test_every_registered_runtime_has_a_test()


def test_runtimes_command_lists_plugins_and_install_hints(tmp_path, monkeypatch, capsys):
    import json

    from workbench import cli

    (tmp_path / "missing_rt.py").write_text(
        "from workbench.core.runtimes.base import Availability, Runtime\n"
        "def register(r):\n"
        "    r.add_runtime(Runtime('missing', 'a runtime whose library is absent', ('.xyz',), open=None,\n"
        "                          availability=lambda: Availability(False, hint='pip install missing-lib')))\n"
        "    r.add_runtime(Runtime('half', 'rolled back', ('.abc',), open=None, availability=None))\n"
        "    raise ValueError('after two runtimes')\n")
    (tmp_path / "ok_rt.py").write_text(
        "from workbench.core.runtimes.base import Availability, Runtime\n"
        "def register(r):\n"
        "    r.add_runtime(Runtime('missing', 'a runtime whose library is absent', ('.xyz',), open=None,\n"
        "                          availability=lambda: Availability(False, hint='pip install missing-lib')))\n")
    monkeypatch.setenv("WORKBENCH_PLUGIN_PATH", str(tmp_path))
    monkeypatch.setattr(reg_mod, "_default", reg_mod.build_registry())
    assert "half" not in reg_mod.default_registry().runtimes  # the failed plugin's runtimes rolled back
    assert cli.main(["runtimes", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["runtimes"]}
    ort_row = rows["onnxruntime"]
    assert ort_row["available"] and ort_row["version"] and ".onnx" in ort_row["opens"]
    assert "cpu" in rows["torch"]["devices"] and rows["torch"]["origin"] == "builtin"
    assert rows["missing"] == {**rows["missing"], "available": False, "hint": "pip install missing-lib",
                               "opens": [".xyz"]} and rows["missing"]["origin"].endswith("ok_rt.py")
    assert cli.main(["runtimes"]) == 0
    text = capsys.readouterr().out
    assert "onnxruntime" in text and "install missing: pip install missing-lib" in text


def test_broken_plugins_are_reported_and_skipped(tmp_path, monkeypatch):
    (tmp_path / "raises_on_import.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "no_register.py").write_text("x = 1\n")
    (tmp_path / "half.py").write_text(
        "from workbench.core.registry import Target\n"
        "def register(r):\n"
        "    r.add_target(Target('half', 'half', export=lambda *a, **k: None))\n"
        "    raise ValueError('failed midway')\n")
    (tmp_path / "good.py").write_text(
        "from workbench.core.registry import Target\n"
        "def register(r):\n"
        "    r.add_target(Target('good', 'a good plugin', export=lambda *a, **k: None))\n")
    monkeypatch.setenv("WORKBENCH_PLUGIN_PATH", str(tmp_path))
    reg = reg_mod.build_registry()
    assert "good" in reg.targets and reg.targets["good"].origin.endswith("good.py")
    assert "half" not in reg.targets  # rolled back
    reasons = dict(reg.broken)
    assert any("boom" in r for r in reasons.values())
    assert any("register" in r for o, r in reasons.items() if o.endswith("no_register.py"))
    assert any("failed midway" in r for r in reasons.values())
    assert "onnx" in reg.targets


def test_entry_point_plugins(monkeypatch):
    from importlib import metadata

    class FakeEntryPoint:
        name = "fake"

        def load(self):
            from workbench.core.registry import Target

            return lambda r: r.add_target(Target("from-ep", "entry point target", export=lambda *a, **k: None))

    monkeypatch.setattr(metadata, "entry_points", lambda group=None: [FakeEntryPoint()] if group else [])
    reg = reg_mod.build_registry()
    assert reg.targets["from-ep"].origin == "entry point fake"


def test_unknown_target_and_unknown_format(tmp_path):
    reg = reg_mod.build_registry()
    with pytest.raises(WorkbenchError, match="unknown target 'nope'"):
        reg.target("nope")
    odd = tmp_path / "weights.xyz"
    odd.write_bytes(b"hello")
    with pytest.raises(WorkbenchError, match="not a format"):
        reg.loader_for(Path(odd))
