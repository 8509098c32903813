"""Jobs: every long action runs off the GUI thread, reports progress through Qt signals and can be cancelled.

Two kinds of worker wrap the same engine callable ``fn(*args, progress=..., cancel=..., **kwargs)``:

* :class:`ThreadWorker` runs it in a ``QThread`` (cooperative cancel through a :class:`CancelToken`). When ``fn``
  returns an iterator (a benchmark's samples), every item is relayed in batches through ``Job.samples``.
* :class:`ProcessWorker` runs it in a child process started with the ``spawn`` context; the ``QThread`` only waits
  on the child and relays its progress messages from a ``multiprocessing`` queue, and when ``fn`` is a generator
  its items in batches through ``Job.samples`` (the child's side is ``workbench.gui.child``, free of Qt). Cancel
  terminates the child's process group (SIGTERM, then SIGKILL after a grace period, at once with
  ``terminate_grace_s=0``) and removes its partial output; a child that crashes natively (``os.abort()``, a
  segfault) marks the job failed with its exit code or signal.

Results cross threads only through signals. Nothing in this module touches a widget.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
import signal
import time
import traceback
from pathlib import Path
from typing import Iterable, Optional

from PySide6.QtCore import QElapsedTimer, QObject, QThread, Signal

from workbench.core.errors import JobCancelled
from workbench.core.jobs import CancelToken
from workbench.gui.child import PROGRESS_INTERVAL_S, Throttle as _Throttle, child_main as _child_main, drain
from workbench.gui.child import error_line, is_stream as _is_stream

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)
TERMINATE_GRACE_S = 3.0
__all__ = ["PROGRESS_INTERVAL_S", "error_line", "exit_description", "Job", "JobManager", "ProcessWorker",
           "ThreadWorker"]


def exit_description(code: Optional[int]) -> str:
    """Words for a child's exit code: 'exit code 3' or 'signal SIGABRT (6)'."""
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "signal"
        return f"signal {name} ({-code})"
    return f"exit code {code}"


def _lower_priority(pid: int) -> None:
    """Background jobs yield the CPU to the window: on a 2-core machine an export saturating both cores would
    otherwise delay the GUI thread's timers and repaints."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 10)
        except OSError:
            pass


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
    """Runs ``fn`` in a spawned child process; this thread waits on it and relays its messages."""

    def __init__(self, fn, args, kwargs, cleanup: Iterable[str] = (), parent=None,
                 terminate_grace_s: float = TERMINATE_GRACE_S):
        super().__init__(fn, args, kwargs, parent)
        self.cleanup = [str(p) for p in cleanup]
        self.terminate_grace_s = float(terminate_grace_s)  # 0: Cancel sends SIGKILL at once (nothing to clean up)
        self.process = None
        self.pid: Optional[int] = None
        self.started_at = time.time()

    def run(self) -> None:  # noqa: D401 - QThread API
        ctx = multiprocessing.get_context("spawn")
        channel = ctx.Queue()
        self.started_at = time.time()
        try:
            self.process = ctx.Process(target=_child_main, args=(channel, self.fn, self.args, self.kwargs),
                                       name="workbench-job", daemon=False)  # the engine may start its own children
            self.process.start()
        except BaseException as err:  # noqa: BLE001 - e.g. an argument that cannot be pickled
            self.ended.emit(FAILED, f"the job could not start: {error_line(err)}", traceback.format_exc())
            return
        self.pid = self.process.pid
        _lower_priority(self.pid)
        try:
            state, payload, detail = self._wait(channel)
        finally:
            self._end_child()
            channel.close()
            channel.cancel_join_thread()
        if state in (CANCELLED, FAILED):
            self._remove_partial(remove_outputs=state == CANCELLED)
        self.ended.emit(state, payload, detail)

    def _wait(self, channel) -> tuple:
        while True:
            if self.token.cancelled:
                return CANCELLED, "cancelled by the user", ""
            try:
                message = channel.get(timeout=0.05)
            except queue_mod.Empty:
                if self.process.is_alive():
                    continue
                try:  # the child may have sent its last message just before exiting
                    message = channel.get(timeout=0.5)
                except queue_mod.Empty:
                    code = self.process.exitcode
                    return FAILED, f"the worker process crashed ({exit_description(code)})", ""
            except (EOFError, OSError) as err:
                return FAILED, f"lost contact with the worker process ({error_line(err)})", ""
            kind = message[0]
            if kind == "progress":
                self.progressed.emit(float(message[1]), str(message[2]))
            elif kind == "samples":
                self.samples.emit(list(message[1]))
            elif kind == "result":
                return DONE, message[1], ""
            elif kind == "cancelled":
                return CANCELLED, message[1], ""
            else:
                return FAILED, message[1], message[2] if len(message) > 2 else ""

    def _end_child(self) -> None:
        """Join the child; when it is still running (cancel), SIGTERM its group, then SIGKILL after a grace period.
        Whatever the child left running in its group (e.g. after a crash) is killed too."""
        proc = self.process
        if proc is None:
            return
        proc.join(timeout=0.2 if not self.token.cancelled else 0)
        if proc.is_alive() and self.terminate_grace_s > 0:
            _signal_group(proc, signal.SIGTERM)
            proc.join(timeout=self.terminate_grace_s)
        if proc.is_alive():
            _signal_group(proc, signal.SIGKILL)
            proc.join(timeout=TERMINATE_GRACE_S)
        _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM), group_only=True)

    def _remove_partial(self, remove_outputs: bool) -> None:
        """Remove the staging folders a killed child left (those of dead processes only), and on cancel the
        files the child itself finished writing (its folder's manifest says so: never a file of the user's)."""
        from workbench.core.fsutil import clean_stale, written_by

        for out in self.cleanup:
            path = Path(out)
            for folder in {path.parent, path}:
                if folder.is_dir() and not folder.is_symlink():
                    clean_stale(folder)
            if not remove_outputs or self.pid is None:
                continue
            for candidate in (path, Path(str(path) + ".data")):
                try:
                    if written_by(candidate, self.pid):
                        candidate.unlink()
                except OSError:
                    pass

    def kill_now(self) -> None:
        """End the child at once (used when the window closes)."""
        self.token.cancel()
        proc = self.process
        if proc is not None and proc.is_alive():
            _signal_group(proc, signal.SIGTERM if self.terminate_grace_s > 0 else signal.SIGKILL)


def _signal_group(proc, sig, group_only: bool = False) -> None:
    """Send ``sig`` to the child's process group (POSIX), else to the child itself."""
    pid = proc.pid
    if pid is None:
        return
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid, sig)  # the child made itself leader of group ``pid``
            return
        except (ProcessLookupError, PermissionError):
            pass  # no such group (yet, or any more)
    if group_only:
        return
    try:
        if sig == getattr(signal, "SIGKILL", None):
            proc.kill()
        else:
            proc.terminate()
    except (OSError, ValueError):
        pass


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
