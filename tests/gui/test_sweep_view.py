"""The sweep report view (issue 16, point 4): opens a sweep folder, draws a curve per variant and fills the table
and the recommendation, live as cell files appear, stops polling once the report is written, and speaks zh_CN."""

import json
import os
import time

import pytest
from gui_helpers import delete_now

from workbench.core.errors import WorkbenchError
from workbench.gui.i18n import translators

CELLS = [("int8", 1, 2.0, 500.0, 0.99), ("int8", 8, 6.0, 1333.0, 0.99), ("fp32", 1, 3.0, 333.0, 1.0),
         ("fp32", 8, 10.0, 800.0, 1.0), ("int4", 1, 1.0, 0.0, 0.9)]


def _row(variant, batch, p50, tput, cos):
    key = f"{variant}-{batch}"
    if variant == "int4":
        return {"model": "m", "variant": variant, "batch": batch, "sequence": 8, "threads": 1, "provider": "cpu",
                "runtime": None, "cuda_graph": False, "key": key, "ok": False, "error": "the benchmark process for "
                "m int4: exited with code 1; run it in-process"}
    return {"model": "m", "variant": variant, "batch": batch, "sequence": 8, "threads": 1, "provider": "cpu",
            "runtime": None, "cuda_graph": False, "key": key, "ok": True, "p50_ms": p50, "p95_ms": p50 * 1.1,
            "p99_ms": p50 * 1.2, "mean_ms": p50, "throughput_per_s": tput, "peak_rss_mb": 100.0, "cosine": cos,
            "size_mb": 4.0}


def _write(path, data):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cells").mkdir()
    plan = {"name": "demo", "cells": [{"key": f"{v}-{b}", "model": "m", "variant": v, "batch": b, "sequence": 8}
                                      for v, b, *_ in CELLS]}
    _write(tmp_path / "plan.json", plan)
    return tmp_path


@pytest.fixture
def view(qtbot):
    from workbench.gui.sweep_view import SweepView

    w = SweepView()
    w.resize(1100, 720)
    w.show()
    yield w
    translators.install_translator("en")
    w.timer.stop()
    w.close()
    delete_now(w)


def test_view_fills_in_live_as_cells_finish_and_stops_at_the_report(qtbot, view, folder, tmp_path):
    view.open(folder)
    assert view.curve_names() == [] and view.table.rowCount() == 0
    assert "0 of 5 cells done" in view.status.text()
    for variant, batch, *rest in CELLS[:2]:
        _write(folder / "cells" / f"{variant}-{batch}.json", _row(variant, batch, *rest))
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=3000)
    assert view.curve_names() == ["m int8 1 thr s8"]
    items = view.plot.getPlotItem().listDataItems()
    assert list(items[0].xData) == [500.0, 1333.0] and list(items[0].yData) == [2.0, 6.0]
    assert view.model_box.count() == 1 and view.model_box.currentText() == "m"
    for variant, batch, *rest in CELLS[2:]:
        _write(folder / "cells" / f"{variant}-{batch}.json", _row(variant, batch, *rest))
    qtbot.waitUntil(lambda: view.table.rowCount() == 5, timeout=3000)
    assert sorted(view.curve_names()) == ["m fp32 1 thr s8", "m int8 1 thr s8"]  # the failed cell draws nothing
    statuses = [view.table.item(r, view.table.columnCount() - 1).text() for r in range(5)]
    assert statuses.count("ok") == 4 and any(s.startswith("FAILED: the benchmark process") for s in statuses)
    assert "1 failed (running)" in view.status.text()
    # the recommendation follows the budget set in the view
    view.cosine.setValue(0.995)
    assert "fp32, batch 8" in view.recommendation.text()
    view.cosine.setValue(0.0)
    view.latency.setValue(5.0)
    assert "int8, batch 1" in view.recommendation.text()
    view.latency.setValue(0.5)
    assert "no cell fits the budget" in view.recommendation.text()
    assert view.timer.isActive()
    time.sleep(0.01)  # the report is newer than the plan
    _write(folder / "sweep.json", {"rows": [], "budget": {"max_latency_ms": 5.0}})
    qtbot.waitUntil(lambda: not view.timer.isActive(), timeout=3000)
    assert "(finished)" in view.status.text()
    view.latency.setValue(0.0)
    view.grab().save(str(tmp_path / "sweep_view_en.png"))
    translators.install_translator("zh_CN")
    qtbot.waitUntil(lambda: view.windowTitle() == "扫描报告", timeout=3000)
    assert "已完成 5/5 个单元，1 个失败（已完成）" == view.status.text()
    assert view.table.horizontalHeaderItem(0).text() == "模型"
    assert view.table.horizontalHeaderItem(5).text() == "p50（毫秒）"
    assert "推荐配置" in view.recommendation.text() and "批大小 8" in view.recommendation.text()
    assert view.latency.specialValueText() == "不限"
    assert view.table.item(0, view.table.columnCount() - 1).text() == "成功"
    view.grab().save(str(tmp_path / "sweep_view_zh.png"))
    if os.environ.get("SWEEP_VIEW_SHOTS"):  # for looking at by hand
        view.grab().save(os.environ["SWEEP_VIEW_SHOTS"] + "_zh.png")
        translators.install_translator("en")
        qtbot.waitUntil(lambda: view.windowTitle() == "Sweep report", timeout=3000)
        view.grab().save(os.environ["SWEEP_VIEW_SHOTS"] + "_en.png")


def test_a_folder_that_is_not_a_sweep_is_refused(view, tmp_path):
    with pytest.raises(WorkbenchError, match="not a sweep folder"):
        view.open(tmp_path)


def test_file_menu_opens_a_sweep_window(qtbot, folder):
    from workbench.gui.main_window import MainWindow

    win = MainWindow()
    try:
        assert win.open_sweep_action in win.menuBar().actions()[0].menu().actions()
        sweep = win.open_sweep_report(str(folder))
        assert sweep is not None and sweep.isVisible() and sweep.isWindow()
        assert "Sweep: demo" == sweep.title.text()
        sweep.close()
    finally:
        win.shutdown()
        win.close()
        delete_now(win)
