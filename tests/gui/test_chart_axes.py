"""The benchmark charts' axes fit the data they show (issue 17: after a variant's curves were removed, or the charts
cleared for a new run, the memory chart kept a ~400 s axis for a 1 s run and, clipping to that view, drew nothing).
Memory is drawn against the iteration, as latency, so a 20 ms variant spans the axis as a 6 s one does."""

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
    _feed(charts, "PyTorch eager", 400, 400.0, 390.0)
    _feed(charts, "ORT fp32", 30, 0.5, 80.0)
    assert _x(charts.memory)[1] > 399
    charts.remove("PyTorch eager")
    x0, x1 = _x(charts.memory)
    assert -2 < x0 <= 0 and 29 <= x1 < 31, (x0, x1)
    y0, y1 = _y(charts.memory)
    assert y0 < 80.0 and 80.29 < y1 < 100, (y0, y1)
    curve = charts.memory.series["ORT fp32 RSS"].items[0]
    assert len(curve.getData()[0]) == 30  # drawn, not clipped away by a stale view


def test_a_new_run_after_clear_gets_its_own_axes(qtbot, charts):
    _feed(charts, "PyTorch eager", 400, 400.0, 390.0)
    charts.clear()
    _feed(charts, "A", 20, 0.5, 80.0, gpu=float("nan"))
    _feed(charts, "B", 30, 0.6, 90.0, gpu=500.0)
    x0, x1 = _x(charts.memory)
    assert 29 <= x1 < 31 and x0 > -2, (x0, x1)
    y0, y1 = _y(charts.memory)
    assert y0 < 80.0 and 500.0 < y1 < 560.0, (y0, y1)  # RSS and the dashed GPU line both inside
    assert _x(charts.latency)[1] < 31  # 30 iterations


def test_a_users_zoom_is_kept_while_data_arrives(qtbot, charts):
    _feed(charts, "ORT fp32", 30, 0.5, 80.0)
    view = charts.memory.plot.getViewBox()
    view.setXRange(10, 20, padding=0)
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])  # as a mouse zoom does
    _feed(charts, "ORT fp32", 30, 0.5, 81.0)
    assert _x(charts.memory) == pytest.approx([10, 20])
    charts.clear()
    _feed(charts, "ORT fp32", 50, 2.0, 80.0)
    assert _x(charts.memory)[1] >= 49


def test_a_short_variant_spans_the_memory_axis_as_a_long_one_does(qtbot, charts):
    _feed(charts, "PyTorch eager", 30, 6.0, 390.0)
    _feed(charts, "ORT fp32", 30, 0.02, 80.0)
    short = charts.memory.series["ORT fp32 RSS"].buffer.column(0)
    assert short.min() == 0 and short.max() == 29  # by iteration: the whole width, not a dot at x=0
