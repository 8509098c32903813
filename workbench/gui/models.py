"""Table models. The tensor table holds up to hundreds of thousands of rows: sorting and filtering run over
plain Python lists in one pass each (milliseconds for 100k rows) instead of a per-row comparison callback."""

from __future__ import annotations

import re
from typing import Optional, Sequence

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from workbench.gui.formatting import compact
from workbench.gui.rows import dtype_bytes, human_bytes, human_count, tensor_rows  # noqa: F401 - re-exported


class TensorTableModel(QAbstractTableModel):
    """Name, dtype, shape, elements and bytes of every tensor.

    Sorting and filtering happen here, over plain lists (one Python pass each), so a 100k-row table sorts and
    filters in milliseconds; :class:`FastFilterProxy` forwards its sort and filter calls to this model.
    """

    COLUMNS = ("Name", "Dtype", "Shape", "Elements", "Size")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._all: list[tuple] = []  # (name, dtype, shape_text, numel, nbytes, lower name)
        self._rows: list[tuple] = []  # the visible rows, in display order
        self._headers = list(self.COLUMNS)
        self._filter = ""
        self._sort: Optional[tuple] = None

    def set_headers(self, headers: Sequence[str]) -> None:
        self._headers = list(headers)
        self.headerDataChanged.emit(Qt.Horizontal, 0, len(self._headers) - 1)

    def retranslate(self) -> None:
        """Headers in the installed language (a live language switch; the rows are data)."""
        from workbench.gui.i18n import live_text

        self.set_headers([live_text(h) for h in self._headers])

    def set_tensors(self, tensors) -> None:
        self.set_rows(tensor_rows(tensors))

    def set_rows(self, rows: list) -> None:
        """Rows from :func:`tensor_rows` (build them in the worker thread for big checkpoints)."""
        self._all = rows
        self._refresh()

    def total_rows(self) -> int:
        return len(self._all)

    def names(self) -> list[str]:
        return [r[0] for r in self._rows]

    def row(self, index: int) -> tuple:
        return self._rows[index][:5]

    def set_filter_text(self, text: str) -> None:
        self._filter = (text or "").strip()
        self._refresh()

    def _matcher(self):
        text = self._filter
        if not text:
            return None
        if len(text) > 2 and text.startswith("/") and text.endswith("/"):
            try:
                return re.compile(text[1:-1], re.IGNORECASE).search
            except re.error:
                return lambda _name: False
        words = text.lower().split()
        if len(words) == 1:
            word = words[0]
            return lambda name: word in name
        return lambda name: all(w in name for w in words)

    def _refresh(self) -> None:
        match = self._matcher()
        rows = self._all if match is None else [r for r in self._all if match(r[5])]
        if self._sort is not None:
            rows = sorted(rows, key=self._sort[0], reverse=self._sort[1])
        elif rows is self._all:
            rows = list(rows)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index, role=Qt.DisplayRole):
        if role == Qt.DisplayRole:
            row = self._rows[index.row()]
            col = index.column()
            if col == 3:
                return f"{row[3]:,}"
            if col == 4:
                return human_bytes(row[4])
            return row[col]
        if role == Qt.TextAlignmentRole and index.column() >= 3:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:  # the whole value: a cell too narrow for it is cut at its end
            row = self._rows[index.row()]
            col = index.column()
            return f"{row[3]:,}" if col == 3 else f"{human_bytes(row[4])} ({row[4]:,} bytes)" if col == 4 else row[col]
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and section < len(self._headers):
            return self._headers[section]
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            self._sort = None
        else:
            key_index = {0: 5, 2: 3}.get(column, column)  # names case-insensitively, shapes by element count
            self._sort = ((lambda r: (r[key_index], r[5])), order == Qt.DescendingOrder)
        self.layoutAboutToBeChanged.emit()
        if self._sort is not None:
            self._rows.sort(key=self._sort[0], reverse=self._sort[1])
        self.layoutChanged.emit()


class FastFilterProxy(QSortFilterProxyModel):
    """The proxy the table view talks to; sorting and filtering are delegated to :class:`TensorTableModel`.

    Its own filter stays empty and its sort column -1, so it maps rows in C++ without one Python call per row.
    ``set_filter_text("attn q_proj")`` keeps the names containing every word (case-insensitive); text wrapped in
    slashes (``/layers\\.1\\./``) is a regular expression.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDynamicSortFilter(False)

    def set_filter_text(self, text: str) -> None:
        source = self.sourceModel()
        if source is not None:
            source.set_filter_text(text)

    def sort(self, column, order=Qt.AscendingOrder):
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


class RecordTableModel(QAbstractTableModel):
    """A small read-only table of rows (lists of values) with optional per-row background colours."""

    def __init__(self, headers: Sequence[str] = (), parent=None):
        super().__init__(parent)
        self._headers = list(headers)
        self._rows: list[list] = []
        self._colors: list = []
        self._tips: list = []

    def set_headers(self, headers: Sequence[str]) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self.endResetModel()

    def retranslate(self) -> None:
        """Headers, texts in the rows (states, verdicts) and tooltips in the installed language; values stay."""
        from workbench.gui.i18n import live_text

        def text(value):
            return live_text(value) if isinstance(value, str) else value

        self._headers = [text(h) for h in self._headers]
        self._rows = [[text(v) for v in row] for row in self._rows]
        self._tips = [text(t) for t in self._tips]
        if self._headers:  # no reset: the view keeps its selection and scroll position
            self.headerDataChanged.emit(Qt.Horizontal, 0, len(self._headers) - 1)
        if self._rows and self._headers:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self._headers) - 1))

    def set_rows(self, rows, colors=None, tips=None) -> None:
        self.beginResetModel()
        self._rows = [list(r) for r in rows]
        self._colors = list(colors or [None] * len(self._rows))
        self._tips = list(tips or [None] * len(self._rows))
        self.endResetModel()

    def rows(self) -> list[list]:
        return self._rows

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index, role=Qt.DisplayRole):
        value = self._rows[index.row()][index.column()]
        if role == Qt.DisplayRole:
            return format_value(value)
        if role == Qt.BackgroundRole:
            return self._colors[index.row()]
        if role == Qt.ToolTipRole:  # the whole value (a cell may be cut at its end), then the row's own tip
            full, tip = full_value(value), self._tips[index.row()]
            return f"{full}\n{tip}" if tip and full and tip != full else (tip or full)
        if role == Qt.TextAlignmentRole and isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.UserRole:
            return value
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and section < len(self._headers):
            return self._headers[section]
        return None


def full_value(value) -> str:
    """A cell's value written out in full, for its tooltip (floats with every digit)."""
    if isinstance(value, float) and not isinstance(value, bool):
        return repr(value)
    return format_value(value)


def format_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✔" if value else "✘"
    if isinstance(value, float):  # 3 significant digits, no space: 1.79e-07, 0.234 (workbench.gui.formatting)
        return compact(value)
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value) if all(isinstance(v, int) for v in value) else str(list(value))
    return str(value)


class NodeListModel(QAbstractListModel):
    """The Graph panel's node list, one row per node of a node index (``key  ·  op type``; the key under
    :attr:`KEY_ROLE`), with no item object per row: a 20k-node graph lists in milliseconds (one
    QStandardItem per node took most of a second on the GUI thread)."""

    KEY_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple] = []  # (key, display text)
        self._row_of: dict = {}

    def set_entries(self, entries) -> None:
        """``[(key, op_type)]`` in graph order."""
        self.beginResetModel()
        self._rows = [(key, f"{key}  ·  {op_type}") for key, op_type in entries]
        self._row_of = {key: row for row, (key, _) in enumerate(self._rows)}
        self.endResetModel()

    def clear(self) -> None:
        self.set_entries([])

    def row_of(self, key: str) -> int:
        """The row of the node ``key``, -1 when it is not listed."""
        return self._row_of.get(key, -1)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        key, text = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        return key if role == self.KEY_ROLE else None
