"""The main window: pipeline navigator, panels and Graph tab, Jobs and Log docks, menus, toolbar, status bar."""

from __future__ import annotations

import gc
import logging
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

from PySide6.QtCore import SIGNAL, QCoreApplication, QEvent, QObject, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.gui import theme
from workbench.gui.docks import JobsWidget, LogWidget
from workbench.gui.navigator import Navigator
from workbench.gui.page_stack import PageScroll, PageStack
from workbench.gui.panels.chat_panel import ChatPanel
from workbench.gui.panels.export_panel import ExportPanel
from workbench.gui.panels.load_panel import LoadPanel
from workbench.gui.panels.optimize_panel import OptimizePanel
from workbench.gui.panels.quantize_panel import QuantizePanel
from workbench.gui.panels.report_panel import ReportPanel
from workbench.gui.panels.validate_panel import ValidatePanel
from workbench.gui.state import AppState
from workbench.gui.workers import JobManager

PANEL_SECTIONS = ("export", "validate", "optimize", "quantize", "bench")


class _Placeholder(QWidget):
    """Shown where an optional panel could not be built (e.g. QtWebEngine missing)."""

    def __init__(self, message: str, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        label = QLabel(message, self)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignCenter)
        label.setObjectName("panelHint")
        layout.addWidget(label)


class _LogBridge(QObject, logging.Handler):
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


class MainWindow(QMainWindow):
    """Model Workbench's window. ``graph_factory``/``bench_factory`` replace the Graph and Benchmark panels (tests)."""

    def __init__(self, settings: Optional[theme.Settings] = None, graph_factory=None, bench_factory=None,
                 parent=None):
        super().__init__(parent)
        self.settings = settings or theme.Settings()
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

    # -- construction ------------------------------------------------------------------------------------------
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
                                                self.tr("The benchmark panel is not available"))
        self.report_panel = ReportPanel(self.state, self.stack)
        self.chat_panel = ChatPanel(self.state, self.stack)
        steps = [("load", self.tr("Load"), "load", self.load_panel),
                 ("export", self.tr("Export"), "export", self.export_panel),
                 ("validate", self.tr("Validate"), "validate", self.validate_panel),
                 ("optimize", self.tr("Optimize"), "optimize", self.optimize_panel),
                 ("quantize", self.tr("Quantize"), "quantize", self.quantize_panel),
                 ("bench", self.tr("Benchmark"), "bench", self.bench_panel),
                 ("report", self.tr("Report"), "report", self.report_panel),
                 ("chat", self.tr("Chat"), "chat", self.chat_panel)]
        for number, (step, text, icon_name, panel) in enumerate(steps, 1):
            self.navigator.add_step(step, f"{number}  {text}", icon_name)
            self.stack.addWidget(panel)
            self.panels[step] = panel
            signal = getattr(panel, "stepStateChanged", None)
            if signal is not None:
                signal.connect(self.navigator.set_state)
        self.navigator.currentRowChanged.connect(self._show_row)
        self.report_panel.set_step_panels(self.panels)  # the session's report is built from their results
        before = self.state.receivers(SIGNAL("onnxChanged(QString)"))
        self.graph_panel = self._optional_panel(graph_factory, "workbench.gui.panels.graph_panel", "GraphPanel",
                                                self.tr("The graph view is not available"))
        # A graph panel that follows state.onnxChanged itself opens each model on its own; otherwise the window
        # opens it when the Graph tab is shown.
        self._graph_follows_state = self.state.receivers(SIGNAL("onnxChanged(QString)")) > before
        finished = getattr(self.bench_panel, "runFinished", None)
        if finished is not None:
            finished.connect(lambda results: self.navigator.set_state("bench", "done" if results else "failed"))
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.page_scroll = PageScroll(self.stack, self)
        self.tabs.addTab(self.page_scroll, theme.icon("report"), self.tr("Pipeline"))
        self.tabs.addTab(self.graph_panel, theme.icon("graph"), self.tr("Graph"))
        self.tabs.currentChanged.connect(self._tab_changed)
        nav_dock = QDockWidget(self.tr("Pipeline"), self)
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
            return _Placeholder(f"{failure}:\n{err}", self.stack)

    def _build_docks(self) -> None:
        self.jobs_widget = JobsWidget(self.jobs, self)
        self.jobs_dock = QDockWidget(self.tr("Jobs"), self)
        self.jobs_dock.setObjectName("jobsDock")
        self.jobs_dock.setWidget(self.jobs_widget)
        self.jobs_dock.setMinimumWidth(240)  # with the navigator, panels keep 780 px on a 1280 px screen
        self.addDockWidget(Qt.RightDockWidgetArea, self.jobs_dock)
        self.log_widget = LogWidget(self)
        self.log_dock = QDockWidget(self.tr("Log"), self)
        self.log_dock.setObjectName("logDock")
        self.log_dock.setWidget(self.log_widget)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_dock)
        self.resizeDocks([self.log_dock], [150], Qt.Vertical)
        screen = self.screen().availableGeometry().width() if self.screen() is not None else 1920
        self.resizeDocks([self.jobs_dock], [320 if screen >= 1600 else 250], Qt.Horizontal)  # panels get the room

    def _action(self, text: str, slot, shortcut=None, icon_name: str = "", tip: str = "") -> QAction:
        action = QAction(theme.icon(icon_name) if icon_name else QIcon(), text, self)
        action.setIconText(re.sub(r"\(&\w\)|&(?=\w)", "", text).replace("…", ""))  # toolbar: no mnemonic
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.open_file_action = self._action(self.tr("&Open file…"), self.open_file, QKeySequence.Open, "file",
                                             self.tr("Open a checkpoint or an ONNX file"))
        self.open_folder_action = self._action(self.tr("Open &folder…"), self.open_folder, "Ctrl+Shift+O",
                                               "folder", self.tr("Open a Hugging Face model folder"))
        self.open_recipe_action = self._action(self.tr("Open &recipe…"), lambda: self.report_panel.load_recipe(),
                                               None, "recipe")
        self.save_recipe_action = self._action(self.tr("&Save recipe…"), lambda: self.report_panel.save_recipe(),
                                               QKeySequence.Save, "save")
        self.quit_action = self._action(self.tr("&Quit"), self.close, "Ctrl+Q")
        self.export_action = self._action(self.tr("&Export"), self.run_export, "Ctrl+E", "export",
                                          self.tr("Export the loaded model to ONNX"))
        self.validate_action = self._action(self.tr("&Validate"), self.run_validate, None, "validate",
                                            self.tr("Compare the ONNX model with PyTorch"))
        self.quantize_action = self._action(self.tr("&Quantize"), self.run_quantize, None, "quantize",
                                            self.tr("Build the ticked quantized variants"))
        self.bench_action = self._action(self.tr("&Benchmark"), self.run_bench, "Ctrl+B", "bench",
                                         self.tr("Benchmark the current model"))
        self.demo_action = self._action(self.tr("Run the &demo"), self.start_demo, None, "demo",
                                        self.tr("Build a tiny model and walk through every step"))
        self.about_action = self._action(self.tr("&About Model Workbench"), self.show_about)
        for number, step in enumerate(self.navigator.steps, 1):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _c=False, s=step: self.show_panel(s))
            self.addAction(action)
        graph = QAction(self)
        graph.setShortcut(QKeySequence("Ctrl+G"))
        graph.triggered.connect(lambda: self.show_panel("graph"))
        self.addAction(graph)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(self.open_file_action)
        file_menu.addAction(self.open_folder_action)
        self.recent_menu = file_menu.addMenu(self.tr("Recent files"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(self.open_recipe_action)
        file_menu.addAction(self.save_recipe_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = bar.addMenu(self.tr("&Run"))
        for action in (self.export_action, self.validate_action, self.quantize_action, self.bench_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        run_menu.addAction(self.demo_action)
        view_menu = bar.addMenu(self.tr("&View"))
        theme_menu = view_menu.addMenu(self.tr("Theme"))
        self.theme_group = QActionGroup(self)
        for name, text in (("light", self.tr("Light")), ("dark", self.tr("Dark"))):
            action = theme_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(theme.current_theme() == name)
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(action)
        language_menu = view_menu.addMenu(self.tr("Language"))
        self.language_group = QActionGroup(self)
        for code, text in theme.LANGUAGES.items():
            action = language_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(self.settings.language == code)
            action.setData(code)
            action.triggered.connect(lambda _c=False, c=code: self.set_language(c))
            self.language_group.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.jobs_dock.toggleViewAction())
        view_menu.addAction(self.log_dock.toggleViewAction())
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.demo_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Main toolbar"), self)
        bar.setObjectName("mainToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        for action in (self.open_file_action, self.open_folder_action):
            bar.addAction(action)
        bar.addSeparator()
        for action in (self.export_action, self.validate_action, self.quantize_action, self.bench_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.demo_action)
        self.addToolBar(Qt.TopToolBarArea, bar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.source_status = QLabel(self.tr("No model loaded"), self)
        self.onnx_status = QLabel("", self)
        self.jobs_status = QLabel("", self)
        bar.addPermanentWidget(self.source_status)
        bar.addPermanentWidget(self.onnx_status)
        bar.addPermanentWidget(self.jobs_status)
        for label in (self.onnx_status, self.jobs_status):
            label.hide()  # an empty permanent label still paints its box: shown only with a text
        bar.showMessage(self.tr("Open a model (Ctrl+O), drop one on the window, or run the demo."), 10000)

    def _connect_state(self) -> None:
        self.state.logMessage.connect(self.log_widget.append_message)
        self.log_bridge = _LogBridge(self)
        self.log_bridge.record.connect(self.log_widget.append_record)
        logging.getLogger("workbench").addHandler(self.log_bridge)
        self.state.sourceChanged.connect(self._source_changed)
        self.state.onnxChanged.connect(self._onnx_changed)
        self.state.requestPanel.connect(self.show_panel)
        self.state.modelAvailableChanged.connect(self._model_available)
        self.state.modelReset.connect(self._model_reset)
        self.load_panel.pathOpened.connect(self.settings.add_recent)
        self.jobs.runningChanged.connect(self._running_changed)
        self.jobs.jobAdded.connect(lambda _job: self.jobs_dock.show())
        node_selected = getattr(self.graph_panel, "nodeSelected", None)
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

    # -- navigation --------------------------------------------------------------------------------------------
    def _show_row(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            self.tabs.setCurrentIndex(0)

    def show_panel(self, step: str) -> None:
        """Show a step's panel (``"graph"`` shows the Graph tab)."""
        if step == "graph":
            self.tabs.setCurrentWidget(self.graph_panel)
            return
        self.navigator.select_step(step)
        self.tabs.setCurrentIndex(0)

    def current_panel(self) -> QWidget:
        return self.graph_panel if self.tabs.currentIndex() == 1 else self.stack.currentWidget()

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self._pending_graph:
            self._open_graph(self._pending_graph)

    def _open_graph(self, path: str) -> None:
        self._pending_graph = ""
        opener = getattr(self.graph_panel, "open_model", None)
        if opener is not None:
            try:
                opener(path)
            except Exception as err:  # noqa: BLE001
                self.state.log(self.tr("The graph view could not open {0}: {1}").format(path, err))

    # -- state -------------------------------------------------------------------------------------------------
    def _source_changed(self, path: str) -> None:
        self.source_status.setText(self.tr("Model: {0}").format(Path(path).name) if path else
                                   self.tr("No model loaded"))
        self.source_status.setToolTip(path)
        setter = getattr(self.bench_panel, "set_source", None)
        if setter is not None and path:
            setter(path)

    def _onnx_changed(self, path: str) -> None:
        self.onnx_status.setText(self.tr("ONNX: {0}").format(Path(path).name) if path else "")
        self.onnx_status.setToolTip(path)
        self.onnx_status.setVisible(bool(path))
        setter = getattr(self.bench_panel, "set_model", None)
        if setter is not None and path:
            setter(path)
        if path and not self._graph_follows_state:
            if self.tabs.currentIndex() == 1:
                self._open_graph(path)
            else:
                self._pending_graph = path

    MODEL_STEPS = ("export", "validate", "optimize", "quantize", "bench")  # steps that cannot run without a model

    def _model_available(self, available: bool) -> None:
        """After a failed load the steps that need a model are greyed out and their Run buttons disabled."""
        reason = self.tr("Load a model first: the last load failed ({0})").format(self.state.load_error)
        for step in self.MODEL_STEPS:
            self.navigator.set_step_enabled(step, available, "" if available else reason)
            setter = getattr(self.panels.get(step), "set_model_available", None)
            if setter is not None:
                setter(available)
        for action in (self.export_action, self.validate_action, self.quantize_action, self.bench_action):
            action.setEnabled(available)  # the toolbar and Run menu too
            action.setStatusTip("" if available else reason)

    def _model_reset(self) -> None:
        """A new model: the benchmark's mark (the panels reset their own) no longer describes it."""
        if self.navigator.state_of("bench") != "running":
            self.navigator.set_state("bench", "idle")

    def _running_changed(self, count: int) -> None:
        self.jobs_status.setText(self.tr("{0} job(s) running").format(count) if count else "")
        self.jobs_status.setVisible(bool(count))

    def _node_selected(self, node: dict) -> None:
        name = node.get("name", "") if isinstance(node, dict) else str(node)
        op = node.get("op_type", node.get("type", "")) if isinstance(node, dict) else ""
        self.statusBar().showMessage(self.tr("Node {0} ({1})").format(name, op), 8000)

    # -- file actions ------------------------------------------------------------------------------------------
    def open_path(self, path: str):
        self.show_panel("load")
        return self.load_panel.open_path(path)

    def open_file(self) -> None:
        self.show_panel("load")
        self.load_panel.choose_file()

    def open_folder(self) -> None:
        self.show_panel("load")
        self.load_panel.choose_folder()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        for path in files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction(self.tr("(none)")).setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self.tr("Clear the list"), self.settings.clear_recent)

    # -- run actions -------------------------------------------------------------------------------------------
    def run_export(self):
        self.show_panel("export")
        return self.export_panel.export()

    def run_validate(self):
        self.show_panel("validate")
        return self.validate_panel.validate()

    def run_quantize(self):
        self.show_panel("quantize")
        return self.quantize_panel.quantize()

    def run_bench(self):
        self.show_panel("bench")
        for name in ("start", "run", "start_bench", "run_bench"):
            starter = getattr(self.bench_panel, name, None)
            if callable(starter):
                result = starter()
                if self.bench_running():
                    self.navigator.set_state("bench", "running")
                return result
        return None

    def bench_running(self) -> bool:
        running = getattr(self.bench_panel, "running", False)
        return bool(running() if callable(running) else running)

    # -- recipes -----------------------------------------------------------------------------------------------
    def collect_recipe(self, upto: str = "") -> dict:
        """The current settings as a recipe: every step for the Report panel and the File menu; the source, the
        export and the asking panel's own step otherwise."""
        source = self.state.source_path
        current = source or self.state.onnx_path  # an .onnx source is the current ONNX model, not a source
        loaded = self._loaded_recipe if current and current == self._loaded_source else None
        recipe = {"name": Path(source).name if source else "model",
                  "output_dir": self.report_panel.output_edit.text() or self.state.default_output_dir()}
        if source:
            recipe["source"] = {"path": source}
        wanted = PANEL_SECTIONS if upto in ("", "report", "load") else tuple(dict.fromkeys(("export", upto)))
        for step in wanted:
            sections = getattr(self.panels.get(step), "recipe_sections", None)
            if callable(sections):
                recipe.update(sections())
            elif step == "bench":
                fields = getattr(self.panels.get(step), "spec_fields", None)
                bench = dict(fields()) if callable(fields) else {"provider": "cpu", "batch": 1, "sequence": 128,
                                                                  "iterations": 100}
                if source and not source.lower().endswith(".onnx"):  # a loaded recipe's choice stays
                    bench["compare_torch"] = ((loaded or {}).get("bench") or {}).get("compare_torch", True)
                recipe["bench"] = bench
        if loaded is not None and upto in ("", "report", "load"):
            recipe = self._with_loaded(recipe, loaded)
        return recipe

    @staticmethod
    def _with_loaded(recipe: dict, loaded: dict) -> dict:
        """The whole recipe after a recipe was loaded (and its source is still the model): what no panel shows
        comes back as it was (its name, description, overwrite, keys such as [export] fallback or [bench]
        time_budget_s), and the optional steps it left out stay out, so load -> save changes nothing."""
        merged = dict(recipe)
        if "source" not in merged and "source" in loaded:  # an .onnx source
            merged["source"] = loaded["source"]
        for key in ("name", "description", "overwrite"):
            if key in loaded:
                merged[key] = loaded[key]
        for key in ("validate", "optimize", "bench"):
            if key not in loaded:
                merged.pop(key, None)
        for key, value in loaded.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**{k: v for k, v in value.items() if k not in merged[key]}, **merged[key]}
        return merged

    def apply_recipe(self, recipe: dict) -> None:
        path = (recipe.get("source") or {}).get("path")
        self._loaded_recipe, self._loaded_source = dict(recipe), path
        if path and path.lower().endswith(".onnx"):  # an ONNX source: the previous torch source is not its source
            self.state.set_source("")
        for step, panel in self.panels.items():
            apply = getattr(panel, "apply_recipe", None)
            if callable(apply):
                apply(recipe)
        if path:
            self.open_path(path)

    # -- view --------------------------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        theme.apply_theme(name)
        self.settings.theme = name
        for action in self.theme_group.actions():
            action.setChecked(action.data() == name)
        for chart_owner in (self.bench_panel, self.graph_panel):
            hook = getattr(chart_owner, "set_theme", None)
            if callable(hook):
                hook(name)
        from workbench.gui.charts import LiveChart

        for chart in self.findChildren(LiveChart):  # charts of other panels (e.g. the Report panel's)
            chart.set_theme(name)

    def set_language(self, code: str) -> None:
        """Switch the language now: install its translators; every widget gets a LanguageChange event and
        re-translates in place (``retranslate``), so the session (model, results, checkmarks, settings) stays."""
        self.settings.language = code
        for action in self.language_group.actions():
            action.setChecked(action.data() == code)
        theme.install_translator(code)
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)  # translated when this returns

    def changeEvent(self, event):  # noqa: N802 - Qt API
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """The window's own texts (menus, toolbar, docks, tabs, navigator, status bar) in the installed language;
        each panel translates itself on the same event."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)
        for action in self.findChildren(QAction):  # the toolbar's texts: the action's without its mnemonic
            if action.iconText() and action.text():
                action.setIconText(re.sub(r"\(&\w\)|&(?=\w)", "", action.text()).replace("…", ""))

    def about_text(self) -> str:
        def version(*names):
            for name in names:
                try:
                    return metadata.version(name)
                except metadata.PackageNotFoundError:
                    continue
            return self.tr("not installed")

        rows = [("Model Workbench", version("model-workbench")), ("PyTorch", version("torch")),
                ("ONNX", version("onnx")), ("ONNX Runtime", version("onnxruntime", "onnxruntime-gpu")),
                ("Transformers", version("transformers")), ("PySide6", version("PySide6-Essentials", "PySide6")),
                ("Qt", qVersion())]
        table = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in rows)
        return (f"<h3>{self.tr('Model Workbench')}</h3><p>"
                + self.tr("Take a trained model to deployment: export, validate, optimize, quantize, benchmark.")
                + f"</p><table>{table}</table>")

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Information, self.tr("About Model Workbench"), self.about_text(),
                          QMessageBox.Ok, self)
        box.setIconPixmap(theme.icon("app").pixmap(64, 64))
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        return box

    # -- demo --------------------------------------------------------------------------------------------------
    def start_demo(self, folder: str = ""):
        from workbench.gui.demo import DemoRunner

        if self.demo is not None and self.demo.running:
            return self.demo
        self.demo = DemoRunner(self, folder or None)
        self.demo.start()
        return self.demo

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
        for panel in (self.graph_panel, self.bench_panel, self.report_panel):
            stop = getattr(panel, "shutdown", None)
            if callable(stop):
                try:
                    stop()
                except Exception:  # noqa: BLE001 - closing must finish
                    pass
