"""Live benchmark charts (pyqtgraph): latency per iteration with rolling p50/p95, RSS and GPU memory over time.

live.py is the chart every other one builds on (ring buffers, redraw timer, legend, hover, theme); bench.py holds
the benchmark's latency and memory charts and the pair of them; style.py the colours and themes. The Qt-free ring
buffers are gui/chart_data.py. Everything is importable from here, as it was from the one module.
"""

from workbench.gui.chart_data import DEFAULT_CAPACITY, RingBuffer, rolling_percentiles
from workbench.gui.charts.bench import BenchCharts, LatencyChart, MemoryChart
from workbench.gui.charts.live import AUTO_DOWNSAMPLE_FACTOR, REDRAW_HZ, ROLLING_WINDOW, LiveChart
from workbench.gui.charts.style import PALETTE, SERIES_COLORS, THEMES, application_theme, color_for, pale

__all__ = ["AUTO_DOWNSAMPLE_FACTOR", "BenchCharts", "DEFAULT_CAPACITY", "LatencyChart", "LiveChart", "MemoryChart",
           "PALETTE", "REDRAW_HZ", "ROLLING_WINDOW", "RingBuffer", "SERIES_COLORS", "THEMES", "application_theme",
           "color_for", "pale", "rolling_percentiles"]
