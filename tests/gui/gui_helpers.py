"""Helpers the GUI tests import by name (a module of its own: every conftest.py is the module `conftest`,
so `from conftest import ...` would get whichever folder's conftest pytest loaded last)."""

from PySide6.QtWidgets import QWidget


class StubGraphPanel(QWidget):
    """Stands in for the Netron graph view where a test does not look at the graph (no Chromium start)."""

    from PySide6.QtCore import Signal

    nodeSelected = Signal(dict)

    def __init__(self, api_state, parent=None):
        super().__init__(parent)
        self.opened: list = []
        self.highlighted: list = []
        self.shut = False

    def open_model(self, path: str) -> None:
        self.opened.append(path)

    def highlight(self, node_name: str) -> None:
        self.highlighted.append(node_name)

    def shutdown(self) -> None:
        self.shut = True


class StubBenchPanel(QWidget):
    def __init__(self, api_state, parent=None):
        super().__init__(parent)
        self.model = self.source = ""

    def set_model(self, path: str) -> None:
        self.model = path

    def set_source(self, path: str) -> None:
        self.source = path


def delete_now(widget):
    """Destroy a closed window now, so later tests do not restyle and repaint dead windows."""
    from PySide6.QtCore import QCoreApplication, QEvent

    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def wait_job(qtbot, job, timeout_s: float = 180):
    """Wait until a job ended; returns its state."""
    qtbot.waitUntil(lambda: not job.is_running, timeout=int(timeout_s * 1000))
    job.wait(10000)
    return job.state
