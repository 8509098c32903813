"""LiveChart (pyqtgraph), the base of every live chart: series drawn from preallocated numpy ring buffers
(:class:`RingBuffer`); appending never touches the plot. A QTimer redraws the series that changed at most
:data:`REDRAW_HZ` times a second, so the cost of drawing does not grow with the rate of samples. Every plot
downsamples with ``mode='peak'`` and clips to the view.

Size: ~310 lines in one class: its plot, legend, empty-state text, hover read-out, theme and redraw timer share
one state.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.chart_data import DEFAULT_CAPACITY, RingBuffer
from workbench.gui.charts.style import THEMES, application_theme, color_for, pale
from workbench.gui.i18n import Retranslating

REDRAW_HZ = 25
ROLLING_WINDOW = 50  # samples in the rolling p50/p95
AUTO_DOWNSAMPLE_FACTOR = 1.0  # peak-downsampling bins per pixel


class _Series:
    def __init__(self, key: str, items: list, buffer: RingBuffer, color: str, styles: tuple, pale_first: bool):
        self.key = key
        self.items = items  # [PlotDataItem] drawn from buffer rows 1.. (row 0 is x)
        self.buffer = buffer
        self.color = color
        self.styles = styles
        self.pale_first = pale_first
        self.label = ""
        self.dirty = False


class LiveChart(Retranslating, QWidget):
    """One pyqtgraph plot of several series, redrawn from a timer over ring buffers.

    ``append(key, x, y)`` only stores; the timer redraws changed series at ~25 Hz. ``redraw_count`` counts redraws
    (one per timer tick that found new data), which tests use to check nothing redraws per sample.
    """

    redrawn = Signal()

    def __init__(self, title: str = "", x_label: str = "", y_label: str = "", *, subtitle: str = "",
                 capacity: int = DEFAULT_CAPACITY, redraw_hz: float = REDRAW_HZ, parent: Optional[QWidget] = None,
                 subtitle_args: tuple = ()):
        super().__init__(parent)
        self.capacity = capacity
        # English texts (translated when drawn, "LiveChart" context: mark them with QT_TRANSLATE_NOOP)
        self.title, self.subtitle, self.subtitle_args = title, subtitle, tuple(subtitle_args)
        self.x_label, self.y_label = x_label, y_label
        self.theme_name = "light"
        self.theme = THEMES["light"]
        # A layout of the plot with its legend below it, so that the legend never hides data.
        # The title is a QLabel, not the plot's own: a long plot title sets a minimum width on the scene's layout,
        # and a chart narrower than that clips its right side instead of shrinking.
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setContentsMargins(4, 4, 4, 0)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot = self.plot_widget.addPlot(row=0, col=0)
        self.plot.setLabel("bottom", x_label)
        self.plot.setLabel("left", y_label)
        # No grid: offscreen it costs 15-20 ms a repaint, more than all the curves together.
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.legend = pg.LegendItem(colCount=8, horSpacing=14, verSpacing=-6)
        self.plot_widget.addItem(self.legend, row=1, col=0)
        self.series: dict[str, _Series] = {}
        self._user_range = self._fitting = False  # a zoom or pan of the user's own (kept until clear())
        self.plot.getViewBox().sigRangeChangedManually.connect(self._range_changed_by_user)
        self.redraw_count = 0
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / redraw_hz))
        self._timer.timeout.connect(self.redraw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.plot_widget, 1)
        # Over the empty plot: why it is empty (bare 0-1 axes said nothing); hidden while a series exists.
        self.empty_text = QT_TRANSLATE_NOOP("LiveChart", "Nothing measured yet: choose the variants and press Run")
        self.empty_label = QLabel(self.plot_widget)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.set_theme(application_theme())  # a chart built in the dark theme starts dark
        self._show_empty()


    def retranslate(self) -> None:
        """Title, subtitle and axis labels in the installed language (the data stays)."""
        self.set_theme(self.theme_name)

    @staticmethod
    def _tr(text: str) -> str:
        return QCoreApplication.translate("LiveChart", text) if text else ""

    def set_theme(self, name: str) -> None:
        """Colours for the application's "light" or "dark" theme."""
        self.theme_name = name if name in THEMES else "light"
        t = self.theme = THEMES[self.theme_name]
        self.plot_widget.setBackground(t["bg"])
        self.setStyleSheet(f"LiveChart, LiveChart > QLabel {{ background: {t['bg']}; }}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        subtitle = self._tr(self.subtitle).format(*self.subtitle_args)
        sub = f" <span style='color:{t['muted']};font-size:9pt'>({subtitle})</span>" if subtitle else ""
        self.title_label.setText(f"<span style='color:{t['fg']};font-size:11pt'>{self._tr(self.title)}</span>{sub}")
        for axis, label in (("left", self.y_label), ("bottom", self.x_label)):
            ax = self.plot.getAxis(axis)
            ax.enableAutoSIPrefix(False)  # no "(x0.001)" on plain seconds and MB
            ax.setTextPen(t["fg"])
            ax.setPen(t["axis"])
            ax.setLabel(self._tr(label), color=t["fg"])
        self.legend.setLabelTextColor(t["fg"])
        if hasattr(self, "empty_label"):
            self.empty_label.setText(self._tr(self.empty_text))
            self.empty_label.setStyleSheet(f"color: {t['muted']}; background: transparent;")
        for _sample, label in self.legend.items:  # setLabelTextColor does not re-render existing labels
            label.setText(label.text, color=t["fg"])
        for series in self.series.values():
            self._apply_pens(series)

    # -- series ----------------------------------------------------------------------------------------------------
    def add_series(self, key: str, label: Optional[str] = None, color: Optional[str] = None,
                   styles: tuple = (Qt.PenStyle.SolidLine,), pale_first: bool = False) -> _Series:
        """A series of ``len(styles)`` curves sharing one x column; only the first gets a legend entry.

        Pens are 1 px (cosmetic): a wider pen costs ~50x more to draw in the raster engine. With ``pale_first`` the
        first curve (raw samples) is drawn in a pale tint so the curves drawn over it stand out.
        """
        if key in self.series:
            return self.series[key]
        color = color or color_for(key, len(self.series))
        items = []
        for _style in styles:
            item = self.plot.plot(skipFiniteCheck=True)
            # One peak-downsampling bin per pixel column (pyqtgraph's default, 5, draws 5x the points for the
            # same picture: the min/max envelope is exact at pixel resolution either way). Repaints ~2.5x faster.
            item.opts["autoDownsampleFactor"] = AUTO_DOWNSAMPLE_FACTOR
            items.append(item)
        series = _Series(key, items, RingBuffer(self.capacity, 1 + len(styles)), color, tuple(styles), pale_first)
        self._apply_pens(series)
        label = key if label is None else label
        series.label = label
        if label:  # "" keeps the series out of the legend
            # The legend shows the saturated colour even when the raw curve is pale.
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(color=color, width=2)), label)
        self.series[key] = series
        self._fit_legend()
        self._show_empty()
        return series

    def _apply_pens(self, series: _Series) -> None:
        for i, (item, style) in enumerate(zip(series.items, series.styles)):
            color = pale(series.color, background=self.theme["bg"]) if series.pale_first and i == 0 else series.color
            item.setPen(pg.mkPen(color=color, width=1, style=style))

    def _fit_legend(self) -> None:
        """As many legend columns as fit the width (a legend wider than the plot would squeeze it off-screen)."""
        widths = [label.item.boundingRect().width() + 40 for _sample, label in self.legend.items] or [120]
        per_item = max(widths)
        columns = max(1, min(len(widths), int(max(self.width(), 200) // per_item)))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_legend()
        self._place_empty()

    def set_empty_text(self, text: str) -> None:
        """What the empty chart says (an English text marked with QT_TRANSLATE_NOOP("LiveChart", ...))."""
        self.empty_text = text
        self.empty_label.setText(self._tr(text))
        self._show_empty()

    def _show_empty(self) -> None:
        self.empty_label.setVisible(not self.series and bool(self.empty_text))
        self._place_empty()

    def _place_empty(self) -> None:
        rect = self.plot_widget.rect()
        self.empty_label.setGeometry(rect.adjusted(40, 20, -20, -40))  # inside the axes, clear of their labels

    def append(self, key: str, x, *ys) -> None:
        """Store points of series ``key`` (scalars or arrays); drawing waits for the next timer tick."""
        series = self.series.get(key) or self.add_series(key)
        series.buffer.extend(x, *ys)
        series.dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        for series in self.series.values():
            for item in series.items:
                self.plot.removeItem(item)
        self.legend.clear()
        self.series.clear()
        self._user_range = False
        self._fit_axes()
        self._show_empty()

    def remove_series(self, key: str) -> None:
        """Drop a series, its curves and its legend entry."""
        series = self.series.pop(key, None)
        if series is None:
            return
        for item in series.items:
            self.plot.removeItem(item)
        if series.label:
            self.legend.removeItem(series.label)
        self.legend.columnCount = 0  # lay the remaining entries out again, without a hole
        self._fit_legend()
        self._fit_axes()
        self._show_empty()

    def _fit_axes(self) -> None:
        """Axes that fit the data now in the buffers (issue 17: after a series was removed or the charts cleared,
        pyqtgraph's auto-range kept the old range and, clipping to that view, drew nothing: a 1 s run on a ~400 s
        axis). The range is set from the buffers here (pyqtgraph has no auto-range that survives removed items
        with clipToView on); a user's own zoom or pan is kept until the next clear."""
        if self._user_range:
            return
        xs, ys = [], []
        log_y = self.plot.getViewBox().state["logMode"][1]
        for series in self.series.values():
            x = series.buffer.column(0)
            for row, item in enumerate(series.items, start=1):
                if not item.isVisible() or not len(x):
                    continue
                y = series.buffer.column(row)
                ok = np.isfinite(x) & np.isfinite(y) & ((y > 0) if log_y else True)
                if ok.any():
                    xs += [x[ok].min(), x[ok].max()]
                    yv = np.log10(y[ok]) if log_y else y[ok]
                    ys += [yv.min(), yv.max()]
        if not xs:  # nothing to show: a neutral range, not the last run's (pyqtgraph keeps it otherwise)
            self._fitting = True
            try:
                self.plot.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)
            finally:
                self._fitting = False
            self.plot.enableAutoRange()
            return
        (x0, x1), (y0, y1) = (min(xs), max(xs)), (min(ys), max(ys))
        if y1 - y0 < 1e-9 * max(1.0, abs(y1)):  # a flat line: some room above and below
            y0, y1 = y0 - max(1.0, abs(y0) * 0.05), y1 + max(1.0, abs(y1) * 0.05)
        self._fitting = True
        try:
            self.plot.setRange(xRange=(x0, x1 if x1 > x0 else x0 + 1.0), yRange=(y0, y1), padding=0.05)
        finally:
            self._fitting = False

    def _range_changed_by_user(self, *_args) -> None:
        if not self._fitting:
            self._user_range = True

    def set_log_y(self, on: bool) -> None:
        """Logarithmic y axis (pyqtgraph plots log10 of the data; the buffers stay linear)."""
        self.plot.setLogMode(x=False, y=bool(on))
        self._fit_axes()

    def set_visible_series(self, key: str, visible: bool) -> None:
        for item in self.series[key].items:
            item.setVisible(visible)
        self._fit_axes()

    # -- drawing ---------------------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Push changed buffers to their curves (called by the timer; call it to draw at once)."""
        dirty = [s for s in self.series.values() if s.dirty]
        if not dirty:
            self._timer.stop()  # idle until the next append
            return
        for series in dirty:
            self._before_draw(series)
            x = series.buffer.column(0)
            for row, item in enumerate(series.items, start=1):
                item.setData(x, series.buffer.column(row), skipFiniteCheck=True)
            series.dirty = False
        self._fit_axes()
        self.redraw_count += 1
        self.redrawn.emit()

    def _before_draw(self, series: _Series) -> None:
        """Hook for derived columns (rolling percentiles)."""

    def save_png(self, path: str, width: Optional[int] = None) -> str:
        """Write the chart as a PNG: a grab of the widget (with its title), or, given ``width``, the plot and its
        legend re-rendered at that width by pyqtgraph's ImageExporter."""
        self.redraw()
        if width:
            try:
                from pyqtgraph.exporters import ImageExporter

                exporter = ImageExporter(self.plot_widget.scene())
                exporter.parameters()["width"] = int(width)
                exporter.export(str(path))
                return str(path)
            except Exception:  # noqa: BLE001 - exporters break on some pyqtgraph/Qt pairs: grab instead
                pass
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return str(path)
