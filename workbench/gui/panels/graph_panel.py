"""Graph panel: the ONNX graph in Netron beside a searchable node list and the selected node's details.

Selecting a node anywhere (the list, Netron, :meth:`GraphPanel.highlight`) shows its op type, attributes, inputs and
outputs with shapes, and, when the current validation compared one of its outputs, the difference against PyTorch.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (QLabel, QLineEdit, QListView, QSplitter, QStackedWidget, QTextBrowser, QVBoxLayout,
                               QWidget)

from workbench.core.errors import first_line
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.models import NodeListModel
from workbench.gui.netron.loader import IndexLoader
from workbench.gui.i18n import Retranslating
from workbench.gui.panels import node_details

KEY_ROLE = NodeListModel.KEY_ROLE


class GraphPanel(Retranslating, QWidget):
    """Netron view + node list + details. Follows ``state.onnxChanged``; the web view is created on first use."""

    nodeSelected = Signal(dict)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.view = None  # NetronView, created by the first open_model
        self.details: Optional[dict] = None
        self.index = None  # NodeIndex of the current model
        self.model_path = ""
        self._view_pending = False
        self._pending_highlight: Optional[str] = None
        self._syncing = False
        self._indexer = IndexLoader(self)  # the node index is read off the GUI thread
        self._indexer.loaded.connect(self._index_loaded)
        self._build()
        state.onnxChanged.connect(self._on_onnx_changed)
        state.validationChanged.connect(self._validation_changed)
        if getattr(state, "onnx_path", ""):
            self.open_model(state.onnx_path)

    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.placeholder = QLabel(self.tr("No ONNX model yet: export or open one to see its graph."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.placeholder)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter nodes by name or op type"))
        self.filter.setClearButtonEnabled(True)
        self.model = NodeListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self._on_filter)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setUniformItemSizes(True)  # fast with thousands of nodes
        self.list.selectionModel().currentChanged.connect(self._on_list_current)
        self.count_label = QLabel("")
        self.info = QTextBrowser()
        self.info.setOpenExternalLinks(False)
        self.info.setPlaceholderText(self.tr("Select a node in the graph or the list."))
        side = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.filter)
        top_layout.addWidget(self.list)
        top_layout.addWidget(self.count_label)
        side.addWidget(top)
        side.addWidget(self.info)
        side.setSizes([300, 300])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([900, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)


    def retranslate(self) -> None:
        """Texts in the installed language, in place: the model, its node list and the selection stay."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)
        suffix = i18n.live_text(getattr(self, "_count_suffix", "")) if self.model_path else ""
        if self.model_path:
            self._update_count(suffix)
        if self.details:
            self._show_details(self.details)

    # -- public API ------------------------------------------------------------------------------------------------
    def open_model(self, path: str) -> None:
        """Read the nodes of ``path`` in the background (``onnx.load`` and shape inference take seconds on a large
        model); then list them and show the file in Netron (at once when visible, else when first shown: a hidden
        web view does not render, and QtWebEngine need not start before anyone looks at a graph). A highlight
        asked for meanwhile is applied once the nodes are known."""
        self.index, self.model_path, self.details, self._view_pending = None, str(path), None, False
        self.info.clear()
        self.model.clear()
        self.count_label.setText("")
        self._indexer.load(self.model_path)
        if self.isVisible():
            self._ensure_view()  # shown: the web view starts now, beside the read; it opens the file once read

    def _index_loaded(self, ticket: int, index, error: str) -> None:
        if ticket != self._indexer.ticket:  # a file opened before the current one
            return
        if index is None:
            self._cannot_show(self.model_path, error)
            return
        self.index = index
        self._fill_list()
        self.placeholder.setText(self.tr("No ONNX model yet: export or open one to see its graph."))  # not an
        # earlier file's "Cannot show" (the view replaces the placeholder once shown)
        if self.isVisible():
            try:
                self._open_view()
            except Exception as err:  # noqa: BLE001 - a file Netron cannot serve must not break the window
                self._cannot_show(self.model_path, first_line(err))
                return
        else:
            self._view_pending = True
            self._update_count(self.tr(" · the graph opens when shown"))
        if self._pending_highlight and index.details(self._pending_highlight) is not None:
            name, self._pending_highlight = self._pending_highlight, None
            self.highlight(name)

    def _cannot_show(self, path: str, first: str) -> None:
        self.model.clear()
        if self.view is not None:
            self.view.shutdown()
        self.placeholder.setText(self.tr("Cannot show {0}:\n{1}").format(path, engine_text(first)))
        self.stack.setCurrentWidget(self.placeholder)

    def _open_view(self) -> None:
        self._view_pending = False
        view = self._ensure_view()
        view.open_model(self.model_path, self.index)
        self.stack.setCurrentWidget(view)
        self._update_count(self.tr(" · loading graph…"))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._view_pending and self.model_path:
            self._open_view()

    def highlight(self, node_name: str) -> None:
        """Select ``node_name`` in Netron (scrolling to it), in the list, and show its details (once the nodes are
        read, when they are still being read)."""
        if self.index is None:
            if self.model_path:
                self._pending_highlight = node_name
            return
        details = self.index.details(node_name)
        if details is None:
            return
        self._select_in_list(node_name)
        self._show_details(details)
        if self.view is not None and self.view.is_ready:
            self.view.select_node(node_name)
        else:
            self._pending_highlight = node_name
        self.nodeSelected.emit(details)

    def shutdown(self) -> None:
        """Stop Netron's server (call before the window closes); the next open_model starts a new one."""
        if self.view is not None:
            self.view.shutdown()

    def dispose(self) -> None:
        """Stop the server and delete the web view now (QtWebEngine wants its pages gone before their profiles,
        and a deferred deletion may never run at exit); a later open_model creates a new view."""
        view, self.view = self.view, None
        if view is None:
            return
        import shiboken6

        view.shutdown()
        self.stack.setCurrentWidget(self.placeholder)
        self.stack.removeWidget(view)
        shiboken6.delete(view)

    # -- internals -------------------------------------------------------------------------------------------------
    def _ensure_view(self):
        if self.view is None:
            from workbench.gui.netron.view import NetronView

            self.view = NetronView()
            self.view.ready.connect(self._on_ready)
            self.view.loadFailed.connect(lambda msg: self.count_label.setText(f"Netron: {msg}"))
            self.view.nodeSelected.connect(self._on_netron_selected)
            self.stack.addWidget(self.view)
        return self.view

    def _on_onnx_changed(self, path: str) -> None:
        if path:
            self.open_model(path)  # a file ONNX cannot read shows why in the placeholder (_index_loaded)
            return
        self._indexer.invalidate()  # a read still in flight is for a file no longer shown
        self._pending_highlight = None
        if self.view is not None:
            self.view.shutdown()
        self.index, self.model_path, self._view_pending = None, "", False
        self.model.clear()
        self.info.clear()
        self.count_label.setText("")
        self.stack.setCurrentWidget(self.placeholder)

    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_count()

    def _update_count(self, suffix: str = "") -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        text = self.tr("{0} nodes").format(total) if shown == total else \
            self.tr("{0} of {1} nodes").format(shown, total)
        self._count_suffix = suffix
        self.count_label.setText(text + suffix)

    def _on_ready(self) -> None:
        self._update_count()
        if self._pending_highlight:
            name, self._pending_highlight = self._pending_highlight, None
            self.view.select_node(name)

    def _fill_list(self) -> None:
        self.model.set_entries(self.index.entries())

    def _select_in_list(self, key: str) -> None:
        row = self.model.row_of(key)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self._syncing = True
            try:
                self.list.setCurrentIndex(index)
                self.list.scrollTo(index)
            finally:
                self._syncing = False

    def _on_list_current(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        self.highlight(current.data(KEY_ROLE))

    def _on_netron_selected(self, details: dict) -> None:
        self._select_in_list(details.get("name", ""))
        self._show_details(details)
        self.nodeSelected.emit(details)

    # -- details ---------------------------------------------------------------------------------------------------
    def validation_for(self, details: dict) -> list:
        """The validation's OutputDiffs of this node's outputs (matched by tensor name)."""
        return node_details.validation_for(details, getattr(self.state, "validation", None))

    def _validation_changed(self, result) -> None:
        """A validation with ``--locate``'s first divergence selects that node; otherwise the details refresh."""
        node = (getattr(result, "divergence", None) or {}).get("node")
        if node and self.index is None and self.model_path:
            self.highlight(node)  # applied once the nodes are read
        elif node and self.index is not None and self.index.details(node) is not None:
            self.highlight(node)
        else:
            self._show_details(self.details)

    def _show_details(self, details: Optional[dict]) -> None:
        self.details = details
        if not details:
            self.info.clear()
            return
        self.info.setHtml(self.details_html(details))

    def details_html(self, d: dict) -> str:
        return node_details.details_html(d, getattr(self.state, "validation", None))
