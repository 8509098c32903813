"""A long job in the Jobs dock shows its elapsed time and, while it runs, the time left at its pace so far
(issue 14 point 2); no estimate before it means anything, none once the job ended."""

import pytest
from gui_helpers import wait_job

import jobfns
from workbench.gui import workers
from workbench.gui.docks import remaining_seconds


def test_remaining_seconds_from_the_pace_so_far():
    assert remaining_seconds(10.0, 0.25) == pytest.approx(30.0)
    assert remaining_seconds(10.0, 0.02) is None  # under 5 % done: no estimate
    assert remaining_seconds(1.0, 0.5) is None  # under 3 s in
    assert remaining_seconds(10.0, 1.0) is None


def test_a_running_job_shows_elapsed_and_time_left(qtbot, window, tmp_path):
    output = tmp_path / "x.onnx"
    job = window.jobs.run_in_process("slow", jobfns.slow_writer, str(output), cleanup=[str(output)])
    row = window.jobs_widget.row_for(job)
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=60000)
    job.fraction = 0.25
    real = job.elapsed
    job.elapsed = lambda: 20.0
    row.tick()
    assert row.elapsed_label.text() == "0:20 · ~1:00 left"
    job.elapsed = real
    job.cancel()
    assert wait_job(qtbot, job, 30) == workers.CANCELLED
    row.tick()
    assert "left" not in row.elapsed_label.text()
