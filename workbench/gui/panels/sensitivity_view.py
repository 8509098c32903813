"""The per-node sensitivity table of a fidelity-targeted int8 run (``QuantizeResult.targeting``).

Columns: node, op, sensitivity (the cosine drop the node causes when quantized alone), weight size, and a
"kept fp32" checkbox. The view sorts by any column (numbers sort as numbers); ticking boxes and pressing
"Re-quantize" asks the panel for an int8 run with exactly the ticked nodes excluded (``--exclude``).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from workbench.gui.models import human_bytes

NODE, OP, SENSITIVITY, SIZE, KEPT = range(5)


class SensitivityTableModel(QAbstractTableModel):
    """Rows of the sensitivity table; the last column is checkable. Qt.UserRole gives the sort key."""

    keptChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self._kept: list = []
        self._headers = [self.tr("Node"), self.tr("Op"), self.tr("Sensitivity (cosine drop)"), self.tr("Weights"),
                         self.tr("Kept fp32")]

    def retranslate(self) -> None:
        """Headers in the installed language (a live language switch)."""
        from workbench.gui.i18n import live_text

        self._headers = [live_text(h) for h in self._headers]
        self.headerDataChanged.emit(Qt.Horizontal, 0, len(self._headers) - 1)

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self._rows = [dict(r) for r in rows]
        self._kept = [bool(r.get("kept_fp32")) for r in rows]
        self.endResetModel()
        self.keptChanged.emit()

    def kept(self) -> list:
        """Node names ticked to stay float32, most sensitive first."""
        return [r["node"] for r, k in zip(self._rows, self._kept) if k]

    def set_kept(self, names) -> None:
        names = set(names)
        self._kept = [r["node"] in names for r in self._rows]
        if self._rows:
            self.dataChanged.emit(self.index(0, KEPT), self.index(len(self._rows) - 1, KEPT))
        self.keptChanged.emit()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self._headers[section]
        return None

    def flags(self, index):
        base = super().flags(index)
        return base | Qt.ItemIsUserCheckable if index.column() == KEPT else base

    def data(self, index, role=Qt.DisplayRole):
        row, col = self._rows[index.row()], index.column()
        if role == Qt.CheckStateRole and col == KEPT:
            return Qt.Checked if self._kept[index.row()] else Qt.Unchecked
        if role == Qt.DisplayRole:
            return {NODE: row["node"], OP: row["op_type"], SENSITIVITY: f"{row['drop']:.2e}",
                    SIZE: human_bytes(row["weight_bytes"]), KEPT: None}[col]
        if role == Qt.UserRole:
            return {NODE: row["node"], OP: row["op_type"], SENSITIVITY: row["drop"], SIZE: row["weight_bytes"],
                    KEPT: int(self._kept[index.row()])}[col]
        if role == Qt.ToolTipRole and col == SENSITIVITY:
            return self.tr("cosine {0:.6f} with only this node quantized").format(row["cosine_alone"])
        if role == Qt.TextAlignmentRole and col in (SENSITIVITY, SIZE):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.EditRole):  # noqa: N802
        if role != Qt.CheckStateRole or index.column() != KEPT:
            return False
        self._kept[index.row()] = value in (Qt.Checked, Qt.Checked.value, 2, True)
        self.dataChanged.emit(index, index)
        self.keptChanged.emit()
        return True


class SensitivityWidget(QGroupBox):
    """Summary line, the sortable table and "Re-quantize with the ticked nodes in fp32"."""

    requantizeRequested = Signal(list)

    def __init__(self, parent=None):
        super().__init__(self.tr("Per-node sensitivity (int8)"), parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.model = SensitivityTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.UserRole)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SENSITIVITY, Qt.DescendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(NODE, QHeaderView.Stretch)
        buttons = QHBoxLayout()
        self.count_label = QLabel(self)
        self.requantize_button = QPushButton(self.tr("Re-quantize with ticked nodes in fp32"), self)
        self.requantize_button.clicked.connect(lambda: self.requantizeRequested.emit(self.model.kept()))
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.requantize_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.model.keptChanged.connect(self._count_changed)
        self.setVisible(False)

    def _count_changed(self) -> None:
        kept = self.model.kept()
        weights = sum(r["weight_bytes"] for r in self.model._rows if r["node"] in set(kept))
        self.count_label.setText(self.tr("{0} node(s) ticked to stay fp32 ({1} of weights)").format(
            len(kept), human_bytes(weights)))

    def show_targeting(self, targeting: dict) -> None:
        """Fill the table from ``QuantizeResult.targeting``; hidden when no sensitivity was measured (plain int8
        met the floor, or targeting was off)."""
        if not targeting or not targeting.get("sensitivity"):
            self.setVisible(False)
            return
        self.model.set_rows(targeting.get("sensitivity") or [])
        self.summary.setText(summary_text(targeting, self.tr))
        self.setVisible(True)

    def show_requantized(self, result) -> None:
        self.summary.setText(self.tr("Re-quantized with {0} node(s) in fp32: cosine {1:.6f}, {2}").format(
            len(result.settings.get("exclude") or []), result.fidelity.cosine,
            human_bytes(result.size_bytes.get("after"))))


def summary_text(t: dict, tr=lambda s: s) -> str:
    kept = t.get("kept_fp32") or []
    text = tr("Min cosine {0} ({1}): plain int8 {2:.6f} → {3:.6f}; {4} node(s) kept in fp32.").format(
        t.get("min_cosine"), t.get("target"), t.get("cosine_plain", 0.0), t.get("cosine", 0.0), len(kept))
    size, lat = t.get("size_bytes") or {}, t.get("latency_ms") or {}
    if size.get("plain") and size.get("targeted"):
        text += " " + tr("Size {0} → {1}.").format(human_bytes(size["plain"]), human_bytes(size["targeted"]))
    if lat.get("ratio"):
        text += " " + tr("Latency p50 {0:.3f} → {1:.3f} ms ({2:.2f}×, CPU).").format(
            lat["plain"], lat["targeted"], lat["ratio"])
    if t.get("note"):
        text += " " + t["note"]
    return text
