"""Live benchmark charts (pyqtgraph): latency per iteration with rolling p50/p95, RSS and GPU memory over time.

Samples go into preallocated numpy ring buffers (:class:`RingBuffer`); appending never touches the plot. A QTimer
redraws the series that changed at most :data:`REDRAW_HZ` times a second, so the cost of drawing does not grow
with the rate of samples. Every plot downsamples with ``mode='peak'`` and clips to the view.

Why one module of ~460 lines: LiveChart's plot, legend, hover read-out, theme and redraw timer share its state;
the Qt-free buffers are chart_data.py.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.chart_data import DEFAULT_CAPACITY, RingBuffer, rolling_percentiles  # noqa: F401 - importable here
from workbench.gui.i18n import Retranslating

REDRAW_HZ = 25
ROLLING_WINDOW = 50  # samples in the rolling p50/p95
AUTO_DOWNSAMPLE_FACTOR = 1.0  # peak-downsampling bins per pixel

# Fixed colours for the usual series, picked to stay apart for colour-blind readers (Okabe-Ito).
SERIES_COLORS = {
    "pytorch": "#E69F00",  # orange
    "ort fp32": "#0072B2",  # blue
    "int8": "#009E73",  # green
    "fp16": "#CC79A7",  # purple
    "int4": "#D55E00",  # vermillion
    "bf16": "#56B4E9",  # sky blue
}
_EXTRA_COLORS = ["#8C564B", "#17BECF", "#9467BD", "#7F7F7F", "#BCBD22", "#E377C2"]  # mid tones: both themes
PALETTE = list(dict.fromkeys([*SERIES_COLORS.values(), *_EXTRA_COLORS]))  # 12 distinct colours
THEMES = {"light": {"bg": "#ffffff", "fg": "#222222", "axis": "#888888", "muted": "#666666"},
          "dark": {"bg": "#1e1f22", "fg": "#dddddd", "axis": "#777777", "muted": "#aaaaaa"}}


def application_theme() -> str:
    """The application's theme ("light"/"dark", the property workbench.gui.theme.apply_theme sets)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    name = app.property("workbenchTheme") if app is not None else None
    return name if name in THEMES else "light"


def pale(color: str, amount: float = 0.6, background: str = "#ffffff") -> str:
    """``color`` mixed with the background (opaque: alpha blending would cost more to draw)."""
    c, b = pg.mkColor(color), pg.mkColor(background)
    mix = [int(v + (w - v) * amount) for v, w in ((c.red(), b.red()), (c.green(), b.green()), (c.blue(), b.blue()))]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def color_for(name: str, index: int = 0) -> str:
    """A stable colour for a series: the usual kinds by keyword, others from a spare palette."""
    low = name.lower()
    if low.startswith("pytorch") or low.startswith("torch"):
        return SERIES_COLORS["pytorch"]
    for key in ("int4", "int8", "fp16", "bf16"):
        if key in low:
            return SERIES_COLORS[key]
    if "fp32" in low or low.startswith("ort"):
        return SERIES_COLORS["ort fp32"]
    return _EXTRA_COLORS[index % len(_EXTRA_COLORS)]


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
        self.set_theme(application_theme())  # a chart built in the dark theme starts dark


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
        self.plot.enableAutoRange()

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
        if not xs:
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


class LatencyChart(LiveChart):
    """Latency (ms) per iteration: each series' samples in a pale tint, its rolling p50 solid, its p95 dashed."""

    def __init__(self, parent: Optional[QWidget] = None, *, window: int = ROLLING_WINDOW, **kwargs):
        super().__init__(QT_TRANSLATE_NOOP("LiveChart", "Latency per iteration"),
                         QT_TRANSLATE_NOOP("LiveChart", "iteration"), QT_TRANSLATE_NOOP("LiveChart", "latency (ms)"),
                         subtitle=QT_TRANSLATE_NOOP("LiveChart", "pale: runs · solid: p50 · dashed: p95, rolling {0}"),
                         subtitle_args=(int(window),), parent=parent, **kwargs)
        self.window = int(window)

    def add_series(self, key: str, label: Optional[str] = None, color: Optional[str] = None, **kwargs) -> _Series:
        styles = (Qt.PenStyle.SolidLine, Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine)
        series = super().add_series(key, label, color, styles=styles, pale_first=True)
        series.pending = []  # (x, latency) arrays waiting for their percentiles
        series.history = np.empty(0)  # the last window-1 latencies, to continue the rolling window
        return series

    def append_latency(self, key: str, iterations, latencies_ms) -> None:
        """Store latencies; their rolling percentiles are computed once per redraw, for the new points only."""
        series = self.series.get(key) or self.add_series(key)
        series.pending.append((np.atleast_1d(np.asarray(iterations, dtype=np.float64)),
                               np.atleast_1d(np.asarray(latencies_ms, dtype=np.float64))))
        series.dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def _before_draw(self, series: _Series) -> None:
        if not getattr(series, "pending", None):
            return
        x = np.concatenate([p[0] for p in series.pending])
        y = np.concatenate([p[1] for p in series.pending])
        series.pending = []
        joined = np.concatenate((series.history, y))
        p50, p95 = rolling_percentiles(joined, self.window, len(series.history))
        series.history = joined[-(self.window - 1):] if self.window > 1 else joined[:0]
        series.buffer.extend(x, y, p50, p95)


class MemoryChart(LiveChart):
    """RSS (solid) and GPU memory (dashed) in MB against the iteration, as the latency chart: every variant spans
    the same x (against seconds, a 30-run ORT variant of 20 ms was a dot at x=0 beside PyTorch's 6 s)."""

    def __init__(self, parent: Optional[QWidget] = None, **kwargs):
        super().__init__(QT_TRANSLATE_NOOP("LiveChart", "Memory"), QT_TRANSLATE_NOOP("LiveChart", "iteration"),
                         "MB", subtitle=QT_TRANSLATE_NOOP("LiveChart", "solid: RSS, dashed: GPU"), parent=parent,
                         **kwargs)

    def append_memory(self, key: str, x, rss_mb, gpu_mb=None, color: Optional[str] = None) -> None:
        """Store RSS (and GPU memory, unless it is all None/NaN) of series ``key`` against ``x`` (iterations)."""
        elapsed = np.atleast_1d(np.asarray(x, dtype=np.float64))
        color = color or color_for(key, len(self.series))
        rss_key, gpu_key = f"{key} RSS", f"{key} GPU"
        if rss_key not in self.series:
            self.add_series(rss_key, label=key, color=color)
        self.append(rss_key, elapsed, rss_mb)
        if gpu_mb is None:
            return
        gpu = np.atleast_1d(np.asarray(gpu_mb, dtype=np.float64))
        if gpu_key not in self.series and np.isnan(gpu).all():
            return
        if gpu_key not in self.series:
            self.add_series(gpu_key, label="", color=color, styles=(Qt.PenStyle.DashLine,))
        self.append(gpu_key, elapsed, gpu)


class BenchCharts(QWidget):
    """Latency and memory charts side by side, fed with batches of BenchSample per named series."""

    def __init__(self, parent: Optional[QWidget] = None, *, capacity: int = DEFAULT_CAPACITY):
        super().__init__(parent)
        self.latency = LatencyChart(capacity=capacity)
        self.memory = MemoryChart(capacity=capacity)
        self.colors: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        from PySide6.QtWidgets import QSplitter

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.latency)
        splitter.addWidget(self.memory)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)

    def clear(self) -> None:
        self.latency.clear()
        self.memory.clear()
        self.colors.clear()

    def remove(self, name: str) -> None:
        """Drop every curve of ``name`` (a variant that failed)."""
        self.latency.remove_series(name)
        self.memory.remove_series(f"{name} RSS")
        self.memory.remove_series(f"{name} GPU")

    def color(self, name: str) -> str:
        """The series' colour: its kind's usual one (color_for) unless another series has it, else the first
        palette colour no series has, so up to len(PALETTE) variants never share one (then spread hues)."""
        if name not in self.colors:
            taken = {c.lower() for c in self.colors.values()}
            color = color_for(name, len(self.colors))
            if color.lower() in taken:
                free = [c for c in PALETTE if c.lower() not in taken]
                color = free[0] if free else pg.intColor(len(self.colors), hues=len(self.colors) + 1).name()
            self.colors[name] = color
        return self.colors[name]

    def add_series(self, name: str) -> None:
        self.latency.add_series(name, color=self.color(name))

    def feed(self, name: str, samples: list) -> None:
        """Store a batch of BenchSample for series ``name`` (drawn on the next timer tick)."""
        if not samples:
            return
        it = np.fromiter((s.iteration for s in samples), dtype=np.float64, count=len(samples))
        lat = np.fromiter((s.latency_ms for s in samples), dtype=np.float64, count=len(samples))
        rss = np.fromiter((s.rss_mb if s.rss_mb is not None else np.nan for s in samples), dtype=np.float64,
                          count=len(samples))
        gpu = np.fromiter((s.gpu_mb if s.gpu_mb is not None else np.nan for s in samples), dtype=np.float64,
                          count=len(samples))
        if name not in self.latency.series:
            self.add_series(name)
        self.latency.append_latency(name, it, lat)
        self.memory.append_memory(name, it, rss, gpu, color=self.color(name))

    def redraw(self) -> None:
        self.latency.redraw()
        self.memory.redraw()

    def set_theme(self, name: str) -> None:
        self.latency.set_theme(name)
        self.memory.set_theme(name)

    def save_png(self, path: str) -> str:
        """Both charts in one PNG (a grab of this widget)."""
        self.redraw()
        pixmap = self.grab()
        if not pixmap.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return str(path)
