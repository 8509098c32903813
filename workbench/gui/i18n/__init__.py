"""Live language switching: translators (the workbench's and Qt's own), and re-translating built widgets in place.

Qt's way is a ``retranslate()`` per widget class, called from ``changeEvent(QEvent.LanguageChange)``, that sets every
text again through ``tr()``. The workbench's panels build many texts from data (``"Model: {0}"``), so instead of a
hand-written ``retranslate()`` per panel repeating every ``setText`` of its constructor, :func:`retranslate_tree`
walks the widgets and maps each visible text back to its English source through the catalog (the .ts file, whose
``{0}`` sources become patterns) and forward into the new language. The mapping is idempotent (English and Chinese
texts both map to the same source), so a widget reached twice is harmless; panels with texts that live outside
widgets (chart titles drawn by pyqtgraph, cached tooltips) add their own ``retranslate()``.

Engine messages (WorkbenchError text, pre-flight problems, verdict reasons) come as English strings from jobs that
run without Qt; :mod:`workbench.gui.i18n.engine` matches them against a pattern catalog (English kept as fallback).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Callable, Iterable, Optional

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

LANGUAGE_PROPERTY = "workbenchLanguage"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?::[^{}]*)?\}")
_NUMBERED = re.compile(r"^(\d+ {2})(\S.*)$", re.S)  # the navigator's "1  Load" (two spaces: not "2 tensors")
_LETTER = re.compile(r"[^\W\d_]")
# Composite messages: lines, and the engine's "what; hint" (written "what；hint" in Chinese).
_SPLITS = (("\n", "\n"), ("; ", "；"))


def current_language() -> str:
    """The language whose translators are installed now ("en" when none)."""
    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return value or "en"


class Pattern:
    """A message with placeholders (``{0}``, ``{0:.3f}``, ``{path}``) in two languages: matches either one and
    writes it in the other, the captured values carried over (and translated themselves when they are messages)."""

    def __init__(self, english: str, translated: str):
        self.english, self.translated = english, translated
        self._en, self._en_keys = self._regex(english)
        self._zh, self._zh_keys = self._regex(translated)

    @staticmethod
    def _regex(template: str):
        parts, keys, pos = [], [], 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[pos:match.start()]))
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(re.escape(token[0]))
            else:
                key = "p_" + match.group(1)
                # a value never spans the engine's "what; hint" separator or a line break: those are split first
                parts.append(f"(?P={key})" if key in keys else f"(?P<{key}>(?:(?!; |；)[^\n])+?)")
                keys.append(key)
            pos = match.end()
        parts.append(re.escape(template[pos:]))
        return re.compile("^" + "".join(parts) + "$", re.S), keys

    @staticmethod
    def _fill(template: str, values: dict) -> str:
        def repl(match):
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            return values.get("p_" + match.group(1), token)

        return _PLACEHOLDER.sub(repl, template)

    def english_of(self, text: str, convert: Callable[[str], str]) -> Optional[str]:
        for regex, template in ((self._zh, self.english), (self._en, self.english)):
            match = regex.match(text)
            if match:
                return self._fill(template, {k: convert(v) for k, v in match.groupdict().items()})
        return None

    def translated_of(self, english: str, convert: Callable[[str], str]) -> Optional[str]:
        match = self._en.match(english)
        if match:
            return self._fill(self.translated, {k: convert(v) for k, v in match.groupdict().items()})
        return None


def _segments(parts: list, sep: str, convert: Callable[[str], str]) -> Optional[list]:
    """``parts`` (a text split at ``sep``) converted in the longest known runs: a hint that itself holds ``sep``
    ("... (only for files you trust; the GUI asks first); ...") is matched whole. None when nothing converts."""
    if sep == "\n":  # lines are independent: a run over two lines would only half convert
        out = [convert(part) for part in parts]
        return out if out != parts else None
    out, i, changed = [], 0, False
    while i < len(parts):
        for j in range(len(parts), i, -1):
            piece = sep.join(parts[i:j])
            done = convert(piece)
            if done != piece or j == i + 1:
                out.append(done)
                changed = changed or done != piece
                i = j
                break
    return out if changed else None


class Catalog:
    """Every GUI message of one language: exact texts both ways, and patterns for those with placeholders."""

    def __init__(self, pairs: Iterable[tuple]):
        self.to_target: dict = {}
        self.to_source: dict = {}
        self.patterns: list = []
        for source, translation in pairs:
            if not source or not translation:
                continue
            self.to_target.setdefault(source, translation)
            self.to_source.setdefault(translation, source)
            if _PLACEHOLDER.search(source) and _LETTER.search(_PLACEHOLDER.sub("", source)):
                self.patterns.append(Pattern(source, translation))  # "{0}: {1}" alone would match anything
        # the most literal text first: "Finished: {0} ({1:.1f} s)" before "Finished: {0}"
        self.patterns.sort(key=lambda p: -len(_PLACEHOLDER.sub("", p.english)))

    def english(self, text: str, depth: int = 0, splits: tuple = _SPLITS) -> str:
        """The English source of ``text`` (a translation or a source); ``text`` itself when unknown."""
        if not text or text.isspace():
            return text
        if text in self.to_source:
            return self.to_source[text]
        if text in self.to_target:
            return text
        if depth < 3:  # messages nest: "Finished: {0}" of "{0}, {1} failed" of "{0} variant(s) done"
            def convert(value):
                return self.english(value, depth + 1)

            for pattern in self.patterns:
                found = pattern.english_of(text, convert)
                if found is not None:
                    return found
            numbered = _NUMBERED.match(text)
            if numbered:
                return numbered.group(1) + self.english(numbered.group(2), depth + 1)
        for k, (english_sep, target_sep) in enumerate(splits):
            rest = splits[k + 1:]
            for sep in dict.fromkeys((target_sep, english_sep)):
                if sep in text:
                    done = _segments(text.split(sep), sep, lambda t: self.english(t, depth, rest))
                    if done is not None or sep != english_sep:
                        return english_sep.join(done or text.split(sep))
        return text

    def translate(self, english: str, depth: int = 0, splits: tuple = _SPLITS) -> str:
        """``english`` in this catalog's language; unchanged when unknown."""
        if not english or english.isspace():
            return english
        if english in self.to_target:
            return self.to_target[english]
        if depth < 3:  # messages nest: "Finished: {0}" of "{0}, {1} failed" of "{0} variant(s) done"
            def convert(value):
                return self.translate(value, depth + 1)

            for pattern in self.patterns:
                found = pattern.translated_of(english, convert)
                if found is not None:
                    return found
            numbered = _NUMBERED.match(english)
            if numbered:
                return numbered.group(1) + self.translate(numbered.group(2), depth + 1)
        for k, (english_sep, target_sep) in enumerate(splits):
            if english_sep in english:
                rest = splits[k + 1:]  # a run of parts is matched whole, never split at this separator again
                done = _segments(english.split(english_sep), english_sep, lambda t: self.translate(t, depth, rest))
                if done is not None:  # otherwise the English text stays exactly as it was
                    return target_sep.join(done)
        return english


@lru_cache(maxsize=None)
def catalog(language: str) -> Catalog:
    """The GUI's messages (from the .ts beside the .qm) plus the engine's (:mod:`engine`) for ``language``."""
    from workbench.gui.i18n import engine
    from workbench.gui.theme import resource

    pairs: list = []
    node = resource("translations", f"workbench_{language}.ts")
    if node.is_file():
        root = ET.fromstring(node.read_bytes())
        for message in root.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") not in ("unfinished", "obsolete", "vanished"):
                pairs.append((message.findtext("source") or "", translation.text or ""))
    pairs.extend(engine.pairs(language))
    return Catalog(pairs)


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
