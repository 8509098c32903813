"""The main window's panels: the navigator and the stack of step panels, the Graph tab, navigation between them,
and the panels following the application state (source, ONNX model, a failed load).

Texts are translated in the "MainWindow" context (the window's), whichever module builds them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import SIGNAL, QCoreApplication, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QTabWidget, QVBoxLayout, QWidget

from workbench.gui import theme
from workbench.gui.navigator import Navigator
from workbench.gui.page_stack import PageScroll, PageStack
from workbench.gui.panel_api import window_panel
from workbench.gui.panels import group_hints
from workbench.gui.panels.chat_panel import ChatPanel
from workbench.gui.panels.deploy_panel import DeployPanel
from workbench.gui.panels.export_panel import ExportPanel
from workbench.gui.panels.load_panel import LoadPanel
from workbench.gui.panels.optimize_panel import OptimizePanel
from workbench.gui.panels.quantize_panel import QuantizePanel
from workbench.gui.panels.report_panel import ReportPanel
from workbench.gui.panels.validate_panel import ValidatePanel

translate = QCoreApplication.translate  # texts in the "MainWindow" context (pyside6-lupdate reads the literal)



class Placeholder(QWidget):
    """Shown where an optional panel could not be built (e.g. QtWebEngine missing)."""

    def __init__(self, message: str, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        label = QLabel(message, self)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignCenter)
        label.setObjectName("panelHint")
        layout.addWidget(label)


class WindowPanels:
    """Panels, navigation and state (a part of :class:`~workbench.gui.main_window.MainWindow`)."""

    MODEL_STEPS = ("export", "validate", "optimize", "quantize", "bench")  # steps that cannot run without a model

    def _build_panels(self, graph_factory, bench_factory) -> None:
        self.navigator = Navigator(self)
        self.stack = PageStack(self)
        self.panels: dict = {}
        self.load_panel = LoadPanel(self.state, self.stack)
        self.export_panel = ExportPanel(self.state, self.stack)
        self.validate_panel = ValidatePanel(self.state, self.stack)
        self.optimize_panel = OptimizePanel(self.state, self.stack)
        self.quantize_panel = QuantizePanel(self.state, self.stack)
        self.bench_panel = self._optional_panel(bench_factory, "workbench.gui.panels.bench_panel", "BenchPanel",
                                                translate("MainWindow", "The benchmark panel is not available"))
        self.report_panel = ReportPanel(self.state, self.stack)
        self.chat_panel = ChatPanel(self.state, self.stack)
        self.deploy_panel = DeployPanel(self.state, self.stack)
        steps = [("load", translate("MainWindow", "Load"), "load", self.load_panel),
                 ("export", translate("MainWindow", "Export"), "export", self.export_panel),
                 ("validate", translate("MainWindow", "Validate"), "validate", self.validate_panel),
                 ("optimize", translate("MainWindow", "Optimize"), "optimize", self.optimize_panel),
                 ("quantize", translate("MainWindow", "Quantize"), "quantize", self.quantize_panel),
                 ("bench", translate("MainWindow", "Benchmark"), "bench", self.bench_panel),
                 ("report", translate("MainWindow", "Report"), "report", self.report_panel),
                 ("deploy", translate("MainWindow", "Deploy"), "export", self.deploy_panel),
                 ("chat", translate("MainWindow", "Chat"), "chat", self.chat_panel)]
        self.panel_api: dict = {}  # step (and "graph") -> the panel's WindowPanel interface
        for number, (step, text, icon_name, panel) in enumerate(steps, 1):
            self.navigator.add_step(step, f"{number}  {text}", icon_name)
            self.stack.addWidget(panel)
            self.panels[step] = panel
            group_hints.describe(panel)  # a plain-words line under each control group's title
            api = self.panel_api[step] = window_panel(panel)
            if api.state_signal is not None:
                api.state_signal.connect(self.navigator.set_state)
        self.navigator.currentRowChanged.connect(self._show_row)
        self.report_panel.set_step_panels(self.panels)  # the session's report is built from their results
        before = self.state.receivers(SIGNAL("onnxChanged(QString)"))
        self.graph_panel = self._optional_panel(graph_factory, "workbench.gui.panels.graph_panel", "GraphPanel",
                                                translate("MainWindow", "The graph view is not available"))
        # A graph panel that follows state.onnxChanged itself opens each model on its own; otherwise the window
        # opens it when the Graph tab is shown.
        self._graph_follows_state = self.state.receivers(SIGNAL("onnxChanged(QString)")) > before
        self.panel_api["graph"] = window_panel(self.graph_panel)
        finished = self.panel_api["bench"].finished_signal
        if finished is not None:
            finished.connect(self._bench_finished)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.page_scroll = PageScroll(self.stack, self)
        self.tabs.addTab(self.page_scroll, theme.icon("report"), translate("MainWindow", "Pipeline"))
        self.tabs.addTab(self.graph_panel, theme.icon("graph"), translate("MainWindow", "Graph"))
        self.tabs.currentChanged.connect(self._tab_changed)
        nav_dock = QDockWidget(translate("MainWindow", "Pipeline"), self)
        nav_dock.setObjectName("navigatorDock")
        nav_dock.setWidget(self.navigator)
        nav_dock.setFeatures(QDockWidget.NoDockWidgetFeatures)
        nav_dock.setTitleBarWidget(QWidget(nav_dock))
        self.addDockWidget(Qt.LeftDockWidgetArea, nav_dock)
        self.setCentralWidget(self.tabs)

    def _optional_panel(self, factory, module: str, name: str, failure: str) -> QWidget:
        try:
            if factory is None:
                factory = getattr(__import__(module, fromlist=[name]), name)
            return factory(self.state, self.stack)
        except Exception as err:  # noqa: BLE001 - a missing optional dependency must not stop the window
            self.state.log(f"{failure}: {err}")
            return Placeholder(f"{failure}:\n{err}", self.stack)

    def show_panel(self, step: str) -> None:
        """Show a step's panel (``"graph"`` shows the Graph tab)."""
        if step == "graph":
            self.tabs.setCurrentWidget(self.graph_panel)
            return
        self.navigator.select_step(step)
        self.tabs.setCurrentIndex(0)

    def _show_row(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            self.tabs.setCurrentIndex(0)

    def current_panel(self) -> QWidget:
        return self.graph_panel if self.tabs.currentIndex() == 1 else self.stack.currentWidget()

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self._pending_graph:
            self._open_graph(self._pending_graph)

    def _open_graph(self, path: str) -> None:
        self._pending_graph = ""
        try:
            self.panel_api["graph"].open_model(path)
        except Exception as err:  # noqa: BLE001
            self.state.log(translate("MainWindow", "The graph view could not open {0}: {1}").format(path, err))

    def _source_changed(self, path: str) -> None:
        self.source_status.setText(translate("MainWindow", "Model: {0}").format(Path(path).name) if path else
                                   translate("MainWindow", "No model loaded"))
        self.source_status.setToolTip(path)
        if path:
            self.panel_api["bench"].set_source(path)

    def _onnx_changed(self, path: str) -> None:
        self.onnx_status.setText(translate("MainWindow", "ONNX: {0}").format(Path(path).name) if path else "")
        self.onnx_status.setToolTip(path)
        self.onnx_status.setVisible(bool(path))
        if path:
            self.panel_api["bench"].set_model(path)
        if path and not self._graph_follows_state:
            if self.tabs.currentIndex() == 1:
                self._open_graph(path)
            else:
                self._pending_graph = path

    def _model_available(self, available: bool) -> None:
        """After a failed load the steps that need a model are greyed out and their Run buttons disabled."""
        reason = translate("MainWindow", "Load a model first: the last load failed ({0})").format(self.state.load_error)
        for step in self.MODEL_STEPS:
            self.navigator.set_step_enabled(step, available, "" if available else reason)
            self.panel_api[step].set_model_available(available)
        for action in (self.export_action, self.validate_action, self.quantize_action, self.bench_action):
            action.setEnabled(available)  # the toolbar and Run menu too
            action.setStatusTip("" if available else reason)

    def _bench_finished(self, results: list) -> None:
        """The Benchmark's mark: done with results; a cancel before any variant finished is no failure."""
        if results:
            state = "done"
        else:
            state = "idle" if self.panel_api["bench"].run_cancelled() else "failed"
        self.navigator.set_state("bench", state)

    def _model_reset(self) -> None:
        """A new model: the benchmark's mark (the panels reset their own) no longer describes it."""
        if self.navigator.state_of("bench") != "running":
            self.navigator.set_state("bench", "idle")
