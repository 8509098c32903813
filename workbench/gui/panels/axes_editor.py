"""The Export panel's dynamic-axes editor: a table of (input, axis, name) rows with Add / Remove / "Batch and
sequence" buttons, read back as ``{input: {axis: name}}`` (None when empty: the exporter's automatic axes). Its
texts are in the ExportPanel translation context, where they always were.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)


class DynamicAxesBox(QGroupBox):
    """``suggest``: what "Batch and sequence" fills in (the panel's defaults for the inspected model)."""

    def __init__(self, parent, suggest: Callable[[], None]):
        super().__init__(QCoreApplication.translate("ExportPanel", "Dynamic axes"), parent)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("ExportPanel", "Input"),
                                              QCoreApplication.translate("ExportPanel", "Axis"),
                                              QCoreApplication.translate("ExportPanel", "Name")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setMinimumHeight(110)
        buttons = QHBoxLayout()
        add = QPushButton(QCoreApplication.translate("ExportPanel", "Add axis"), self)
        add.clicked.connect(lambda: self.add_axis("", 0, ""))
        remove = QPushButton(QCoreApplication.translate("ExportPanel", "Remove"), self)
        remove.clicked.connect(self.remove_selected)
        fill = QPushButton(QCoreApplication.translate("ExportPanel", "Batch and sequence"), self)
        fill.setToolTip(QCoreApplication.translate("ExportPanel", "Make batch (axis 0) and sequence (axis 1) dynamic "
                                                                  "on input_ids and attention_mask"))
        fill.clicked.connect(suggest)
        hint = QLabel(QCoreApplication.translate("ExportPanel", "An empty table lets the exporter make batch and "
                                                                "sequence dynamic on every input."), self)
        hint.setObjectName("panelHint")
        hint.setWordWrap(True)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addWidget(fill)
        buttons.addWidget(hint, 1)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def add_axis(self, input_name: str, axis: int, name: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(input_name))
        axis_spin = QSpinBox(self.table)
        axis_spin.setRange(-8, 8)
        axis_spin.setValue(int(axis))
        self.table.setCellWidget(row, 1, axis_spin)
        self.table.setItem(row, 2, QTableWidgetItem(name))

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or [self.table.rowCount() - 1]:
            if row >= 0:
                self.table.removeRow(row)

    def set_axes(self, axes: dict) -> None:
        self.table.setRowCount(0)
        for input_name, dims in (axes or {}).items():
            for axis, name in sorted(dims.items(), key=lambda kv: int(kv[0])):
                self.add_axis(input_name, int(axis), name)

    def axes(self):
        """``{input: {axis: name}}`` from the table, or None (automatic) when it is empty; a half-filled row raises
        ValueError naming it."""
        axes: dict = {}
        for row in range(self.table.rowCount()):
            input_item, name_item = self.table.item(row, 0), self.table.item(row, 2)
            input_name = input_item.text().strip() if input_item else ""
            dim = name_item.text().strip() if name_item else ""
            if not input_name and not dim:
                continue
            if not input_name or not dim:
                raise ValueError(QCoreApplication.translate(
                    "ExportPanel", "Dynamic axis row {0} needs both an input and a name.").format(row + 1))
            axes.setdefault(input_name, {})[self.table.cellWidget(row, 1).value()] = dim
        return axes or None
