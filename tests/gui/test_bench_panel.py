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
        assert float(panel.table.item(row, bench_panel.COLUMNS.index("p50 ms")).text()) == pytest.approx(
            result.latency_ms["p50"], abs=1e-3)
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
    from workbench.gui.panels.bench_variants import default_threads

    assert shlex.split(lines[0]) == ["workbench", "bench", tiny_models["onnx"], "--provider", "cpu", "--batch", "2",
                                     "--seq", "8", "--iterations", "50", "--warmup", "2",
                                     "--threads", str(default_threads()),  # what "default" ran with
                                     "--compare-torch", tiny_models["torch"], "--trust-code"]  # a .pt2 is a program
    assert shlex.split(lines[1])[:3] == ["workbench", "bench", tiny_models["int8"]]
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == text
    path = panel.save_charts(str(tmp_path / "bench.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000


# -- each variant a child-process job (issue 17, point 1) ---------------------------------------------------------

@pytest.fixture
def job_panel(qtbot, state, tiny_models):
    """The panel over an AppState with a JobManager (as in the window), ORT fp32 only."""
    from workbench.gui.panels.bench_panel import BenchPanel

    p = BenchPanel(state)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    state.set_source(tiny_models["torch"])
    state.set_onnx(tiny_models["onnx"])
    p.batch.setValue(2)
    p.sequence.setValue(8)
    p.warmup.setValue(2)
    p.checks["PyTorch eager"].setChecked(False)
    yield p
    p.shutdown()


def test_variant_runs_in_a_child_job_shown_in_the_job_manager(qtbot, job_panel, state):
    import psutil

    from workbench.gui import workers

    logged = []
    state.logMessage.connect(logged.append)
    added = []
    state.jobs.jobAdded.connect(added.append)
    job_panel.iterations.setValue(3000)
    job_panel.run()
    job = job_panel.job
    assert added == [job] and job in state.jobs.running() and job.kind == "process"
    assert job.name == "Benchmark ORT fp32"
    qtbot.waitUntil(lambda: job_panel.counts.get("ORT fp32", 0) > 0, timeout=60_000)
    pid = job.worker.pid
    assert pid is not None and pid != os.getpid() and psutil.Process(pid).is_running()
    child_rss = psutil.Process(pid).memory_info().rss / 2**20  # the child, read from outside (psutil on its pid)
    qtbot.waitUntil(lambda: not job_panel.running, timeout=120_000)
    [result] = job_panel.results
    # the job's time covers at least its 3000 timed runs, and stops with the job (it does not keep counting)
    took = job.elapsed()
    assert job.state == workers.DONE and job.fraction == 1.0 and took >= sum(result.samples) / 1000.0 > 0
    time.sleep(0.05)
    assert job.elapsed() == took
    assert result.iterations == 3000 and result.batch == 2
    # the child's own peak: at least what psutil saw of it, and far below this (GUI) process's RSS
    gui_rss = psutil.Process().memory_info().rss / 2**20
    assert child_rss * 0.9 <= result.peak_rss_mb < gui_rss / 2, (child_rss, result.peak_rss_mb, gui_rss)
    assert "Started: Benchmark ORT fp32" in logged
    assert any(m.startswith("Finished: Benchmark ORT fp32 (p50 ") for m in logged)


def test_cancel_kills_the_child_at_once(qtbot, job_panel):
    import psutil

    job_panel.iterations.setValue(1_000_000)
    job_panel.run()
    qtbot.waitUntil(lambda: job_panel.counts.get("ORT fp32", 0) > 20, timeout=60_000)
    job = job_panel.job
    child = psutil.Process(job.worker.pid)
    started = time.monotonic()
    with qtbot.waitSignal(job_panel.runFinished, timeout=10_000) as blocker:
        job_panel.cancel()
    took = time.monotonic() - started
    assert blocker.args[0] == [] and job.state == "cancelled"
    assert took < 3.0, took  # SIGKILL at once, no grace period
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert job_panel.counts["ORT fp32"] < 1_000_000 and job_panel.status.text().startswith("Cancelled")


def test_cancel_from_the_jobs_dock_ends_the_run(qtbot, panel):
    panel.iterations.setValue(1_000_000)
    panel.checks["PyTorch eager"].setChecked(False)
    panel.run()
    qtbot.waitUntil(lambda: panel.counts.get("ORT fp32", 0) > 20, timeout=60_000)
    with qtbot.waitSignal(panel.runFinished, timeout=10_000):
        panel.job.cancel()  # what the Jobs dock's Cancel button does
    assert "ORT int8" not in panel.counts and not panel.running  # the next variant never started


@pytest.fixture(scope="session")
def static_onnx(tiny_models, tmp_path_factory):
    """The tiny MLP exported with a fixed batch of 1 (x: 1x16)."""
    import torch

    path = tmp_path_factory.mktemp("bench-static") / "static.onnx"
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)).eval()
    torch.onnx.export(model, (torch.randn(1, 16),), dynamo=True, input_names=["x"],
                      output_names=["y"]).save(str(path))
    return str(path)


def test_a_static_shape_that_differs_is_refused(qtbot, job_panel, state, static_onnx):
    from workbench.core.bench.inputs import shape_conflicts

    assert shape_conflicts(static_onnx, 1, 8) == []  # the check can pass: batch 1 is what the file takes
    state.add_variant("ORT static", static_onnx)
    job_panel.iterations.setValue(20)
    with qtbot.waitSignal(job_panel.runFinished, timeout=120_000) as blocker:
        job_panel.run()
    assert [r.name for r in blocker.args[0]] == ["ORT fp32"]  # the other variant still ran, at batch 2
    assert blocker.args[0][0].batch == 2
    reason = job_panel.failures["ORT static"]
    assert "\n" not in reason and "refused" in reason and "static.onnx takes x 1x16 (fixed)" in reason
    assert "2x16" in reason
    row = [r for r in range(job_panel.table.rowCount()) if job_panel.table.item(r, 0).text() == "ORT static"][0]
    assert "refused" in job_panel.table.item(row, 1).text()
    header = job_panel.table.horizontalHeader()  # the spanning line widens no column (the last stays visible)
    assert job_panel.table.columnWidth(1) < 3 * header.sectionSizeHint(1)


def test_variants_get_distinct_colours(qtbot):
    from workbench.gui.charts import BenchCharts

    charts = BenchCharts()
    qtbot.addWidget(charts)
    names = ["PyTorch eager", "ORT fp32", "ORT optimized", "ORT int8 dynamic", "ORT int8 static", "ORT fp16",
             "ORT int4", "ORT fp32 (2)", "PyTorch eager bf16", "custom"]
    colors = [charts.color(n) for n in names]
    assert len({c.lower() for c in colors}) == len(names) == 10
    assert colors[0] == charts.color("PyTorch eager")  # stable per series


def test_table_shows_every_row_and_column(qtbot, job_panel, state, tiny_models, tmp_path):
    from PySide6.QtCore import QPoint

    from workbench.core.results import BenchResult
    from workbench.gui.panels.bench_panel import COLUMNS

    for i in range(5):
        state.add_variant(f"ORT int8 #{i}", tiny_models["int8"])
    for name in job_panel.checks:
        job_panel.charts.add_series(name)
        job_panel._add_row(BenchResult(name=name, provider="cpu", latency_ms={k: 1.2345 for k in
                                       ("p50", "p95", "p99", "mean", "min", "max")}, throughput_per_s=1620.0,
                                       peak_rss_mb=88.0, iterations=200, samples=[1.2, 1.3]))
    qtbot.wait(50)
    table = job_panel.table
    assert table.rowCount() == 7
    viewport = table.viewport()
    last_row = table.visualRect(table.model().index(6, 0))
    assert viewport.rect().contains(last_row.bottomLeft() - QPoint(0, 1))  # all 7 rows visible
    header = table.horizontalHeader()
    gpu = COLUMNS.index("GPU peak MB")
    assert table.isColumnHidden(gpu)  # no variant read GPU memory: no column of dashes
    for col in range(table.columnCount()):  # each column at least as wide as its text (scrolls when needed)
        if col != gpu:
            assert not table.isColumnHidden(col) and header.sectionSize(col) >= header.sectionSizeHint(col) - 1
    job_panel._add_row(BenchResult(name="ORT cuda", provider="cuda", latency_ms={k: 0.5 for k in
                                   ("p50", "p95", "p99", "mean", "min", "max")}, throughput_per_s=4000.0,
                                   peak_rss_mb=300.0, gpu_peak_mb=612.0, iterations=200, samples=[0.5]))
    assert not table.isColumnHidden(gpu) and table.item(7, gpu).text() == "612"
    assert len({job_panel.charts.color(n).lower() for n in job_panel.checks}) == 7
    job_panel.grab().save(str(tmp_path / "bench.png"))


def test_panel_numbers_match_the_cli_bench(qtbot, panel, tiny_models):
    """The panel and `workbench bench` (its API function) at the same settings: same p50 within noise; the panel's
    memory is each child's own."""
    import psutil

    from workbench import api
    from workbench.core.specs import ModelSource

    # One intra-op thread each: on a machine whose cores other processes keep busy, two OpenMP threads waiting on
    # each other swing PyTorch's p50 by 100x in the CLI and the panel alike (0.2 to 27 ms measured here).
    settings = dict(batch=2, sequence=8, iterations=300, warmup=2, threads=1)
    cli = api.bench(tiny_models["onnx"], compare_torch=ModelSource(tiny_models["torch"], trust_code=True),
                    **settings)
    panel.checks["ORT int8"].setChecked(False)
    panel.iterations.setValue(300)
    panel.threads.setValue(1)
    with qtbot.waitSignal(panel.runFinished, timeout=180_000) as blocker:
        panel.run()
    got = {r.name: r for r in blocker.args[0]}
    gui_rss = psutil.Process().memory_info().rss / 2**20
    for want in (cli, cli.torch[0]):
        mine = got["ORT fp32" if want is cli else "PyTorch eager"]
        ratio = mine.latency_ms["p50"] / want.latency_ms["p50"]
        # Within 3x, or within 0.05 ms: the tiny ORT model runs in 10-40 us, where a shared core's scheduling alone
        # moves p50 by 3x (CI read 0.012 ms in the panel, 0.038 ms in the CLI). The defects this guards against were
        # far larger (606 ms vs 80 ms; 1.6 ms vs 0.5 ms).
        close = abs(mine.latency_ms["p50"] - want.latency_ms["p50"]) < 0.05
        assert close or 1 / 3 < ratio < 3, (mine.name, mine.latency_ms["p50"], want.latency_ms["p50"])
        assert mine.batch == want.batch == 2 and mine.iterations == want.iterations
        assert mine.peak_rss_mb < gui_rss, (mine.name, mine.peak_rss_mb, gui_rss)
    assert got["ORT fp32"].peak_rss_mb < gui_rss / 2


@pytest.mark.slow
def test_panel_matches_the_cli_bench_on_the_demo_model(qtbot, state, tmp_path_factory):
    """The issue's case (PyTorch p50 606 ms in the panel against 80 ms in the Report): the tiny DeepSeek-V3 demo
    model, PyTorch eager and ORT, the panel against api.bench at the same settings."""
    import psutil

    from workbench import api
    from workbench.core.demo import build_demo_model
    from workbench.gui.panels.bench_panel import BenchPanel

    root = tmp_path_factory.mktemp("bench-demo")
    source = str(build_demo_model(root / "demo"))
    onnx = api.export(source, str(root / "onnx" / "model.onnx")).path
    settings = dict(batch=1, sequence=16, iterations=40, warmup=3, threads=1)
    cli = api.bench(onnx, compare_torch=source, **settings)
    p = BenchPanel(state)
    qtbot.addWidget(p)
    state.set_source(source)
    state.set_onnx(onnx)
    for name in ("batch", "sequence", "iterations", "warmup", "threads"):
        getattr(p, name).setValue(settings[name])
    with qtbot.waitSignal(p.runFinished, timeout=300_000) as blocker:
        p.run()
    got = {r.name: r for r in blocker.args[0]}
    again = api.bench(onnx, compare_torch=source, **settings)  # the CLI before and after: the machine's noise
    gui_rss = psutil.Process().memory_info().rss / 2**20
    for name, pick in (("ORT fp32", lambda r: r), ("PyTorch eager", lambda r: r.torch[0])):
        lo, hi = sorted(pick(r).latency_ms["p50"] for r in (cli, again))
        assert lo / 3 < got[name].latency_ms["p50"] < hi * 3, (name, got[name].latency_ms["p50"], lo, hi)
        assert got[name].peak_rss_mb < gui_rss, (name, got[name].peak_rss_mb, gui_rss)
    print({n: (round(r.latency_ms["p50"], 3), round(r.peak_rss_mb)) for n, r in got.items()},
          [(round(r.latency_ms["p50"], 3), round(r.torch[0].latency_ms["p50"], 3)) for r in (cli, again)],
          "gui rss", round(gui_rss))


def test_a_cancel_is_no_failure_and_a_new_model_clears_the_run(qtbot, panel, tiny_models):
    charts = panel.charts
    assert charts.latency.empty_label.isVisibleTo(charts.latency)  # says why the chart is empty
    panel.iterations.setValue(1_000_000)
    panel.checks["PyTorch eager"].setChecked(False)
    panel.run()
    qtbot.waitUntil(lambda: panel.counts.get("ORT fp32", 0) > 20, timeout=60_000)
    assert not panel.rows["ORT int8"].isEnabled()  # the variants cannot change under a run
    assert panel.rows["ORT int8"].runnable()  # ...and are still what the run runs
    assert not charts.latency.empty_label.isVisibleTo(charts.latency)
    with qtbot.waitSignal(panel.runFinished, timeout=15_000):
        panel.cancel()
    assert panel.run_cancelled() and panel.rows["ORT int8"].isEnabled()
    panel.state.reset_model()  # a new model is opened
    assert not panel.results and panel.table.rowCount() == 0 and not charts.latency.series
    assert charts.latency.empty_label.isVisibleTo(charts.latency)
    x0, x1 = charts.latency.plot.getViewBox().viewRange()[0]
    assert x1 <= 1.5  # not the cancelled run's iteration axis
    assert panel.status.text() == "Ready"
    assert not panel.save_button.isEnabled()  # no curves to save
    assert not panel.cli_button.isEnabled()  # no variants: no command to copy


def test_the_window_marks_a_cancelled_benchmark_idle(qtbot, window):
    api = window.panel_api["bench"]
    api.run_cancelled = lambda: True
    window._bench_finished([])
    assert window.navigator.state_of("bench") == "idle"
    api.run_cancelled = lambda: False
    window._bench_finished([])
    assert window.navigator.state_of("bench") == "failed"
    window._bench_finished([object()])
    assert window.navigator.state_of("bench") == "done"
