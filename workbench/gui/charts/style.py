"""The charts' colours: fixed colours for the usual series (Okabe-Ito, apart for colour-blind readers), a spare
palette for the others, the light and dark themes, and the application's current theme. The sweep view uses the
same ones."""

from __future__ import annotations

import pyqtgraph as pg

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
