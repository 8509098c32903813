"""The Benchmark panel's layout, built onto the panel (``self`` is the BenchPanel, whose attributes it sets): the
provider, shape, iteration and thread settings (and llama.cpp's KV cache type), the variants box, the buttons, and
the live charts over the summary table; and whether ONNX Runtime here offers CUDA. Texts stay in the BenchPanel
context."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from workbench.gui.charts import BenchCharts
from workbench.gui.panels.bench_table import BenchTable
from workbench.gui.panels.bench_variants import VariantRow

DEFAULT_WARMUP = 10


def cuda_status() -> tuple[bool, str]:
    """Whether ONNX Runtime here offers CUDA, and why not."""
    try:
        import onnxruntime as ort
    except Exception as err:  # noqa: BLE001
        return False, f"onnxruntime cannot be imported: {err}"
    if "CUDAExecutionProvider" in ort.get_available_providers():
        return True, "ONNX Runtime's CUDA provider"
    return False, ("This onnxruntime has no CUDAExecutionProvider: install onnxruntime-gpu (in place of "
                   "onnxruntime) on a machine with an NVIDIA GPU")


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def build(self) -> None:
    """The settings form, the variants box, the buttons and the charts over the summary table, set on ``self``
    (the BenchPanel) as its own ``_build`` did."""
    self.provider = QComboBox()
    self.provider.addItem("CPU", "cpu")
    self.provider.addItem("CUDA", "cuda")
    self._cuda_checked = False  # onnxruntime is imported when the panel is first shown, not at start-up
    self.batch = _spin(1, 4096, 1, QCoreApplication.translate("BenchPanel", "Batch size of the example inputs"))
    self.sequence = _spin(1, 1 << 16, 128, QCoreApplication.translate("BenchPanel", "Sequence length (text models)"))
    self.iterations = _spin(1, 1_000_000, 200, QCoreApplication.translate(
        "BenchPanel", "Timed runs per variant (after warm-up)"))
    self.warmup = _spin(0, 10_000, DEFAULT_WARMUP, QCoreApplication.translate(
        "BenchPanel", "Untimed runs before timing"))
    self.threads = _spin(0, 1024, 0, QCoreApplication.translate(
        "BenchPanel", "Intra-op threads (0: the runtime's default)"))
    self.threads.setSpecialValueText(QCoreApplication.translate("BenchPanel", "default"))
    # llama.cpp's KV cache type for the .gguf variants (a recipe's [bench] kv_cache); the row shows only with one
    self.kv_cache = QComboBox()
    self.kv_cache.addItem(QCoreApplication.translate("BenchPanel", "f16 (default)"), "f16")
    self.kv_cache.addItem("f32", "f32")
    self.kv_cache.setToolTip(QCoreApplication.translate(
        "BenchPanel", "The KV cache type llama.cpp runs the .gguf variants with: f16 is what a deployment runs; "
                      "f32 keeps the cache at full precision (validation uses it to measure the file)"))
    form = self.settings_form = QFormLayout()
    form.addRow(QCoreApplication.translate("BenchPanel", "Provider"), self.provider)
    form.addRow(QCoreApplication.translate("BenchPanel", "Batch"), self.batch)
    form.addRow(QCoreApplication.translate("BenchPanel", "Sequence"), self.sequence)
    form.addRow(QCoreApplication.translate("BenchPanel", "Iterations"), self.iterations)
    form.addRow(QCoreApplication.translate("BenchPanel", "Warm-up"), self.warmup)
    form.addRow(QCoreApplication.translate("BenchPanel", "Threads"), self.threads)
    form.addRow(QCoreApplication.translate("BenchPanel", "llama.cpp KV cache"), self.kv_cache)
    self.variant_box = QGroupBox(QCoreApplication.translate("BenchPanel", "Variants"))
    self.variant_layout = QVBoxLayout(self.variant_box)
    self.checks: dict[str, QCheckBox] = {}
    self.rows: dict[str, VariantRow] = {}
    self.ran: dict = {}  # variant name -> (runtime, threads) it ran with (the table's columns)
    self.run_button = QPushButton(QCoreApplication.translate("BenchPanel", "Run"))
    self.run_button.clicked.connect(self.run)
    self.cancel_button = QPushButton(QCoreApplication.translate("BenchPanel", "Cancel"))
    self.cancel_button.setEnabled(False)
    self.cancel_button.clicked.connect(self.cancel)
    self.save_button = QPushButton(QCoreApplication.translate("BenchPanel", "Save charts as PNG…"))
    self.save_button.clicked.connect(lambda: self.save_charts())
    self.cli_button = QPushButton(QCoreApplication.translate("BenchPanel", "Copy as CLI command"))
    self.cli_button.clicked.connect(self.copy_cli)
    self.log_scale = QCheckBox(QCoreApplication.translate("BenchPanel", "Logarithmic latency axis"))
    self.log_scale.setToolTip(QCoreApplication.translate("BenchPanel", "Read fast and slow variants on one chart"))
    self.log_scale.toggled.connect(lambda on: self.charts.latency.set_log_y(on))
    self.status = QLabel(QCoreApplication.translate("BenchPanel", "Ready"))
    self.status.setWordWrap(True)
    side = QVBoxLayout()
    side.addLayout(form)
    side.addWidget(self.variant_box)
    for button in (self.run_button, self.cancel_button, self.save_button, self.cli_button):
        side.addWidget(button)
    side.addWidget(self.log_scale)
    side.addWidget(self.status)
    side.addStretch(1)
    side_widget = QWidget()
    side_widget.setLayout(side)
    side_widget.setMaximumWidth(300)

    self.charts = BenchCharts()
    self.table = BenchTable()
    right = QVBoxLayout()
    right.setContentsMargins(0, 0, 0, 0)
    right.addWidget(self.charts, 1)
    right.addWidget(self.table)
    layout = QHBoxLayout(self)
    layout.addWidget(side_widget)
    layout.addLayout(right, 1)
