"""Chat: type a prompt and watch PyTorch, ONNX Runtime and each quantized variant answer token by token, side by
side, with tokens/s and time to first token under each answer and, for greedy answers, whether ONNX Runtime picks
the same tokens as PyTorch.

The answers come from one thread job (:func:`workbench.gui.tasks.chat_stream`): the columns run one after the other
so that each one's speed is measured alone; models load in that thread; tokens arrive through ``Job.samples`` in
batches (at most 20 a second). Stop cancels the job between two tokens.

The answer columns, their grid and what a folder's variants are live in chat_column.py; the two boxes (who answers,
the prompt and its settings) are built by chat_boxes.py. This module keeps the panel's state: which columns are
wanted, the export for chat, the streaming job and the agreement shown under each answer. Size: one module of
~340 lines because those four read and write the same state (the folder, the variants' runtimes, the columns, the
PyTorch reference); cut further, each piece would reach back into the panel for it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFileDialog, QListWidgetItem

from workbench.core.export.seq2seq_check import is_export as is_seq2seq_export
from workbench.core.specs import ExportSpec, ModelSource
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.panels.base import DONE, FAILED, IDLE, RUNNING, PanelBase, show_error
from workbench.gui.panels.chat_boxes import models_box, prompt_box
from workbench.gui.panels.chat_column import (  # noqa: F401 - COLUMN_WIDTH, find_variants: the panel's names
    COLUMN_WIDTH, AnswerColumn, AnswerGrid, _restyle, find_variants, generating_suffixes, runtime_status,
    variant_name)
from workbench.gui.tasks import chat_stream, run_export
from workbench.gui.workers import DONE as JOB_DONE

TASK = "text-generation-with-past"
TORCH, ORT = "pytorch", "onnx"


class ChatPanel(PanelBase):
    step = "chat"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.extra_variants: list = []
        self.reference = None  # PyTorch's greedy tokens of the current answer
        self.greedy = True
        self.export_job = None
        self.set_header(self.tr("Chat"),
                        self.tr("Ask the model something and watch PyTorch, ONNX Runtime and every quantized variant "
                                "answer token by token, side by side. Under each answer: its speed, and whether it "
                                "picks the same tokens as PyTorch."))
        self.body().addWidget(models_box(self))
        self.body().addWidget(prompt_box(self))
        self.error_banner = self.banner("failBanner")
        self.body().addWidget(self.error_banner)
        self.scroll = AnswerGrid(self)
        self.body().addWidget(self.scroll, 1)
        self.state.sourceChanged.connect(self._source_changed)
        self.state.onnxChanged.connect(self._onnx_changed)
        self.state.variantsChanged.connect(self._refresh_variants)
        self._source_changed(self.state.source_path)
        self._onnx_changed(self.state.onnx_path)
        self._refresh_variants()  # the variants already there (e.g. a GGUF exported before this panel was built)

    @property
    def columns(self) -> dict:
        """{key: AnswerColumn} in the order they answer (the grid's)."""
        return self.scroll.columns

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
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
        gguf = any(str(p).lower().endswith(".gguf") and self.runtimes.get(p) for p in self.runtimes)
        for widget in (self.kv_cache_label, self.kv_cache_combo):
            widget.setVisible(gguf)
        self._rebuild_columns()

    variant_name = staticmethod(variant_name)

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
                                                  self.tr("Models ({0})").format(generating_suffixes()))
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
        if not self.is_running():
            self.scroll.set_columns(self.wanted_columns(), self.tr(
                "Load a Hugging Face model (for PyTorch) or choose an ONNX decoder folder: one answer column appears "
                "for each."))

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
                             tokenizer=self.state.source_path or None, kv_cache=self.kv_cache_combo.currentData())
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
