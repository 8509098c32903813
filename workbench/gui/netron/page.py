"""The page Netron runs in, kept off the network: an off-the-record profile whose interceptor lets through only
this view's own server on loopback (and qrc/data/blob), a page that refuses navigation elsewhere and keeps the
console, the QWebChannel bridge for the selection, and the injected scripts (``*.js`` beside this module, package
data: prelude.js at document creation, bridge.js at document ready, ready.js polled until the graph is drawn).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Optional

from PySide6.QtCore import QFile, QIODevice, QObject, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (QWebEnginePage, QWebEngineProfile, QWebEngineScript,
                                     QWebEngineUrlRequestInterceptor)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = frozenset({"qrc", "data", "blob"})
JS_PACKAGE = "workbench.gui.netron"


def netron_js(name: str) -> str:
    """The text of ``workbench/gui/netron/<name>.js``."""
    return (files(JS_PACKAGE) / f"{name}.js").read_text(encoding="utf-8")


def _qrc_text(path: str) -> str:
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"cannot read {path}")
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


def script(name: str, source: str, point: QWebEngineScript.InjectionPoint) -> QWebEngineScript:
    """A main-world, top-frame script for the page's script collection."""
    made = QWebEngineScript()
    made.setName(name)
    made.setSourceCode(source)
    made.setInjectionPoint(point)
    made.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    made.setRunsOnSubFrames(False)
    return made


class LoopbackInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request except to this view's own server on loopback and qrc/data/blob URLs; records both."""

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.port: Optional[int] = None
        self.allowed: list[str] = []
        self.blocked: list[str] = []

    def is_allowed(self, url: QUrl) -> bool:
        scheme = url.scheme().lower()
        if scheme in LOCAL_SCHEMES:
            return True
        if scheme not in ("http", "https", "ws", "wss"):
            return False
        if url.host().lower() not in LOOPBACK_HOSTS:
            return False
        return self.port is None or url.port() == self.port

    def interceptRequest(self, info) -> None:  # noqa: N802 - Qt override
        url = info.requestUrl()
        text = url.toString()
        if self.is_allowed(url):
            self.allowed.append(text)
        else:
            self.blocked.append(text)
            info.block(True)


class NetronPage(QWebEnginePage):
    """Refuses navigation away from loopback and keeps the console for diagnostics."""

    def __init__(self, profile, interceptor: LoopbackInterceptor, parent=None):
        super().__init__(profile, parent)
        self._interceptor = interceptor
        self.console: list[str] = []

    def acceptNavigationRequest(self, url, nav_type, is_main_frame) -> bool:  # noqa: N802 - Qt override
        if self._interceptor.is_allowed(QUrl(url)):
            return True
        self._interceptor.blocked.append(QUrl(url).toString())
        return False

    def javaScriptConsoleMessage(self, level, message, line, source) -> None:  # noqa: N802 - Qt override
        self.console.append(f"{source}:{line}: {message}")


class Bridge(QObject):
    """The page's ``channel.objects.bridge``: JS calls ``selection(json)``; Python gets ``received``."""

    received = Signal(str)

    @Slot(str)
    def selection(self, payload: str) -> None:  # noqa: D401 - called from JS
        self.received.emit(payload)


def build_page(view: QObject, on_selection) -> tuple:
    """``(page, interceptor)`` for ``view``: the profile, the page, the bridge (``on_selection(json)`` gets
    Netron's selection events) and the injected scripts."""
    interceptor = LoopbackInterceptor(view)
    profile = QWebEngineProfile()  # off the record: no cookies or cache on disk
    profile.setUrlRequestInterceptor(interceptor)
    page = NetronPage(profile, interceptor, view)
    profile.setParent(page)  # the page goes first, then its profile
    bridge = Bridge(view)
    bridge.received.connect(on_selection)
    channel = QWebChannel(page)
    channel.registerObject("bridge", bridge)
    page.setWebChannel(channel)
    page.bridge, page.channel = bridge, channel  # kept alive with the page
    scripts = page.scripts()
    scripts.insert(script("wb-prelude", netron_js("prelude"), QWebEngineScript.InjectionPoint.DocumentCreation))
    scripts.insert(script("wb-qwebchannel", _qrc_text(":/qtwebchannel/qwebchannel.js"),
                          QWebEngineScript.InjectionPoint.DocumentCreation))
    scripts.insert(script("wb-bridge", netron_js("bridge"), QWebEngineScript.InjectionPoint.DocumentReady))
    return page, interceptor
