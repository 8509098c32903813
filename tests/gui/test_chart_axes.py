"""The benchmark charts' axes fit the data they show (issue 17: after a variant's curves were removed, or the charts
cleared for a new run, the memory chart kept a ~400 s axis for a 1 s run and, clipping to that view, drew nothing)."""

import pytest

from workbench.core.results import BenchSample
from workbench.gui.charts import BenchCharts


def _feed(charts, name, n, seconds, rss, gpu=None):
    charts.feed(name, [BenchSample(iteration=i, latency_ms=1.0 + i % 3, rss_mb=rss + 0.01 * i, gpu_mb=gpu,
                                   elapsed_s=seconds * (i + 1) / n) for i in range(n)])
    charts.redraw()


@pytest.fixture
def charts(qtbot):
    widget = BenchCharts()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    return widget


def _x(chart):
    return chart.plot.viewRange()[0]


def _y(chart):
    return chart.plot.viewRange()[1]


def test_memory_axis_fits_what_is_left_after_a_variant_is_removed(qtbot, charts):
    _feed(charts, "PyTorch eager", 30, 400.0, 390.0)
    _feed(charts, "ORT fp32", 30, 0.5, 80.0)
    assert _x(charts.memory)[1] > 400
    charts.remove("PyTorch eager")
    x0, x1 = _x(charts.memory)
    assert -0.1 < x0 <= 0.02 and 0.5 <= x1 < 0.6, (x0, x1)
    y0, y1 = _y(charts.memory)
    assert y0 < 80.0 and 80.29 < y1 < 100, (y0, y1)
    curve = charts.memory.series["ORT fp32 RSS"].items[0]
    assert len(curve.getData()[0]) == 30  # drawn, not clipped away by a stale view


def test_a_new_run_after_clear_gets_its_own_axes(qtbot, charts):
    _feed(charts, "PyTorch eager", 30, 400.0, 390.0)
    charts.clear()
    _feed(charts, "A", 30, 0.5, 80.0, gpu=float("nan"))
    _feed(charts, "B", 30, 0.6, 90.0, gpu=500.0)
    x0, x1 = _x(charts.memory)
    assert x1 < 0.7 and x0 > -0.1, (x0, x1)
    y0, y1 = _y(charts.memory)
    assert y0 < 80.0 and 500.0 < y1 < 560.0, (y0, y1)  # RSS and the dashed GPU line both inside
    assert _x(charts.latency)[1] < 31  # 30 iterations


def test_a_users_zoom_is_kept_while_data_arrives(qtbot, charts):
    _feed(charts, "ORT fp32", 30, 0.5, 80.0)
    view = charts.memory.plot.getViewBox()
    view.setXRange(0.1, 0.2, padding=0)
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])  # as a mouse zoom does
    _feed(charts, "ORT fp32", 30, 0.5, 81.0)
    assert _x(charts.memory) == pytest.approx([0.1, 0.2])
    charts.clear()
    _feed(charts, "ORT fp32", 30, 2.0, 80.0)
    assert _x(charts.memory)[1] >= 2.0
