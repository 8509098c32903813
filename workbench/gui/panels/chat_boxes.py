"""The Chat panel's two boxes, built onto the panel (``self`` is the ChatPanel, whose attributes they set, as its own
methods did): who answers, and the prompt with its settings. Their texts stay in the ChatPanel context."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from workbench.gui.panels.base import PathEdit
from workbench.gui.theme import icon, primary_icon


def models_box(self) -> QGroupBox:
    """"Who answers": the ONNX decoder folder (or Export for chat), PyTorch, the variants; on ``self``, the panel."""
    box = QGroupBox(QCoreApplication.translate("ChatPanel", "Who answers"), self)
    form = QFormLayout(box)
    row = QHBoxLayout()
    self.decoder_edit = PathEdit("folder", "", box)
    self.decoder_edit.edit.setPlaceholderText(QCoreApplication.translate(
        "ChatPanel", "a folder written by Export for chat (model.onnx with past key values, plus the tokenizer)"))
    self.decoder_edit.edit.editingFinished.connect(self._decoder_changed)
    self.decoder_edit.edit.textChanged.connect(lambda _t: self._refresh_variants())
    self.export_button = QPushButton(icon("export"), QCoreApplication.translate("ChatPanel", "Export for chat"), box)
    self.export_button.setToolTip(QCoreApplication.translate(
        "ChatPanel", "Export the loaded PyTorch model as a decoder with past key values "
                     "(task text-generation-with-past) into the output folder"))
    self.export_button.clicked.connect(self.export_decoder)
    row.addWidget(self.decoder_edit, 1)
    row.addWidget(self.export_button)
    form.addRow(QCoreApplication.translate("ChatPanel", "ONNX decoder folder:"), row)
    torch_row = QHBoxLayout()
    self.torch_check = QCheckBox(QCoreApplication.translate("ChatPanel", "Also answer with PyTorch from"), box)
    self.torch_check.setChecked(True)
    self.torch_label = QLabel(box)
    self.torch_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    torch_row.addWidget(self.torch_check)
    torch_row.addWidget(self.torch_label, 1)
    form.addRow(QCoreApplication.translate("ChatPanel", "PyTorch:"), torch_row)
    variant_row = QHBoxLayout()
    self.variant_list = QListWidget(box)
    self.variant_list.setMaximumHeight(46)
    self.variant_list.itemChanged.connect(lambda _i: self._rebuild_columns())
    self.add_variant_button = QPushButton(QCoreApplication.translate("ChatPanel", "Add variant…"), box)
    self.add_variant_button.clicked.connect(lambda: self.add_variant())
    variant_row.addWidget(self.variant_list, 1)
    variant_row.addWidget(self.add_variant_button, 0, Qt.AlignTop)
    form.addRow(QCoreApplication.translate("ChatPanel", "Quantized variants:"), variant_row)
    self.torch_check.toggled.connect(lambda _c: self._rebuild_columns())
    return box


def prompt_box(self) -> QGroupBox:
    """The prompt, max new tokens, greedy or sampling (temperature, seed), llama.cpp's KV cache type, Send and Stop;
    on ``self``, the panel."""
    box = QGroupBox(QCoreApplication.translate("ChatPanel", "Prompt"), self)
    layout = QVBoxLayout(box)
    self.prompt_edit = QPlainTextEdit(box)
    self.prompt_edit.setPlaceholderText(QCoreApplication.translate("ChatPanel",
                                                                   "Type a prompt, then Ctrl+Enter or Send"))
    self.prompt_edit.setMaximumHeight(58)
    self.prompt_edit.installEventFilter(self)
    layout.addWidget(self.prompt_edit)
    self.mode_label = QLabel(QCoreApplication.translate(
        "ChatPanel", "Encoder-decoder model (translation, summary): single turn, the text above "
                     "is its input and each column shows its output; no chat template"), box)
    self.mode_label.setObjectName("panelHint")
    self.mode_label.setWordWrap(True)  # unwrapped, this one line made the panel 1112 px wide when shown
    self.mode_label.setVisible(False)
    layout.addWidget(self.mode_label)
    row = QHBoxLayout()
    row.addWidget(QLabel(QCoreApplication.translate("ChatPanel", "Max new tokens:"), box))
    self.max_tokens_spin = QSpinBox(box)
    self.max_tokens_spin.setRange(1, 2048)
    self.max_tokens_spin.setValue(48)
    row.addWidget(self.max_tokens_spin)
    row.addSpacing(12)
    self.mode_combo = QComboBox(box)
    self.mode_combo.addItem(QCoreApplication.translate("ChatPanel", "Greedy (most likely token)"), "greedy")
    self.mode_combo.addItem(QCoreApplication.translate("ChatPanel", "Sampling"), "sample")
    self.mode_combo.currentIndexChanged.connect(self._mode_changed)
    row.addWidget(self.mode_combo)
    self.temperature_label = QLabel(QCoreApplication.translate("ChatPanel", "Temperature:"), box)
    self.temperature_spin = QDoubleSpinBox(box)
    self.temperature_spin.setRange(0.05, 5.0)
    self.temperature_spin.setSingleStep(0.1)
    self.temperature_spin.setValue(0.8)
    self.seed_label = QLabel(QCoreApplication.translate("ChatPanel", "Seed:"), box)
    self.seed_spin = QSpinBox(box)
    self.seed_spin.setRange(0, 2**31 - 1)
    row.addStretch(1)
    sampling_row = QHBoxLayout()  # its own row: on one line with Send the prompt box needed 1084 px (issue 17)
    for widget in (self.temperature_label, self.temperature_spin, self.seed_label, self.seed_spin):
        sampling_row.addWidget(widget)
    sampling_row.addStretch(1)
    # llama.cpp's KV cache type for the .gguf columns; shown only while one is listed (the panel's _refresh_variants)
    self.kv_cache_label = QLabel(QCoreApplication.translate("ChatPanel", "llama.cpp KV cache:"), box)
    self.kv_cache_combo = QComboBox(box)
    self.kv_cache_combo.addItem(QCoreApplication.translate("ChatPanel", "f16 (default)"), None)
    self.kv_cache_combo.addItem("f32", "f32")
    self.kv_cache_combo.setToolTip(QCoreApplication.translate(
        "ChatPanel", "The KV cache type llama.cpp answers the .gguf columns with: f16 is what a deployment runs; "
                     "f32 keeps the cache at full precision, so only the file's own rounding differs from PyTorch"))
    for widget in (self.kv_cache_label, self.kv_cache_combo):
        sampling_row.addWidget(widget)
        widget.setVisible(False)
    self.send_button = QPushButton(primary_icon("run"), QCoreApplication.translate("ChatPanel", "Send"), box)
    self.send_button.setObjectName("primary")
    self.send_button.setMinimumWidth(110)
    self.send_button.setToolTip(QCoreApplication.translate("ChatPanel", "Ctrl+Enter"))
    self.send_button.clicked.connect(lambda: self.send())
    self.stop_button = QPushButton(icon("cancel"), QCoreApplication.translate("ChatPanel", "Stop"), box)
    self.stop_button.setEnabled(False)
    self.stop_button.clicked.connect(self.stop)
    row.addWidget(self.send_button)
    row.addWidget(self.stop_button)
    layout.addLayout(row)
    layout.addLayout(sampling_row)
    self._mode_changed()
    return box
