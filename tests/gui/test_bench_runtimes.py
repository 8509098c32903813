"""Benchmark panel over several runtimes: a runtime picker per variant from the registry (unavailable ones disabled
with their install hint), an OpenVINO IR overlaid with ONNX Runtime on the same charts through the same child
runner as `workbench bench --runtime`, and one thread count for every variant when Threads says "default"."""

import shlex
from dataclasses import replace

import pytest

pytest.importorskip("pyqtgraph")

from workbench.core.registry import build_registry  # noqa: E402
from workbench.core.runtimes.base import Availability, Runtime  # noqa: E402


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """The tiny MLP as ONNX, the same converted to OpenVINO IR, and a .gguf name (llama.cpp is not installed)."""
    import torch

    folder = tmp_path_factory.mktemp("bench-runtimes")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)).eval()
    onnx = folder / "model.onnx"
    torch.onnx.export(model, (torch.randn(2, 16),), dynamo=True, input_names=["x"], output_names=["y"],
                      dynamic_shapes=({0: torch.export.Dim("batch")},)).save(str(onnx))
    out = {"onnx": str(onnx), "gguf": str(folder / "model.q8_0.gguf")}
    (folder / "model.q8_0.gguf").write_bytes(b"GGUF")
    try:
        import openvino as ov

        ov.save_model(ov.convert_model(str(onnx)), str(folder / "model.xml"))
        out["xml"] = str(folder / "model.xml")
    except ImportError:
        pass
    return out


def _fake(name: str, available: bool) -> Runtime:
    hint = "" if available else f"pip install {name}-runtime"
    return Runtime(name=name, description=f"{name} (test)", suffixes=(".onnx",), open=lambda *a: None,
                   availability=lambda: Availability(available, "1.0" if available else "", ("cpu",), hint))


@pytest.fixture
def panel(qtbot, state, artifacts):
    from workbench.gui.panels.bench_panel import BenchPanel

    p = BenchPanel(state)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    state.set_onnx(artifacts["onnx"])
    p.batch.setValue(2)
    p.sequence.setValue(8)
    p.warmup.setValue(2)
    yield p
    p.shutdown()


def test_each_variant_offers_the_runtimes_that_open_it(qtbot, panel, state, artifacts, monkeypatch):
    reg = build_registry(include_plugins=False)
    reg.add_runtime(_fake("fast-onnx", True))
    reg.add_runtime(_fake("absent-onnx", False))
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"],  # as where llama-cpp-python is missing
                                        availability=lambda: Availability(False, hint="pip install llama-cpp-python"))
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    state.add_variant("gguf q8_0", artifacts["gguf"])
    row = panel.rows["ORT fp32"]
    combo = row.runtime
    names = [combo.itemText(i) for i in range(combo.count())]
    assert names == ["onnxruntime", "fast-onnx", "absent-onnx"] and combo.currentData() == "onnxruntime"
    absent = combo.model().item(2)
    assert not absent.isEnabled() and absent.toolTip() == "pip install absent-onnx-runtime"
    # llama.cpp missing: the GGUF variant says why and cannot be checked; the run leaves it out
    gguf = panel.rows["gguf q8_0"]
    assert not gguf.check.isEnabled() and not gguf.check.isChecked() and "pip install" in gguf.check.toolTip()
    assert [v.name for v in panel.selected_variants()] == ["ORT fp32"]
    # another runtime picked: the variant runs on it, and the CLI line names it
    combo.setCurrentIndex(1)
    [variant] = [v for v in panel.selected_variants() if v.name == "ORT fp32"]
    assert variant.runtime == "fast-onnx"
    line = shlex.split(panel.cli_command().splitlines()[0])
    assert line[line.index("--runtime") + 1] == "fast-onnx"
    combo.setCurrentIndex(0)  # the suffix's own runtime: no --runtime (the CLI picks it the same way)
    assert "--runtime" not in panel.cli_command()
    state.add_variant("ORT again", artifacts["onnx"])  # a refresh keeps each row's pick
    combo = panel.rows["ORT fp32"].runtime
    combo.setCurrentIndex(1)
    state.add_variant("ORT third", artifacts["onnx"])
    assert panel.rows["ORT fp32"].runtime.currentData() == "fast-onnx"


def test_default_threads_is_one_number_for_every_variant(qtbot, panel, state, artifacts, monkeypatch):
    from workbench.gui.panels import bench_variants

    monkeypatch.setattr(bench_variants, "default_threads", lambda: 3)
    monkeypatch.setattr("workbench.gui.panels.bench_panel.default_threads", lambda: 3)
    specs = []

    def record(name, fn, spec, **kwargs):
        specs.append(spec)
        raise RuntimeError("recorded")  # no child: only the spec matters here
    monkeypatch.setattr(state.jobs, "run_in_process", record)
    state.add_variant("ORT copy", artifacts["onnx"])
    assert panel.threads.value() == 0 and panel.spec_fields()["threads"] is None  # the recipe keeps "default"
    with pytest.raises(RuntimeError, match="recorded"):
        panel.run()
    assert specs[0].threads == 3 and panel.ran["ORT fp32"] == ("onnxruntime", 3)
    panel.threads.setValue(5)
    assert panel.resolved_threads() == 5 and "--threads 5" in panel.cli_command()


def test_openvino_and_onnxruntime_overlaid_on_the_same_charts(qtbot, panel, state, artifacts):
    if "xml" not in artifacts:
        pytest.skip("openvino is not installed")
    from workbench.gui.panels.bench_panel import COLUMNS

    state.add_variant("OpenVINO fp32", artifacts["xml"])
    assert panel.rows["OpenVINO fp32"].runtime.currentData() == "openvino"
    panel.iterations.setValue(60)
    panel.threads.setValue(1)
    with qtbot.waitSignal(panel.runFinished, timeout=180_000) as blocker:
        panel.run()
    results = {r.name: r for r in blocker.args[0]}
    assert set(results) == {"ORT fp32", "OpenVINO fp32"} and not panel.failures
    for name in results:  # both series on the one latency chart, every sample
        assert len(panel.charts.latency.series[name].buffer) == 60
    runtime_col, threads_col = COLUMNS.index("Runtime"), COLUMNS.index("Threads")
    rows = {panel.table.item(r, 0).text(): r for r in range(panel.table.rowCount())}
    assert panel.table.item(rows["ORT fp32"], runtime_col).text() == "onnxruntime"
    assert panel.table.item(rows["OpenVINO fp32"], runtime_col).text() == "openvino"
    assert {panel.table.item(r, threads_col).text() for r in rows.values()} == {"1"}
    assert results["OpenVINO fp32"].iterations == 60 and results["OpenVINO fp32"].batch == 2
    panel.grab().save("/tmp/bench_mixed_runtimes.png")


def test_a_plugin_runtime_without_its_library_disables_only_its_choice(qtbot, state, artifacts, monkeypatch):
    from workbench.gui.panels.bench_variants import runtime_choices

    reg = build_registry(include_plugins=False)
    reg.runtimes["onnxruntime"] = replace(reg.runtimes["onnxruntime"],
                                          availability=lambda: Availability(False, hint="pip install onnxruntime"))
    reg.add_runtime(_fake("fast-onnx", True))
    choices = runtime_choices(artifacts["onnx"], reg)
    assert [(c.name, c.available) for c in choices] == [("onnxruntime", False), ("fast-onnx", True)]
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    from workbench.gui.panels.bench_panel import BenchPanel

    p = BenchPanel(state)
    qtbot.addWidget(p)
    state.set_onnx(artifacts["onnx"])
    row = p.rows["ORT fp32"]
    assert row.runnable() and row.runtime.currentData() == "fast-onnx"  # the available one is picked
    line = shlex.split(p.cli_command())
    assert line[line.index("--runtime") + 1] == "fast-onnx"
