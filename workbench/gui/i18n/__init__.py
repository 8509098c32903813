"""Live language switching: translators (the workbench's and Qt's own), and re-translating built widgets in place.

Qt's way is a ``retranslate()`` per widget class, called from ``changeEvent(QEvent.LanguageChange)``, that sets every
text again through ``tr()``. The workbench's panels build many texts from data (``"Model: {0}"``), so instead of a
hand-written ``retranslate()`` per panel repeating every ``setText`` of its constructor, :func:`retranslate_tree`
walks the widgets and maps each visible text back to its English source through the catalog (catalog.py: the .ts
file, whose ``{0}`` sources become patterns) and forward into the new language. The mapping is idempotent (English
and Chinese texts both map to the same source), so a widget reached twice is harmless; panels with texts that live
outside widgets (chart titles drawn by pyqtgraph, cached tooltips) add their own ``retranslate()``.

Engine messages (WorkbenchError text, pre-flight problems, verdict reasons) come as English strings from jobs that
run without Qt; :mod:`workbench.gui.i18n.engine` matches them against a pattern catalog (English kept as fallback).
"""

from __future__ import annotations

import html
import re
from typing import Callable, Optional

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QToolBox,
    QTreeWidget,
    QWidget,
)

from workbench.gui.i18n.catalog import Catalog, Pattern, catalog  # noqa: F401 - importable from here

LANGUAGE_PROPERTY = "workbenchLanguage"
def current_language() -> str:
    """The language whose translators are installed now ("en" when none)."""
    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return value or "en"


def live_text(text: str, language: Optional[str] = None) -> str:
    """``text`` (English, or a translation into any supported language) written in ``language`` (default: the
    installed one)."""
    from workbench.gui.i18n.translators import LANGUAGES

    language = language or current_language()
    english = text
    for code in LANGUAGES:
        if code != "en" and english == text:
            english = catalog(code).english(text)
    return english if language == "en" else catalog(language).translate(english)


# -- walking widgets ---------------------------------------------------------------------------------------------

_TAG = re.compile(r"(<[^>]*>)")


def _rich_text(text: str, language: str) -> str:
    """Rich text (a job's ``<b>name</b>``, a banner's ``<li>`` items): each text run between tags converted."""
    parts = _TAG.split(text)
    for i, part in enumerate(parts):
        if part and not part.startswith("<") and not part.isspace():
            plain = html.unescape(part)
            new = live_text(plain, language)
            if new != plain:
                parts[i] = html.escape(new, quote=False)
    return "".join(parts)


def _swap(getter, setter, language: str) -> None:
    text = getter()
    if isinstance(text, str) and text:
        new = live_text(text, language)
        if new == text and "<" in text and ">" in text:
            new = _rich_text(text, language)
        if new != text:
            setter(new)


def _retranslate_action(action: QAction, language: str) -> None:
    explicit_tip = action.toolTip() != re.sub(r"&(?=\S)", "", action.text()).replace("…", "").strip()
    _swap(action.text, action.setText, language)
    _swap(action.iconText, action.setIconText, language)
    if explicit_tip:
        _swap(action.toolTip, action.setToolTip, language)
    _swap(action.statusTip, action.setStatusTip, language)
    menu = action.menu()
    if menu is not None:
        _swap(menu.title, menu.setTitle, language)


def _retranslate_items(widget: QWidget, language: str) -> None:
    if isinstance(widget, QTableWidget):
        for column in range(widget.columnCount()):
            item = widget.horizontalHeaderItem(column)
            if item is not None:
                _swap(item.text, item.setText, language)
                _swap(item.toolTip, item.setToolTip, language)
        for row in range(widget.rowCount()):
            for column in range(widget.columnCount()):
                item = widget.item(row, column)
                if item is not None:
                    _swap(item.text, item.setText, language)
                    _swap(item.toolTip, item.setToolTip, language)
    elif isinstance(widget, QTreeWidget):
        header = widget.headerItem()
        stack = [header] + [widget.topLevelItem(i) for i in range(widget.topLevelItemCount())]
        while stack:
            item = stack.pop()
            for column in range(item.columnCount()):
                _swap(lambda c=column: item.text(c), lambda t, c=column: item.setText(c, t), language)
                _swap(lambda c=column: item.toolTip(c), lambda t, c=column: item.setToolTip(c, t), language)
            stack.extend(item.child(i) for i in range(item.childCount()))
    elif isinstance(widget, QListWidget):
        for row in range(widget.count()):
            item = widget.item(row)
            _swap(item.text, item.setText, language)
            _swap(item.toolTip, item.setToolTip, language)


def retranslate_widget(widget: QWidget, language: Optional[str] = None) -> None:
    """Every text of one widget (not its children) in ``language``: texts, titles, tooltips, placeholders, combo
    items, tabs, table/tree/list items and headers, and its actions. User data (line edit text) stays."""
    language = language or current_language()
    for name in ("windowTitle", "toolTip", "statusTip", "whatsThis"):
        _swap(getattr(widget, name), getattr(widget, "set" + name[0].upper() + name[1:]), language)
    if isinstance(widget, (QLabel, QAbstractButton)):
        _swap(widget.text, widget.setText, language)
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)):
        _swap(widget.placeholderText, widget.setPlaceholderText, language)
    if isinstance(widget, QGroupBox):
        _swap(widget.title, widget.setTitle, language)
    if isinstance(widget, QMenu):
        _swap(widget.title, widget.setTitle, language)
    if isinstance(widget, QAbstractSpinBox):
        for name in ("specialValueText", "suffix", "prefix"):
            if hasattr(widget, name):
                _swap(getattr(widget, name), getattr(widget, "set" + name[0].upper() + name[1:]), language)
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            _swap(lambda i=i: widget.itemText(i), lambda t, i=i: widget.setItemText(i, t), language)
            _swap(lambda i=i: widget.itemData(i, Qt.ToolTipRole), lambda t, i=i: widget.setItemData(
                i, t, Qt.ToolTipRole), language)
        if widget.isEditable() and widget.lineEdit() is not None:
            _swap(widget.lineEdit().placeholderText, widget.lineEdit().setPlaceholderText, language)
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            _swap(lambda i=i: widget.tabText(i), lambda t, i=i: widget.setTabText(i, t), language)
            _swap(lambda i=i: widget.tabToolTip(i), lambda t, i=i: widget.setTabToolTip(i, t), language)
    if isinstance(widget, QToolBox):
        for i in range(widget.count()):
            _swap(lambda i=i: widget.itemText(i), lambda t, i=i: widget.setItemText(i, t), language)
    _retranslate_items(widget, language)
    if isinstance(widget, QAbstractItemView):
        model = widget.model()
        while model is not None and not callable(getattr(model, "retranslate", None)) and \
                callable(getattr(model, "sourceModel", None)):
            model = model.sourceModel()  # through filter proxies
        if model is not None and callable(getattr(model, "retranslate", None)):
            model.retranslate()
    for action in widget.actions():
        _retranslate_action(action, language)


def retranslate_tree(root: QWidget, language: Optional[str] = None) -> None:
    """``root`` and its descendants, except the subtrees of descendants with a ``retranslate()`` of their own
    (they receive the same LanguageChange event and translate themselves)."""
    language = language or current_language()
    stack: list = [root]
    while stack:
        widget = stack.pop()
        retranslate_widget(widget, language)
        for child in widget.children():
            if isinstance(child, QWidget) and not callable(getattr(child, "retranslate", None)):
                stack.append(child)
            elif isinstance(child, QAction):
                _retranslate_action(child, language)


def is_language_change(event) -> bool:
    return event is not None and event.type() == QEvent.LanguageChange


class Retranslating:
    """Mixin for a Qt widget class with a ``retranslate()``: Qt's LanguageChange event calls it. List it before the
    Qt base (``class Panel(Retranslating, QWidget)``), so its ``changeEvent`` comes first."""

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if is_language_change(event):
            self.retranslate()
        super().changeEvent(event)


class LanguageChangeFilter(QObject):
    """Calls ``callback()`` on LanguageChange events of the watched object (for widgets that cannot override
    ``changeEvent``, e.g. panels built by a factory)."""

    def __init__(self, callback: Callable[[], None], parent=None):
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if is_language_change(event):
            self.callback()
        return False
