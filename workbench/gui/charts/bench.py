"""The benchmark's charts: latency per iteration with rolling p50/p95 (LatencyChart), RSS and GPU memory over time
(MemoryChart), and the two side by side fed with batches of BenchSample per named series (BenchCharts)."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from workbench.gui.chart_data import DEFAULT_CAPACITY, rolling_percentiles
from workbench.gui.charts.live import ROLLING_WINDOW, LiveChart, _Series
from workbench.gui.charts.style import PALETTE, color_for


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
        self.splitter = splitter

    # Side by side below this width each chart got ~115 px: titles wrapped over four lines and crushed the plots.
    STACK_BELOW_PX = 620

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        wanted = Qt.Orientation.Vertical if self.width() < self.STACK_BELOW_PX else Qt.Orientation.Horizontal
        if self.splitter.orientation() != wanted:
            self.splitter.setOrientation(wanted)
            stacked = wanted == Qt.Orientation.Vertical
            for chart in (self.latency, self.memory):  # stacked, each keeps a readable height (the page scrolls)
                chart.setMinimumHeight(self.STACKED_MIN_HEIGHT_PX if stacked else 0)

    STACKED_MIN_HEIGHT_PX = 240

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
