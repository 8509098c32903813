"""SIGTERM as an exception in the main thread, so every ``finally`` cleanup of a job (staging folders, replaced
files put back) runs when the process is asked to stop (the GUI's Cancel, a CI timeout)."""

from __future__ import annotations

import signal
import threading


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process gets SIGTERM, so every ``finally`` cleanup runs."""


def terminate_on_sigterm() -> None:
    """Turn the first SIGTERM into a :class:`Terminated` exception (later ones are ignored while it unwinds)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, handler)
