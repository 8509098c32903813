"""Netron inside a QWebEngineView, served from 127.0.0.1 and kept off the network.

:class:`NetronView` starts a Netron server for one ONNX file on a free loopback port, shows it, and keeps the
selection in sync both ways through a QWebChannel: a click on a node in Netron emits :attr:`NetronView.nodeSelected`
with the node's details read from the ONNX file in Python (:class:`NodeIndex`), and :meth:`NetronView.select_node`
highlights and scrolls to a node. What Netron needs to work offline in a view (checked against netron 9.3):

* its cookie-consent banner is pre-accepted (a cookie set at document creation);
* its expiry check (``browser.js``: "Please update to the newest version." 180 days after the ``<meta name="date">``
  of its build) is defused by making that meta element read as today;
* every request that is not to this view's own server on loopback (or qrc/data/blob) is blocked and recorded
  (it calls ipinfo.io and an analytics service);
* a node click selects the node but opens no Netron "Node Properties" sidebar (it would cover the graph with the
  exporter's stack-trace metadata): the details go to the app's own pane (``bridge.js`` shadows
  ``view.View.showNodeProperties`` on the page's view).

The injected JavaScript is in ``workbench/gui/netron/*.js`` (package data); Netron's server is
:mod:`workbench.gui.netron.server`, its page :mod:`workbench.gui.netron.page`, the node details
:mod:`workbench.gui.netron.index` (read off the GUI thread by :mod:`workbench.gui.netron.loader`).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Optional

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from workbench.gui.netron import server
from workbench.gui.netron.index import NodeIndex
from workbench.gui.netron.loader import IndexLoader
from workbench.gui.netron.page import build_page, netron_js

log = logging.getLogger(__name__)


class NetronView(QWebEngineView):
    """Netron showing one ONNX file, with the selection synced to Python.

    Signals
    -------
    ready()
        Netron has rendered the graph (``window.__view__.target`` exists and the body has class ``default``).
    nodeSelected(dict)
        The user selected a node in Netron: :meth:`NodeIndex.details` of it.
    selectionChanged(list)
        Netron reports its selection changed, from either side: the selected nodes' keys.
    loadFailed(str)
        Netron showed an error instead of the graph.
    """

    ready = Signal()
    nodeSelected = Signal(dict)
    selectionChanged = Signal(list)
    loadFailed = Signal(str)

    def __init__(self, parent=None, *, ready_timeout_ms: int = 60000):
        super().__init__(parent)
        page, self.interceptor = build_page(self, self._on_selection)
        self._indexer = IndexLoader(self)
        self._indexer.loaded.connect(self._index_loaded)
        self.setPage(page)
        self._page = page
        self.address: Optional[tuple] = None
        self.model_path: str = ""
        self.index: Optional[NodeIndex] = None
        self.is_ready = False
        self.last_status: dict = {}
        self._ready_timeout_ms = ready_timeout_ms
        self._ready_js = netron_js("ready")
        self._elapsed_ms = 0
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check_ready)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.dispose)

    # -- public API ---------------------------------------------------------------------------------------------
    @property
    def url_base(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}" if self.address else ""

    @property
    def blocked_urls(self) -> list:
        return list(self.interceptor.blocked)

    @property
    def allowed_urls(self) -> list:
        return list(self.interceptor.allowed)

    @property
    def console(self) -> list:
        return list(self._page.console) if self._page is not None else []

    def open_model(self, path: str, index: "Optional[NodeIndex]" = None) -> None:
        """Serve ``path`` (with any external data beside it) on a free loopback port and show it.

        ``index`` is the file's :class:`NodeIndex` when the caller has read it already; else it is read in the
        background (until it is, a selection's details are what Netron reports).
        """
        path = os.path.abspath(str(path))
        if not os.path.isfile(path):
            raise FileNotFoundError(path)
        if self._page is None:
            raise RuntimeError("this NetronView was disposed")
        self._stop_server()
        self.model_path = path
        self.index = index
        if index is None:
            self._indexer.load(path)
        else:
            self._indexer.invalidate()  # an earlier file's index, still being read, never replaces this one
        self.address = server.start(path)
        self.interceptor.port = int(self.address[1])
        self.is_ready = False
        self._elapsed_ms = 0
        self.load(QUrl(self.url_base + "/"))
        self._poll.start()

    def select_node(self, name: str) -> None:
        """Select, highlight and scroll to the node ``name`` (a node's name, or its first output when unnamed)."""
        if self._page is None:
            return
        self._page.runJavaScript(f"(window.__wb_select ? window.__wb_select({json.dumps(name)}) : '')", 0,
                                 self._after_select)

    def run_js(self, source: str, callback=None) -> None:
        """Run JavaScript in Netron's page (main world); ``callback(result)`` gets the value."""
        if self._page is None:
            return
        if callback is None:
            self._page.runJavaScript(source, 0)
        else:
            self._page.runJavaScript(source, 0, callback)

    def shutdown(self) -> None:
        """Stop the server; the page stays until the widget is deleted."""
        self._poll.stop()
        self._stop_server()

    def dispose(self) -> None:
        """Stop the server and delete the page now (before its profile, as QtWebEngine requires).

        Called when the application quits; call it before dropping a view whose deferred deletion may never run.
        """
        self.shutdown()
        page, self._page = self._page, None
        if page is None:
            return
        import shiboken6

        if shiboken6.isValid(page):
            shiboken6.delete(page)  # its child profile goes with it

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    # -- internals ----------------------------------------------------------------------------------------------
    def _stop_server(self) -> None:
        if self.address is not None:
            address, self.address = self.address, None
            server.stop(address)
            self.is_ready = False

    def _index_loaded(self, ticket: int, index, error: str) -> None:
        if ticket == self._indexer.ticket:
            self.index = index
            if error:
                log.warning("cannot read the nodes of %s: %s", self.model_path, error)

    def _check_ready(self) -> None:
        if self.isVisible():  # a hidden page does not render (Netron waits for animation frames)
            self._elapsed_ms += self._poll.interval()
        if self._elapsed_ms > self._ready_timeout_ms:
            self._poll.stop()
            self.loadFailed.emit(f"Netron did not render within {self._ready_timeout_ms / 1000:.0f} s")
            return
        if self._page is not None:
            self._page.runJavaScript(self._ready_js, 0, self._on_ready_status)

    def _on_ready_status(self, result) -> None:
        try:
            status = json.loads(result) if result else {}
        except (TypeError, ValueError):
            status = {}
        self.last_status = status
        if not self._poll.isActive() or self.is_ready:
            return
        if status.get("ready") and status.get("bridge"):
            self._poll.stop()
            self.is_ready = True
            self.ready.emit()
        elif "message" in status.get("classes", "") or "alert" in status.get("classes", ""):
            if status.get("message"):
                self._poll.stop()
                self.loadFailed.emit(status["message"])

    def _after_select(self, result) -> None:
        try:
            status = json.loads(result) if result else {}
        except (TypeError, ValueError):
            status = {}
        if not status.get("ok"):
            log.debug("select_node found nothing: %s", status)

    def _on_selection(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            return
        nodes = event.get("nodes") or []
        keys = [self._key_of(n) for n in nodes]
        self.selectionChanged.emit(keys)
        if event.get("source") != "workbench" and nodes:
            self.nodeSelected.emit(self._details(nodes[0]))

    def _key_of(self, node: dict) -> str:
        return node.get("name") or (node.get("outputs") or [""])[0]

    def _details(self, node: dict) -> dict:
        key = self._key_of(node)
        details = self.index.details(key) if self.index is not None else None
        if details is None:  # a node Python does not know (inside a subgraph or function)
            details = {"name": key, "op_type": node.get("type", ""), "domain": "", "attributes": {},
                       "inputs": [{"name": n, "shape": None, "dtype": None} for n in node.get("inputs", [])],
                       "outputs": [{"name": n, "shape": None, "dtype": None} for n in node.get("outputs", [])]}
        details = dict(details)
        details["source"] = "netron"
        return details
