"""Numbers and long values formatted to fit the panels.

* :func:`compact` writes a float with 3 significant digits (``1.79e-07``, ``0.234``, ``12.3``, ``1235``), in
  e-notation only below 1e-3 or from 1e5 on, and an int in full with thousands separators (``11,720,448``): counts
  are never rounded. The text holds no space, so a table cell never wraps it.
* :class:`ElidedLabel` is a one-line label that cuts a long value at its end (``Qt.ElideRight``) and shows the whole
  value in its tooltip; unlike a word-wrapped QLabel it has a fixed height, so the form around it is never squeezed
  and clipped.
* :func:`fit_table` makes a table view cut long cells at their end (tooltips hold the full value) and never wrap
  them; :func:`fit_columns` sizes the columns of short values (shapes, counts, sizes) to their contents.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QSizePolicy

DIGITS = 3


def compact(value, digits: int = DIGITS) -> str:
    """``value`` in a few characters: floats to ``digits`` significant digits, ints in full (``30,522``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < 1e-3 or magnitude >= 1e5:
        mantissa, _, exponent = f"{value:.{digits - 1}e}".partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exponent}"
    decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class ElidedLabel(QLabel):
    """A one-line label: a value too long for it is cut at its end with "…" and shown whole in the tooltip.

    ``text()`` stays the whole value; only the painting is elided.
    """

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setText(text)

    def setText(self, text) -> None:  # noqa: N802 - Qt API
        text = str(text or "")
        super().setText(text)
        self.setToolTip(text)

    def elided_text(self) -> str:
        """The text as painted now."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def is_elided(self) -> bool:
        return self.elided_text() != self.text()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("M…") + 4), hint.height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.elided_text(), self.foregroundRole())


def fit_table(view: QAbstractItemView) -> QAbstractItemView:
    """Cells too long for their column are cut at the end (the model's tooltip holds the value), never wrapped."""
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    if hasattr(view, "setWordWrap"):
        view.setWordWrap(False)
    return view


def fit_columns(view, columns) -> None:
    """Size ``columns`` of a table view to their contents (shapes, counts, sizes are short and must show whole)."""
    header = view.horizontalHeader()
    for column in columns:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


def fit_column_to_texts(view, column: int, texts, padding: int = 18) -> int:
    """Make ``column`` of a big table wide enough for the widest of ``texts`` and its header (Qt's
    ResizeToContents takes seconds on 100k rows; this measures the longest few strings once). Returns the
    width."""
    longest = sorted({str(t) for t in texts}, key=len, reverse=True)[:24]
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    title = view.model().headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or ""
    width = max([metrics.horizontalAdvance(t) for t in longest] + [0]) + padding
    width = max(width, header.fontMetrics().horizontalAdvance(str(title)) + padding + 8)
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    header.resizeSection(column, width)
    return width


def scroll_area(content, parent=None):
    """``content`` in a frameless vertical scroll area: when the window is too short for it, a scroll bar shows
    instead of its forms being squeezed shorter than their fields (which clips their letters)."""
    from PySide6.QtWidgets import QFrame, QScrollArea

    area = QScrollArea(parent)
    area.setObjectName("panelScroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.viewport().setAutoFillBackground(False)
    content.setAutoFillBackground(False)
    area.setWidget(content)
    return area
