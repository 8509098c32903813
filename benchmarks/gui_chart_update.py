"""Cost of one live-chart update with 100k points per series (offscreen Qt).

One update is what the redraw timer does at each tick while a benchmark streams: a batch of new samples appended
(with their rolling p50/p95), ``setData`` on each curve, and a repaint of the plot. Times are medians over many
updates, split into the two phases; the chart is 1000x500 px. Writes ``benchmarks/results/gui_chart_update.json``.

    python benchmarks/gui_chart_update.py [--repeats 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _chart(series: int, points: int, downsample: bool):
    from workbench.gui.charts import LatencyChart

    chart = LatencyChart(capacity=points + 100_000)
    chart.resize(1000, 500)
    chart.show()
    if not downsample:
        chart.plot.setDownsampling(auto=False, ds=1)
        chart.plot.setClipToView(False)
    rng = np.random.default_rng(0)
    names = ["PyTorch eager", "ORT fp32", "ORT int8", "ORT fp16", "ORT int4"][:series]
    for k, name in enumerate(names):
        chart.append_latency(name, np.arange(points), 1.0 + k * 0.3 + rng.gamma(2.0, 0.05, points))
    chart.redraw()
    return chart, names


def measure(series: int, points: int, batch: int, repeats: int, downsample: bool = True, live: int = 0) -> dict:
    """Median ms of (append + setData) and of the repaint for one update of a chart holding ``points``/series.

    ``live`` series receive new points at each update (0: all of them); the others are finished variants that are
    only repainted, as when the panel runs variants one after another.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    chart, names = _chart(series, points, downsample)
    app.processEvents()
    viewport = chart.plot_widget.viewport()
    viewport.repaint()
    chart._timer.stop()
    set_ms, paint_ms = [], []
    rng = np.random.default_rng(1)
    next_x = points
    fed = names[-live:] if live else names
    for _ in range(repeats):
        for name in fed:
            chart.append_latency(name, np.arange(next_x, next_x + batch), 1.0 + rng.gamma(2.0, 0.05, batch))
        next_x += batch
        chart._timer.stop()  # time redraw() ourselves, not from the timer
        t0 = time.perf_counter()
        chart.redraw()
        t1 = time.perf_counter()
        viewport.repaint()
        t2 = time.perf_counter()
        set_ms.append((t1 - t0) * 1e3)
        paint_ms.append((t2 - t1) * 1e3)
        app.processEvents()
    chart.close()
    chart.deleteLater()
    app.processEvents()
    total = np.add(set_ms, paint_ms)
    return {"series": series, "live_series": len(fed), "points_per_series": points, "new_points_per_update": batch,
            "downsampling_peak_and_clip": downsample, "updates": repeats,
            "setdata_ms_median": round(float(np.median(set_ms)), 3),
            "repaint_ms_median": round(float(np.median(paint_ms)), 3),
            "update_ms_median": round(float(np.median(total)), 3),
            "update_ms_p90": round(float(np.percentile(total, 90)), 3),
            "budget_share_at_25hz": round(float(np.median(total)) / 40.0, 3)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "gui_chart_update.json"))
    args = parser.parse_args(argv)

    import pyqtgraph as pg
    import PySide6
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 - keeps the application alive
    load_at_start = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None  # other work skews times
    cases = [
        measure(1, 100_000, 40, args.repeats),
        measure(5, 100_000, 40, args.repeats, live=1),  # the panel's case: one variant runs, four are done
        measure(5, 100_000, 40, args.repeats),  # worst case: all five fed at every update
        measure(1, 10_000, 40, args.repeats),
        measure(1, 100_000, 40, max(10, args.repeats // 4), downsample=False),
    ]
    result = {
        "what": "one live-chart update (append a batch + rolling p50/p95 + setData on 3 curves per fed series, then "
                "repaint), LatencyChart 1000x500 px, QT_QPA_PLATFORM=offscreen, medians",
        "cases": cases,
        "environment": {"python": platform.python_version(), "pyside6": PySide6.__version__,
                        "pyqtgraph": pg.__version__, "numpy": np.__version__, "platform": platform.platform(),
                        "cpus": os.cpu_count(), "qpa": os.environ.get("QT_QPA_PLATFORM"),
                        "load_average_1m_at_start": load_at_start,
                        "date": time.strftime("%Y-%m-%d %H:%M:%S")},
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for case in cases:
        print(f"{case['series']} series ({case['live_series']} fed) x {case['points_per_series']:>7} points, "
              f"ds={case['downsampling_peak_and_clip']!s:5}:"
              f" setData {case['setdata_ms_median']:.2f} ms + repaint {case['repaint_ms_median']:.2f} ms"
              f" = {case['update_ms_median']:.2f} ms (p90 {case['update_ms_p90']:.2f})")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
