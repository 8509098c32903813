"""The one child-process job runner (Qt-free): the GUI's process jobs, isolated benchmarks and generation benchmarks.

A job is ``fn(*args, progress=, cancel=, **kwargs)``, picklable by reference; it runs in a child started with the
``spawn`` method, which leads a session (and process group) of its own. One envelope, :class:`Message`, comes back:

* ``progress`` (fraction, text), ``samples`` (value: a batch of a generator job's items, in order), ``log`` (text,
  value: the level, logger: the name; the engine's ``workbench.*`` records at INFO and above, see :func:`relog`);
* then exactly one of ``result`` (value) or ``error`` (text: the whole one line, hint, detail: traceback, value:
  workbench / unexpected / crash / timeout / start, state: cancelled for a cancel);
* then ``done`` (state: done / failed / cancelled, text: the reason for failed / cancelled).

Cancel SIGTERMs the child's process group (its cleanup runs), then SIGKILLs it after a grace period; whatever the
job left running in its group is killed at the end in every case. A native crash (segfault, kill -9, an exit
without a result) is a failed job whose reason names the signal or exit code. On cancel or failure, staging
folders of dead processes under ``cleanup`` are removed, and on cancel the outputs the child itself wrote.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs.messages import (CANCELLED, DONE, FAILED, PROGRESS_INTERVAL_S, Message, Throttle, drain,
                                          error_line, exit_description, is_stream, relog)
from workbench.core.jobs.progress import CancelToken, ProgressFn

__all__ = ["CANCELLED", "DONE", "FAILED", "PROGRESS_INTERVAL_S", "TERMINATE_GRACE_S", "ChildFailed", "ChildJob",
           "Message", "Throttle", "child_main", "drain", "error_line", "exit_description", "is_stream", "relog",
           "run"]
TERMINATE_GRACE_S = 3.0


# ---------------------------------------------------------------------------------------------------------------
# Child side.


def child_main(conn, fn, args, kwargs) -> None:
    """Entry point of the child: lead a new session, run ``fn``, send the envelope's messages over ``conn``."""
    from workbench.core.fsutil import Terminated, terminate_on_sigterm

    if hasattr(os, "setsid"):
        try:
            os.setsid()  # Cancel signals the whole group: the processes the engine starts in turn end too
        except OSError:
            pass
    terminate_on_sigterm()  # SIGTERM unwinds the job, so its staging folders are removed
    lock = threading.Lock()  # the engine may report progress from its own threads

    def send(message: Message) -> None:
        with lock:
            try:
                conn.send(message)
            except (OSError, ValueError):
                pass  # the parent is gone: nothing to tell

    _forward_logs(send)
    try:
        result = fn(*args, progress=Throttle(lambda f, m: send(Message("progress", fraction=f, text=m))),
                    cancel=CancelToken(), **kwargs)
        if is_stream(result):
            result = drain(result, lambda batch: send(Message("samples", value=batch)))
        send(Message("result", value=result))
    except JobCancelled as err:
        send(Message("error", text=str(err), state=CANCELLED))
    except Terminated:  # the cleanup has run; end as the signal would have (the parent sees -SIGTERM)
        conn.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    except WorkbenchError as err:
        send(Message("error", value="workbench", text=str(err), hint=err.hint, detail=traceback.format_exc()))
    except BaseException as err:  # noqa: BLE001 - every failure goes back as one line plus its traceback
        send(Message("error", value="unexpected", text=error_line(err), detail=traceback.format_exc()))
    finally:
        conn.close()


def _forward_logs(send: Callable[[Message], None]) -> None:
    """The child's ``workbench.*`` records (INFO and above) go to the parent as ``log`` messages."""
    import logging

    class Forward(logging.Handler):
        def emit(self, record):  # noqa: D401 - logging API
            try:
                send(Message("log", value=record.levelno, text=record.getMessage(), logger=record.name))
            except Exception:  # noqa: BLE001 - logging must never fail the job
                pass

    engine = logging.getLogger("workbench")
    engine.addHandler(Forward(logging.INFO))
    if engine.getEffectiveLevel() > logging.INFO:
        engine.setLevel(logging.INFO)


# ---------------------------------------------------------------------------------------------------------------
# Parent side.


class ChildJob:
    """One job in a spawned child. Iterate :meth:`messages` (from any one thread); :meth:`cancel` from any."""

    def __init__(self, fn, args: Iterable = (), kwargs: Optional[dict] = None, *, cleanup: Iterable[str] = (),
                 grace_s: float = TERMINATE_GRACE_S, cancel: Optional[CancelToken] = None,
                 timeout_s: Optional[float] = None, name: str = "workbench-job", nice: int = 0):
        self.fn, self.args, self.kwargs = fn, tuple(args), dict(kwargs or {})
        self.cleanup = [str(p) for p in cleanup]
        self.grace_s = float(grace_s)  # 0: cancel sends SIGKILL at once (jobs that write nothing)
        self.token = cancel or CancelToken()
        self.timeout_s, self.name, self.nice = timeout_s, name, int(nice)
        self.process = None
        self.pid: Optional[int] = None

    def cancel(self) -> None:
        self.token.cancel()

    def kill_now(self) -> None:
        """Cancel, and signal the child's group at once (the window is closing)."""
        self.token.cancel()
        if self.process is not None and self.process.is_alive():
            _signal_group(self.process, signal.SIGTERM if self.grace_s > 0 else signal.SIGKILL)

    def messages(self) -> Iterator[Message]:
        """Start the child and yield its messages; the last one is always ``done``."""
        ctx = multiprocessing.get_context("spawn")
        reader, writer = ctx.Pipe(duplex=False)
        try:
            self.process = ctx.Process(target=child_main, args=(writer, self.fn, self.args, self.kwargs),
                                       name=self.name, daemon=False)  # the job may start its own children
            self.process.start()
        except BaseException as err:  # noqa: BLE001 - e.g. an argument that cannot be pickled
            reader.close()
            writer.close()
            text = f"the job could not start: {error_line(err)}"
            yield Message("error", value="start", text=text, detail=traceback.format_exc())
            yield Message("done", state=FAILED, text=text)
            return
        writer.close()  # the child holds the only writer now: its death reads as EOF here
        self.pid = self.process.pid
        if self.nice and hasattr(os, "setpriority"):
            try:
                os.setpriority(os.PRIO_PROCESS, self.pid, self.nice)
            except OSError:
                pass
        state, reason = FAILED, ""
        try:
            for message in self._read(reader):
                if message.kind == "error":
                    state, reason = (message.state or FAILED), message.text
                elif message.kind == "result":
                    state = DONE
                yield message
            if state == FAILED and not reason:  # ended without a result or an error: a crash
                self.process.join(timeout=1.0)
                code = self.process.exitcode
                reason = f"the worker process crashed ({exit_description(code)})"
                hint = "SIGKILL often means out of memory: close other programs or lower the sizes" \
                    if code == -getattr(signal, "SIGKILL", 9) else None
                reason = f"{reason}; {hint}" if hint else reason
                yield Message("error", value="crash", text=reason, hint=hint)
            elif state == CANCELLED and not reason:
                reason = "cancelled by the user"
                yield Message("error", text=reason, state=CANCELLED)
        finally:
            self._end_child()
            reader.close()
            if state in (CANCELLED, FAILED):
                self._remove_partial(remove_outputs=state == CANCELLED)
        yield Message("done", state=state, text=reason)

    def _read(self, reader) -> Iterator[Message]:
        started = time.monotonic()
        while True:
            if self.token.cancelled:
                yield Message("error", text="cancelled by the user", state=CANCELLED)
                return
            if self.timeout_s is not None and time.monotonic() - started > self.timeout_s:
                hint = "lower the iterations or set a larger time limit"
                yield Message("error", value="timeout", text=f"the job ran past {self.timeout_s:g} s; {hint}",
                              hint=hint)
                return
            if not reader.poll(0.05):
                continue
            try:
                message = reader.recv()
            except (EOFError, OSError):
                return  # the child ended (or died) without sending more
            yield message
            if message.kind in ("result", "error"):
                return

    def _end_child(self) -> None:
        """Join the child; a running one (cancel, timeout) gets SIGTERM on its group, then SIGKILL after the grace
        period. Whatever the job left running in its group is killed too."""
        proc = self.process
        if proc is None:
            return
        proc.join(timeout=0 if self.token.cancelled else 0.5)
        if proc.is_alive() and self.grace_s > 0:
            _signal_group(proc, signal.SIGTERM)
            proc.join(timeout=self.grace_s)
        if proc.is_alive():
            _signal_group(proc, signal.SIGKILL)
            proc.join(timeout=TERMINATE_GRACE_S)
        _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM), group_only=True)

    def _remove_partial(self, remove_outputs: bool) -> None:
        """Remove staging folders of dead processes beside ``cleanup``, and on cancel the files the child itself
        finished writing (its folder's manifest says so: never a file of the user's)."""
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


def _signal_group(proc, sig, group_only: bool = False) -> None:
    """Send ``sig`` to the child's process group (POSIX), else to the child itself."""
    pid = proc.pid
    if pid is None:
        return
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid, sig)  # the child leads group ``pid`` (os.setsid)
            return
        except (ProcessLookupError, PermissionError):
            pass  # no such group (yet, or any more)
    if group_only:
        return
    try:
        proc.kill() if sig == getattr(signal, "SIGKILL", None) else proc.terminate()
    except (OSError, ValueError):
        pass


def run(fn, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
        on_samples: Optional[Callable[[list], None]] = None, timeout_s: Optional[float] = None,
        cleanup: Iterable[str] = (), name: str = "workbench-job", **kwargs):
    """Run a job in a child and return its result (for engine callers that block, e.g. isolated benchmarks).

    Progress and sample batches go to ``progress`` / ``on_samples``, log messages to this process's loggers. A
    failure raises WorkbenchError (the child's own one line and hint, or the crash's reason); a cancel raises
    JobCancelled.
    """
    job = ChildJob(fn, args, kwargs, cancel=cancel, timeout_s=timeout_s, cleanup=cleanup, name=name)
    result, error = None, None
    for message in job.messages():
        if message.kind == "progress" and progress is not None:
            progress(message.fraction, message.text)
        elif message.kind == "samples" and on_samples is not None:
            on_samples(message.value)
        elif message.kind == "log":
            relog(message)
        elif message.kind == "result":
            result = message.value
        elif message.kind == "error" and error is None:
            error = message
        elif message.kind == "done":
            if message.state == CANCELLED:
                raise JobCancelled()
            if message.state == FAILED:
                raise ChildFailed(error.text if error else message.text, error.hint if error else None,
                                  error.detail if error else "", error.value if error else "crash")
    return result


class ChildFailed(WorkbenchError):
    """A child job failed: ``line`` is the child's whole one line (what; hint), ``detail`` its traceback, ``cause``
    one of workbench (a WorkbenchError), unexpected (another exception), crash, timeout or start."""

    def __init__(self, line: str, hint: Optional[str], detail: str = "", cause: str = "workbench"):
        what = line[: -len(f"; {hint}")] if hint and line.endswith(f"; {hint}") else line
        super().__init__(what, hint)
        self.detail, self.cause = detail, cause or "workbench"
