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


def _load_translator(app, data: bytes) -> Optional[QTranslator]:
    translator = QTranslator(app)
    # Loaded from bytes (works inside a zip too). QTranslator does not copy them: keep them alive with it.
    buffer = QByteArray(data)
    if not translator.load(buffer):
        return None
    translator._workbench_data = buffer
    return translator


def install_translator(language: str, app: Optional[QApplication] = None) -> Optional[QTranslator]:
    """Install the .qm for ``language`` (``zh_CN``) and Qt's own (qtbase: the buttons of message boxes, the file
    dialog); English needs none. Installing sends every widget a LanguageChange event, on which the window
    re-translates itself (workbench.gui.i18n). Returns the workbench's translator installed."""
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, Qt

    app = app or QApplication.instance()
    for old in getattr(app, "_workbench_translators", ()):
        app.removeTranslator(old)
    app._workbench_translators = []
    app._workbench_translator = None
    language = language if language in LANGUAGES and not language.startswith("en") else "en"
    app.setProperty("workbenchLanguage", language)
    # A native file dialog speaks the system's language; Qt's own speaks the one chosen here.
    QCoreApplication.setAttribute(Qt.AA_DontUseNativeDialogs, language != system_language())
    if language == "en":
        return None
    qt_file = Path(QLibraryInfo.path(QLibraryInfo.TranslationsPath)) / f"qtbase_{language}.qm"
    if qt_file.is_file():
        qt_translator = _load_translator(app, qt_file.read_bytes())
        if qt_translator is not None:
            app.installTranslator(qt_translator)
            app._workbench_translators.append(qt_translator)
    node = resource("translations", f"workbench_{language}.qm")
    translator = _load_translator(app, node.read_bytes()) if node.is_file() else None
    if translator is not None:
        app.installTranslator(translator)
        app._workbench_translators.append(translator)
        app._workbench_translator = translator
    return translator


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
