"""The main window's View menu at work: theme and language switched live (the session stays), and About.

Texts are translated in the "MainWindow" context (the window's), whichever module builds them."""

from __future__ import annotations

import re
from importlib import metadata

from PySide6.QtCore import QCoreApplication, QEvent, Qt, qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox

from workbench.gui import theme
from workbench.gui.i18n.translators import install_translator
from workbench.gui.i18n import Retranslating

translate = QCoreApplication.translate  # texts in the "MainWindow" context (pyside6-lupdate reads the literal)



class WindowView(Retranslating):
    """Theme, language and About (a part of :class:`~workbench.gui.main_window.MainWindow`)."""

    def set_theme(self, name: str) -> None:
        theme.apply_theme(name)
        self.settings.theme = name
        for action in self.theme_group.actions():
            action.setChecked(action.data() == name)
        for step in ("bench", "graph"):
            self.panel_api[step].set_theme(name)
        from workbench.gui.charts import LiveChart

        for chart in self.findChildren(LiveChart):  # charts of other panels (e.g. the Report panel's)
            chart.set_theme(name)
        for dialog in self.findChildren(QDialog):  # an open message box got the new palette but kept the old
            if dialog.isVisible():                 # theme's pixels on screen (Xvfb screenshots): repaint it
                dialog.style().unpolish(dialog)
                dialog.style().polish(dialog)
                dialog.repaint()

    def set_language(self, code: str) -> None:
        """Switch the language now: install its translators; every widget gets a LanguageChange event and
        re-translates in place (``retranslate``), so the session (model, results, checkmarks, settings) stays."""
        self.settings.language = code
        for action in self.language_group.actions():
            action.setChecked(action.data() == code)
        install_translator(code)
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)  # translated when this returns


    def retranslate(self) -> None:
        """The window's own texts (menus, toolbar, docks, tabs, navigator, status bar) in the installed language;
        each panel translates itself on the same event."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)
        bar = self.statusBar()
        if bar.currentMessage():  # a message shown for a while is no widget's text: the walk does not reach it
            bar.showMessage(i18n.live_text(bar.currentMessage()), 10000)
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
            return translate("MainWindow", "not installed")

        rows = [("Model Workbench", version("model-workbench")), ("PyTorch", version("torch")),
                ("ONNX", version("onnx")), ("ONNX Runtime", version("onnxruntime", "onnxruntime-gpu")),
                ("Transformers", version("transformers")), ("PySide6", version("PySide6-Essentials", "PySide6")),
                ("Qt", qVersion())]
        table = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in rows)
        title = translate("MainWindow", "Model Workbench")
        return (f"<h3>{title}</h3><p>" + translate(
            "MainWindow", "Take a trained model to deployment: export, validate, optimize, quantize, benchmark.")
            + f"</p><table>{table}</table>")

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Information, translate("MainWindow", "About Model Workbench"), self.about_text(),
                          QMessageBox.Ok, self)
        box.setIconPixmap(theme.icon("app").pixmap(64, 64))
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        return box
