"""Resources (icons, themes, translations) through importlib.resources, and the settings kept in QSettings."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, QLocale, QSettings, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

ORGANIZATION = "ModelWorkbench"
APPLICATION = "Model Workbench"
THEMES = ("light", "dark")
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
MAX_RECENT = 10
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


def install_translator(language: str, app: Optional[QApplication] = None) -> Optional[QTranslator]:
    """Install the .qm for ``language`` (``zh_CN``); English needs none. Returns the translator installed."""
    app = app or QApplication.instance()
    old = getattr(app, "_workbench_translator", None)
    if old is not None:
        app.removeTranslator(old)
        app._workbench_translator = None
    if not language or language.startswith("en"):
        return None
    node = resource("translations", f"workbench_{language}.qm")
    if not node.is_file():
        return None
    translator = QTranslator(app)
    # Loaded from bytes (works inside a zip too). QTranslator does not copy them: keep them alive with it.
    data = QByteArray(node.read_bytes())
    if translator.load(data):
        translator._workbench_data = data
        app.installTranslator(translator)
        app._workbench_translator = translator
        return translator
    return None


def system_language() -> str:
    name = QLocale.system().name()
    return "zh_CN" if name.startswith("zh") else "en"


class Settings:
    """Typed access to the QSettings the window keeps (organization ``ModelWorkbench``)."""

    def __init__(self, settings: Optional[QSettings] = None):
        self.q = settings or QSettings(ORGANIZATION, APPLICATION)

    @property
    def theme(self) -> str:
        value = self.q.value("theme", "light")
        return value if value in THEMES else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.q.setValue("theme", value)

    @property
    def language(self) -> str:
        value = self.q.value("language", "")
        return value if value in LANGUAGES else system_language()

    @language.setter
    def language(self, value: str) -> None:
        self.q.setValue("language", value)

    @property
    def recent_files(self) -> list[str]:
        value = self.q.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str) -> list[str]:
        files = [p for p in self.recent_files if p != path]
        files.insert(0, str(path))
        files = files[:MAX_RECENT]
        self.q.setValue("recentFiles", files)
        return files

    def clear_recent(self) -> None:
        self.q.setValue("recentFiles", [])

    @property
    def geometry(self):
        return self.q.value("window/geometry")

    @property
    def window_state(self):
        return self.q.value("window/state")

    def save_window(self, geometry, state) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def value(self, key: str, default=None):
        return self.q.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.q.setValue(key, value)
