"""Live charts: ring buffers, rolling percentiles, redraws from a timer (never per sample), PNG export."""

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pyqtgraph")


def test_ring_buffer_keeps_the_newest_rows_in_order():
    from workbench.gui.charts import RingBuffer

    buf = RingBuffer(capacity=5, columns=2)
    buf.extend([0, 1, 2], [10, 11, 12])
    assert buf.column(0).tolist() == [0, 1, 2]
    buf.extend([3, 4, 5, 6], [13, 14, 15, 16])
    assert len(buf) == 5 and buf.total == 7
    assert buf.column(0).tolist() == [2, 3, 4, 5, 6]
    assert buf.column(1).tolist() == [12, 13, 14, 15, 16]
    buf.extend(np.arange(100, 112), np.arange(12))  # more than fits at once
    assert buf.column(0).tolist() == [107, 108, 109, 110, 111]
    buf.extend(7, 8)  # scalars
    assert buf.column(0)[-1] == 7 and buf.column(1)[-1] == 8


def test_rolling_percentiles_match_a_plain_loop():
    from workbench.gui.charts import rolling_percentiles

    rng = np.random.default_rng(0)
    values = rng.gamma(2.0, 1.0, 300)
    p50, p95 = rolling_percentiles(values, 50)
    for i in (0, 1, 10, 49, 50, 123, 299):
        window = values[max(0, i - 49):i + 1]
        assert p50[i] == pytest.approx(np.percentile(window, 50))
        assert p95[i] == pytest.approx(np.percentile(window, 95))
    # Continuing from a history gives the same numbers as computing everything at once.
    head, tail = values[:120], values[120:]
    hist = head[-49:]
    t50, t95 = rolling_percentiles(np.concatenate((hist, tail)), 50, len(hist))
    assert np.allclose(t50, p50[120:]) and np.allclose(t95, p95[120:])


def _count_set_data(chart, monkeypatch):
    calls = {"n": 0}
    for series in chart.series.values():
        for item in series.items:
            original = item.setData

            def counted(*args, _original=original, **kwargs):
                calls["n"] += 1
                return _original(*args, **kwargs)
            monkeypatch.setattr(item, "setData", counted)
    return calls


def test_100k_samples_do_not_redraw_per_sample(qtbot, monkeypatch):
    from workbench.gui.charts import REDRAW_HZ, LatencyChart

    chart = LatencyChart()
    qtbot.addWidget(chart)
    chart.resize(800, 400)
    chart.show()
    chart.add_series("ORT fp32")
    calls = _count_set_data(chart, monkeypatch)
    rng = np.random.default_rng(1)
    lat = 1.0 + rng.gamma(2.0, 0.05, 100_000)
    start = time.perf_counter()
    for i in range(100_000):  # one sample at a time, with the event loop running in between
        chart.append_latency("ORT fp32", i, lat[i])
        if i % 2000 == 0:
            qtbot.wait(1)
    qtbot.waitUntil(lambda: not chart._timer.isActive() or chart.series["ORT fp32"].dirty is False, timeout=5000)
    chart.redraw()
    elapsed = time.perf_counter() - start
    series = chart.series["ORT fp32"]
    assert len(series.buffer) == 100_000
    assert series.items[0].xData.size == 100_000  # every point reached the curve (drawn downsampled)
    # At most one redraw per timer tick (plus the final one), far fewer than the samples.
    assert chart.redraw_count <= elapsed * REDRAW_HZ * 1.5 + 5, (chart.redraw_count, elapsed)
    assert chart.redraw_count < 200
    assert calls["n"] == chart.redraw_count * 3  # samples, rolling p50, rolling p95: one setData each per redraw
    assert np.allclose(series.buffer.column(1), lat)
    assert np.isfinite(series.buffer.column(2)).all() and np.isfinite(series.buffer.column(3)).all()


def test_bench_charts_overlay_series_in_distinct_colours(qtbot, tmp_path):
    from workbench.core.results import BenchSample
    from workbench.gui.charts import BenchCharts

    charts = BenchCharts()
    qtbot.addWidget(charts)
    charts.resize(1200, 450)
    charts.show()
    names = ["PyTorch eager", "ORT fp32", "ORT int8", "ORT fp16", "ORT int4"]
    rng = np.random.default_rng(2)
    for k, name in enumerate(names):
        lat = 1.0 + k * 0.3 + rng.gamma(2.0, 0.05, 20_000)
        elapsed = np.cumsum(lat) / 1000
        samples = [BenchSample(i, float(lat[i]), 300.0 + k, 100.0 if "fp16" in name else None, float(elapsed[i]))
                   for i in range(len(lat))]
        for j in range(0, len(samples), 500):  # batches, as the worker delivers them
            charts.feed(name, samples[j:j + 500])
    qtbot.waitUntil(lambda: charts.latency.redraw_count > 0, timeout=5000)
    charts.redraw()
    assert len({charts.color(n) for n in names}) == len(names)
    assert set(charts.latency.series) == set(names)
    assert "ORT fp16 GPU" in charts.memory.series and "ORT fp32 GPU" not in charts.memory.series
    assert all(len(charts.latency.series[n].buffer) == 20_000 for n in names)
    path = charts.save_png(str(tmp_path / "charts.png"))
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    from PySide6.QtGui import QImage

    image = QImage(path)
    assert image.width() >= 1000 and image.height() >= 400


def test_live_chart_save_png_with_the_exporter(qtbot, tmp_path):
    from workbench.gui.charts import MemoryChart

    chart = MemoryChart()
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show()
    chart.append_memory("ORT fp32", np.linspace(0, 2, 200), np.linspace(300, 320, 200), np.full(200, np.nan))
    path = chart.save_png(str(tmp_path / "memory.png"), width=900)
    assert os.path.getsize(path) > 2000
    from PySide6.QtGui import QImage

    assert QImage(path).width() >= 600
    assert "ORT fp32 GPU" not in chart.series  # no GPU readings: no GPU curve


def test_dark_theme_recolours_background_and_pale_curves(qtbot):
    from workbench.gui.charts import THEMES, BenchCharts

    charts = BenchCharts()
    qtbot.addWidget(charts)
    charts.latency.append_latency("ORT int8", [0, 1, 2], [1.0, 1.1, 1.2])
    light = charts.latency.series["ORT int8"].items[0].opts["pen"].color().name()
    charts.set_theme("dark")
    dark = charts.latency.series["ORT int8"].items[0].opts["pen"].color().name()
    assert light != dark  # the pale tint mixes with the background it sits on
    assert charts.latency.plot_widget.backgroundBrush().color().name() == THEMES["dark"]["bg"]
    assert charts.latency.series["ORT int8"].items[1].opts["pen"].color().name() == charts.color("ORT int8").lower()


def test_removing_a_failed_series_clears_its_curves_and_legend(qtbot):
    from workbench.core.results import BenchSample
    from workbench.gui.charts import BenchCharts

    charts = BenchCharts()
    qtbot.addWidget(charts)
    charts.add_series("PyTorch eager")
    charts.feed("ORT fp32", [BenchSample(i, 1.0, 300.0, None, i * 0.001) for i in range(10)])
    charts.remove("PyTorch eager")
    assert list(charts.latency.series) == ["ORT fp32"]
    assert [label.text for _s, label in charts.latency.legend.items] == ["ORT fp32"]
    assert [label.text for _s, label in charts.memory.legend.items] == ["ORT fp32"]
    charts.redraw()


def test_narrow_charts_stack_instead_of_crushing_each_other(qtbot):
    from PySide6.QtCore import Qt

    from workbench.gui.charts import BenchCharts

    charts = BenchCharts()
    qtbot.addWidget(charts)
    charts.resize(900, 400)
    charts.show()
    qtbot.waitUntil(lambda: charts.splitter.orientation() == Qt.Orientation.Horizontal, timeout=2000)
    charts.resize(400, 600)
    qtbot.waitUntil(lambda: charts.splitter.orientation() == Qt.Orientation.Vertical, timeout=2000)
    charts.resize(1000, 400)
    qtbot.waitUntil(lambda: charts.splitter.orientation() == Qt.Orientation.Horizontal, timeout=2000)
