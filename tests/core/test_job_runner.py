"""The one child-process job runner (workbench.core.jobs.child): its envelope, errors, crashes, cancel of the
whole process group, streaming, and removal of a cancelled job's staged output."""

import psutil
import pytest
import runner_jobs

from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs import CancelToken
from workbench.core.jobs.child import CANCELLED, DONE, FAILED, ChildFailed, ChildJob, run


def _messages(fn, *args, **kwargs):
    return list(ChildJob(fn, args, **kwargs).messages())


def _cancel_on(job: ChildJob, text: str) -> list:
    """Run ``job``, cancelling it at its first progress message starting with ``text``."""
    seen = []
    for message in job.messages():
        seen.append(message)
        if message.kind == "progress" and message.text.startswith(text):
            job.cancel()
    return seen


def test_progress_then_result_then_done():
    messages = _messages(runner_jobs.counts, 3)
    kinds = [m.kind for m in messages]
    assert kinds == ["progress"] * 3 + ["result", "done"]
    assert [m.text for m in messages[:3]] == ["step 0", "step 1", "step 2"]
    assert messages[-2].value["n"] == 3
    assert messages[-1].state == DONE
    assert run(runner_jobs.counts, 2)["n"] == 2


def test_workbench_error_arrives_as_its_one_line():
    messages = _messages(runner_jobs.refuses)
    error = next(m for m in messages if m.kind == "error")
    assert error.text == "the model has no inputs; export it again with its example inputs"
    assert error.hint == "export it again with its example inputs" and "WorkbenchError" in error.detail
    assert messages[-1].kind == "done" and messages[-1].state == FAILED
    with pytest.raises(WorkbenchError) as raised:
        run(runner_jobs.refuses)
    assert str(raised.value) == error.text


def test_segfault_is_a_failed_job_naming_the_signal():
    messages = _messages(runner_jobs.segfaults)
    assert messages[-1].state == FAILED
    assert "SIGSEGV" in messages[-1].text and "\n" not in messages[-1].text
    assert not any(m.kind == "result" for m in messages)


def test_exit_without_a_result_names_the_exit_code():
    with pytest.raises(ChildFailed, match="exit code 7") as raised:
        run(runner_jobs.exits_silently)
    assert raised.value.cause == "crash"


def test_kill_9_is_a_crash_with_the_memory_hint():
    with pytest.raises(ChildFailed) as raised:
        run(runner_jobs.killed)
    assert "SIGKILL" in raised.value.what and "out of memory" in raised.value.hint


def test_unexpected_exception_is_its_first_line_and_traceback():
    with pytest.raises(ChildFailed) as raised:
        run(runner_jobs.raises_value_error)
    err = raised.value
    assert (err.cause, str(err)) == ("unexpected", "ValueError: bad shape")
    assert "raises_value_error" in err.detail


def test_cancel_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    job = ChildJob(runner_jobs.with_grandchild, (str(pid_file),), grace_s=1.0)
    messages = _cancel_on(job, "grandchild started")
    assert messages[-1].state == CANCELLED
    grandchild = int(pid_file.read_text())
    for pid in (job.pid, grandchild):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, pid
    assert job.process.exitcode is not None and job.process.exitcode < 0  # ended by a signal


def test_cancel_token_set_before_start_raises_job_cancelled():
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        run(runner_jobs.counts, 3, cancel=token)


def test_streaming_job_yields_its_samples_in_order():
    messages = _messages(runner_jobs.streams, 300)
    items = [item for m in messages if m.kind == "samples" for item in m.value]
    assert [item["iteration"] for item in items] == list(range(300))
    assert messages[-2].kind == "result" and messages[-2].value == {"count": 300}
    batches = []
    assert run(runner_jobs.streams, 5, on_samples=batches.append) == {"count": 5}
    assert [i["iteration"] for batch in batches for i in batch] == list(range(5))


def test_cancelled_job_staged_output_is_removed(tmp_path):
    output = tmp_path / "out" / "model.onnx"
    job = ChildJob(runner_jobs.staged_writer, (str(output),), cleanup=[str(output)], grace_s=0)  # SIGKILL at once
    staged_while_running = []
    for message in job.messages():
        if message.kind == "progress" and not job.token.cancelled:
            staged_while_running = list(output.parent.glob(".model.onnx.partial-*"))
            job.cancel()
    assert staged_while_running  # the child had written into its staging folder
    assert message.state == CANCELLED
    assert not output.exists() and not list(output.parent.glob(".model.onnx.partial-*"))


def test_engine_log_records_arrive_as_log_messages(caplog):
    messages = _messages(runner_jobs.logs)
    logs = [m for m in messages if m.kind == "log"]
    assert [(m.logger, m.text, m.value) for m in logs] == [("workbench.core.export", "opset 14 was raised to 17", 30)]
    with caplog.at_level("INFO", logger="workbench"):
        assert run(runner_jobs.logs) == "ok"
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("workbench.core.export",
                                                                   "opset 14 was raised to 17")]


def test_timeout_fails_the_job_kills_it_and_removes_its_staging(tmp_path):
    output = tmp_path / "out" / "model.onnx"
    job = ChildJob(runner_jobs.staged_writer, (str(output),), cleanup=[str(output)], timeout_s=1.0, grace_s=1.0)
    messages = list(job.messages())
    error = next(m for m in messages if m.kind == "error")
    assert (error.value, messages[-1].state) == ("timeout", FAILED) and "ran past 1 s" in error.text
    assert not job.process.is_alive()
    assert not list(output.parent.glob(".model.onnx.partial-*")) and not output.exists()
