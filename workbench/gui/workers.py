"""Jobs: every long action runs off the GUI thread, reports progress through Qt signals and can be cancelled.

Two kinds of worker wrap the same engine callable ``fn(*args, progress=..., cancel=..., **kwargs)``:

* :class:`ThreadWorker` runs it in a ``QThread`` (cooperative cancel through a :class:`CancelToken`). When ``fn``
  returns an iterator (a benchmark's samples), every item is relayed in batches through ``Job.samples``.
* :class:`ProcessWorker` runs it in a spawned child through the engine's one runner
  (``workbench.core.jobs.child.ChildJob``, Qt-free); the ``QThread`` only relays the runner's messages as
  signals (progress, a generator's items in batches through ``Job.samples``, the end). The runner cancels by
  killing the child's process group (SIGTERM, then SIGKILL after a grace period, at once with
  ``terminate_grace_s=0``), removes partial output, and makes a native crash a failed job naming the signal.

Results cross threads only through signals. Nothing in this module touches a widget.
"""

from __future__ import annotations

import time
import traceback
from typing import Iterable, Optional

from PySide6.QtCore import QElapsedTimer, QObject, QThread, Signal

from workbench.core.errors import JobCancelled
from workbench.core.jobs import CancelToken
from workbench.core.jobs.child import (PROGRESS_INTERVAL_S, TERMINATE_GRACE_S, ChildJob, Throttle as _Throttle,
                                       drain, error_line, exit_description, is_stream as _is_stream,
                                       relog)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)
__all__ = ["PROGRESS_INTERVAL_S", "error_line", "exit_description", "Job", "JobManager", "ProcessWorker",
           "ThreadWorker"]


# ---------------------------------------------------------------------------------------------------------------
# GUI process side.


class _Worker(QThread):
    """Base of both workers: ``progressed``, ``samples`` and one ``ended(state, payload, detail)`` at the end."""

    progressed = Signal(float, str)
    samples = Signal(list)
    ended = Signal(str, object, str)  # state, result or message, detail (traceback)

    def __init__(self, fn, args, kwargs, parent=None):
        super().__init__(parent)
        self.fn, self.args, self.kwargs = fn, tuple(args), dict(kwargs)
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()


class ThreadWorker(_Worker):
    """Runs ``fn`` in this thread; cancel is cooperative (``cancel.check()`` between the engine's stages)."""

    def run(self) -> None:  # noqa: D401 - QThread API
        progress = _Throttle(self.progressed.emit)
        try:
            result = self.fn(*self.args, progress=progress, cancel=self.token, **self.kwargs)
            if _is_stream(result):
                result = self._relay(result)
            if self.token.cancelled:
                self.ended.emit(CANCELLED, "cancelled by the user", "")
            else:
                self.ended.emit(DONE, result, "")
        except JobCancelled as err:
            self.ended.emit(CANCELLED, str(err), "")
        except BaseException as err:  # noqa: BLE001
            if self.token.cancelled:
                self.ended.emit(CANCELLED, "cancelled by the user", "")
            else:
                self.ended.emit(FAILED, error_line(err), traceback.format_exc())

    def _relay(self, stream: Iterable):
        """Forward a generator's items in batches (at most 20 signals a second); return the generator's return
        value, or every item when it returns none."""
        return drain(stream, self.samples.emit, lambda: self.token.cancelled)


class ProcessWorker(_Worker):
    """Runs ``fn`` in a spawned child through the engine's runner (:class:`ChildJob`); this thread relays its
    messages as signals."""

    def __init__(self, fn, args, kwargs, cleanup: Iterable[str] = (), parent=None,
                 terminate_grace_s: float = TERMINATE_GRACE_S):
        super().__init__(fn, args, kwargs, parent)
        # the nice value: background jobs yield the CPU to the window (on 2 cores an export would otherwise delay
        # the GUI thread's timers and repaints)
        self.runner = ChildJob(fn, args, kwargs, cleanup=cleanup, grace_s=terminate_grace_s, cancel=self.token,
                               nice=10)
        self.started_at = time.time()

    @property
    def process(self):
        return self.runner.process

    @property
    def pid(self) -> Optional[int]:
        return self.runner.pid

    def run(self) -> None:  # noqa: D401 - QThread API
        self.started_at = time.time()
        result, error = None, None
        for message in self.runner.messages():
            if message.kind == "progress":
                self.progressed.emit(float(message.fraction), str(message.text))
            elif message.kind == "samples":
                self.samples.emit(list(message.value))
            elif message.kind == "log":
                relog(message)  # the window's log bridge shows the child's engine records in the Log dock
            elif message.kind == "result":
                result = message.value
            elif message.kind == "error" and error is None:
                error = message
            elif message.kind == "done":
                if message.state == DONE:
                    self.ended.emit(DONE, result, "")
                else:
                    self.ended.emit(message.state, error.text if error else message.text,
                                    error.detail if error else "")

    def kill_now(self) -> None:
        """End the child at once (used when the window closes)."""
        self.runner.kill_now()


class Job(QObject):
    """One long action as the GUI sees it: name, state, progress, elapsed time, result or error.

    Signals
    -------
    progressed(fraction, message), samples(list), stateChanged(state),
    succeeded(result), failed(message), cancelled(), finished(state) — exactly one of succeeded / failed /
    cancelled, then finished, once the job ends.
    """

    progressed = Signal(float, str)
    samples = Signal(list)
    stateChanged = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal(str)

    def __init__(self, name: str, worker: _Worker, kind: str, parent=None):
        super().__init__(parent)
        self.name = name
        self.kind = kind  # "thread" or "process"
        self.worker = worker
        self.state = QUEUED
        self.fraction = 0.0
        self.message = ""
        self.result = None
        self.error = ""
        self.detail = ""
        self._clock = QElapsedTimer()
        self._elapsed_ms = 0
        worker.progressed.connect(self._on_progress)
        worker.samples.connect(self.samples)
        worker.ended.connect(self._on_ended)

    # -- control -----------------------------------------------------------------------------------------------
    def start(self) -> "Job":
        self._clock.start()
        self._set_state(RUNNING)
        self.worker.start()
        return self

    def cancel(self) -> None:
        if self.state in (QUEUED, RUNNING):
            self.message = "cancelling…"
            self.worker.cancel()
            self.progressed.emit(self.fraction, self.message)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the worker thread ended (use from tests and at shutdown only)."""
        return self.worker.wait(msecs)

    @property
    def is_running(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def elapsed(self) -> float:
        """Seconds since the job started (frozen once it ended)."""
        if self.state in FINAL_STATES or not self._clock.isValid():
            return self._elapsed_ms / 1000.0
        return self._clock.elapsed() / 1000.0

    # -- worker signals (queued into the GUI thread) -----------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.state != RUNNING:
            return
        self.fraction, self.message = fraction, message
        self.progressed.emit(fraction, message)

    def _on_ended(self, state: str, payload, detail: str) -> None:
        self._elapsed_ms = self._clock.elapsed() if self._clock.isValid() else 0
        self.detail = detail or ""
        if state == DONE:
            self.result, self.fraction, self.message = payload, 1.0, "done"
        elif state == CANCELLED:
            self.message = "cancelled"
        else:
            self.error = self.message = str(payload)
        self._set_state(state)
        if state == DONE:
            self.succeeded.emit(payload)
        elif state == CANCELLED:
            self.cancelled.emit()
        else:
            self.failed.emit(self.error)
        self.finished.emit(state)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)


class JobManager(QObject):
    """Starts jobs, keeps the list the Jobs dock shows, and ends them all when the window closes."""

    jobAdded = Signal(object)
    jobFinished = Signal(object)
    runningChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.jobs: list[Job] = []

    def run_in_thread(self, name: str, fn, *args, **kwargs) -> Job:
        """Run ``fn(*args, progress=, cancel=, **kwargs)`` in a QThread."""
        return self._start(Job(name, ThreadWorker(fn, args, kwargs), "thread", self))

    def run_in_process(self, name: str, fn, *args, cleanup: Iterable[str] = (),
                       terminate_grace_s: float = TERMINATE_GRACE_S, **kwargs) -> Job:
        """Run ``fn`` (picklable by reference) in a spawned child; ``cleanup`` are its output paths. A generator
        ``fn`` streams its items to ``Job.samples``. ``terminate_grace_s=0``: Cancel kills the child's group at
        once (for jobs that write nothing, e.g. benchmarks)."""
        worker = ProcessWorker(fn, args, kwargs, cleanup=cleanup, terminate_grace_s=terminate_grace_s)
        return self._start(Job(name, worker, "process", self))

    def _start(self, job: Job) -> Job:
        self.jobs.append(job)
        job.finished.connect(lambda _state, j=job: self._finished(j))
        self.jobAdded.emit(job)
        job.start()
        self.runningChanged.emit(len(self.running()))
        return job

    def _finished(self, job: Job) -> None:
        self.jobFinished.emit(job)
        self.runningChanged.emit(len(self.running()))

    def running(self) -> list[Job]:
        return [j for j in self.jobs if j.is_running]

    def clear_finished(self) -> None:
        self.jobs = [j for j in self.jobs if j.is_running]

    def cancel_all(self) -> None:
        for job in self.running():
            job.cancel()

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Cancel every job, end child processes and wait for every worker thread. True when all ended."""
        self.cancel_all()
        deadline = time.monotonic() + timeout_s
        ok = True
        for job in self.jobs:
            if isinstance(job.worker, ProcessWorker):
                job.worker.kill_now()
            remaining = max(0, int((deadline - time.monotonic()) * 1000))
            if not job.worker.wait(remaining):
                ok = False
        return ok
