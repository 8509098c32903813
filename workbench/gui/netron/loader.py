"""A node index read off the GUI thread: ``onnx.load`` and shape inference take seconds on a large model, which
would freeze the window. Qt core only (no QtWebEngine), so the Graph panel can use it before any web view exists.
"""

from __future__ import annotations

import threading
from typing import Optional

from PySide6.QtCore import QObject, Signal

from workbench.gui.netron.index import NodeIndex


class IndexLoader(QObject):
    """Reads a :class:`NodeIndex` in a background thread (``onnx.load`` and shape inference take seconds on a
    large model, which would freeze the window); ``loaded(ticket, index, error)`` arrives on the GUI thread.
    Only the latest ``load``'s ticket counts: compare it with :attr:`ticket` (an older file's index is stale)."""

    loaded = Signal(int, object, str)  # ticket, NodeIndex or None, the error's first line ("" when read)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.ticket = 0

    def load(self, path: str) -> int:
        """Start reading ``path``; the ticket its ``loaded`` will carry."""
        self.invalidate()
        threading.Thread(target=self._read, args=(self.ticket, str(path)), name="node-index", daemon=True).start()
        return self.ticket

    def invalidate(self) -> int:
        """Make every read in flight stale (its result is for a file no longer shown); the new ticket."""
        self.ticket += 1
        return self.ticket

    def _read(self, ticket: int, path: str) -> None:
        from workbench.core.errors import first_line

        try:
            index, error = NodeIndex(path), ""
        except Exception as err:  # noqa: BLE001 - any reader failure is shown, in one line, by the receiver
            index, error = None, first_line(err)
        try:
            self.loaded.emit(ticket, index, error)  # queued to the loader's (GUI) thread
        except RuntimeError:  # the loader was deleted meanwhile: nobody is waiting for this file any more
            pass
