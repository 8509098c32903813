"""Benchmark panel: variants from the state, a streamed run into the charts and the table, cancel, CLI, PNG."""

import os
import shlex
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pyqtgraph")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """The tiny MLP as ONNX (dynamo exporter), its int8 variant, and a torch.export archive for PyTorch eager."""
    import torch

    folder = tmp_path_factory.getbasetemp() / "bench-tiny"
    paths = {"onnx": folder / "model.onnx", "int8": folder / "model.int8.onnx", "torch": folder / "model.pt2"}
    if not all(p.exists() for p in paths.values()):
        from onnxruntime.quantization import quantize_dynamic

        folder.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)).eval()
        example = (torch.randn(2, 16),)
        torch.onnx.export(model, example, dynamo=True, input_names=["x"], output_names=["y"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},)).save(str(paths["onnx"]))
        quantize_dynamic(str(paths["onnx"]), str(paths["int8"]))
        torch.export.save(torch.export.export(model, example), str(paths["torch"]))
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture
def panel(qtbot, tiny_models):
    from workbench.gui.panels.bench_panel import BenchPanel
    from workbench.gui.state import AppState

    state = AppState()
    p = BenchPanel(state)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    state.set_source(tiny_models["torch"])
    state.set_onnx(tiny_models["onnx"])
    state.add_variant("ORT int8", tiny_models["int8"])
    p.batch.setValue(2)
    p.sequence.setValue(8)
    p.warmup.setValue(2)
    yield p
    p.shutdown()


def test_cuda_is_offered_only_when_onnxruntime_has_it(panel):
    import onnxruntime as ort

    item = panel.provider.model().item(1)
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    assert item.isEnabled() == has_cuda
    if not has_cuda:
        assert "CUDAExecutionProvider" in item.toolTip()


def test_variants_follow_the_state(panel, tiny_models):
    assert list(panel.checks) == ["PyTorch eager", "ORT fp32", "ORT int8"]
    panel.checks["ORT int8"].setChecked(False)
    panel.state.add_variant("ORT fp16", tiny_models["onnx"])
    assert list(panel.checks) == ["PyTorch eager", "ORT fp32", "ORT int8", "ORT fp16"]
    assert not panel.checks["ORT int8"].isChecked()  # kept across the refresh
    assert [v.name for v in panel.selected_variants()] == ["PyTorch eager", "ORT fp32", "ORT fp16"]
    panel.state.set_source(tiny_models["onnx"])  # an ONNX source has no PyTorch eager row
    assert "PyTorch eager" not in panel.checks


def test_run_streams_into_the_charts_and_fills_the_table(qtbot, panel, monkeypatch):
    from workbench.gui.panels import bench_panel

    emitted = []
    original = bench_panel.BenchPanel._on_samples

    def spy(self, name, batch):
        emitted.append((name, len(batch)))
        return original(self, name, batch)
    monkeypatch.setattr(bench_panel.BenchPanel, "_on_samples", spy)
    panel.iterations.setValue(300)
    started = time.monotonic()
    with qtbot.waitSignal(panel.runFinished, timeout=180_000) as blocker:
        panel.run()
        assert panel.running and not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    results = blocker.args[0]
    assert [r.name for r in results] == ["PyTorch eager", "ORT fp32", "ORT int8"]
    assert panel.table.rowCount() == 3 and not panel.failures
    for row, result in enumerate(results):
        assert panel.table.item(row, 0).text() == result.name
        assert float(panel.table.item(row, 2).text()) == pytest.approx(result.latency_ms["p50"], abs=1e-3)
        assert float(panel.table.item(row, bench_panel.COLUMNS.index("throughput /s")).text()) > 0
        assert result.iterations == 300 and result.batch == 2
    elapsed = time.monotonic() - started
    # Samples came in batches, at most one signal per BATCH_INTERVAL_S per variant (a run slower than that interval
    # comes one sample per signal), and every one reached the charts.
    total = sum(n for _name, n in emitted)
    assert total == 900
    assert len(emitted) <= elapsed / bench_panel.BATCH_INTERVAL_S + 3
    assert len([n for name, n in emitted if name == "ORT fp32"]) < 300 / 5  # fast runs: many samples a signal
    for name in ("PyTorch eager", "ORT fp32", "ORT int8"):
        assert len(panel.charts.latency.series[name].buffer) == 300
    assert panel.status.text().startswith("Finished")
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_cancel_stops_the_run(qtbot, panel):
    panel.iterations.setValue(1_000_000)
    panel.checks["PyTorch eager"].setChecked(False)
    panel.run()
    qtbot.waitUntil(lambda: panel.counts.get("ORT fp32", 0) > 50, timeout=60_000)
    with qtbot.waitSignal(panel.runFinished, timeout=15_000) as blocker:
        panel.cancel()
    assert blocker.args[0] == []  # nothing finished: no summary rows for a cancelled variant
    assert panel.table.rowCount() == 0
    assert panel.status.text().startswith("Cancelled")
    assert "ORT int8" not in panel.counts  # the next variant never started
    assert panel.counts["ORT fp32"] < 1_000_000 and not panel.running


def test_cli_command_and_png(qtbot, panel, tiny_models, tmp_path):
    panel.iterations.setValue(50)
    text = panel.copy_cli()
    lines = text.splitlines()
    assert shlex.split(lines[0]) == ["workbench", "bench", tiny_models["onnx"], "--provider", "cpu", "--batch", "2",
                                     "--seq", "8", "--iterations", "50", "--warmup", "2",
                                     "--compare-torch", tiny_models["torch"], "--trust-code"]  # a .pt2 is a program
    assert shlex.split(lines[1])[:3] == ["workbench", "bench", tiny_models["int8"]]
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == text
    path = panel.save_charts(str(tmp_path / "bench.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000
