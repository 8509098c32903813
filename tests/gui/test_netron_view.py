"""Netron inside QtWebEngine: renders offline, talks only to its loopback server, syncs selection both ways, and
closes its port. The graph panel around it: node list, filter, details and the difference against PyTorch."""

import json
import os
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import pytest  # noqa: E402

pytest.importorskip("PySide6.QtWebEngineWidgets")
pytest.importorskip("netron")
import PySide6.QtWebEngineWidgets  # noqa: E402,F401 - before the QApplication exists

READY_MS = 90_000


def _export_tiny(folder, external_data=False):
    """torch.nn.Sequential(Linear, ReLU, Linear) through the dynamo exporter; nodes node_linear, node_relu,
    node_linear_1 with outputs linear, relu, y."""
    import torch

    path = folder / "model.onnx"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)).eval()
        program = torch.onnx.export(model, (torch.randn(2, 16),), dynamo=True, input_names=["x"],
                                    output_names=["y"], dynamic_shapes=({0: torch.export.Dim("batch")},))
        program.save(str(path), external_data=external_data)
    return str(path)


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory):
    return _export_tiny(tmp_path_factory.getbasetemp() / "tiny-mlp")


@pytest.fixture(scope="session")
def tiny_onnx_external(tmp_path_factory):
    return _export_tiny(tmp_path_factory.getbasetemp() / "tiny-mlp-external", external_data=True)


def js(qtbot, view, source):
    """Run JavaScript in the page and wait for its (JSON string) result."""
    box = {}
    view.run_js(source, lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=10_000)
    return box["r"]


@pytest.fixture
def view(qtbot):
    from workbench.gui.netron.view import NetronView

    v = NetronView()
    qtbot.addWidget(v)
    v.resize(1000, 700)
    v.show()
    yield v
    _delete(v)


def _delete(view):
    """Close and delete a view now: pytest-qt's deferred deletion may never run before the process exits, and
    QtWebEngine complains when a page outlives its profile."""
    import shiboken6

    view.close()
    if shiboken6.isValid(view):
        shiboken6.delete(view)


def open_and_wait(qtbot, view, path):
    with qtbot.waitSignal(view.ready, timeout=READY_MS):
        view.open_model(path)
    assert view.is_ready


def test_renders_offline_and_only_talks_to_loopback(qtbot, view, tiny_onnx):
    open_and_wait(qtbot, view, tiny_onnx)
    status = json.loads(js(qtbot, view, "JSON.stringify({cls: document.body.className, "
                                        "text: document.getElementById('message-text').innerText})"))
    assert status["cls"] == "default", status  # no consent banner, no "Please update", no error page
    # An outside request made from the page is blocked and recorded.
    js(qtbot, view, "(function(){try{fetch('https://example.com/wb-probe').catch(function(){});}catch(e){}"
                    " return 'ok';})()")
    qtbot.waitUntil(lambda: any("example.com/wb-probe" in u for u in view.blocked_urls), timeout=10_000)
    port = view.address[1]
    assert view.allowed_urls, "nothing was loaded"
    for url in view.allowed_urls:
        assert url.startswith((f"http://127.0.0.1:{port}/", "data:", "blob:", "qrc:")), url
    for url in view.blocked_urls:
        assert "127.0.0.1" not in url.split("/")[2] and "localhost" not in url.split("/")[2], url
    assert not any("ipinfo.io" in u for u in view.allowed_urls)


def test_expiry_check_is_defused(qtbot, tiny_onnx):
    """With the clock a year past Netron's build date it still renders (it would show 'Please update')."""
    from PySide6.QtWebEngineCore import QWebEngineScript

    from workbench.gui.netron.page import script as _script
    from workbench.gui.netron.view import NetronView

    view = NetronView()
    qtbot.addWidget(view)
    shift = (r"(function(){try{var R=Date, s=400*86400000;"
             r"var S=function(){var a=Array.prototype.slice.call(arguments);"
             r"if(!(this instanceof S)){return R();}"
             r"return a.length?new (Function.prototype.bind.apply(R,[null].concat(a)))():new R(R.now()+s);};"
             r"S.prototype=R.prototype;S.now=function(){return R.now()+s;};S.UTC=R.UTC;S.parse=R.parse;"
             r"window.Date=S;}catch(e){}})();")
    view.page().scripts().insert(_script("test-clock", shift, QWebEngineScript.InjectionPoint.DocumentCreation))
    view.show()
    try:
        open_and_wait(qtbot, view, tiny_onnx)
        built = js(qtbot, view, "document.querySelector('meta[name=date]').getAttribute('content')")
        seen_year = js(qtbot, view, "new Date().getFullYear() + ' ' + (new Date() - new Date("
                                    "document.querySelector('meta[name=date]').content.split(' ').join('T') + 'Z'))"
                                    " / 86400000")
        year, days = seen_year.split()
        assert int(year) >= int(built[:4])
        assert abs(float(days)) < 1.0  # the build date reads as today
    finally:
        _delete(view)


def test_select_node_from_python_selects_in_netron(qtbot, view, tiny_onnx):
    open_and_wait(qtbot, view, tiny_onnx)
    with qtbot.waitSignal(view.selectionChanged, timeout=10_000) as blocker:
        view.select_node("node_relu")
    assert blocker.args[0] == ["node_relu"]
    selected = json.loads(js(qtbot, view, "JSON.stringify(window.__wb_selected())"))
    assert [s["name"] for s in selected] == ["node_relu"]
    assert selected[0]["type"] == "Relu"


def test_click_in_netron_emits_node_details(qtbot, view, tiny_onnx):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    open_and_wait(qtbot, view, tiny_onnx)
    boxes = json.loads(js(qtbot, view, "JSON.stringify(Array.from(document.querySelectorAll('.node-item-type'))"
                                       ".map(function(e){var r=e.getBoundingClientRect();"
                                       "return {t:e.textContent, x:r.left+r.width/2, y:r.top+r.height/2};}))"))
    relu = next(b for b in boxes if b["t"].startswith("Relu"))
    with qtbot.waitSignal(view.nodeSelected, timeout=10_000) as blocker:
        QTest.mouseClick(view.focusProxy() or view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(int(relu["x"]), int(relu["y"])))
    details = blocker.args[0]
    assert details["name"] == "node_relu" and details["op_type"] == "Relu"
    assert details["inputs"] == [{"name": "linear", "dtype": "float", "shape": ["batch", 32]}]
    assert details["outputs"] == [{"name": "relu", "dtype": "float", "shape": ["batch", 32]}]
    # A click simulated in JS on another node reports that one, with its attributes from the ONNX file.
    with qtbot.waitSignal(view.nodeSelected, timeout=10_000) as blocker:
        js(qtbot, view, "(function(){var e=Array.from(document.querySelectorAll('.node-item-type'))"
                        ".filter(function(e){return e.textContent.indexOf('node_linear_1')>=0||"
                        "e.textContent==='Gemm';}).pop(); e.dispatchEvent(new MouseEvent('click',{bubbles:true}));"
                        " return 'ok';})()")
    assert blocker.args[0]["op_type"] == "Gemm"
    assert blocker.args[0]["attributes"]["transB"] == 1


def test_port_is_closed_after_the_view_closes(qtbot, tiny_onnx):
    from workbench.gui.netron.server import port_is_open
    from workbench.gui.netron.view import NetronView

    view = NetronView()
    qtbot.addWidget(view)
    view.show()
    open_and_wait(qtbot, view, tiny_onnx)
    host, port = view.address
    assert port_is_open(host, port)
    view.close()
    assert not port_is_open(host, port)
    assert view.address is None
    _delete(view)


def test_external_data_is_served_beside_the_model(qtbot, view, tiny_onnx_external):
    assert os.path.exists(tiny_onnx_external + ".data")
    open_and_wait(qtbot, view, tiny_onnx_external)
    js(qtbot, view, "(function(){try{window.__wb_ext=null;var n=window.__wb_find('node_linear');"
                    "var a=n.inputs.filter(function(x){return x.value&&x.value[0]&&x.value[0].initializer;})[0];"
                    "var t=a.value[0].initializer;var p=(t.peek&&!t.peek())?t.read():Promise.resolve();"
                    "p.then(function(){window.__wb_ext=JSON.stringify({n:t._data?t._data.length:-1});},"
                    "function(e){window.__wb_ext=JSON.stringify({error:String(e)});});return 'ok';}"
                    "catch(e){return 'ERR '+e;}})()")
    qtbot.waitUntil(lambda: js(qtbot, view, "window.__wb_ext") not in (None, "", "null"), timeout=10_000)
    result = json.loads(js(qtbot, view, "window.__wb_ext"))
    assert result == {"n": 16 * 32 * 4}, result  # the first Linear's weight, read from model.onnx.data
    assert any(u.split("?")[0].endswith("/data/model.onnx.data") for u in view.allowed_urls)


def test_two_servers_keep_their_own_model(tmp_path, tiny_onnx):
    """netron keeps the served file on a class shared by all its servers; each view must still get its own."""
    from workbench.gui.netron.server import start as _start_netron, stop as _stop_netron

    other = tmp_path / "model.onnx"
    other.write_bytes(b"not the tiny model")
    first = _start_netron(tiny_onnx)
    second = _start_netron(str(other))
    try:
        def get(address):
            with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/data/model.onnx", timeout=5) as r:
                return r.read()
        assert get(first) == open(tiny_onnx, "rb").read()
        assert get(second) == b"not the tiny model"
    finally:
        _stop_netron(first)
        _stop_netron(second)


def test_node_index_reads_shapes_without_weights(tiny_onnx_external):
    from workbench.gui.netron.index import NodeIndex

    index = NodeIndex(tiny_onnx_external)
    assert index.entries() == [("node_linear", "Gemm"), ("node_relu", "Relu"), ("node_linear_1", "Gemm")]
    gemm = index.details("node_linear_1")
    assert gemm["attributes"] == {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 1}
    assert gemm["inputs"][1] == {"name": "2.weight", "dtype": "float", "shape": [4, 32]}
    assert gemm["outputs"] == [{"name": "y", "dtype": "float", "shape": ["batch", 4]}]
    assert index.shape_inference == "ok"


def test_graph_panel_lists_filters_highlights_and_shows_the_difference(qtbot, tiny_onnx):
    from workbench.core.results import OutputDiff, ValidateResult
    from workbench.gui.panels.graph_panel import GraphPanel
    from workbench.gui.state import AppState

    state = AppState()
    panel = GraphPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    try:
        state.set_onnx(tiny_onnx)
        qtbot.waitUntil(lambda: panel.view.is_ready, timeout=READY_MS)
        assert panel.model.rowCount() == 3
        panel.filter.setText("gemm")
        assert panel.proxy.rowCount() == 2 and panel.count_label.text() == "2 of 3 nodes"
        state.set_validation(ValidateResult(passed=True, shapes_tried=[[2, 8]], rtol=1e-4, atol=1e-5, outputs=[
            OutputDiff(name="y", shape=[2, 4], max_abs_diff=2.4e-7, max_rel_diff=1e-7, cosine=0.99999994,
                       passed=True)]))
        # Choosing in the list selects in Netron and shows details with the difference against PyTorch.
        with qtbot.waitSignal(panel.view.selectionChanged, timeout=10_000) as blocker:
            panel.list.setCurrentIndex(panel.proxy.index(1, 0))
        assert blocker.args[0] == ["node_linear_1"]
        text = panel.info.toPlainText()
        assert "Gemm" in text and "Difference against PyTorch" in text and "2.4e-07" in text
        panel.highlight("node_relu")
        assert "Relu" in panel.info.toPlainText() and "none of them" in panel.info.toPlainText()
        # A click in Netron updates the list's current row.
        with qtbot.waitSignal(panel.nodeSelected, timeout=10_000):
            js(qtbot, panel.view, "(function(){var e=Array.from(document.querySelectorAll('.node-item-type'))"
                                  "[0]; e.dispatchEvent(new MouseEvent('click',{bubbles:true})); return 'ok';})()")
        panel.filter.clear()
        assert panel.list.currentIndex().data().startswith("node_linear ")
    finally:
        address = panel.view.address if panel.view else None
        panel.shutdown()
        panel.dispose()
        if address:
            from workbench.gui.netron.server import port_is_open

            assert not port_is_open(*address)


def test_graph_panel_opens_netron_when_first_shown(qtbot, tiny_onnx):
    """A hidden panel lists the nodes (read in the background) and starts Netron only when shown; a highlight
    asked for before the nodes are read, or before Netron is ready, is applied once they are."""
    from workbench.gui.panels.graph_panel import GraphPanel
    from workbench.gui.state import AppState

    state = AppState()
    panel = GraphPanel(state)
    qtbot.addWidget(panel)
    try:
        state.set_onnx(tiny_onnx)
        panel.highlight("node_relu")  # the nodes may still be being read: applied once they are
        qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=30_000)
        assert panel.view is None and panel.model.rowCount() == 3
        assert "Relu" in panel.info.toPlainText()
        panel.resize(1000, 600)
        with qtbot.waitSignal(panel.nodeSelected, timeout=1000, raising=False):
            panel.show()
        assert panel.view is not None
        qtbot.waitUntil(lambda: panel.view.is_ready, timeout=READY_MS)
        qtbot.waitUntil(lambda: json.loads(js(qtbot, panel.view, "JSON.stringify(window.__wb_selected())"))
                        == [{"name": "node_relu", "type": "Relu", "inputs": ["linear"], "outputs": ["relu"]}],
                        timeout=10_000)
        state.set_onnx("")
        assert panel.model.rowCount() == 0 and panel.view.address is None
    finally:
        panel.dispose()


SIDEBAR_JS = ("JSON.stringify({stack: window.__view__._sidebar._stack.length, "
              "opacity: document.getElementById('sidebar').style.opacity, "
              "title: document.getElementById('sidebar-title').textContent})")


def test_node_click_opens_no_netron_sidebar(qtbot, view, tiny_onnx, tmp_path):
    """Netron's "Node Properties" sidebar (full of the exporter's stack traces) stays shut on a node click; the
    click still reaches Python, and the properties the user asks for with Netron's own buttons still open."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    open_and_wait(qtbot, view, tiny_onnx)
    boxes = json.loads(js(qtbot, view, "JSON.stringify(Array.from(document.querySelectorAll('.node-item-type'))"
                                       ".map(function(e){var r=e.getBoundingClientRect();"
                                       "return {t:e.textContent, x:r.left+r.width/2, y:r.top+r.height/2};}))"))
    relu = next(b for b in boxes if b["t"].startswith("Relu"))
    with qtbot.waitSignal(view.nodeSelected, timeout=10_000) as blocker:
        QTest.mouseClick(view.focusProxy() or view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(int(relu["x"]), int(relu["y"])))
    assert blocker.args[0]["name"] == "node_relu"
    qtbot.wait(500)  # Netron's sidebar slides in over 0.2 s
    sidebar = json.loads(js(qtbot, view, SIDEBAR_JS))
    assert sidebar["stack"] == 0 and sidebar["opacity"] in ("", "0"), sidebar
    assert json.loads(js(qtbot, view, "JSON.stringify(window.__wb_selected())"))[0]["name"] == "node_relu"
    view.grab().save(str(tmp_path / "netron-after-click.png"))
    js(qtbot, view, "(function(){window.__view__.showModelProperties(); return 'ok';})()")
    qtbot.waitUntil(lambda: json.loads(js(qtbot, view, SIDEBAR_JS))["stack"] == 1, timeout=5_000)
    assert json.loads(js(qtbot, view, SIDEBAR_JS))["title"] == "Model Properties"


def test_injected_javascript_is_package_data():
    """The page's scripts are .js resources shipped with the package, not strings in Python."""
    import inspect
    from importlib.resources import files

    from workbench.gui import netron
    from workbench.gui.netron import index, loader, page, server, view

    folder = files("workbench.gui.netron")
    for name in ("prelude", "bridge", "ready"):
        text = (folder / f"{name}.js").read_text(encoding="utf-8")
        assert page.netron_js(name) == text and "try" in text
    for module in (netron, index, loader, page, server, view):
        source = inspect.getsource(module)
        for js_only in ("document.cookie", "JSON.stringify", "new QWebChannel", "showNodeProperties ="):
            assert js_only not in source, (module.__name__, js_only)


def test_details_pane_shows_the_module_and_hides_exporter_metadata(qtbot, tiny_onnx, tmp_path):
    """The dynamo exporter's namespace / pkg.torch.* stack-trace metadata never reaches the pane; the module
    path does, in one line; a key of the file's own stays."""
    import onnx

    from workbench.gui.netron.index import NodeIndex
    from workbench.gui.panels.graph_panel import GraphPanel
    from workbench.gui.state import AppState

    model = onnx.load(tiny_onnx)
    keys = {p.key for n in model.graph.node for p in n.metadata_props}
    assert {"namespace", "pkg.torch.onnx.stack_trace", "pkg.torch.onnx.name_scopes"} <= keys
    entry = model.graph.node[1].metadata_props.add()
    entry.key, entry.value = "reviewed_by", "alice"
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    details = NodeIndex(str(path)).details("node_relu")
    assert details["module"] == "1" and details["module_class"] == "ReLU"
    assert details["metadata"] == {"reviewed_by": "alice"}
    panel = GraphPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.open_model(str(path))
    qtbot.waitUntil(lambda: panel.index is not None, timeout=30_000)  # read off the GUI thread
    panel.highlight("node_relu")
    text = panel.info.toPlainText()
    assert "module ReLU: 1" in text and "reviewed_by" in text and "alice" in text
    for noise in ("pkg.torch", "namespace", "stack_trace", "File \"", "aten.relu"):
        assert noise not in text, noise
    panel.info.grab().save(str(tmp_path / "details.png"))
    panel.dispose()


def test_graph_panel_reads_the_nodes_off_the_gui_thread(qtbot, tiny_onnx, tmp_path, monkeypatch):
    """open_model returns before the file is read (onnx.load and shape inference run in a background thread);
    the list fills once it is; a file opened after another wins even when the first finishes last; a file ONNX
    cannot read shows why and opens no web view."""
    import threading
    import time

    from workbench.gui.netron import loader
    from workbench.gui.panels.graph_panel import GraphPanel
    from workbench.gui.state import AppState

    real, threads, release = loader.NodeIndex, [], threading.Event()

    def slow_index(path):
        threads.append(threading.current_thread())
        if path.endswith("slow.onnx"):
            release.wait(10)  # held until the GUI thread has run on
        return real(path)

    monkeypatch.setattr(loader, "NodeIndex", slow_index)
    panel = GraphPanel(AppState())
    qtbot.addWidget(panel)
    slow = tmp_path / "slow.onnx"
    slow.write_bytes(open(tiny_onnx, "rb").read())
    started = time.perf_counter()
    panel.open_model(str(slow))
    assert time.perf_counter() - started < 1.0 and panel.index is None and panel.model.rowCount() == 0
    qtbot.wait(50)  # the event loop runs while the file is being read
    assert panel.index is None
    release.set()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=30_000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    # a stale read never replaces the current file's nodes
    release.clear()
    panel.open_model(str(slow))
    other = tmp_path / "other.onnx"
    import onnx

    model = onnx.load(tiny_onnx)
    del model.graph.node[2:]
    model.graph.output[0].name = model.graph.node[1].output[0]
    onnx.save(model, str(other))
    panel.open_model(str(other))
    qtbot.waitUntil(lambda: panel.index is not None, timeout=30_000)
    release.set()
    qtbot.wait(300)
    assert panel.model_path == str(other) and len(panel.index) == 2 and panel.model.rowCount() == 2
    # a file that is no ONNX: its error in the placeholder, no web view started
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    panel.open_model(str(bad))
    qtbot.waitUntil(lambda: "Cannot show" in panel.placeholder.text(), timeout=30_000)
    assert panel.stack.currentWidget() is panel.placeholder and panel.view is None and panel.model.rowCount() == 0
    assert "\n" in panel.placeholder.text() and str(bad) in panel.placeholder.text()
    panel.open_model(str(other))  # a readable file again: its nodes, and no word of the failed one
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=30_000)
    assert "Cannot show" not in panel.placeholder.text()


def test_node_index_of_a_large_graph_infers_shapes_in_a_child_process(tiny_onnx, monkeypatch):
    """onnx's shape inference holds the GIL (it would stall the GUI thread beside the reading thread): from
    CHILD_INFER_NODES nodes on it runs in a child process, with the same shapes; a failing child leaves the node
    list working, its shapes unknown, and says why."""
    import subprocess

    from workbench.gui.netron import index as node_index

    in_process = node_index.NodeIndex(tiny_onnx)
    calls = []
    real_run = subprocess.run
    monkeypatch.setattr(node_index.subprocess, "run", lambda *a, **k: calls.append(a[0]) or real_run(*a, **k))
    monkeypatch.setattr(node_index.NodeIndex, "CHILD_INFER_NODES", 3)  # the tiny graph has 3 nodes
    child = node_index.NodeIndex(tiny_onnx)
    assert len(calls) == 1 and child.shape_inference == "ok"
    assert child.values == in_process.values and child.entries() == in_process.entries()
    assert child.details("node_relu") == in_process.details("node_relu")
    monkeypatch.setattr(node_index, "_INFER", "import sys; sys.exit('no shapes today')")
    failed = node_index.NodeIndex(tiny_onnx)
    assert failed.shape_inference == "failed: no shapes today" and len(failed) == 3
    assert failed.details("node_relu")["op_type"] == "Relu"
