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

The injected JavaScript is in ``workbench/gui/resources/netron/*.js``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Optional

from PySide6.QtCore import QFile, QIODevice, QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (QWebEnginePage, QWebEngineProfile, QWebEngineScript,
                                     QWebEngineUrlRequestInterceptor)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = frozenset({"qrc", "data", "blob"})
_netron_lock = threading.Lock()

# The JavaScript injected into Netron's page lives in resources/netron/*.js (package data): prelude.js runs at
# document creation (consent cookie, expiry check), bridge.js at document ready (selection sync, Netron's node
# sidebar kept shut), ready.js is polled until the graph is drawn.
JS_PACKAGE = "workbench.gui.resources"


def netron_js(name: str) -> str:
    """The text of ``resources/netron/<name>.js``."""
    from importlib.resources import files

    return (files(JS_PACKAGE) / "netron" / f"{name}.js").read_text(encoding="utf-8")


def _qrc_text(path: str) -> str:
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"cannot read {path}")
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


def _script(name: str, source: str, point: QWebEngineScript.InjectionPoint) -> QWebEngineScript:
    script = QWebEngineScript()
    script.setName(name)
    script.setSourceCode(source)
    script.setInjectionPoint(point)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``host:port``."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


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


class _NetronPage(QWebEnginePage):
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
        self.interceptor = LoopbackInterceptor(self)
        profile = QWebEngineProfile()  # off the record: no cookies or cache on disk
        profile.setUrlRequestInterceptor(self.interceptor)
        page = _NetronPage(profile, self.interceptor, self)
        profile.setParent(page)  # the page goes first, then its profile
        self._bridge = Bridge(self)
        self._bridge.received.connect(self._on_selection)
        self._channel = QWebChannel(page)
        self._channel.registerObject("bridge", self._bridge)
        page.setWebChannel(self._channel)
        scripts = page.scripts()
        scripts.insert(_script("wb-prelude", netron_js("prelude"), QWebEngineScript.InjectionPoint.DocumentCreation))
        scripts.insert(_script("wb-qwebchannel", _qrc_text(":/qtwebchannel/qwebchannel.js"),
                               QWebEngineScript.InjectionPoint.DocumentCreation))
        scripts.insert(_script("wb-bridge", netron_js("bridge"), QWebEngineScript.InjectionPoint.DocumentReady))
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

        ``index`` is the file's :class:`NodeIndex` when the caller has read it already.
        """
        path = os.path.abspath(str(path))
        if not os.path.isfile(path):
            raise FileNotFoundError(path)
        if self._page is None:
            raise RuntimeError("this NetronView was disposed")
        self._stop_server()
        self.model_path = path
        self.index = index if index is not None else NodeIndex(path)
        self.address = _start_netron(path)
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
            _stop_netron(address)
            self.is_ready = False

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


def _start_netron(path: str) -> tuple:
    """Serve ``path`` on 127.0.0.1 at a free port; each server keeps its own file (netron shares one by default)."""
    import netron
    from netron import server as netron_server

    root = logging.getLogger()
    guard = None
    if not root.hasHandlers():  # netron calls logging.basicConfig() then, reconfiguring the whole application
        guard = logging.NullHandler()
        root.addHandler(guard)
    with _netron_lock:
        try:
            address = netron.start(path, address=("127.0.0.1", 0), browse=False)
        finally:
            if guard is not None:
                root.removeHandler(guard)
        # netron stores the served content on its handler *class*, shared by every server in the process:
        # give this server a handler subclass of its own so that a second view does not change the first.
        try:
            for thread in netron_server._threads(address):
                handler = thread.server.RequestHandlerClass
                thread.server.RequestHandlerClass = type("WorkbenchNetronHandler", (handler,),
                                                         {"content": handler.content})
        except Exception:  # noqa: BLE001 - a netron without those internals still serves one model correctly
            log.debug("could not isolate the netron handler", exc_info=True)
    return tuple(address)


def _stop_netron(address: tuple) -> None:
    import netron

    from netron import server as netron_server

    with _netron_lock:
        try:
            threads = list(netron_server._threads(address))
        except Exception:  # noqa: BLE001 - internals of netron; the join below is only a nicety
            threads = []
        try:
            netron.stop(address)
        except Exception:  # noqa: BLE001
            log.warning("stopping netron at %s failed", address, exc_info=True)
        # The listening socket is released once the server thread leaves its select() (<= 0.25 s).
        for thread in threads:
            thread.join(timeout=1.0)



class NodeIndex:
    """The authoritative details of every top-level node of an ONNX file, keyed like Netron shows them.

    The key is the node's name, or its first output's name when it has none. Weights stay on disk (external data
    is not loaded); shapes come from the graph and from ``onnx.shape_inference`` while the proto is under 2 GB.
    """

    MAX_INFER_BYTES = 2**31 - 1

    def __init__(self, path: str):
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        self.shape_inference = "skipped"
        if model.ByteSize() < self.MAX_INFER_BYTES:
            try:
                model = onnx.shape_inference.infer_shapes(model)
                self.shape_inference = "ok"
            except Exception as exc:  # noqa: BLE001 - shapes are a nicety; the node list still works
                self.shape_inference = f"failed: {exc}"
        graph = model.graph
        self.values: dict = {}
        for info in list(graph.input) + list(graph.value_info) + list(graph.output):
            self.values[info.name] = _value_type(info)
        for init in graph.initializer:
            self.values.setdefault(init.name, (_dtype_name(init.data_type), list(init.dims)))
        self.nodes: dict = {}
        self.order: list = []
        for i, node in enumerate(graph.node):
            key = node.name or (node.output[0] if node.output else f"#{i}")
            self.nodes[key] = node
            self.order.append(key)

    def __len__(self) -> int:
        return len(self.order)

    def entries(self) -> list:
        """``[(key, op_type)]`` in graph order."""
        return [(key, self.nodes[key].op_type) for key in self.order]

    def details(self, key: str) -> Optional[dict]:
        """op type, domain, attributes and inputs/outputs with dtypes and shapes of the node ``key``."""
        node = self.nodes.get(key)
        if node is None:
            return None
        module, module_class = node_scope(node)
        return {"name": key, "op_type": node.op_type, "domain": node.domain or "ai.onnx",
                "attributes": {a.name: _attribute_value(a) for a in node.attribute},
                "inputs": [self._tensor(n) for n in node.input if n],
                "outputs": [self._tensor(n) for n in node.output if n],
                "module": module, "module_class": module_class,
                "metadata": {p.key: p.value for p in node.metadata_props if not is_exporter_metadata(p.key)}}

    def _tensor(self, name: str) -> dict:
        dtype, shape = self.values.get(name, (None, None))
        return {"name": name, "dtype": dtype, "shape": shape}


# Node metadata the exporters write for their own bookkeeping (the dynamo exporter's module scopes, class
# hierarchy, FX node and Python stack trace): read for the module path, never shown as such.
EXPORTER_METADATA_PREFIXES = ("pkg.torch.", "pkg.onnxscript.")
EXPORTER_METADATA_KEYS = frozenset({"namespace", "stack_trace", "source_location"})


def is_exporter_metadata(key: str) -> bool:
    """True for exporter bookkeeping (``namespace``, ``pkg.torch.*``, stack traces), not the user's metadata."""
    return key in EXPORTER_METADATA_KEYS or key.startswith(EXPORTER_METADATA_PREFIXES) or "stack_trace" in key


def node_scope(node) -> tuple:
    """``(module path, module class)`` a node was exported from, e.g. ``("model.layers.0.mlp", "LlamaMLP")``;
    ``(None, None)`` when the file does not say (``workbench.core.locate.node_module`` reads the path)."""
    import ast

    from workbench.core.locate import node_module

    module = node_module(node)
    if module is None:
        return None, None
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.class_hierarchy":
            try:
                classes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                break
            if isinstance(classes, list) and len(classes) >= 2:  # [..., module class, aten op]
                return module, str(classes[-2]).rsplit(".", 1)[-1]
    return module, None


def _dtype_name(elem_type: int) -> Optional[str]:
    import onnx

    try:
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return None


def _value_type(info) -> tuple:
    t = info.type
    if not t.HasField("tensor_type"):
        return (t.WhichOneof("value") or None, None)
    tensor = t.tensor_type
    if not tensor.HasField("shape"):
        return (_dtype_name(tensor.elem_type), None)
    dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]
    return (_dtype_name(tensor.elem_type), dims)


def _attribute_value(attr):
    """A short, JSON-friendly rendering of an attribute (tensors and graphs summarised, not dumped)."""
    import onnx

    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, onnx.TensorProto):
        if len(value.dims) == 0 or (len(value.dims) == 1 and value.dims[0] <= 8):
            try:
                return onnx.numpy_helper.to_array(value).tolist()
            except Exception:  # noqa: BLE001
                pass
        return f"tensor {_dtype_name(value.data_type)} {list(value.dims)}"
    if isinstance(value, onnx.GraphProto):
        return f"graph {value.name} ({len(value.node)} nodes)"
    if isinstance(value, list):
        return [_attribute_value_item(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.7g}")  # float32 attributes read back as e.g. 9.999999747378752e-06
    return value


def _attribute_value_item(v):
    import onnx

    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (onnx.TensorProto, onnx.GraphProto)):
        return type(v).__name__
    if isinstance(v, float):
        return float(f"{v:.7g}")
    return v
