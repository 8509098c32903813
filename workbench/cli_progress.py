"""The CLI's progress display (stderr only: stdout is kept for the result and --json).

The engine reports ``progress(fraction, message)``; here that becomes, on a terminal, one rich progress bar for the
whole command (percentage, elapsed, remaining time from the fraction's pace) whose description is the current
step, with a line kept above it for every finished step (its time), and a rate column for steps that count
(``run 12/100``, ``sensitivity 3/40``: runs or nodes per second). Off a terminal (a log, CI) it prints plain lines,
one per step and at most one every two seconds within a step (and a counted step's last count, ``6/6 nodes``),
with the same rate and remaining time.
``--quiet`` prints nothing; with ``--json`` progress shows only when stderr is a terminal.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable, Optional

PLAIN_INTERVAL_S = 2.0
_COUNT = re.compile(r"(\d+)\s*/\s*(\d+)")
_active: list = []


def stage_of(message: str) -> str:
    """The step a message belongs to: the text before the counter or the last ': ' detail."""
    head = _COUNT.split(message, maxsplit=1)[0]
    return head.rstrip(" :") or message


class _Pace:
    """Rate of a counting step and remaining time of the whole command, from the reports seen so far."""

    def __init__(self):
        self.start = time.monotonic()
        self.stage: Optional[str] = None
        self.stage_start = self.start
        self.count_start: Optional[tuple] = None  # (time, count) of the step's first counted report

    def update(self, fraction: float, message: str) -> dict:
        now = time.monotonic()
        stage = stage_of(message)
        changed = stage != self.stage
        previous = (self.stage, now - self.stage_start) if changed and self.stage is not None else None
        if changed:
            self.stage, self.stage_start, self.count_start = stage, now, None
        rate = None
        match = _COUNT.search(message)
        if match:
            count = int(match.group(1))
            if self.count_start is None:
                self.count_start = (now, count)
            elif count > self.count_start[1] and now > self.count_start[0]:
                rate = (count - self.count_start[1]) / (now - self.count_start[0])
        elapsed = now - self.start
        eta = elapsed * (1 - fraction) / fraction if 0.02 <= fraction < 1 and elapsed > 1 else None
        return {"changed": changed, "previous": previous, "rate": rate, "eta": eta, "elapsed": elapsed}


def _clock(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-:--"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _plain(stream) -> Callable[[float, str], None]:
    pace, last = _Pace(), [0.0]

    def progress(fraction: float, message: str) -> None:
        info = pace.update(fraction, message)
        now = time.monotonic()
        count = _COUNT.search(message)
        complete = bool(count) and count.group(1) == count.group(2)  # a counted step's last report (6/6 nodes)
        if not (info["changed"] or now - last[0] >= PLAIN_INTERVAL_S or fraction >= 1 or complete):
            return
        last[0] = now
        extra = f", {info['rate']:.1f}/s" if info["rate"] else ""
        extra += f", {_clock(info['eta'])} left" if info["eta"] is not None else ""
        print(f"[{fraction * 100:5.1f}%] {message} ({_clock(info['elapsed'])}{extra})", file=stream, flush=True)

    return progress


class _RichBar:
    """One rich Progress on stderr for the command; finished steps stay above it as lines with their times."""

    def __init__(self, stream):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, \
            TimeElapsedColumn

        self.console = Console(file=stream, highlight=False)
        self.pace = _Pace()
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                            BarColumn(bar_width=30), TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                            TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
                            console=self.console, transient=True, refresh_per_second=8)
        self.task = None

    def __call__(self, fraction: float, message: str) -> None:
        info = self.pace.update(fraction, message)
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(message, total=1000, rate="", eta="")
        if info["previous"] is not None:
            name, took = info["previous"]
            self.console.print(f"  done  {name} ({took:.1f} s)", markup=False, highlight=False)
        rate = f"{info['rate']:.1f}/s" if info["rate"] else ""
        eta = f"{_clock(info['eta'])} left" if info["eta"] is not None else ""
        self.bar.update(self.task, completed=max(0.0, min(fraction, 1.0)) * 1000, description=message[:70],
                        rate=rate, eta=eta)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()
            self.task = None


def printer(quiet: bool = False, json_mode: bool = False, stream=None) -> Callable[[float, str], None]:
    """The ``progress`` callback for one command; :func:`close` ends its display before the result prints."""
    stream = stream or sys.stderr
    tty = bool(getattr(stream, "isatty", lambda: False)())
    if quiet or (json_mode and not tty):
        return lambda fraction, message: None
    if not tty:
        return _plain(stream)
    bar = _RichBar(stream)
    _active.append(bar)
    return bar


def close() -> None:
    """Stop every live bar (before the result, or an error line, is printed)."""
    while _active:
        _active.pop().close()
