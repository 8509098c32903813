"""`workbench gui --demo` walks the pipeline step by step; `workbench.gui.app.main` opens a path and exits 0."""

import jobfns
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def test_demo_walks_every_step_in_order(qtbot, window, tmp_path, monkeypatch):
    from workbench.gui import demo

    monkeypatch.setattr(demo, "STEP_PAUSE_MS", 10)
    visited = []

    def fake(step):
        def start():
            visited.append((step, window.current_panel()))
            return window.jobs.run_in_thread(step, jobfns.quick, step)
        return start

    (tmp_path / "config.json").write_text("{}")  # "already built": the build step is skipped
    for name in ("run_export", "run_validate", "run_quantize"):
        monkeypatch.setattr(window, name, fake(name))
    monkeypatch.setattr(window, "open_path", lambda path: fake("load")())
    monkeypatch.setattr(window, "run_bench", fake("bench"))
    runner = window.start_demo(str(tmp_path))
    with qtbot.waitSignal(runner.finished, timeout=30000) as blocker:
        pass
    assert blocker.args == [True]
    assert [v[0] for v in visited] == ["load", "run_export", "run_validate", "run_quantize", "bench"]
    assert "Demo finished" in window.log_widget.toPlainText()


def test_demo_stops_at_a_failed_step(qtbot, window, tmp_path, monkeypatch):
    from workbench.gui import demo

    monkeypatch.setattr(demo, "STEP_PAUSE_MS", 10)
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(window, "open_path",
                        lambda path: window.jobs.run_in_process("load", jobfns.fail_with_workbench_error))
    runner = window.start_demo(str(tmp_path))
    with qtbot.waitSignal(runner.finished, timeout=60000) as blocker:
        pass
    assert blocker.args == [False]
    assert "stopped at 'load'" in window.log_widget.toPlainText()


def test_app_main_opens_path_and_returns_zero(qtbot, tmp_path):
    from workbench.gui import app
    from workbench.gui.main_window import MainWindow

    seen = {}

    def close_soon():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, close_soon)
            return
        # The path given on the command line is what the window opened (an empty folder then fails to load,
        # which clears the current model: the path field still names what was opened).
        seen["source"] = windows[-1].load_panel.path_edit.text()
        for w in windows:
            w.close()

    QTimer.singleShot(50, close_soon)
    assert app.main([str(tmp_path), "--theme", "light"]) == 0
    assert seen["source"] == str(tmp_path)
