"""The Benchmark panel's summary table: one row per finished variant (its runtime and the thread count it ran
with among the numbers; a batch run as its sequences one after another, as llama.cpp runs one, says so there), a
failure's one line spanning the columns after the name; every column as wide as its
contents (a horizontal scroll bar when they do not all fit, never a last column cut at the edge), the table as tall
as its rows (up to :data:`MAX_VISIBLE_ROWS`), the charts above it get the rest."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem

COLUMNS = ("Variant", "Provider", "Runtime", "Threads", "p50 ms", "p95 ms", "p99 ms", "mean ms", "std ms",
           "throughput /s", "peak RSS MB", "GPU peak MB", "runs")
MAX_VISIBLE_ROWS = 12  # the table grows to show this many rows, then scrolls
GPU = COLUMNS.index("GPU peak MB")


class BenchTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.column_titles())
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # sized by fit(), not by spans
        header.setStretchLastSection(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clear_rows()

    def column_titles(self) -> list:
        """The headers in the GUI's language (COLUMNS are their English texts)."""
        titles = {"Variant": self.tr("Variant"), "Provider": self.tr("Provider"), "Runtime": self.tr("Runtime"),
                  "Threads": self.tr("Threads"), "p50 ms": self.tr("p50 ms"),
                  "p95 ms": self.tr("p95 ms"), "p99 ms": self.tr("p99 ms"), "mean ms": self.tr("mean ms"),
                  "std ms": self.tr("std ms"), "throughput /s": self.tr("throughput /s"),
                  "peak RSS MB": self.tr("peak RSS MB"), "GPU peak MB": self.tr("GPU peak MB"), "runs": self.tr("runs")}
        return [titles.get(c, c) for c in COLUMNS]

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels(self.column_titles())
        self.fit()  # the columns as wide as the new titles (in zh_CN they were cut at the English widths)

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self.setColumnHidden(GPU, True)  # shown once a variant reads GPU memory
        self.fit()

    def fit(self) -> None:
        """Height for the header, every row (at most MAX_VISIBLE_ROWS, at least 3) and the scroll bar; each column
        as wide as its header and its own cells (a spanning failure line widens none of them)."""
        rows = min(max(self.rowCount(), 3), MAX_VISIBLE_ROWS)
        row_height = self.verticalHeader().defaultSectionSize()
        height = (self.horizontalHeader().sizeHint().height() + rows * row_height
                  + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth() + 2)
        self.setFixedHeight(height)
        header, metrics = self.horizontalHeader(), self.fontMetrics()
        for col in range(self.columnCount()):
            widths = [header.sectionSizeHint(col)]
            for row in range(self.rowCount()):
                item = self.item(row, col)
                if item is not None and self.columnSpan(row, col) == 1:
                    widths.append(metrics.horizontalAdvance(item.text()) + 16)
            header.resizeSection(col, max(widths))

    def add_result(self, r, runtime: str = "—", threads=None) -> None:
        """A finished variant's row (a BenchResult; its notes as every cell's tooltip)."""
        lat = r.latency_ms
        gpu = "—" if r.gpu_peak_mb is None else f"{r.gpu_peak_mb:.0f}"
        std = f"{float(np.std(r.samples)):.3f}" if r.samples else "—"
        if r.batch > 1 and any("sequences one after another" in n for n in r.notes):  # llama.cpp: said in the row
            runtime = self.tr("{0} ({1} sequences one after another)").format(runtime, r.batch)
        cells = (r.name, r.provider, runtime, str(threads) if threads else "—", f"{lat['p50']:.3f}",
                 f"{lat['p95']:.3f}", f"{lat['p99']:.3f}", f"{lat['mean']:.3f}", std, f"{r.throughput_per_s:.1f}",
                 f"{r.peak_rss_mb:.0f}", gpu, str(r.iterations))
        row = self.rowCount()
        self.insertRow(row)
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col >= COLUMNS.index("Threads"):  # numbers right-aligned; names and runtimes as text
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r.notes:
                item.setToolTip("\n".join(r.notes))
            self.setItem(row, col, item)
        if r.gpu_peak_mb is not None:
            self.setColumnHidden(GPU, False)
        self.fit()

    def add_failure(self, name: str, text: str, tip: str) -> None:
        """A variant that failed or was refused: its one line across the columns after the name."""
        row = self.rowCount()
        self.insertRow(row)
        self.setItem(row, 0, QTableWidgetItem(name))
        failed = QTableWidgetItem(text)
        failed.setToolTip(tip)
        self.setItem(row, 1, failed)
        self.setSpan(row, 1, 1, len(COLUMNS) - 1)
        self.fit()
