"""The GUI's message catalog of one language (its matching needs no Qt): exact texts both ways, and
:class:`Pattern` for messages with placeholders (``{0}``, ``{0:.3f}``), so a text built from data maps back to its
English source and forward into another language. Composite messages (lines, the engine's "what; hint") convert
part by part. :func:`catalog` reads the .ts file beside the .qm plus the engine's patterns (engine.py);
workbench.gui.i18n walks the widgets.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Callable, Iterable, Optional

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?::[^{}]*)?\}")
_NUMBERED = re.compile(r"^(\d+ {2})(\S.*)$", re.S)  # the navigator's "1  Load" (two spaces: not "2 tensors")
_LETTER = re.compile(r"[^\W\d_]")
# Composite messages: lines, and the engine's "what; hint" (written "what；hint" in Chinese).
_SPLITS = (("\n", "\n"), ("; ", "；"))


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
