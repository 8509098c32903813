"""The small dialogs and controls every panel uses: the error box that does not block, the question before a job
replaces files (and the spec it then runs with), and :class:`PathEdit` (a path with a Browse button). Importable from
panels/base.py as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QMessageBox, QToolButton, QWidget


def show_error(parent: Optional[QWidget], title: str, message: str) -> QMessageBox:
    """A window-modal message box that does not block (``open()``), so jobs and tests keep running. Engine messages
    in ``message`` are shown in the GUI's language (workbench.gui.i18n.engine; English where none matches)."""
    from workbench.gui.i18n import engine

    box = QMessageBox(QMessageBox.Warning, title, engine.translate(message), QMessageBox.Ok, parent)
    box.setObjectName("errorBox")
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextSelectableByMouse)
    if parent is None or parent.window().isVisible():  # a job ending after the window closed opens no new window
        box.open()
    return box


def ask_replace(parent: Optional[QWidget], paths: list) -> bool:
    """Ask before a job replaces existing files (named in the question); True only when the user agrees."""
    title = QCoreApplication.translate("PanelBase", "Replace existing files?")
    text = QCoreApplication.translate("PanelBase", "These files already exist and will be replaced:\n\n{0}\n\n"
                                      "Replace them?").format("\n".join(str(p) for p in paths))
    answer = QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    return answer == QMessageBox.Yes


def confirm_outputs(parent: Optional[QWidget], args: tuple):
    """``args`` with the job's spec given ``force=True`` when its output exists and the user agreed to replace
    it; None when the user said no. Outputs that are never replaced (folders, devices, the input) are left for
    the job to refuse with its one-line message."""
    import dataclasses

    from workbench.core.errors import WorkbenchError
    from workbench.core.fsutil import output_rules, would_replace

    spec = args[0] if args else None
    if not dataclasses.is_dataclass(spec) or not hasattr(spec, "force") or spec.force or \
            not getattr(spec, "output", None):
        return args
    try:
        existing = would_replace(spec.output, inputs=output_rules(spec)["inputs"])
    except WorkbenchError:
        return args
    if not existing:
        return args
    if not ask_replace(parent, existing):
        return None
    return (dataclasses.replace(spec, force=True), *args[1:])


class PathEdit(QWidget):
    """A line edit with a Browse button (file, folder, or save-file)."""

    def __init__(self, mode: str = "open", file_filter: str = "", parent=None):
        super().__init__(parent)
        self.mode, self.file_filter = mode, file_filter
        self.edit = QLineEdit(self)
        self.button = QToolButton(self)
        self.button.setText(QCoreApplication.translate("PathEdit", "Browse…"))
        self.button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt style
        self.edit.setText(str(text or ""))

    def _browse(self) -> None:
        start = self.text() or str(Path.home())
        title = QCoreApplication.translate("PathEdit", "Choose a path")
        if self.mode == "folder":
            path = QFileDialog.getExistingDirectory(self, title, start)
        elif self.mode == "save":
            path, _ = QFileDialog.getSaveFileName(self, title, start, self.file_filter)
        else:
            path, _ = QFileDialog.getOpenFileName(self, title, start, self.file_filter)
        if path:
            self.setText(path)
