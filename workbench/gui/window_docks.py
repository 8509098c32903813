"""The main window's docks and status bar: the navigator's dock, Jobs, Log (with the engine's log records), and
the status bar's model, ONNX and running-jobs labels.

Texts are translated in the "MainWindow" context (the window's), whichever module builds them."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel

from workbench.gui.docks import JobsWidget, LogWidget

translate = QCoreApplication.translate  # texts in the "MainWindow" context (pyside6-lupdate reads the literal)



class LogBridge(QObject, logging.Handler):
    """Forwards the engine's ``workbench.*`` log records (from any thread) to the Log dock through a signal."""

    record = Signal(str, str)  # prefix ("INFO workbench.x:", never translated), message

    def __init__(self, parent=None):
        QObject.__init__(self, parent)
        logging.Handler.__init__(self, logging.INFO)

    def emit(self, record):  # noqa: D401 - logging API (QObject has no emit)
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            self.record.emit(f"{record.levelname} {record.name}:", message)
        except RuntimeError:  # the window is gone
            pass


class WindowDocks:
    """The Jobs and Log docks and the status bar (a part of :class:`~workbench.gui.main_window.MainWindow`)."""

    def _build_docks(self) -> None:
        self.jobs_widget = JobsWidget(self.jobs, self)
        self.jobs_dock = QDockWidget(translate("MainWindow", "Jobs"), self)
        self.jobs_dock.setObjectName("jobsDock")
        self.jobs_dock.setWidget(self.jobs_widget)
        self.jobs_dock.setMinimumWidth(220)  # with the navigator, panels keep 810 px on a 1280 px screen
        self.addDockWidget(Qt.RightDockWidgetArea, self.jobs_dock)
        self.log_widget = LogWidget(self)
        self.log_dock = QDockWidget(translate("MainWindow", "Log"), self)
        self.log_dock.setObjectName("logDock")
        self.log_dock.setWidget(self.log_widget)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_dock)
        self.resizeDocks([self.log_dock], [150], Qt.Vertical)
        screen = self.screen().availableGeometry().width() if self.screen() is not None else 1920
        self.resizeDocks([self.jobs_dock], [320 if screen >= 1600 else 250], Qt.Horizontal)  # panels get the room

    def fit_docks(self) -> None:
        """Narrow the Jobs dock (down to its minimum) when the panel on screen needs the room: a panel scrolls
        sideways only when the window is too narrow even then (on a 1280 px screen: the Chat panel)."""
        dock = self.jobs_dock
        if self._closing or dock.isFloating() or not dock.isVisible() or self.tabs.currentIndex() != 0:
            return
        page = self.stack.currentWidget()
        deficit = page.minimumSizeHint().width() - self.page_scroll.viewport().width()
        if deficit > 0 and dock.width() > dock.minimumWidth():
            self.resizeDocks([dock], [max(dock.minimumWidth(), dock.width() - deficit)], Qt.Horizontal)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.source_status = QLabel(translate("MainWindow", "No model loaded"), self)
        self.onnx_status = QLabel("", self)
        self.jobs_status = QLabel("", self)
        bar.addPermanentWidget(self.source_status)
        bar.addPermanentWidget(self.onnx_status)
        bar.addPermanentWidget(self.jobs_status)
        for label in (self.onnx_status, self.jobs_status):
            label.hide()  # an empty permanent label still paints its box: shown only with a text
        bar.showMessage(translate("MainWindow", "Open a model (Ctrl+O), drop one on the window, or run the demo."),
                        10000)

    def _running_changed(self, count: int) -> None:
        self.jobs_status.setText(translate("MainWindow", "{0} job(s) running").format(count) if count else "")
        self.jobs_status.setVisible(bool(count))

    def _node_selected(self, node: dict) -> None:
        name = node.get("name", "") if isinstance(node, dict) else str(node)
        op = node.get("op_type", node.get("type", "")) if isinstance(node, dict) else ""
        self.statusBar().showMessage(translate("MainWindow", "Node {0} ({1})").format(name, op), 8000)
