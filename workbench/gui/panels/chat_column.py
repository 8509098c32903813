"""Chat's answers: one AnswerColumn per engine (its name, the text as it streams, the numbers and the agreement
with PyTorch under it), the AnswerGrid that reflows them to the view's width, and what a decoder folder's variants
are and whether their runtime can answer here. Texts keep the contexts they had in chat_panel.py (AnswerColumn,
ChatPanel)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QFrame, QGridLayout, QLabel, QPlainTextEdit, QScrollArea, QSizePolicy, QVBoxLayout,
                               QWidget)

from workbench.core.export.seq2seq_check import is_export as is_seq2seq_export
from workbench.core.generate import agreement

COLUMN_WIDTH = 260  # an answer column's least width; the columns stack into rows when the view is narrower


def find_variants(folder: str) -> list:
    """The other .onnx files of a decoder folder (quantized variants), sorted."""
    path = Path(folder or "").expanduser()
    if not path.is_dir() or is_seq2seq_export(path):  # an encoder-decoder's two files are one model
        return []
    return sorted(str(p) for p in path.glob("*.onnx") if p.name != "model.onnx")


def generating_suffixes() -> str:
    """The file dialog's pattern for a decoder variant, "*.onnx *.xml *.mnn *.gguf": the suffixes of every registered
    runtime that generates, so a new destination's runtime is offered without a change here."""
    from workbench.core.registry import default_registry

    return " ".join(dict.fromkeys(f"*{suffix}" for r in default_registry().runtimes.values() if r.generates
                                  for suffix in r.suffixes if suffix.startswith(".")))


def runtime_status(path: str) -> tuple:
    """(runtime name, "", "") for an artifact a registered runtime generates from (a .gguf: llama.cpp), or ("", the
    reason in a few words, the engine's whole line) where its runtime's library is missing or it does not generate;
    (None, "", "") for ONNX decoders."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.registry import default_registry
    from workbench.core.runtimes import stream

    if not stream.handles(path):
        return None, "", ""
    try:
        return stream.generating_runtime(path).name, "", ""
    except WorkbenchError as err:
        runtime = next((r for r in default_registry().runtimes_for(path) if r.name != "torch"), None)
        name = runtime.name if runtime is not None else "?"
        short = (QCoreApplication.translate("ChatPanel", "{0} does not generate text").format(name)
                 if runtime is not None and not runtime.generates else
                 QCoreApplication.translate("ChatPanel", "{0} is not installed here").format(name))
        return "", short, str(err)


def _restyle(label: QLabel, name: str) -> None:
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)


def variant_name(path: str) -> str:
    """``model.int8-dynamic.onnx`` -> ``int8-dynamic``; ``model.q8_0.gguf`` -> ``q8_0``."""
    name, suffix = Path(path).name, Path(path).suffix
    if name.startswith("model.") and name.count(".") >= 2:
        return name[len("model."):-len(suffix)]
    return Path(path).stem


class AnswerColumn(QFrame):
    """One engine's answer: its name, the text as it streams, and the numbers under it."""

    def __init__(self, key: str, title: str, model: str, parent=None):
        super().__init__(parent)
        self.key, self.model = key, model
        self.setObjectName("chatColumn")
        self.setMinimumWidth(COLUMN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        self.title = QLabel(title, self)
        self.title.setObjectName("chatEngine")
        self.title.setToolTip(model)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMinimumHeight(60)
        # no word wrap under the answer (a wrapped label makes the scroll area size the columns by height-for-width
        # instead of filling the view); long lines are cut, the whole line is in the tooltip and the error banner
        self.status, self.stats, self.agree = (QLabel(self), QLabel(self), QLabel(self))
        for label in (self.status, self.stats, self.agree):
            label.setObjectName("chatStats")
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        for widget in (self.title, self.text, self.status, self.stats, self.agree):
            layout.addWidget(widget, 1 if widget is self.text else 0)
        self.reset()

    def reset(self) -> None:
        self.tokens: list = []
        self.latencies: list = []
        self.finished = False
        self.error = ""
        self.text.clear()
        _restyle(self.status, "chatStats")
        self.status.setText(self.tr("waiting"))
        self.stats.setText(self.tr("tokens/s: –   first token: –"))
        self.agree.clear()
        self.status.setToolTip("")

    def tokens_per_s(self) -> float:
        seconds = sum(self.latencies) / 1000.0
        return len(self.tokens) / seconds if seconds > 0 else 0.0

    def add_text(self, text: str) -> None:
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.End)
        cursor.insertText(text)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def show_numbers(self) -> None:
        ttft = self.latencies[0] if self.latencies else None
        self.stats.setText(self.tr("tokens/s: {0:.1f}   first token: {1}   tokens: {2}").format(
            self.tokens_per_s(), f"{ttft:.0f} ms" if ttft is not None else "–", len(self.tokens)))

    def show_agreement(self, reference, final: bool) -> None:
        """Compare the tokens so far with PyTorch's (``reference``: None when there is nothing to compare)."""
        if reference is None or not self.tokens:
            return
        if final:
            result = agreement(self.tokens, reference)
        else:  # while streaming, only the positions both have
            n = min(len(self.tokens), len(reference))
            result = agreement(self.tokens[:n], reference[:n])
        first = result["first_divergence"]
        if first is None:
            _restyle(self.agree, "chatAgreeOk")
            self.agree.setText(self.tr("✓ same tokens as PyTorch ({0} of {0})").format(len(self.tokens)))
        else:
            _restyle(self.agree, "chatAgreeBad")
            self.agree.setText(self.tr("✗ differs at token {0} ({1:.0%} same as PyTorch)").format(
                first + 1, result["rate"]))
        self.agree.setToolTip(self.agree.text())


class AnswerGrid(QScrollArea):
    """The answer columns in a grid reflowed to the view's width (issue 17: side by side, three columns needed
    ~922 px and the page scrolled sideways at 1280x720); the view scrolls down when the columns stack."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: dict = {}
        self.answers = QWidget(self)
        self.answers_layout = QGridLayout(self.answers)
        self.answers_layout.setContentsMargins(0, 0, 0, 0)
        self.answers_layout.setSpacing(8)
        self._per_row = 0
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setWidget(self.answers)
        self.viewport().installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if obj is self.viewport() and event.type() == QEvent.Resize:
            self.reflow()
        return super().eventFilter(obj, event)

    def set_columns(self, wanted: list, empty_hint: str) -> None:
        """One AnswerColumn per (key, title, model) of ``wanted`` (kept as they are when nothing changed), or
        ``empty_hint`` centred when there is none."""
        if [(k, m) for k, _t, m in wanted] == [(c.key, c.model) for c in self.columns.values()]:
            return
        self.columns = {}
        while self.answers_layout.count():
            widget = self.answers_layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for key, title, model in wanted:
            self.columns[key] = AnswerColumn(key, title, model, self.answers)
        self._per_row = 0
        self.reflow()
        if not wanted:
            hint = QLabel(empty_hint, self.answers)
            hint.setObjectName("panelHint")
            hint.setWordWrap(True)
            hint.setAlignment(Qt.AlignCenter)
            self.answers_layout.addWidget(hint, 0, 0)

    def columns_per_row(self) -> int:
        """As many answer columns side by side as the view's width holds at their least width (at least one)."""
        spacing = self.answers_layout.spacing()
        fit = (self.viewport().width() + spacing) // (COLUMN_WIDTH + spacing)
        return max(1, min(len(self.columns) or 1, fit))

    def reflow(self) -> None:
        """Place the answer columns in rows of :meth:`columns_per_row`, each row filling the width."""
        per_row = self.columns_per_row()
        if per_row == self._per_row or not self.columns:
            return
        self._per_row = per_row
        grid = self.answers_layout
        for column in self.columns.values():
            grid.removeWidget(column)
        for i, column in enumerate(self.columns.values()):
            grid.addWidget(column, i // per_row, i % per_row)
        for c in range(max(grid.columnCount(), per_row)):
            grid.setColumnStretch(c, 1 if c < per_row else 0)
        rows = (len(self.columns) + per_row - 1) // per_row
        for r in range(max(grid.rowCount(), rows)):
            grid.setRowStretch(r, 1 if r < rows else 0)
            grid.setRowMinimumHeight(r, 0)
