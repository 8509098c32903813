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


def test_a_burst_of_progress_translates_a_few_messages_shows_the_last_and_never_outlives_the_end(qtbot, window,
                                                                                                  monkeypatch,
                                                                                                  tmp_path):
    # a quantizer reports every node: 500 messages in one burst used to go through the translation catalog one by
    # one on the GUI thread (a 170-230 ms stall in test_heartbeat); now the bar takes each, the words the latest
    from workbench.gui import docks

    output = tmp_path / "x.onnx"
    job = window.jobs.run_in_process("slow", jobfns.slow_writer, str(output), cleanup=[str(output)])
    row = window.jobs_widget.row_for(job)
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=60000)
    job.progressed.disconnect(row._progress)  # only this test's burst reaches the row (the job keeps reporting)
    translated = []
    monkeypatch.setattr(docks, "engine_text", lambda m: translated.append(m) or m)
    for i in range(1, 501):
        row._progress(i / 1000, f"quantizing (int4) {i}/500 nodes")
    assert row.progress.value() == 500 and len(translated) <= 2
    qtbot.waitUntil(lambda: row.message_label.text() == "quantizing (int4) 500/500 nodes", timeout=2000)
    assert len(translated) <= 3
    row._progress(0.6, "a late message")  # shown at once (the timer is idle again)...
    row._progress(0.7, "pending when the job ends")  # ...this one waits for the timer
    job.cancel()
    assert wait_job(qtbot, job, 30) == workers.CANCELLED
    qtbot.wait(3 * docks.MESSAGE_MS)
    assert row.message_label.text().startswith("cancelled at")  # the ended job's words are not overwritten
