"""The job runner's envelope and the helpers both sides share (Qt-free): :class:`Message`, one-line errors, exit
codes in words, throttled progress, and the batching of a generator job's items."""

from __future__ import annotations

import dataclasses
import signal
import time
from typing import Any, Callable, Iterable, Optional

from workbench.core.errors import WorkbenchError, first_line

DONE, FAILED, CANCELLED = "done", "failed", "cancelled"
PROGRESS_INTERVAL_S = 0.05  # at most 20 progress (and sample) messages a second per job


@dataclasses.dataclass(frozen=True)
class Message:
    """One message of the envelope (``workbench.core.jobs.child`` says which fields each kind uses)."""

    kind: str  # progress | samples | log | result | error | done
    value: Any = None
    fraction: float = 0.0
    text: str = ""
    hint: Optional[str] = None
    detail: str = ""
    state: str = ""
    logger: str = ""


def relog(message: Message) -> None:
    """Log a child's ``log`` message in this process, under its own logger (the GUI's Log dock shows it)."""
    import logging

    logging.getLogger(message.logger or "workbench").log(int(message.value or logging.INFO), "%s", message.text)


def error_line(err: BaseException) -> str:
    """The engine's one-line message, or the exception's first line for anything unexpected."""
    if isinstance(err, WorkbenchError):
        return str(err)
    first = first_line(err, None)
    return f"{type(err).__name__}: {first}" if str(err).strip() else type(err).__name__


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

    Returns the generator's own return value when it has one, else the list of every item. ``stop()`` true ends
    the stream early (its ``close()`` is called).
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
