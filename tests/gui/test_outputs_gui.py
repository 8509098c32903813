"""The GUI asks before a job replaces an existing file (a QMessageBox naming it) and passes force=True only when
the user agrees; the GUI demo writes only into its own new folder, never the paths left in the panels."""

from pathlib import Path

import jobfns
from gui_helpers import wait_job
from PySide6.QtWidgets import QMessageBox

from workbench.gui import workers


def _answer(monkeypatch, answer):
    asked = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_optimize_panel_asks_before_replacing_a_file(qtbot, state, exported, tmp_path, monkeypatch):
    from workbench.gui.panels.optimize_panel import OptimizePanel

    model = exported("bert").path
    state.set_onnx(model)
    panel = OptimizePanel(state)
    qtbot.addWidget(panel)
    mine = tmp_path / "mine.onnx"
    mine.write_text("the user's own file")
    panel.output_edit.setText(str(mine))

    asked = _answer(monkeypatch, QMessageBox.No)
    assert panel.optimize() is None  # the user said no: nothing starts
    assert len(asked) == 1 and str(mine) in asked[0]
    assert mine.read_text() == "the user's own file"
    assert not state.jobs.running()

    asked = _answer(monkeypatch, QMessageBox.Yes)
    job = panel.optimize()
    assert len(asked) == 1 and str(mine) in asked[0]
    assert job.worker.args[0].force is True
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    assert mine.stat().st_size > 1000  # replaced, as agreed


def test_no_question_for_a_new_output_or_the_workbench_own_file(qtbot, state, tmp_path, monkeypatch):
    from workbench.core.fsutil import staged_output
    from workbench.core.specs import OptimizeSpec
    from workbench.gui.panels.base import confirm_outputs

    asked = _answer(monkeypatch, QMessageBox.No)
    new = OptimizeSpec(model="in.onnx", output=str(tmp_path / "out" / "new.onnx"))
    assert confirm_outputs(None, (new,)) == (new,)
    with staged_output(tmp_path / "out" / "ours.onnx") as p:  # written by the workbench earlier
        p.write_text("x")
    ours = OptimizeSpec(model="in.onnx", output=str(tmp_path / "out" / "ours.onnx"))
    assert confirm_outputs(None, (ours,)) == (ours,)
    assert asked == []


def test_quantize_panel_keeps_a_file_when_the_user_says_no(qtbot, state, exported, tmp_path, monkeypatch):
    from workbench.gui.panels.quantize_panel import QuantizePanel

    model = exported("bert").path
    state.set_onnx(model)
    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    panel.output_dir_edit.setText(str(tmp_path))
    target = tmp_path / f"{Path(model).stem}.int8-dynamic.onnx"
    target.write_text("the user's own file")
    asked = _answer(monkeypatch, QMessageBox.No)
    assert panel.quantize() == []
    assert asked and str(target) in asked[0]
    assert target.read_text() == "the user's own file"


def test_gui_demo_writes_only_into_its_own_new_folder(qtbot, window, tmp_path, monkeypatch):
    from workbench.gui import demo

    monkeypatch.setattr(demo, "STEP_PAUSE_MS", 10)
    user_output = tmp_path / "my-work" / "model.onnx"
    window.export_panel.output_edit.setText(str(user_output))  # left in the panel by the user
    window.quantize_panel.output_dir_edit.setText(str(tmp_path / "my-work"))
    seen = {}

    def fake(step, read):
        def start():
            seen[step] = read()
            return window.jobs.run_in_thread(step, jobfns.quick, step)
        return start

    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(window, "open_path", lambda path: fake("load", lambda: path)())
    monkeypatch.setattr(window, "run_export", fake("export", lambda: window.export_panel.output_edit.text()))
    monkeypatch.setattr(window, "run_validate", fake("validate", lambda: None))
    monkeypatch.setattr(window, "run_quantize", fake("quantize", lambda: (
        window.quantize_panel.output_dir_edit.text(), window.quantize_panel.input_combo.currentText())))
    monkeypatch.setattr(window, "run_bench", fake("bench", lambda: None))
    runner = window.start_demo(str(tmp_path))
    with qtbot.waitSignal(runner.finished, timeout=30000) as blocker:
        pass
    assert blocker.args == [True]
    run_dir = runner.run_dir
    assert run_dir.is_dir() and run_dir != tmp_path and tmp_path not in run_dir.parents
    assert Path(seen["export"]).parent == run_dir
    assert Path(seen["quantize"][0]) == run_dir and Path(seen["quantize"][1]).parent == run_dir
    assert not (tmp_path / "my-work").exists()
    assert window.state.output_dir == ""  # the user's choice (none) is back after the demo
    second = window.start_demo(str(tmp_path))
    with qtbot.waitSignal(second.finished, timeout=30000):
        pass
    assert second.run_dir != run_dir  # every run gets a new folder
