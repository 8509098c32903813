"""Load: open a checkpoint, a Hugging Face folder or an ONNX file, inspect it as a job, and show what is in it
(what the results say, the configuration rows, advice line and problems banner, is load_text.py's).
Size: what is left (~340 lines) is the panel's widgets and their one flow: the open row, the Summary / Configuration
/ Tensors views (most of the length: building and fitting three tables), opening and inspecting as a job, failure and
welcome states, drag and drop, recipe; they share the result being shown, so a further split would only pass it
around."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import first_line
from workbench.gui import commands
from workbench.gui.formatting import fit_column_to_texts, fit_table
from workbench.gui.models import (
    FastFilterProxy,
    RecordTableModel,
    TensorTableModel,
    human_bytes,
    human_count,
)
from workbench.gui.panels import load_text
from workbench.gui.panels.base import PanelBase
from workbench.gui.panels.welcome import WelcomeCard
from workbench.gui.tasks import inspect_with_rows
from workbench.gui.theme import icon


class LoadPanel(PanelBase):
    step = "load"
    error_dialog = False  # the problems banner says why a load failed; a message box on top only repeated it
    pathOpened = Signal(str)  # a file or folder the user opened and that loaded (for Recent files)

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.result = None
        self.set_header(self.tr("Load a model"),
                        self.tr("Open a checkpoint (.safetensors, .pt, .bin), a Hugging Face model folder or an "
                                "ONNX file, or drop it on the window. Only headers are read where the format "
                                "allows."))
        self.setAcceptDrops(True)
        self._build_open_row()
        self.problems = self.banner("problems")
        self.body().addWidget(self.problems)
        self.welcome = WelcomeCard(self)  # the empty state: shown until a model is loaded
        self.welcome.openFile.connect(self.choose_file)
        self.welcome.openFolder.connect(self.choose_folder)
        self.welcome.openRecent.connect(self.open_path)
        self.body().addWidget(self.welcome, 1)
        self._build_results()
        row = self.make_action_row(self.tr("Inspect"), "load")
        self.run_button.clicked.connect(lambda: self.open_path(self.path_edit.text()))
        self.body().addLayout(row)
        self.state.sourceChanged.connect(self._source_changed)

    # -- layout ----------------------------------------------------------------------------------------------
    def _build_open_row(self) -> None:
        row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText(self.tr("Path of a checkpoint, model folder or .onnx file"))
        self.path_edit.returnPressed.connect(lambda: self.open_path(self.path_edit.text()))
        self.open_file_button = QPushButton(icon("file"), self.tr("Open file…"), self)
        self.open_file_button.clicked.connect(self.choose_file)
        self.open_folder_button = QPushButton(icon("folder"), self.tr("Open folder…"), self)
        self.open_folder_button.clicked.connect(self.choose_folder)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.open_file_button)
        row.addWidget(self.open_folder_button)
        self.body().addLayout(row)

    def _build_results(self) -> None:
        splitter = QSplitter(Qt.Horizontal, self)
        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        summary = QGroupBox(self.tr("Summary"), left)
        form = QFormLayout(summary)
        self.format_label, self.params_label, self.size_label, self.dtype_label, self.count_label = (
            QLabel("—", summary) for _ in range(5))
        self.advice_label = QLabel("—", summary)  # `workbench advise`: the GGUF type that fits this machine
        for label in (self.format_label, self.params_label, self.size_label, self.dtype_label, self.count_label,
                      self.advice_label):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            label.setWordWrap(True)
        form.addRow(self.tr("Format:"), self.format_label)
        form.addRow(self.tr("Parameters:"), self.params_label)
        form.addRow(self.tr("Size:"), self.size_label)
        form.addRow(self.tr("By dtype:"), self.dtype_label)
        form.addRow(self.tr("Tensors:"), self.count_label)
        form.addRow(self.tr("GGUF advice:"), self.advice_label)
        left_layout.addWidget(summary)
        config_box = QGroupBox(self.tr("Configuration"), left)
        config_layout = QVBoxLayout(config_box)
        self.config_model = RecordTableModel([self.tr("Key"), self.tr("Value")], self)
        self.config_view = self._table(self.config_model, config_box)
        for column in (0, 1):  # halves of the pane, whatever its width (a fixed 150 px key left "Va" of Value)
            self.config_view.horizontalHeader().setSectionResizeMode(column, QHeaderView.Stretch)
        fit_table(self.config_view)  # long keys and values end in "…"; the tooltip has them whole
        config_layout.addWidget(self.config_view)
        left_layout.addWidget(config_box, 1)

        right = QGroupBox(self.tr("Tensors"), splitter)
        right_layout = QVBoxLayout(right)
        self.filter_edit = QLineEdit(right)
        self.filter_edit.setPlaceholderText(self.tr("Filter by name (words, or /regex/)"))
        self.filter_edit.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.tensor_model = TensorTableModel(self)
        self.tensor_model.set_headers([self.tr("Name"), self.tr("Dtype"), self.tr("Shape"), self.tr("Elements"),
                                       self.tr("Size")])
        self.tensor_proxy = FastFilterProxy(self)
        self.tensor_proxy.setSourceModel(self.tensor_model)
        self.tensor_view = self._table(self.tensor_proxy, right)
        self.tensor_view.setSortingEnabled(True)
        self.tensor_view.sortByColumn(-1, Qt.AscendingOrder)
        fit_table(self.tensor_view)  # a long name ends in "…" (whole in its tooltip); shapes and counts never cut
        header = self.tensor_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for col, width in zip(range(1, 5), (66, 72, 76, 76)):  # until a model is shown: then fitted to it
            header.setSectionResizeMode(col, QHeaderView.Interactive)
            header.resizeSection(col, width)
        self.shown_label = QLabel(right)
        right_layout.addWidget(self.filter_edit)
        right_layout.addWidget(self.tensor_view, 1)
        right_layout.addWidget(self.shown_label)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([290, 700])
        self.body().addWidget(splitter, 1)
        self.results_splitter = splitter
        splitter.setVisible(False)  # the welcome card stands in for the empty tables

    def _fit_tensor_columns(self, rows) -> None:
        """Dtype, shape, elements and size columns as wide as their widest value: never cut (the name gives way)."""
        view = self.tensor_view
        fit_column_to_texts(view, 1, (r[1] for r in rows))
        fit_column_to_texts(view, 2, (r[2] for r in rows))
        fit_column_to_texts(view, 3, [f"{max((r[3] for r in rows), default=0):,}"])
        fit_column_to_texts(view, 4, {human_bytes(r[4]) for r in rows})

    def _table(self, model, parent) -> QTableView:
        view = QTableView(parent)
        view.setModel(model)
        view.setAlternatingRowColors(True)
        view.setSelectionBehavior(QAbstractItemView.SelectRows)
        view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(22)
        view.horizontalHeader().setStretchLastSection(True)
        view.setWordWrap(False)
        return view

    # -- opening ---------------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a model file"), self._start_dir(),
            self.tr("Models (*.safetensors *.pt *.pth *.bin *.pt2 *.onnx *.ckpt);;All files (*)"))
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Open a model folder"), self._start_dir())
        if path:
            self.open_path(path)

    def _start_dir(self) -> str:
        current = self.path_edit.text().strip()
        return str(Path(current).parent) if current else str(Path.home())

    def open_path(self, path: str):
        """Make ``path`` the current model and inspect it."""
        path = str(path or "").strip()
        if not path:
            return None
        self.path_edit.setText(path)
        self.clear_results()
        reset = getattr(self.state, "reset_model", None)
        if callable(reset):
            reset()
        if path.lower().endswith(".onnx"):
            self.state.set_onnx(path)
        else:
            self.state.set_source(path)
        job = self.inspect(path)
        if job is not None:  # Recent files gets only what loaded: a failed load is no recent file
            job.succeeded.connect(lambda _result, p=path: self.pathOpened.emit(p))
        return job

    def inspect(self, path: str):
        path = str(path or "").strip()
        if not path:
            return None
        job = self.start_job(self.tr("Inspect {0}").format(Path(path).name), inspect_with_rows, path,
                             process=False, on_success=self.show_result)
        if job is not None:
            job.failed.connect(self.load_failed)
        return job

    def artifact_exists(self) -> bool:  # loading writes nothing: a failed load is never shown as done
        return False

    def load_failed(self, message: str) -> None:
        """The file could not be read: it is not the current model, nothing of the previous one stays shown,
        and the banner says why in one line (the traceback is behind the job's Details… in the Jobs dock)."""
        first = first_line(message, None)
        path = self.path_edit.text().strip()
        self.clear_results()
        self._failure = (path, first)
        self._show_failure()
        self.problems.setObjectName("problems")
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        self.problems.show()
        fail = getattr(self.state, "fail_load", None)
        if callable(fail):
            fail(first)

    def _show_failure(self) -> None:
        from workbench.gui.i18n.engine import translate as engine_text

        path, first = self._failure
        first = engine_text(first)  # matched with its path, then the path (shown above) left out
        reason = next((first[len(path) + len(sep):] for sep in (": ", "：") if path and first.startswith(path + sep)),
                      first)
        self.problems.setText(self.tr("<b>Could not load {0}:</b> {1}").format(
            load_text.escape(Path(path).name if path else self.tr("this model")), load_text.escape(reason)))

    def retranslate(self) -> None:
        """A live language switch: the texts, and the problems banner written again from the result."""
        super().retranslate()
        if self.result is not None:
            self._show_problems(self.result.problems, getattr(self.result, "notes", []))
            self._show_advice(self.result)
        elif getattr(self, "_failure", None) and self.problems.isVisibleTo(self):
            self._show_failure()

    def clear_results(self) -> None:
        """Empty the summary, configuration and tensor tables and hide the banner."""
        self.result = None
        self._failure = None
        self.tensor_model.set_rows([])
        self.config_model.set_rows([])
        for label in (self.format_label, self.params_label, self.size_label, self.dtype_label, self.count_label,
                      self.advice_label):
            label.setText("—")
        self.problems.hide()
        self._apply_filter()
        self.show_welcome(True)

    def _source_changed(self, path: str) -> None:
        if path and self.path_edit.text().strip() != path:
            self.path_edit.setText(path)

    # -- results ---------------------------------------------------------------------------------------------
    def show_welcome(self, on: bool) -> None:
        """The welcome card while no model is loaded, the Summary and Tensors tables once one is."""
        self.welcome.setVisible(on)
        self.results_splitter.setVisible(not on)

    def show_result(self, payload) -> None:
        result, rows = payload
        self.result = result
        self.show_welcome(False)
        self.tensor_model.set_rows(rows)
        self._fit_tensor_columns(rows)
        self._apply_filter()
        self.format_label.setText(result.format)
        self.params_label.setText(human_count(result.parameters) if result.parameters else "—")
        self.size_label.setText(human_bytes(result.total_bytes or result.initializer_bytes) or "—")
        by_dtype = sorted(result.bytes_by_dtype.items(), key=lambda kv: -kv[1])
        # one dtype's size never breaks over two lines: only the separators between dtypes may wrap
        self.dtype_label.setText(", ".join(f"{k}: {human_bytes(v)}".replace(" ", "\u00a0") for k, v in by_dtype)
                                 or "—")
        self.count_label.setText(f"{len(rows):,}")
        self.config_model.set_rows(load_text.config_rows(result))
        self._show_problems(result.problems, getattr(result, "notes", []))
        self._show_advice(result)
        self.state.set_inspect(result)

    def _show_advice(self, result) -> None:
        text, tooltip = load_text.advice(result)
        self.advice_label.setText(text)
        self.advice_label.setToolTip(tooltip)

    def _show_problems(self, problems, notes=()) -> None:
        html, name = load_text.problems_html(problems, notes)
        self.problems.setText(html)
        self.problems.setObjectName(name)
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        self.problems.show()

    def _apply_filter(self) -> None:
        self.tensor_proxy.set_filter_text(self.filter_edit.text())
        self.shown_label.setText(self.tr("{0} of {1} tensors shown").format(
            f"{self.tensor_proxy.rowCount():,}", f"{self.tensor_model.total_rows():,}"))

    # -- drag and drop ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])
            event.acceptProposedAction()

    # -- CLI / recipe ----------------------------------------------------------------------------------------
    def cli_command(self) -> str:
        path = self.path_edit.text().strip() or self.state.source_path
        if not path:
            raise ValueError(self.tr("Open a model first."))
        return commands.inspect_command(path)

    def recipe_sections(self) -> dict:
        return {"source": {"path": self.state.source_path}} if self.state.source_path else {}

    def apply_recipe(self, recipe: dict) -> None:
        path = (recipe.get("source") or {}).get("path")
        if path:
            self.path_edit.setText(path)

