"""Chat: type a prompt and watch PyTorch, ONNX Runtime and each quantized variant answer token by token, side by
side, with tokens/s and time to first token under each answer and, for greedy answers, whether ONNX Runtime picks
the same tokens as PyTorch.

The answers come from one thread job (:func:`workbench.gui.tasks.chat_stream`): the columns run one after the other
so that each one's speed is measured alone; models load in that thread; tokens arrive through ``Job.samples`` in
batches (at most 20 a second). Stop cancels the job between two tokens.

Why one module of ~600 lines: one panel whose columns, prompt box, settings and streaming state change
together; to be split (columns / settings) when the GUI is not being edited by others.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.export.seq2seq_check import is_export as is_seq2seq_export
from workbench.core.generate import agreement
from workbench.core.specs import ExportSpec, ModelSource
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.panels.base import DONE, FAILED, IDLE, RUNNING, PanelBase, PathEdit, show_error
from workbench.gui.tasks import chat_stream, run_export
from workbench.gui.theme import icon, primary_icon
from workbench.gui.workers import DONE as JOB_DONE

TASK = "text-generation-with-past"
TORCH, ORT = "pytorch", "onnx"
COLUMN_WIDTH = 260  # an answer column's least width; the columns stack into rows when the view is narrower


def find_variants(folder: str) -> list:
    """The other .onnx files of a decoder folder (quantized variants), sorted."""
    path = Path(folder or "").expanduser()
    if not path.is_dir() or is_seq2seq_export(path):  # an encoder-decoder's two files are one model
        return []
    return sorted(str(p) for p in path.glob("*.onnx") if p.name != "model.onnx")


def runtime_status(path: str) -> tuple:
    """(runtime name, "", "") for an artifact a registered runtime generates from (a .gguf: llama.cpp), or ("", the
    reason in a few words, the engine's whole line) where its runtime's library is missing or it does not generate;
    (None, "", "") for ONNX decoders."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.registry import default_registry
    from workbench.core.runtimes import stream

    if not stream.handles(path):
        return None, "", ""
    try:
        return stream.generating_runtime(path).name, "", ""
    except WorkbenchError as err:
        runtime = next((r for r in default_registry().runtimes_for(path) if r.name != "torch"), None)
        name = runtime.name if runtime is not None else "?"
        short = (QCoreApplication.translate("ChatPanel", "{0} does not generate text").format(name)
                 if runtime is not None and not runtime.generates else
                 QCoreApplication.translate("ChatPanel", "{0} is not installed here").format(name))
        return "", short, str(err)


def _restyle(label: QLabel, name: str) -> None:
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)


class AnswerColumn(QFrame):
    """One engine's answer: its name, the text as it streams, and the numbers under it."""

    def __init__(self, key: str, title: str, model: str, parent=None):
        super().__init__(parent)
        self.key, self.model = key, model
        self.setObjectName("chatColumn")
        self.setMinimumWidth(COLUMN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        self.title = QLabel(title, self)
        self.title.setObjectName("chatEngine")
        self.title.setToolTip(model)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMinimumHeight(60)
        # no word wrap under the answer (a wrapped label makes the scroll area size the columns by height-for-width
        # instead of filling the view); long lines are cut, the whole line is in the tooltip and the error banner
        self.status, self.stats, self.agree = (QLabel(self), QLabel(self), QLabel(self))
        for label in (self.status, self.stats, self.agree):
            label.setObjectName("chatStats")
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        for widget in (self.title, self.text, self.status, self.stats, self.agree):
            layout.addWidget(widget, 1 if widget is self.text else 0)
        self.reset()

    def reset(self) -> None:
        self.tokens: list = []
        self.latencies: list = []
        self.finished = False
        self.error = ""
        self.text.clear()
        _restyle(self.status, "chatStats")
        self.status.setText(self.tr("waiting"))
        self.stats.setText(self.tr("tokens/s: –   first token: –"))
        self.agree.clear()
        self.status.setToolTip("")

    def tokens_per_s(self) -> float:
        seconds = sum(self.latencies) / 1000.0
        return len(self.tokens) / seconds if seconds > 0 else 0.0

    def add_text(self, text: str) -> None:
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.End)
        cursor.insertText(text)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def show_numbers(self) -> None:
        ttft = self.latencies[0] if self.latencies else None
        self.stats.setText(self.tr("tokens/s: {0:.1f}   first token: {1}   tokens: {2}").format(
            self.tokens_per_s(), f"{ttft:.0f} ms" if ttft is not None else "–", len(self.tokens)))

    def show_agreement(self, reference, final: bool) -> None:
        """Compare the tokens so far with PyTorch's (``reference``: None when there is nothing to compare)."""
        if reference is None or not self.tokens:
            return
        if final:
            result = agreement(self.tokens, reference)
        else:  # while streaming, only the positions both have
            n = min(len(self.tokens), len(reference))
            result = agreement(self.tokens[:n], reference[:n])
        first = result["first_divergence"]
        if first is None:
            _restyle(self.agree, "chatAgreeOk")
            self.agree.setText(self.tr("✓ same tokens as PyTorch ({0} of {0})").format(len(self.tokens)))
        else:
            _restyle(self.agree, "chatAgreeBad")
            self.agree.setText(self.tr("✗ differs at token {0} ({1:.0%} same as PyTorch)").format(
                first + 1, result["rate"]))
        self.agree.setToolTip(self.agree.text())


class ChatPanel(PanelBase):
    step = "chat"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.columns: dict = {}
        self.extra_variants: list = []
        self.reference = None  # PyTorch's greedy tokens of the current answer
        self.greedy = True
        self.export_job = None
        self.set_header(self.tr("Chat"),
                        self.tr("Ask the model something and watch PyTorch, ONNX Runtime and every quantized variant "
                                "answer token by token, side by side. Under each answer: its speed, and whether it "
                                "picks the same tokens as PyTorch."))
        self.body().addWidget(self._models_box())
        self.body().addWidget(self._prompt_box())
        self.error_banner = self.banner("failBanner")
        self.body().addWidget(self.error_banner)
        self.answers = QWidget(self)
        # a grid, reflowed to the view's width (issue 17: side by side, three columns needed ~922 px and the page
        # scrolled sideways at 1280x720); the view scrolls down when the columns stack
        self.answers_layout = QGridLayout(self.answers)
        self.answers_layout.setContentsMargins(0, 0, 0, 0)
        self.answers_layout.setSpacing(8)
        self._per_row = 0
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.answers)
        self.scroll.viewport().installEventFilter(self)
        self.body().addWidget(self.scroll, 1)
        self.state.sourceChanged.connect(self._source_changed)
        self.state.onnxChanged.connect(self._onnx_changed)
        self.state.variantsChanged.connect(self._refresh_variants)
        self._source_changed(self.state.source_path)
        self._onnx_changed(self.state.onnx_path)
        self._refresh_variants()  # the variants already there (e.g. a GGUF exported before this panel was built)

    # -- construction ------------------------------------------------------------------------------------------
    def _models_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Who answers"), self)
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.decoder_edit = PathEdit("folder", "", box)
        self.decoder_edit.edit.setPlaceholderText(
            self.tr("a folder written by Export for chat (model.onnx with past key values, plus the tokenizer)"))
        self.decoder_edit.edit.editingFinished.connect(self._decoder_changed)
        self.decoder_edit.edit.textChanged.connect(lambda _t: self._refresh_variants())
        self.export_button = QPushButton(icon("export"), self.tr("Export for chat"), box)
        self.export_button.setToolTip(self.tr("Export the loaded PyTorch model as a decoder with past key values "
                                              "(task text-generation-with-past) into the output folder"))
        self.export_button.clicked.connect(self.export_decoder)
        row.addWidget(self.decoder_edit, 1)
        row.addWidget(self.export_button)
        form.addRow(self.tr("ONNX decoder folder:"), row)
        torch_row = QHBoxLayout()
        self.torch_check = QCheckBox(self.tr("Also answer with PyTorch from"), box)
        self.torch_check.setChecked(True)
        self.torch_label = QLabel(box)
        self.torch_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        torch_row.addWidget(self.torch_check)
        torch_row.addWidget(self.torch_label, 1)
        form.addRow(self.tr("PyTorch:"), torch_row)
        variant_row = QHBoxLayout()
        self.variant_list = QListWidget(box)
        self.variant_list.setMaximumHeight(46)
        self.variant_list.itemChanged.connect(lambda _i: self._rebuild_columns())
        self.add_variant_button = QPushButton(self.tr("Add variant…"), box)
        self.add_variant_button.clicked.connect(lambda: self.add_variant())
        variant_row.addWidget(self.variant_list, 1)
        variant_row.addWidget(self.add_variant_button, 0, Qt.AlignTop)
        form.addRow(self.tr("Quantized variants:"), variant_row)
        self.torch_check.toggled.connect(lambda _c: self._rebuild_columns())
        return box

    def _prompt_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Prompt"), self)
        layout = QVBoxLayout(box)
        self.prompt_edit = QPlainTextEdit(box)
        self.prompt_edit.setPlaceholderText(self.tr("Type a prompt, then Ctrl+Enter or Send"))
        self.prompt_edit.setMaximumHeight(58)
        self.prompt_edit.installEventFilter(self)
        layout.addWidget(self.prompt_edit)
        self.mode_label = QLabel(self.tr("Encoder-decoder model (translation, summary): single turn, the text above "
                                         "is its input and each column shows its output; no chat template"), box)
        self.mode_label.setObjectName("panelHint")
        self.mode_label.setWordWrap(True)  # unwrapped, this one line made the panel 1112 px wide when shown
        self.mode_label.setVisible(False)
        layout.addWidget(self.mode_label)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Max new tokens:"), box))
        self.max_tokens_spin = QSpinBox(box)
        self.max_tokens_spin.setRange(1, 2048)
        self.max_tokens_spin.setValue(48)
        row.addWidget(self.max_tokens_spin)
        row.addSpacing(12)
        self.mode_combo = QComboBox(box)
        self.mode_combo.addItem(self.tr("Greedy (most likely token)"), "greedy")
        self.mode_combo.addItem(self.tr("Sampling"), "sample")
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        row.addWidget(self.mode_combo)
        self.temperature_label = QLabel(self.tr("Temperature:"), box)
        self.temperature_spin = QDoubleSpinBox(box)
        self.temperature_spin.setRange(0.05, 5.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setValue(0.8)
        self.seed_label = QLabel(self.tr("Seed:"), box)
        self.seed_spin = QSpinBox(box)
        self.seed_spin.setRange(0, 2**31 - 1)
        row.addStretch(1)
        sampling_row = QHBoxLayout()  # its own row: on one line with Send the prompt box needed 1084 px (issue 17)
        for widget in (self.temperature_label, self.temperature_spin, self.seed_label, self.seed_spin):
            sampling_row.addWidget(widget)
        sampling_row.addStretch(1)
        self.send_button = QPushButton(primary_icon("run"), self.tr("Send"), box)
        self.send_button.setObjectName("primary")
        self.send_button.setMinimumWidth(110)
        self.send_button.setToolTip(self.tr("Ctrl+Enter"))
        self.send_button.clicked.connect(lambda: self.send())
        self.stop_button = QPushButton(icon("cancel"), self.tr("Stop"), box)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.send_button)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        layout.addLayout(sampling_row)
        self._mode_changed()
        return box

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if obj is self.scroll.viewport() and event.type() == QEvent.Resize:
            self._reflow()
        if (obj is self.prompt_edit and event.type() == QEvent.KeyPress
                and event.key() in (Qt.Key_Return, Qt.Key_Enter) and event.modifiers() & Qt.ControlModifier):
            self.send()
            return True
        return super().eventFilter(obj, event)

    # -- state ---------------------------------------------------------------------------------------------------
    def _source_changed(self, path: str) -> None:
        self.torch_label.setText(path or self.tr("(no model loaded)"))
        self.torch_check.setEnabled(bool(path))
        self.export_button.setEnabled(bool(path) and not self._export_running())
        if path and not self.decoder_edit.text():
            candidate = Path(self.state.default_output_dir()) / "chat-decoder"
            if (candidate / "model.onnx").is_file() or is_seq2seq_export(candidate):
                self.decoder_edit.setText(str(candidate))
        self._rebuild_columns()

    def _onnx_changed(self, path: str) -> None:
        """An ONNX model that is a decoder (its folder holds model.onnx and a config) fills the folder box."""
        if not path or self.decoder_edit.text():
            return
        folder = Path(path).parent
        if (Path(path).name == "model.onnx" and (folder / "config.json").is_file()) or is_seq2seq_export(path):
            self.decoder_edit.setText(str(folder))
            self._decoder_changed()

    def _decoder_changed(self) -> None:
        self._refresh_variants()

    def is_seq2seq(self) -> bool:
        """The folder is an encoder-decoder export: single-turn input -> output (the same engine call)."""
        return bool(self.decoder_edit.text()) and is_seq2seq_export(self.decoder_edit.text())

    def _refresh_variants(self) -> None:
        folder = self.decoder_edit.text()
        seq2seq = self.is_seq2seq()
        self.mode_label.setVisible(seq2seq)
        self.prompt_edit.setPlaceholderText(self.tr("Text to translate or summarise, then Ctrl+Enter or Send")
                                            if seq2seq else self.tr("Type a prompt, then Ctrl+Enter or Send"))
        checked = {self.variant_list.item(i).data(Qt.UserRole): self.variant_list.item(i).checkState()
                   for i in range(self.variant_list.count())}
        paths = find_variants(folder)
        inside = [p for p in self.state.variants.values() if folder and Path(p).parent == Path(folder)]
        # GGUF and other runtimes' artifacts (Export's variants): they answer through their runtime's generate
        others = [p for p in self.state.variants.values() if Path(p).suffix.lower() != ".onnx"
                  and runtime_status(p)[0] is not None]
        self.variant_list.blockSignals(True)
        self.variant_list.clear()
        self.runtimes = {}
        for path in dict.fromkeys(paths + inside + others + self.extra_variants):
            runtime, short, why = runtime_status(path)
            self.runtimes[path] = runtime
            # another runtime's file is listed by its file name (model.q8_0.gguf), an ONNX variant by its mode
            item = QListWidgetItem(self.variant_name(path) if runtime is None else Path(path).name, self.variant_list)
            item.setData(Qt.UserRole, path)
            item.setToolTip(path)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(checked.get(path, Qt.Checked))
            if why:  # its runtime cannot generate here: shown, unchecked and disabled, with the reason
                item.setText(self.tr("{0} (cannot answer here: {1})").format(Path(path).name, short))
                item.setToolTip(f"{path}\n{engine_text(why)}")
                item.setCheckState(Qt.Unchecked)
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled & ~Qt.ItemIsUserCheckable)
        self.variant_list.blockSignals(False)
        self._rebuild_columns()

    @staticmethod
    def variant_name(path: str) -> str:
        """``model.int8-dynamic.onnx`` -> ``int8-dynamic``; ``model.q8_0.gguf`` -> ``q8_0``."""
        name, suffix = Path(path).name, Path(path).suffix
        if name.startswith("model.") and name.count(".") >= 2:
            return name[len("model."):-len(suffix)]
        return Path(path).stem

    def runtime_variant_name(self, path: str) -> str:
        """:meth:`variant_name`, or where the file name says nothing (``model.xml``, ``model.mnn``) what the Export
        panel called it, less the target ("openvino fp16" -> "fp16")."""
        name = self.variant_name(path)
        if name != "model":
            return name
        label = next((k for k, p in self.state.variants.items() if p == path), "")
        return label.split(" ", 1)[1] if " " in label else ""

    def add_variant(self, path: str = "") -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Add a quantized decoder"),
                                                  self.decoder_edit.text() or str(Path.home()),
                                                  self.tr("Models (*.onnx *.gguf *.xml *.mnn)"))
            if not path:
                return
        if path not in self.extra_variants:
            self.extra_variants.append(str(path))
        self._refresh_variants()

    def wanted_columns(self) -> list:
        """[(key, title, model path)] in the order they answer: PyTorch, ONNX Runtime fp32, then the variants."""
        columns = []
        if self.torch_check.isChecked() and self.state.source_path:
            columns.append((TORCH, self.tr("PyTorch"), self.state.source_path))
        folder = self.decoder_edit.text()
        if folder:
            columns.append((ORT, self.tr("ONNX Runtime fp32"), folder))
        for i in range(self.variant_list.count()):
            item = self.variant_list.item(i)
            if item.checkState() != Qt.Checked or not item.flags() & Qt.ItemIsEnabled:
                continue
            path = item.data(Qt.UserRole)
            runtime = getattr(self, "runtimes", {}).get(path)
            if runtime:  # a GGUF in llama.cpp, an IR in OpenVINO, an .mnn in MNN: named by its runtime
                columns.append((path, f"{runtime} {self.runtime_variant_name(path)}".strip(), path))
            elif folder:
                columns.append((path, self.tr("ONNX Runtime {0}").format(self.variant_name(path)), path))
        return columns

    def _rebuild_columns(self) -> None:
        if self.is_running():
            return
        wanted = self.wanted_columns()
        if [(k, m) for k, _t, m in wanted] == [(c.key, c.model) for c in self.columns.values()]:
            return
        self.columns = {}
        while self.answers_layout.count():
            widget = self.answers_layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for key, title, model in wanted:
            self.columns[key] = AnswerColumn(key, title, model, self.answers)
        self._per_row = 0
        self._reflow()
        if not wanted:
            hint = QLabel(self.tr("Load a Hugging Face model (for PyTorch) or choose an ONNX decoder folder: one "
                                  "answer column appears for each."), self.answers)
            hint.setObjectName("panelHint")
            hint.setWordWrap(True)
            hint.setAlignment(Qt.AlignCenter)
            self.answers_layout.addWidget(hint, 0, 0)

    def columns_per_row(self) -> int:
        """As many answer columns side by side as the view's width holds at their least width (at least one)."""
        spacing = self.answers_layout.spacing()
        fit = (self.scroll.viewport().width() + spacing) // (COLUMN_WIDTH + spacing)
        return max(1, min(len(self.columns) or 1, fit))

    def _reflow(self) -> None:
        """Place the answer columns in rows of :meth:`columns_per_row`, each row filling the width."""
        per_row = self.columns_per_row()
        if per_row == self._per_row or not self.columns:
            return
        self._per_row = per_row
        grid = self.answers_layout
        for column in self.columns.values():
            grid.removeWidget(column)
        for i, column in enumerate(self.columns.values()):
            grid.addWidget(column, i // per_row, i % per_row)
        for c in range(max(grid.columnCount(), per_row)):
            grid.setColumnStretch(c, 1 if c < per_row else 0)
        rows = (len(self.columns) + per_row - 1) // per_row
        for r in range(max(grid.rowCount(), rows)):
            grid.setRowStretch(r, 1 if r < rows else 0)
            grid.setRowMinimumHeight(r, 0)

    # -- export --------------------------------------------------------------------------------------------------
    def _export_running(self) -> bool:
        return self.export_job is not None and self.export_job.is_running

    def export_spec(self) -> ExportSpec:
        if not self.state.source_path:
            raise ValueError(self.tr("Load a Hugging Face model first: the chat decoder is exported from it."))
        out = Path(self.state.default_output_dir()) / "chat-decoder"
        return ExportSpec(source=ModelSource(self.state.source_path, task=TASK), output=str(out))

    def export_decoder(self):
        try:
            spec = self.export_spec()
        except ValueError as err:
            show_error(self, self.tr("Export for chat"), str(err))
            return None
        self.export_button.setEnabled(False)
        self.export_job = self.start_job(self.tr("Export for chat"), run_export, spec, cleanup=[spec.output],
                                         on_success=lambda _r: self._exported(spec.output))
        if self.export_job is None:  # the user kept the existing files
            self.export_button.setEnabled(True)
            return None
        self.export_job.finished.connect(lambda _s: self.export_button.setEnabled(bool(self.state.source_path)))
        return self.export_job

    def _exported(self, folder: str) -> None:
        self.decoder_edit.setText(folder)
        self._refresh_variants()
        self.notify(self.tr("Decoder ready for chat: {0}").format(folder))

    # -- chat ----------------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.current_job is not None and self.current_job.is_running and self.current_job is not \
            self.export_job

    def sampling(self) -> tuple:
        """(temperature, seed): temperature 0 is greedy."""
        if self.mode_combo.currentData() == "sample":
            return float(self.temperature_spin.value()), int(self.seed_spin.value())
        return 0.0, 0

    def _mode_changed(self) -> None:
        sample = self.mode_combo.currentData() == "sample"
        for widget in (self.temperature_label, self.temperature_spin, self.seed_label, self.seed_spin):
            widget.setEnabled(sample)

    def send(self):
        if self.is_running():
            return None
        prompt = self.prompt_edit.toPlainText().strip()
        if not prompt:
            show_error(self, self.tr("Chat"), self.tr("Type a prompt first."))
            return None
        self._rebuild_columns()
        if not self.columns:
            show_error(self, self.tr("Chat"), self.tr("Load a Hugging Face model or choose an ONNX decoder folder "
                                                      "first."))
            return None
        self.error_banner.hide()
        self.reference = None
        for column in self.columns.values():
            column.reset()
        temperature, seed = self.sampling()
        self.greedy = temperature == 0
        order = [(key, column.model) for key, column in self.columns.items()]
        job = self.start_job(self.tr("Chat: {0}").format(prompt[:40]), chat_stream, order, prompt,
                             int(self.max_tokens_spin.value()), temperature, seed, process=False,
                             tokenizer=self.state.source_path or None)
        job.samples.connect(self._on_items)
        job.finished.connect(self._on_finished)
        return job

    def stop(self) -> None:
        if self.is_running():
            self.current_job.cancel()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        for widget in (self.torch_check, self.variant_list, self.add_variant_button, self.decoder_edit):
            widget.setEnabled(not busy)
        if not busy:
            self.torch_check.setEnabled(bool(self.state.source_path))

    def _on_items(self, items: list) -> None:
        touched = set()
        for item in items:
            kind, key = item[0], item[1]
            column = self.columns.get(key)
            if column is None:
                continue
            if kind == "start":
                column.status.setText(self.tr("loading the model…"))
            elif kind == "step":
                step = item[2]
                if not column.tokens:
                    column.status.setText(self.tr("answering…"))
                column.tokens.append(int(step.tokens[0]))
                column.latencies.append(float(step.latency_ms))
                if step.text:
                    column.add_text(step.text)
                touched.add(key)
            elif kind == "end":
                column.finished = True
                column.status.setText(self.tr("done"))
                if key == TORCH and self.greedy:
                    self.reference = list(column.tokens)
                touched.add(key)
            elif kind == "error":
                column.error = str(item[2])
                _restyle(column.status, "chatError")
                column.status.setText(self.tr("Failed: {0}").format(column.error))
                column.status.setToolTip(column.error)
                self.error_banner.setText(f"{column.title.text()}: {column.error}")
                self.error_banner.show()
        for key in touched:
            column = self.columns[key]
            column.show_numbers()
            if key != TORCH:
                self._show_agreement(column)
            elif self.greedy and len(self.columns) > 1:
                column.agree.setText(self.tr("the reference the others are compared with"))

    def _show_agreement(self, column: AnswerColumn) -> None:
        if not self.greedy:
            column.agree.setText(self.tr("sampled: not compared token for token"))
        elif TORCH not in self.columns:
            column.agree.setText(self.tr("no PyTorch answer to compare with"))
        elif self.reference is None:
            column.agree.setText(self.tr("PyTorch gave no answer to compare with"))
        else:
            column.show_agreement(self.reference, column.finished)

    def _on_finished(self, state: str) -> None:
        for column in self.columns.values():
            if not column.finished and not column.error:
                column.status.setText(self.tr("stopped") if column.tokens or state != JOB_DONE
                                      else self.tr("no answer"))
        failed = [c for c in self.columns.values() if c.error]
        if state == JOB_DONE and failed:
            self.set_step_state(FAILED if len(failed) == len(self.columns) else DONE)

    # -- CLI and recipe ------------------------------------------------------------------------------------------
    def cli_command(self) -> str:
        folder = self.decoder_edit.text()
        prompt = self.prompt_edit.toPlainText().strip()
        if not folder:
            raise ValueError(self.tr("Choose an ONNX decoder folder first."))
        if not prompt:
            raise ValueError(self.tr("Type a prompt first."))
        args = ["workbench", "generate", folder, "--prompt", prompt, "--max-new-tokens",
                str(self.max_tokens_spin.value())]
        temperature, seed = self.sampling()
        if temperature:
            args += ["--temperature", f"{temperature:g}", "--seed", str(seed)]
        if self.torch_check.isChecked() and self.state.source_path:
            args += ["--compare-torch", self.state.source_path]
        return shlex.join(args)


__all__ = ["ChatPanel", "AnswerColumn", "find_variants", "IDLE", "RUNNING", "DONE"]
