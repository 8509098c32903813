"""GUI test set-up: headless Qt (set before PySide6 is imported), isolated settings, and shared fixtures."""

import os
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# QSettings of the tests go to a private folder, never the user's real settings.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="workbench-gui-settings-")

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

try:  # QtWebEngine has to be imported before the QApplication exists
    import PySide6.QtWebEngineWidgets  # noqa: F401,E402
    from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402

    QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
except ImportError:  # pragma: no cover - WebEngine is optional
    pass

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from gui_helpers import StubBenchPanel, StubGraphPanel, delete_now, wait_job  # noqa: E402


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def qapp_args():
    return ["workbench-gui-tests"]


@pytest.fixture(autouse=True)
def _no_modal_boxes(monkeypatch):
    """A test must never block on a dialog: QMessageBox.question says Yes, file dialogs are cancelled."""
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Yes))
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))


@pytest.fixture
def state(qtbot):
    from workbench.gui.state import AppState
    from workbench.gui.workers import JobManager

    jobs = JobManager()
    st = AppState(jobs)
    yield st
    jobs.shutdown(timeout_s=20)


@pytest.fixture
def window(qtbot):
    """The main window with stub graph and bench panels; closed (jobs cancelled) at the end."""
    from workbench.gui import theme
    from workbench.gui.main_window import MainWindow

    theme.apply_theme("light")
    win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
    win.show()
    yield win
    win.close()
    delete_now(win)


@pytest.fixture(scope="session")
def llama_dir(tiny_models):
    """The tiny Llama folder (vocab 128, hidden 32, 2 layers, 4 heads, 2 kv heads, intermediate 64)."""
    return tiny_models("llama")


_cache: dict = {}


@pytest.fixture
def exported_onnx(qtbot, state, llama_dir, tmp_path_factory):
    """The tiny Llama exported through the Export panel (a child-process job), once per session."""
    if "onnx" not in _cache:
        from workbench.gui import workers
        from workbench.gui.panels.export_panel import ExportPanel

        state.set_source(str(llama_dir))
        panel = ExportPanel(state)
        qtbot.addWidget(panel)
        out = tmp_path_factory.mktemp("gui-export") / "model.onnx"
        panel.output_edit.setText(str(out))
        job = panel.export()
        assert job.kind == "process"
        assert wait_job(qtbot, job, 300) == workers.DONE, job.error
        assert state.onnx_path == job.result.path
        _cache["onnx"] = job.result.path
    return _cache["onnx"]
