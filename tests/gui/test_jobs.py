"""Jobs: child processes relay progress, cancel terminates them and removes their output, a native crash is a
failed job (not a dead window), and closing with a running job is clean."""

import time
from pathlib import Path

import jobfns
from gui_helpers import delete_now, wait_job

from workbench.gui import workers


def test_thread_job_relays_progress_and_result(qtbot, state):
    seen = []

    def fn(x, progress=None, cancel=None):
        progress(0.5, "half")
        time.sleep(0.2)
        return x * 2

    job = state.jobs.run_in_thread("double", fn, 21)
    job.progressed.connect(lambda f, m: seen.append((f, m)))
    assert wait_job(qtbot, job, 20) == workers.DONE
    assert job.result == 42
    # the job's clock measured the work (it slept 0.2 s) and stopped when it ended
    ended = job.elapsed()
    assert 0.2 <= ended < 20
    time.sleep(0.1)
    assert job.elapsed() == ended


def test_thread_job_streams_samples(qtbot, state):
    batches = []
    job = state.jobs.run_in_thread("stream", lambda progress=None, cancel=None: iter(range(500)))
    job.samples.connect(batches.append)
    assert wait_job(qtbot, job, 20) == workers.DONE
    qtbot.waitUntil(lambda: sum(map(len, batches)) == 500, timeout=5000)
    assert job.result == list(range(500))


def test_process_job_returns_result(qtbot, state):
    import os

    job = state.jobs.run_in_process("quick", jobfns.quick, 7)
    assert wait_job(qtbot, job, 60) == workers.DONE
    assert job.result["value"] == 7 and job.result["pid"] != os.getpid()


def test_workbench_error_is_one_line(qtbot, state):
    job = state.jobs.run_in_process("fails", jobfns.fail_with_workbench_error)
    assert wait_job(qtbot, job, 60) == workers.FAILED
    assert job.error == "the model folder has no config.json; choose a Hugging Face model folder"


def test_cancel_terminates_child_and_removes_output(qtbot, state, tmp_path):
    output = tmp_path / "out" / "model.onnx"
    job = state.jobs.run_in_process("slow", jobfns.slow_writer, str(output), cleanup=[str(output)])
    messages = []
    job.progressed.connect(lambda f, m: messages.append(m))
    qtbot.waitUntil(lambda: any(m.startswith("working") for m in messages), timeout=60000)
    assert list(output.parent.glob(".model.onnx.partial-*"))  # the child has written something
    process = job.worker.process
    assert process.is_alive()
    t0 = time.monotonic()
    job.cancel()
    assert wait_job(qtbot, job, 30) == workers.CANCELLED
    assert time.monotonic() - t0 < 10
    assert not process.is_alive()
    assert process.exitcode is not None and process.exitcode < 0  # ended by a signal
    assert not output.exists()
    assert not list(output.parent.glob(".model.onnx.partial-*"))


def test_native_crash_marks_job_failed_and_window_survives(qtbot, window):
    job = window.jobs.run_in_process("crash", jobfns.crash)
    assert wait_job(qtbot, job, 60) == workers.FAILED
    assert "SIGABRT" in job.error
    row = window.jobs_widget.row_for(job)
    assert "SIGABRT" in row.message_label.text()
    # the window still works: navigate and run another job
    window.show_panel("quantize")
    assert window.stack.currentWidget() is window.quantize_panel
    again = window.jobs.run_in_process("after crash", jobfns.quick, 1)
    assert wait_job(qtbot, again, 60) == workers.DONE


def test_jobs_dock_shows_job_and_cancel_button(qtbot, window, tmp_path):
    output = tmp_path / "x.onnx"
    job = window.jobs.run_in_process("slow", jobfns.slow_writer, str(output), cleanup=[str(output)])
    row = window.jobs_widget.row_for(job)
    qtbot.waitUntil(lambda: row.progress.value() > 0, timeout=60000)
    assert row.cancel_button.isVisible()
    qtbot.waitUntil(lambda: row.elapsed_label.text() != "0:00", timeout=5000)
    row.cancel_button.click()
    assert wait_job(qtbot, job, 30) == workers.CANCELLED
    assert not row.cancel_button.isVisible()


def test_close_with_running_job_is_clean(qtbot, tmp_path, monkeypatch):
    from gui_helpers import StubBenchPanel, StubGraphPanel
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.main_window import MainWindow

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: asked.append(a) or QMessageBox.Yes))
    win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
    win.show()
    output = tmp_path / "y.onnx"
    job = win.jobs.run_in_process("slow", jobfns.slow_writer, str(output), cleanup=[str(output)])
    qtbot.waitUntil(lambda: job.worker.process is not None and job.worker.process.is_alive(), timeout=30000)
    process = job.worker.process
    assert win.close()
    assert asked, "closing with a running job must ask first"
    assert not process.is_alive()
    assert job.worker.isFinished()
    assert win.graph_panel.shut
    assert not list(Path(tmp_path).glob(".y.onnx.partial-*"))
    delete_now(win)


def test_close_refused_keeps_window(qtbot, tmp_path, monkeypatch):
    from gui_helpers import StubBenchPanel, StubGraphPanel
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.main_window import MainWindow

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.No))
    win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
    win.show()
    job = win.jobs.run_in_process("slow", jobfns.slow_writer, str(tmp_path / "z.onnx"),
                                  cleanup=[str(tmp_path / "z.onnx")])
    assert not win.close()
    assert win.isVisible() and job.is_running
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Yes))
    assert win.close()
    assert not job.is_running or job.worker.isFinished()
    delete_now(win)


def test_cancel_also_ends_processes_the_job_started(qtbot, state, tmp_path):
    import os

    pid_file = tmp_path / "grandchild.pid"
    job = state.jobs.run_in_process("nested", jobfns.spawns_grandchild, str(pid_file))
    qtbot.waitUntil(pid_file.exists, timeout=60000)
    qtbot.waitUntil(lambda: pid_file.read_text().strip() != "", timeout=5000)
    grandchild = int(pid_file.read_text())
    job.cancel()
    assert wait_job(qtbot, job, 30) == workers.CANCELLED

    def gone():
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            return True
        # a zombie not yet reaped by init counts as gone
        status = Path(f"/proc/{grandchild}/status")
        return status.exists() and "zombie" in status.read_text()
    qtbot.waitUntil(gone, timeout=10000)


def test_process_job_log_records_reach_the_log_dock(qtbot, window):
    job = window.jobs.run_in_process("logs", jobfns.logs_a_warning)
    assert wait_job(qtbot, job, 60) == workers.DONE
    qtbot.waitUntil(lambda: "opset raised in the child" in window.log_widget.toPlainText(), timeout=5000)
