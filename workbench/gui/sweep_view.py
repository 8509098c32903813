"""The sweep report view: a sweep's latency-vs-throughput curves (one per variant, batch along each), its table of
cells and the recommendation for a budget, updated live while `workbench sweep` (or a Ray cluster) fills the folder.

The view reads the folder through the engine's reader (workbench.core.sweep.live) from a QTimer, and draws through
the engine's summary functions (curves, Pareto front, recommendation): it computes nothing of its own.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.core.sweep import summary
from workbench.core.sweep.live import SweepFolder
from workbench.gui import i18n
from workbench.gui.i18n import engine as engine_i18n
from workbench.gui.charts import PALETTE, THEMES, application_theme
from workbench.gui.i18n import Retranslating

POLL_MS = 500


translate = QCoreApplication.translate  # texts in the "SweepView" context (pyside6-lupdate reads the literal)


COLUMNS = (
    QT_TRANSLATE_NOOP("SweepView", "model"),
    QT_TRANSLATE_NOOP("SweepView", "variant"),
    QT_TRANSLATE_NOOP("SweepView", "batch"),
    QT_TRANSLATE_NOOP("SweepView", "sequence"),
    QT_TRANSLATE_NOOP("SweepView", "threads"),
    QT_TRANSLATE_NOOP("SweepView", "p50 ms"),
    QT_TRANSLATE_NOOP("SweepView", "p95 ms"),
    QT_TRANSLATE_NOOP("SweepView", "p99 ms"),
    QT_TRANSLATE_NOOP("SweepView", "items/s"),
    QT_TRANSLATE_NOOP("SweepView", "peak RSS MB"),
    QT_TRANSLATE_NOOP("SweepView", "cosine"),
    QT_TRANSLATE_NOOP("SweepView", "size MB"),
    QT_TRANSLATE_NOOP("SweepView", "status"),
)


def _headers() -> list:
    return [translate("SweepView", c) for c in COLUMNS]


class SweepView(Retranslating, QWidget):
    """Open a sweep folder with :meth:`open`; it polls the folder until the sweep's report is written."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sweepView")
        self.folder: SweepFolder | None = None
        self.title = QLabel()
        self.title.setObjectName("sweepTitle")
        self.status = QLabel()
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLogMode(x=True, y=True)  # batch 1 and batch 32, a tiny model and a big one: decades apart
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.model_label, self.model_box = QLabel(), QComboBox()  # one model's curves at a time
        self.model_box.currentIndexChanged.connect(self._redraw)
        self.latency = self._spin(0.0, 1e6, 1, 0.0)
        self.cosine = self._spin(0.0, 1.0, 4, 0.0)
        self.latency_label, self.cosine_label = QLabel(), QLabel()
        self.recommendation = QLabel()
        self.recommendation.setWordWrap(True)
        self.recommendation.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        budget = QFormLayout()
        budget.addRow(self.model_label, self.model_box)
        budget.addRow(self.latency_label, self.latency)
        budget.addRow(self.cosine_label, self.cosine)
        side_box = QWidget()
        side_box.setMinimumWidth(340)  # the budget's labels whole, in both languages
        side = QVBoxLayout(side_box)
        side.addLayout(budget)
        side.addWidget(self.recommendation)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.plot, 3)
        top.addWidget(side_box, 1)
        upper = QWidget()
        upper.setLayout(top)
        split = QSplitter(Qt.Vertical)
        split.addWidget(upper)
        split.addWidget(self.table)
        split.setSizes([420, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.latency.valueChanged.connect(self._redraw)
        self.cosine.valueChanged.connect(self._redraw)
        self.retranslate()

    def _spin(self, low, high, decimals, value) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(decimals)
        box.setValue(value)
        box.setSingleStep(1.0 if decimals < 2 else 0.001)
        box.setMaximumWidth(150)
        return box

    def retranslate(self) -> None:
        self.setWindowTitle(translate("SweepView", "Sweep report"))
        self.latency_label.setText(translate("SweepView", "Max p50 latency"))
        self.cosine_label.setText(translate("SweepView", "Min cosine"))
        self.model_label.setText(translate("SweepView", "Curves of"))
        for label in (self.model_label, self.latency_label, self.cosine_label):  # whole, in either language
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(label.text()) + 16)
        for box in (self.latency, self.cosine):
            box.setSpecialValueText(translate("SweepView", "no limit"))
        self.latency.setSuffix(" ms")
        self.table.setHorizontalHeaderLabels(_headers())
        self.plot.setTitle(translate("SweepView", "Latency against throughput (batch along each curve)"))
        self.plot.setLabel("bottom", translate("SweepView", "items/s"))
        self.plot.setLabel("left", translate("SweepView", "p50 ms"))
        self._redraw()


    def open(self, folder) -> None:
        """Show the sweep in ``folder`` (its output folder, or its sweep.json); raises WorkbenchError otherwise."""
        self.folder = SweepFolder(folder)
        budget = {}
        self.folder.refresh()
        if self.folder.report:
            budget = self.folder.report.get("budget") or {}
        self.latency.setValue(budget.get("max_latency_ms") or 0.0)
        self.cosine.setValue(budget.get("min_cosine") or 0.0)
        self._redraw()
        self.timer.start()

    def poll(self) -> None:
        if self.folder is not None and self.folder.refresh():
            self._redraw()
        if self.folder is not None and self.folder.report is not None:
            self.timer.stop()  # the report is written: nothing more will come

    def budget(self) -> tuple:
        return (self.latency.value() or None, self.cosine.value() or None)

    def _redraw(self) -> None:
        if self.folder is None:
            self.title.setText(translate("SweepView", "No sweep open"))
            self.status.setText(translate("SweepView",
                                          "Open the output folder of a sweep (workbench sweep SWEEP.toml -o DIR)."))
            return
        rows = self.folder.rows()
        self.title.setText(translate("SweepView", "Sweep: {0}").format(self.folder.name))
        done = self.folder.report is not None
        finished = translate("SweepView", "finished") if done else translate("SweepView", "running")
        failed = sum(1 for r in rows if not r.get("ok"))
        self.status.setText(translate("SweepView", "{0} of {1} cells done, {2} failed ({3})").format(
            len(rows), self.folder.total, failed, finished))
        models = list(dict.fromkeys(r["model"] for r in rows))
        if models != [self.model_box.itemText(i) for i in range(self.model_box.count())]:
            current = self.model_box.currentText()
            self.model_box.blockSignals(True)
            self.model_box.clear()
            self.model_box.addItems(models)
            self.model_box.setCurrentIndex(max(0, models.index(current)) if current in models else 0)
            self.model_box.blockSignals(False)
        shown = self.model_box.currentText()
        self._draw_curves([r for r in rows if r["model"] == shown])
        self._fill_table(rows)
        self._recommend(rows)

    def _draw_curves(self, rows: list) -> None:
        self.plot.clear()
        self.legend.clear()
        colors = THEMES[application_theme()]
        self.plot.setBackground(colors["bg"])
        for i, (name, points) in enumerate(summary.curves(rows).items()):
            pen = pg.mkPen(PALETTE[i % len(PALETTE)], width=2)
            self.plot.plot([p[1] for p in points], [p[2] for p in points], pen=pen, symbol="o", symbolSize=7,
                           symbolBrush=PALETTE[i % len(PALETTE)], name=name)

    def curve_names(self) -> list:
        return [item.name() for item in self.plot.getPlotItem().listDataItems()]

    def _fill_table(self, rows: list) -> None:
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = summary.table_rows([r])[0]
            values = cells[:4] + [cells[4]] + cells[6:13]
            failed = translate("SweepView", "FAILED: {0}")
            status = translate("SweepView", "ok") if r.get("ok") else failed.format(
                engine_i18n.translate(r.get("error") or ""))
            if r.get("reused"):
                status += " " + translate("SweepView", "(reused)")
            for j, v in enumerate(values + [status]):
                item = QTableWidgetItem(str(v))
                if j >= 2 and j < len(values):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)

    def _recommend(self, rows: list) -> None:
        lat, cos = self.budget()
        lines = []
        for model, rec in summary.recommend(rows, lat, cos).items():
            r = rec["row"]
            if r is None:
                lines.append(f"<b>{model}</b>: " + translate("SweepView", "no cell fits the budget"))
                continue
            cosine = "-" if r.get("cosine") is None else f"{r['cosine']:.5f}"
            text = translate("SweepView", "batch {0}, threads {1}: p50 {2} ms, {3} items/s, cosine {4}")
            lines.append(f"<b>{model}</b>: {r['variant']}, " + text.format(
                r["batch"], r.get("threads") or "-", f"{r['p50_ms']:.3f}", f"{r['throughput_per_s']:.1f}", cosine))
        self.recommendation.setText("<p>" + translate("SweepView", "Recommended") + "</p>" + "<br>".join(lines))


def open_sweep_window(parent, folder) -> SweepView:
    """A window of its own (the main window keeps working while the sweep fills in)."""
    view = SweepView(parent)
    view.setWindowFlag(Qt.Window, True)
    view.resize(1100, 760)
    view.open(Path(folder))
    view.show()
    return view


def open_sweep_report(window, folder: str = ""):
    """File > Open sweep report: ask for the folder (unless given), open it in a window of its own; a folder that
    is not a sweep's is one line in a message box."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from workbench.core.errors import WorkbenchError

    title = translate("SweepView", "Open the output folder of a sweep")
    folder = folder or QFileDialog.getExistingDirectory(window, title)
    if not folder:
        return None
    try:
        view = open_sweep_window(window, folder)
    except WorkbenchError as err:
        QMessageBox.warning(window, translate("SweepView", "Sweep report"), engine_i18n.translate(err.one_line()))
        return None
    window.sweep_views = [*getattr(window, "sweep_views", []), view]  # kept alive while open
    return view
