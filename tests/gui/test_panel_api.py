"""The window's one interface to its panels (workbench.gui.panel_api): a panel inheriting WindowPanel is used as
it is; any other widget is adapted once, its own members forwarded and the missing ones answered by defaults."""

from PySide6.QtCore import QObject, Signal

from workbench.gui.panel_api import WindowPanel, window_panel


class _Bench(QObject):
    runFinished = Signal(list)
    stepStateChanged = Signal(str, str)

    def __init__(self):
        super().__init__()
        self.calls = []

    def run(self):
        self.calls.append("run")
        return "started"

    def running(self):
        return bool(self.calls)

    def spec_fields(self):
        return {"batch": 4}

    def set_model(self, path):
        self.calls.append(("model", path))


def test_a_panel_with_some_members_is_adapted_and_defaults_fill_the_rest(qtbot):
    bench = _Bench()
    api = window_panel(bench)
    assert api is not bench and isinstance(api, WindowPanel)
    assert api.running() is False and api.start() == "started" and api.running() is True
    assert api.spec_fields() == {"batch": 4} and api.recipe_sections() is None
    api.set_model("m.onnx")
    api.set_source("src")  # absent on the panel: a no-op
    api.apply_recipe({"bench": {}})
    api.set_model_available(False)
    api.set_theme("dark")
    api.shutdown()
    assert bench.calls == ["run", ("model", "m.onnx")]
    seen = []
    api.finished_signal.connect(seen.append)
    bench.runFinished.emit([1])
    assert seen == [[1]] and api.state_signal is not None and api.node_signal is None


def test_a_window_panel_is_its_own_interface_and_a_bare_widget_gets_only_defaults(qtbot):
    class Own(WindowPanel):
        def recipe_sections(self):
            return {"export": {}}

    own = Own()
    assert window_panel(own) is own and own.recipe_sections() == {"export": {}}
    bare = window_panel(QObject())
    assert bare.recipe_sections() is None and bare.spec_fields() is None and bare.start() is None
    assert bare.running() is False and bare.state_signal is None and bare.finished_signal is None


def test_the_window_uses_the_interface_for_every_panel(qtbot, window):
    assert set(window.panel_api) == set(window.navigator.steps) | {"graph"}
    assert all(isinstance(api, WindowPanel) for api in window.panel_api.values())
    window.panel_api["graph"].open_model("x.onnx")  # the stub graph panel's own method, through the adapter
    assert window.graph_panel.opened == ["x.onnx"]
