"""The Jobs dock (one row per job: name, progress, elapsed time, state, Cancel) and the Log dock."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.gui import workers
from workbench.gui.formatting import ElidedLabel
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.theme import icon
from workbench.gui.i18n import Retranslating

STATE_COLORS = {workers.RUNNING: "#2d9cdb", workers.DONE: "#27ae60", workers.FAILED: "#eb5757",
                workers.CANCELLED: "#9aa5b1", workers.QUEUED: "#9aa5b1"}


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else time.strftime("%H:%M:%S",
                                                                                        time.gmtime(seconds))


def remaining_seconds(elapsed: float, fraction: float):
    """Seconds left at the pace so far (elapsed / fraction done), or None before the estimate means anything
    (under 5 % done or 3 s in) and once done."""
    if not 0.05 <= fraction < 1.0 or elapsed < 3.0:
        return None
    return elapsed * (1.0 - fraction) / fraction


MESSAGE_MS = 100


class JobRowWidget(QFrame):
    """One job in the Jobs dock."""

    def __init__(self, job: workers.Job, parent=None):
        super().__init__(parent)
        self.job = job
        self.setObjectName("jobRow")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 6, 8, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        self.name_label = ElidedLabel(job.name, self)  # a long name ends in "…", whole in its tooltip
        bold = self.name_label.font()
        bold.setBold(True)
        self.name_label.setFont(bold)
        self.state_label = QLabel(self)
        self.elapsed_label = QLabel("0:00", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("panelHint")
        self.message_label.setWordWrap(True)
        self.cancel_button = QPushButton(icon("cancel"), self.tr("Cancel"), self)
        self.cancel_button.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)
        self.cancel_button.clicked.connect(job.cancel)
        self.details_button = QPushButton(self.tr("Details…"), self)
        self.details_button.setToolTip(self.tr("The technical details of the failure (for a bug report)"))
        self.details_button.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.details_box = None
        # The name has a line of its own: beside the state and the time it was cut to "Benchmark int8-c".
        grid.addWidget(self.name_label, 0, 0, 1, 3)
        grid.addWidget(self.state_label, 1, 0, Qt.AlignLeft)
        grid.addWidget(self.elapsed_label, 1, 1, 1, 2, Qt.AlignRight)
        grid.addWidget(self.progress, 2, 0, 1, 2)
        grid.addWidget(self.cancel_button, 2, 2)
        grid.addWidget(self.details_button, 2, 2)
        grid.addWidget(self.message_label, 3, 0, 1, 3)
        grid.setColumnStretch(0, 1)
        # Progress can come in bursts (a quantizer reports every node): the bar follows each one, the message (put
        # through the translation catalog) shows at once and then at most every MESSAGE_MS, the latest one.
        self._pending_message = None
        self._message_timer = QTimer(self, singleShot=True, interval=MESSAGE_MS, timeout=self._show_message)
        job.progressed.connect(self._progress)
        job.stateChanged.connect(self._state)
        self._state(job.state)
        self._progress(job.fraction, job.message)

    def state_text(self, state: str) -> str:
        return {workers.QUEUED: self.tr("queued"), workers.RUNNING: self.tr("running"),
                workers.DONE: self.tr("done"), workers.FAILED: self.tr("failed"),
                workers.CANCELLED: self.tr("cancelled")}.get(state, state)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self._pending_message = message
        if not self._message_timer.isActive():
            self._show_message()

    def _show_message(self) -> None:
        if self._pending_message is None:
            return
        self.message_label.setText(engine_text(self._pending_message))  # the engine's stage, in the GUI's language
        self._pending_message = None
        self._message_timer.start()

    def _state(self, state: str) -> None:
        if state not in (workers.QUEUED, workers.RUNNING):  # an ended job's words are final: no late progress
            self._message_timer.stop()
            self._pending_message = None
        self._show_state(state)

    def _show_state(self, state: str) -> None:
        color = STATE_COLORS.get(state, "#9aa5b1")
        self.state_label.setText(f"<span style='color:{color}; font-weight:bold'>{self.state_text(state)}</span>")
        running = state in (workers.QUEUED, workers.RUNNING)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setVisible(running)
        if state == workers.DONE:
            self.progress.setValue(1000)
            self.message_label.setText(self.tr("finished at {0}").format(time.strftime("%H:%M:%S")))
        if state == workers.CANCELLED:
            self.message_label.setText(self.tr("cancelled at {0}").format(time.strftime("%H:%M:%S")))
        if state == workers.FAILED:
            self.message_label.setText(engine_text(self.job.error))
            self.message_label.setToolTip(engine_text(self.job.error))
            self.details_button.setVisible(bool(self.job.detail))
        self.tick()

    def show_details(self) -> QMessageBox:
        """The failure in one line, the traceback behind "Show Details..." (non-blocking)."""
        box = QMessageBox(QMessageBox.Warning, self.tr("{0} failed").format(self.job.name), self.job.error,
                          QMessageBox.Close, self)
        box.setObjectName("jobDetails")
        box.setDetailedText(self.job.detail or self.job.error)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        self.details_box = box
        return box

    def tick(self) -> None:
        """Elapsed time, and while running the time left at the pace so far (issue 14: long jobs say both)."""
        elapsed = self.job.elapsed()
        left = remaining_seconds(elapsed, self.job.fraction) if self.job.state == workers.RUNNING else None
        if left is None:
            self.elapsed_label.setText(format_elapsed(elapsed))
            self.elapsed_label.setToolTip(self.tr("Time since the job started"))
        else:
            self.elapsed_label.setText(self.tr("{0} · ~{1} left").format(format_elapsed(elapsed),
                                                                          format_elapsed(left)))
            self.elapsed_label.setToolTip(self.tr("Time since the job started, and the time left estimated from "
                                                  "its progress so far"))


class JobsWidget(QWidget):
    """Every job of the session, newest first; elapsed times tick 4 times a second while jobs run."""

    def __init__(self, manager: workers.JobManager, parent=None):
        super().__init__(parent)
        self.manager = manager
        self.rows: list[JobRowWidget] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.count_label = QLabel(self)
        clear = QPushButton(self.tr("Clear finished"), self)
        clear.clicked.connect(self.clear_finished)
        top.addWidget(self.count_label, 1)
        top.addWidget(clear)
        layout.addLayout(top)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.NoFrame)
        self.container = QWidget(scroll)
        self.rows_layout = QVBoxLayout(self.container)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(4)
        self.empty_label = QLabel(self.tr("No jobs yet. Long actions (inspect, export, validate, quantize, "
                                          "benchmark) appear here."), self.container)
        self.empty_label.setWordWrap(True)
        self.empty_label.setObjectName("panelHint")
        self.rows_layout.addWidget(self.empty_label)
        self.rows_layout.addStretch(1)
        scroll.setWidget(self.container)
        layout.addWidget(scroll, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._tick)
        manager.jobAdded.connect(self.add_job)
        manager.runningChanged.connect(self._running_changed)
        for job in manager.jobs:
            self.add_job(job)
        self._running_changed(len(manager.running()))

    def add_job(self, job: workers.Job) -> None:
        row = JobRowWidget(job, self.container)
        self.rows.insert(0, row)
        self.rows_layout.insertWidget(0, row)
        self.empty_label.hide()
        self.timer.start()

    def row_for(self, job) -> JobRowWidget:
        return next(r for r in self.rows if r.job is job)

    def _tick(self) -> None:
        running = False
        for row in self.rows:
            if row.job.is_running:
                row.tick()
                running = True
        if not running:
            self.timer.stop()

    def _running_changed(self, count: int) -> None:
        self.count_label.setText(self.tr("{0} running").format(count) if count else self.tr("Idle"))

    def clear_finished(self) -> None:
        for row in list(self.rows):
            if not row.job.is_running:
                self.rows.remove(row)
                row.setParent(None)
                row.deleteLater()
        self.manager.clear_finished()
        self.empty_label.setVisible(not self.rows)


class LogWidget(Retranslating, QPlainTextEdit):
    """Timestamped messages of the session (read-only, the last 5000 entries).

    Each entry is kept as written (time, prefix, message); on a language switch every entry is written again
    through the GUI's catalog (:func:`workbench.gui.i18n.live_text`), so lines written before the switch read in
    the new language too. A prefix (a log record's "INFO workbench.x:") is never translated."""

    MAX_ENTRIES = 5000

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(self.MAX_ENTRIES * 4)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setObjectName("log")
        self.entries: list[tuple[str, str, str]] = []  # (time, prefix, message as written)

    def append_message(self, message: str, prefix: str = "") -> None:
        entry = (time.strftime("%H:%M:%S"), prefix, str(message))
        self.entries.append(entry)
        if len(self.entries) > self.MAX_ENTRIES:
            del self.entries[: len(self.entries) - self.MAX_ENTRIES]
        self.appendPlainText(self._render(entry, None))  # as written; converted on a language switch
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def append_record(self, prefix: str, message: str) -> None:
        self.append_message(message, prefix)

    def clear(self) -> None:  # noqa: D102 - QPlainTextEdit.clear, the entries too
        self.entries.clear()
        super().clear()

    @staticmethod
    def _render(entry: tuple, cache) -> str:
        from workbench.gui.i18n import live_text

        stamp, prefix, message = entry
        if cache is None:
            text = message
        else:
            text = cache.get(message)
            if text is None:
                text = cache[message] = live_text(message)
        lines = text.splitlines() or [""]
        head = f"{stamp}  {prefix + ' ' if prefix else ''}"
        return "\n".join([head + lines[0]] + [" " * 10 + line for line in lines[1:]])

    def retranslate(self) -> None:
        """Every entry again in the installed language (the same message written many times converts once)."""
        bar = self.verticalScrollBar()
        at_end = bar.value() == bar.maximum()
        cache: dict = {}
        super().clear()
        self.appendPlainText("\n".join(self._render(e, cache) for e in self.entries))
        if not self.entries:
            super().clear()
        if at_end:
            bar.setValue(bar.maximum())

