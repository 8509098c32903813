"""The main window's actions, menus and toolbar, and what they run: open, recent files, the Run menu's steps, the
demo.

Texts are translated in the "MainWindow" context (the window's), whichever module builds them."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QToolBar

from workbench.gui import theme
from workbench.gui.i18n.translators import LANGUAGES

translate = QCoreApplication.translate  # texts in the "MainWindow" context (pyside6-lupdate reads the literal)



class WindowActions:
    """Actions, menus, toolbar and the actions' slots (a part of :class:`~workbench.gui.main_window.MainWindow`)."""

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
        self.open_file_action = self._action(
            translate("MainWindow", "&Open file…"), self.open_file, QKeySequence.Open, "file",
            translate("MainWindow", "Open a checkpoint or an ONNX file"))
        self.open_folder_action = self._action(
            translate("MainWindow", "Open &folder…"), self.open_folder, "Ctrl+Shift+O", "folder",
            translate("MainWindow", "Open a Hugging Face model folder"))
        self.open_recipe_action = self._action(
            translate("MainWindow", "Open &recipe…"), lambda: self.report_panel.load_recipe(), None, "recipe")
        self.save_recipe_action = self._action(
            translate("MainWindow", "&Save recipe…"), lambda: self.report_panel.save_recipe(), QKeySequence.Save,
            "save")
        self.open_sweep_action = self._action(
            translate("MainWindow", "Open s&weep report…"), lambda: self.open_sweep_report(), None, "",
            translate("MainWindow", "Show a sweep's curves and table, live while it runs"))
        self.quit_action = self._action(translate("MainWindow", "&Quit"), self.close, "Ctrl+Q")
        self.export_action = self._action(translate("MainWindow", "&Export"), self.run_export, "Ctrl+E", "export",
                                          translate("MainWindow", "Export the loaded model to ONNX"))
        self.validate_action = self._action(translate("MainWindow", "&Validate"), self.run_validate, None, "validate",
                                            translate("MainWindow", "Compare the ONNX model with PyTorch"))
        self.quantize_action = self._action(translate("MainWindow", "&Quantize"), self.run_quantize, None, "quantize",
                                            translate("MainWindow", "Build the ticked quantized variants"))
        self.bench_action = self._action(translate("MainWindow", "&Benchmark"), self.run_bench, "Ctrl+B", "bench",
                                         translate("MainWindow", "Benchmark the current model"))
        self.demo_action = self._action(translate("MainWindow", "Run the &demo"), self.start_demo, None, "demo",
                                        translate("MainWindow", "Build a tiny model and walk through every step"))
        self.about_action = self._action(translate("MainWindow", "&About Model Workbench"), self.show_about)
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
        file_menu = bar.addMenu(translate("MainWindow", "&File"))
        file_menu.addAction(self.open_file_action)
        file_menu.addAction(self.open_folder_action)
        self.recent_menu = file_menu.addMenu(translate("MainWindow", "Recent files"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(self.open_recipe_action)
        file_menu.addAction(self.save_recipe_action)
        file_menu.addAction(self.open_sweep_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = bar.addMenu(translate("MainWindow", "&Run"))
        for action in (self.export_action, self.validate_action, self.quantize_action, self.bench_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        run_menu.addAction(self.demo_action)
        view_menu = bar.addMenu(translate("MainWindow", "&View"))
        theme_menu = view_menu.addMenu(translate("MainWindow", "Theme"))
        self.theme_group = QActionGroup(self)
        for name, text in (("light", translate("MainWindow", "Light")), ("dark", translate("MainWindow", "Dark"))):
            action = theme_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(theme.current_theme() == name)
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(action)
        language_menu = view_menu.addMenu(translate("MainWindow", "Language"))
        self.language_group = QActionGroup(self)
        for code, text in LANGUAGES.items():
            action = language_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(self.settings.language == code)
            action.setData(code)
            action.triggered.connect(lambda _c=False, c=code: self.set_language(c))
            self.language_group.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.jobs_dock.toggleViewAction())
        view_menu.addAction(self.log_dock.toggleViewAction())
        help_menu = bar.addMenu(translate("MainWindow", "&Help"))
        help_menu.addAction(self.demo_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar(translate("MainWindow", "Main toolbar"), self)
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
            self.recent_menu.addAction(translate("MainWindow", "(none)")).setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(translate("MainWindow", "Clear the list"), self.clear_recent_files)

    def clear_recent_files(self) -> None:
        """File > Recent files > Clear the list: the settings and the Start here page's list, at once."""
        self.settings.clear_recent()
        self.load_panel.welcome.set_recent([])

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
        result = self.panel_api["bench"].start()
        if self.bench_running():
            self.navigator.set_state("bench", "running")
        return result

    def bench_running(self) -> bool:
        return bool(self.panel_api["bench"].running())

    def open_sweep_report(self, folder: str = ""):
        from workbench.gui.sweep_view import open_sweep_report

        return open_sweep_report(self, folder)

    def start_demo(self, folder: str = ""):
        from workbench.gui.demo import DemoRunner

        if self.demo is not None and self.demo.running:
            return self.demo
        self.demo = DemoRunner(self, folder or None)
        self.demo.start()
        return self.demo
