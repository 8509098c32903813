"""The child-process side of a GUI job (``workers.ProcessWorker``), kept free of Qt.

A spawned child imports this module by reference to run its job; importing ``workbench.gui.workers`` there instead
would load PySide6.QtCore into every job process (~20 MB of RSS, counted in a benchmark child's peak memory).

The child sends ``("progress", fraction, message)``, ``("samples", [item, ...])`` when the job is a generator (its
items in batches, at most one message every :data:`PROGRESS_INTERVAL_S`), then exactly one of ``("result", value)``,
``("cancelled", message)`` or ``("error", line, traceback)``.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from typing import Callable, Iterable

from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.fsutil import Terminated, terminate_on_sigterm
from workbench.core.jobs import CancelToken

PROGRESS_INTERVAL_S = 0.05  # at most 20 progress (and sample) messages a second per job


def error_line(err: BaseException) -> str:
    """The engine's one-line message, or the exception's first line for anything unexpected."""
    if isinstance(err, WorkbenchError):
        return str(err)
    first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


class Throttle:
    """Passes a progress report on when the message changes, the job ends, or 50 ms have gone by."""

    def __init__(self, sink: Callable[[float, str], None]):
        self.sink = sink
        self.last_time = 0.0
        self.last_message = None

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        fraction = float(fraction) if fraction is not None else 0.0
        message = str(message)
        if message != self.last_message or fraction >= 1.0 or now - self.last_time >= PROGRESS_INTERVAL_S:
            self.last_time, self.last_message = now, message
            self.sink(max(0.0, min(1.0, fraction)), message)


def is_stream(value) -> bool:
    """An iterator (a generator job's return value), as opposed to a plain result."""
    return hasattr(value, "__next__") and hasattr(value, "__iter__")


def drain(stream: Iterable, emit: Callable[[list], None], stop: Callable[[], bool] = lambda: False):
    """Forward a stream's items to ``emit`` in batches (at most one call per :data:`PROGRESS_INTERVAL_S`).

    Returns the generator's own return value when it has one (``return result`` inside the generator), else the
    list of every item. ``stop()`` true ends the stream early (its ``close()`` is called).
    """
    items, batch, last = [], [], time.monotonic()
    value = None
    iterator = iter(stream)
    while True:
        if stop():
            close = getattr(stream, "close", None)
            if close:
                close()
            break
        try:
            item = next(iterator)
        except StopIteration as end:
            value = end.value
            break
        items.append(item)
        batch.append(item)
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL_S:
            emit(batch)
            batch, last = [], now
    if batch:
        emit(batch)
    return items if value is None else value


def child_main(channel, fn, args, kwargs) -> None:
    """Entry point of a job's child process: run ``fn`` and send progress (and a generator's items), then the
    result or the error.

    The child leads its own process group, so Cancel also ends the processes the engine starts in turn.
    """
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
    terminate_on_sigterm()  # Cancel sends SIGTERM: it unwinds the job, so its staging folders are removed

    def send(*message):
        try:
            channel.put(message)
        except Exception:  # noqa: BLE001 - a full or closed queue must not fail the job
            pass

    try:
        result = fn(*args, progress=Throttle(lambda f, m: send("progress", f, m)), cancel=CancelToken(), **kwargs)
        if is_stream(result):
            result = drain(result, lambda batch: send("samples", batch))
        channel.put(("result", result))
    except JobCancelled as err:
        channel.put(("cancelled", str(err)))
    except Terminated:  # the job's cleanup has run; end as the signal would have (the parent sees -SIGTERM)
        channel.close()
        channel.join_thread()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    except BaseException as err:  # noqa: BLE001 - every failure goes back as one line plus its traceback
        channel.put(("error", error_line(err), traceback.format_exc()))
    finally:
        channel.close()
        channel.join_thread()
