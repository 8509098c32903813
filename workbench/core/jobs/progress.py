"""Progress and cancellation shared by the CLI (tqdm/rich) and the GUI (Qt signals).

A job is a plain callable ``fn(spec, *, progress=None, cancel=None)``. ``progress(fraction, message)`` may be
called at any time; ``cancel.check()`` raises :class:`JobCancelled` between stages.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from workbench.core.errors import JobCancelled

ProgressFn = Callable[[float, str], None]


class CancelToken:
    """Cooperative cancellation: set from any thread, checked by the job between stages."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise JobCancelled()


def no_progress(fraction: float, message: str) -> None:  # noqa: ARG001 - the null progress sink
    return None


class Stages:
    """Maps stage i of n onto an overall fraction and checks for cancel at every stage boundary."""

    def __init__(self, names: list[str], progress: Optional[ProgressFn], cancel: Optional[CancelToken]):
        self.names = names
        self.progress = progress or no_progress
        self.cancel = cancel
        self.index = -1

    def next(self, message: str | None = None) -> None:
        if self.cancel is not None:
            self.cancel.check()
        self.index += 1
        name = message or self.names[min(self.index, len(self.names) - 1)]
        self.progress(self.index / max(len(self.names), 1), name)

    def done(self, message: str = "done") -> None:
        self.progress(1.0, message)
