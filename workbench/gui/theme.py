"""The look: the package's resources through importlib.resources (``resource``), its SVG icons, and the light and
dark style sheets applied to the application. The settings are :mod:`workbench.gui.settings`, the languages
:mod:`workbench.gui.i18n.translators`."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Optional

from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")
_PACKAGE = "workbench.gui.resources"
_icons: dict = {}


def resource(*parts: str):
    """A Traversable for a file under workbench/gui/resources/."""
    node = resources.files(_PACKAGE)
    for part in parts:
        node = node.joinpath(part)
    return node


def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons (cached); an empty icon when it does not exist."""
    if name not in _icons:
        node = resource("icons", f"{name}.svg")
        if node.is_file():
            with resources.as_file(node) as path:
                _icons[name] = QIcon(str(path))
        else:
            _icons[name] = QIcon()
    return _icons[name]


def primary_icon(name: str) -> QIcon:
    """The icon drawn in white, for the blue primary buttons (issue 17: the coloured icons, green on blue, were
    nearly invisible in both themes). Its SVG's colours are replaced; no library recolours an SVG icon."""
    key = f"{name}@primary"
    if key not in _icons:
        node = resource("icons", f"{name}.svg")
        pixmap = QPixmap()
        if node.is_file():
            svg = re.sub(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", "#ffffff", node.read_text(encoding="utf-8"))
            pixmap.loadFromData(svg.encode("utf-8"), "SVG")
        _icons[key] = QIcon(pixmap) if not pixmap.isNull() else QIcon()
    return _icons[key]


def _icons_dir() -> str:
    """The icons folder as a real path for ``url()`` in style sheets ("" where the package is zipped)."""
    node = resource("icons")
    if isinstance(node, Path):
        return node.as_posix()
    try:
        return Path(str(node)).as_posix() if Path(str(node)).is_dir() else ""
    except (TypeError, ValueError):
        return ""


def stylesheet(theme: str) -> str:
    node = resource("styles", f"{theme if theme in THEMES else 'light'}.qss")
    text = node.read_text(encoding="utf-8")
    icons = _icons_dir()
    if icons:
        return text.replace("@ICONS@", icons)
    return "\n".join(line for line in text.splitlines() if "@ICONS@" not in line)  # keep the native arrows


def apply_theme(theme: str, app: Optional[QApplication] = None) -> None:
    app = app or QApplication.instance()
    if app is not None and app.property("workbenchTheme") != theme:  # restyling every widget is not free
        app.setStyleSheet(stylesheet(theme))
        app.setProperty("workbenchTheme", theme)


def current_theme() -> str:
    app = QApplication.instance()
    theme = app.property("workbenchTheme") if app is not None else None
    return theme if theme in THEMES else "light"
