"""The GUI's languages and their translators: the workbench's .qm (resources/translations) and Qt's own
(qtbase: message-box buttons, the file dialog), installed on the application for a language chosen at run time."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from workbench.gui.theme import resource

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}


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
