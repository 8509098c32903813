"""The empty state of the Load panel (issue 14 point 2): what a first-time user does first. Shown while no model is
loaded, in place of the empty Summary and Tensors tables: Open a model (file or folder), Run the demo, and the
recent files, each one click."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from workbench.gui.theme import icon, primary_icon

MAX_SHOWN = 5


class WelcomeCard(QFrame):
    openFile = Signal()
    openFolder = Signal()
    runDemo = Signal()
    openRecent = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("welcomeCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        self.title = QLabel(self.tr("Start here"), self)
        self.title.setObjectName("panelTitle")
        self.hint = QLabel(self.tr("Open a model to inspect it, then take it step by step down the list on the "
                                   "left: export to ONNX, validate against PyTorch, optimize, quantize, benchmark, "
                                   "report. New to this? Run the demo: it builds a tiny model and runs every step "
                                   "on it in about a minute, in a folder of its own."), self)
        self.hint.setObjectName("panelHint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        row = QHBoxLayout()
        self.open_button = QPushButton(primary_icon("file"), self.tr("Open a model…"), self)
        self.open_button.setObjectName("primary")
        self.open_button.setToolTip(self.tr("A checkpoint (.safetensors, .pt, .bin) or an .onnx file "
                                            "(Ctrl+O)"))
        self.folder_button = QPushButton(icon("folder"), self.tr("Open a model folder…"), self)
        self.folder_button.setToolTip(self.tr("A Hugging Face model folder (config.json and weights)"))
        self.demo_button = QPushButton(icon("demo"), self.tr("Run the demo"), self)
        self.demo_button.setToolTip(self.tr("Build a tiny model and run export, validate, quantize, benchmark "
                                            "and report on it; nothing of yours is touched"))
        self.open_button.clicked.connect(self.openFile)
        self.folder_button.clicked.connect(self.openFolder)
        self.demo_button.clicked.connect(self.runDemo)
        for button in (self.open_button, self.folder_button, self.demo_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.recent_title = QLabel(self.tr("Recent files"), self)
        self.recent_title.setObjectName("welcomeRecent")
        layout.addWidget(self.recent_title)
        self.recent_grid = QGridLayout()
        self.recent_grid.setColumnStretch(1, 1)
        layout.addLayout(self.recent_grid)
        self.no_recent = QLabel(self.tr("None yet: the models you open are listed here."), self)
        self.no_recent.setObjectName("panelHint")
        layout.addWidget(self.no_recent)
        layout.addStretch(1)
        self.recent_buttons: list = []
        self.recent_paths: list = []
        self.set_recent([])

    def set_recent(self, paths: list) -> None:
        """The recent files (newest first), the ones that still exist as buttons, at most MAX_SHOWN; checked again
        each time the card is shown (a file deleted since is no longer offered)."""
        self.recent_paths = list(paths)
        for button, label in self.recent_buttons:
            for widget in (button, label):
                self.recent_grid.removeWidget(widget)
                widget.deleteLater()
        self.recent_buttons = []
        shown = [p for p in paths if Path(p).exists()][:MAX_SHOWN]
        for i, path in enumerate(shown):
            button = QPushButton(Path(path).name or path, self)
            button.setFlat(True)
            button.setCursor(Qt.PointingHandCursor)
            button.setToolTip(path)
            button.setProperty("userText", True)  # a file's own name: never translated (the zh_CN walk skips it)
            button.clicked.connect(lambda _c=False, p=path: self.openRecent.emit(p))
            folder = QLabel(str(Path(path).parent), self)
            folder.setObjectName("panelHint")
            folder.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # a long folder never widens the page
            folder.setToolTip(path)
            folder.setProperty("userText", True)
            self.recent_grid.addWidget(button, i, 0, Qt.AlignLeft)
            self.recent_grid.addWidget(folder, i, 1)
            self.recent_buttons.append((button, folder))
        self.no_recent.setVisible(not shown)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.set_recent(self.recent_paths)
        super().showEvent(event)
