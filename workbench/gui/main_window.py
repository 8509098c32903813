"""The main window: pipeline navigator, panels and Graph tab, Jobs and Log docks, menus, toolbar, status bar.

Its concerns live in their own modules, one part of the class each: :mod:`window_panels` (the navigator, the
panels' stack, the Graph tab, navigation and the panels following the state), :mod:`window_docks` (Jobs, Log, status
bar), :mod:`window_actions` (actions, menus, toolbar and what they run), :mod:`window_view` (theme, language, About)
and :mod:`window_recipes`. The window reaches its panels through :mod:`workbench.gui.panel_api` only. Here: the
window's construction, the state's signals, drag and drop, closing."""

from __future__ import annotations

import gc
import logging
import sys
from typing import Optional

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from workbench.gui import theme
from workbench.gui.settings import Settings
from workbench.gui.state import AppState
from workbench.gui.window_actions import WindowActions
from workbench.gui.window_docks import LogBridge, WindowDocks
from workbench.gui.window_panels import WindowPanels
from workbench.gui.window_recipes import PANEL_SECTIONS, WindowRecipes  # noqa: F401 - PANEL_SECTIONS re-exported
from workbench.gui.window_view import WindowView
from workbench.gui.workers import JobManager


def _preimport_in_background() -> None:
    """onnx and netron take ~0.5 s each to import the first time; do it off the GUI thread while the user reads
    the first screen, so finishing an export (which opens the graph view) does not freeze the window."""
    import importlib
    import threading

    def load() -> None:
        for name in ("onnx", "netron"):
            try:
                importlib.import_module(name)
            except ImportError:
                pass

    threading.Thread(target=load, name="preimport", daemon=True).start()


def _build_catalogs() -> None:
    """The message catalogs every job message goes through (gui/i18n): built with the window, not on the GUI
    thread's first progress message while the jobs' child processes load the CPU (a 113-231 ms stall there)."""
    from workbench.gui.i18n.catalog import catalog
    from workbench.gui.i18n.translators import LANGUAGES

    for code in LANGUAGES:
        if code != "en":
            catalog(code)


class MainWindow(WindowPanels, WindowDocks, WindowActions, WindowView, WindowRecipes, QMainWindow):
    """Model Workbench's window. ``graph_factory``/``bench_factory`` replace the Graph and Benchmark panels (tests)."""

    def __init__(self, settings: Optional[Settings] = None, graph_factory=None, bench_factory=None,
                 parent=None):
        super().__init__(parent)
        _build_catalogs()
        self.settings = settings or Settings()
        self.jobs = JobManager(self)
        self.state = AppState(self.jobs, self)
        self.state.recipe_builder = self.collect_recipe
        self.state.recipe_applier = self.apply_recipe
        self._loaded_recipe, self._loaded_source = None, None  # the last recipe loaded (see _with_loaded)
        self._closing = False
        self._pending_graph = ""
        self.demo = None
        self.setWindowTitle(self.tr("Model Workbench"))
        self.setWindowIcon(theme.icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_panels(graph_factory, bench_factory)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect_state()
        self.stack.currentChanged.connect(lambda _i: QTimer.singleShot(0, self, self.fit_docks))
        self.navigator.setCurrentRow(0)
        self._frozen_modules = 0
        self._freeze_timer = QTimer(self, interval=2000, timeout=self._freeze_imports)
        self._freeze_timer.start()
        self._freeze_imports()
        QTimer.singleShot(1500, _preimport_in_background)
        self.resize(1360, 860)
        if self.settings.geometry is not None:
            self.restoreGeometry(self.settings.geometry)
        if self.settings.window_state is not None:
            self.restoreState(self.settings.window_state)

    def _connect_state(self) -> None:
        self.state.logMessage.connect(self.log_widget.append_message)
        self.log_bridge = LogBridge(self)
        self.log_bridge.record.connect(self.log_widget.append_record)
        logging.getLogger("workbench").addHandler(self.log_bridge)
        self.state.sourceChanged.connect(self._source_changed)
        self.state.onnxChanged.connect(self._onnx_changed)
        self.state.requestPanel.connect(self.show_panel)
        self.state.modelAvailableChanged.connect(self._model_available)
        self.state.modelReset.connect(self._model_reset)
        self.load_panel.pathOpened.connect(self.settings.add_recent)
        welcome = self.load_panel.welcome  # the empty state's Run the demo and recent files
        welcome.runDemo.connect(lambda: self.start_demo())
        self.load_panel.pathOpened.connect(lambda _p: welcome.set_recent(self.settings.recent_files))
        welcome.set_recent(self.settings.recent_files)
        self.jobs.runningChanged.connect(self._running_changed)
        self.jobs.jobAdded.connect(lambda _job: self.jobs_dock.show())
        node_selected = self.panel_api["graph"].node_signal
        if node_selected is not None:
            node_selected.connect(self._node_selected)

    def _freeze_imports(self) -> None:
        """Keep the garbage collector off what imports create (modules, classes, tables: never garbage).

        With torch and transformers imported (the benchmark's PyTorch rows, inspecting a Hugging Face folder) a
        full collection walks ~400k objects and holds the GIL for 250+ ms, a visible freeze of the window;
        ``gc.freeze()`` moves everything alive now out of the collector's generations. Run whenever new modules
        appeared (checked every 2 s; cheap)."""
        count = len(sys.modules)
        if count != self._frozen_modules:
            gc.freeze()
            self._frozen_modules = count

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self.fit_docks)  # once the docks and the panel have their new sizes

    # -- drag and drop -----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        if paths[0].lower().endswith((".toml", ".yaml", ".yml")):
            self.show_panel("report")
            self.report_panel.load_recipe(paths[0])
        else:
            self.open_path(paths[0])

    # -- closing -----------------------------------------------------------------------------------------------
    def closeEvent(self, event):  # noqa: N802
        running = self.jobs.running()  # the benchmark's variants run as jobs too
        if running and not self._closing:
            answer = QMessageBox.question(
                self, self.tr("Jobs are running"),
                self.tr("{0} job(s) are still running. Cancel them and quit?").format(len(running)),
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                event.ignore()
                return
        self.shutdown()
        # Open message boxes are windows of their own: left open, they would keep the application running
        # (quitOnLastWindowClosed) after the main window is gone.
        from PySide6.QtWidgets import QDialog

        for dialog in self.findChildren(QDialog):
            dialog.close()
        event.accept()

    def shutdown(self) -> None:
        """Cancel jobs, wait for their threads, end child processes, stop the views, save the settings."""
        if self._closing:
            return
        self._closing = True
        if self.demo is not None:
            self.demo.stop()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        logging.getLogger("workbench").removeHandler(self.log_bridge)
        if not self.jobs.shutdown(timeout_s=15.0):
            self.state.log(self.tr("Some jobs did not stop in time."))
        for step in ("graph", "bench", "report"):
            try:
                self.panel_api[step].shutdown()
            except Exception:  # noqa: BLE001 - closing must finish
                pass
