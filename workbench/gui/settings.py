"""What the window remembers between runs, kept in QSettings (organization ``ModelWorkbench``): the theme, the
language, the recent files, the window's geometry and dock layout, and the panels' own keys."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QSettings

from workbench.gui.i18n.translators import LANGUAGES, system_language
from workbench.gui.theme import THEMES

ORGANIZATION = "ModelWorkbench"
APPLICATION = "Model Workbench"
MAX_RECENT = 10


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
