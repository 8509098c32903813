"""The Quantize panel's per-variant options: one page of controls per mode, holding exactly the `[[quantize]]` keys
(and `workbench quantize` options) that apply to that mode, so a recipe entry loads into its page and saves back
unchanged.

    int8-dynamic  name, per_channel, op_types, exclude, min_cosine, max_excluded
    int8-static   name, per_channel, calibration, method, calibration_samples, op_types, exclude (+ --tokenizer)
    fp16          name, exclude
    int4          name, block_size, algorithm, symmetric, op_types, exclude; gptq: calibration, calibration_samples
    int8-weight   name, block_size, symmetric, op_types, exclude (rtn only)

Keys of an entry that do not apply to its mode (the engine ignores them) are kept as they were and written back.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import recipe_schema
from workbench.core.specs import CALIBRATION_METHODS, WEIGHT_ONLY_ALGOS, QuantSpec

# What a [[quantize]] key left out means: QuantSpec's defaults, through the engine's recipe schema (keys whose
# default is no value, e.g. calibration or exclude, are left out of an entry rather than filled in).
DEFAULTS = {k: v for k, v in recipe_schema.DEFAULTS["quantize"].items() if k != "mode" and v not in (None, ())}
KEYS = {
    "int8-dynamic": ("name", "per_channel", "op_types", "exclude", "min_cosine", "max_excluded"),
    "int8-static": ("name", "per_channel", "calibration", "method", "calibration_samples", "op_types", "exclude"),
    "fp16": ("name", "exclude"),
    "int4": ("name", "block_size", "algorithm", "symmetric", "calibration", "calibration_samples", "op_types",
             "exclude"),
    "int8-weight": ("name", "block_size", "symmetric", "op_types", "exclude"),
}
INT_MAX = 2**31 - 1


def split_names(text: str) -> tuple:
    return tuple(n for n in re.split(r"[\s,;]+", text or "") if n)


def normalise_entry(entry: dict) -> dict:
    """An entry with the defaults of its mode's keys filled in and empty values dropped (for comparisons)."""
    keys = KEYS.get(entry.get("mode"), ())
    out = {k: v for k, v in entry.items() if v is not None and v != [] and v != ()}
    for key in keys:
        if key in DEFAULTS:
            out.setdefault(key, DEFAULTS[key])
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


class ModeOptions(QWidget):
    """The controls of one quantization mode."""

    def __init__(self, mode: str, parent=None):
        super().__init__(parent)
        self.mode = mode
        self.keys = KEYS[mode]
        self.extra: dict = {}  # keys of a loaded entry that do not apply to this mode, written back unchanged
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        outer.addLayout(self.form)
        outer.addStretch(1)  # pages are as tall as the tallest: the rows stay together at the top
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.rows: dict = {}  # key -> the field widget or layout of its row
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(self.tr("default: {0}").format(self._default_label()))
        self.name_edit.setToolTip(self.tr("The variant's file-name part in a recipe run: quantized/model.NAME.onnx"))
        self._add("name", self.tr("Name:"), self.name_edit)
        if "per_channel" in self.keys:
            self.per_channel_check = QCheckBox(self.tr("Per-channel weights (more accurate)"), self)
            self.per_channel_check.setChecked(True)
            self._add("per_channel", "", self.per_channel_check)
        if "block_size" in self.keys:
            self.block_size_spin = QSpinBox(self)
            self.block_size_spin.setRange(1, INT_MAX)
            self.block_size_spin.setValue(DEFAULTS["block_size"])
            self.block_size_spin.setToolTip(self.tr("Weights per quantization block: a power of two from 16 up"))
            self._add("block_size", self.tr("Block size:"), self.block_size_spin)
        if "algorithm" in self.keys:
            self.algorithm_combo = QComboBox(self)
            self.algorithm_combo.addItems(list(WEIGHT_ONLY_ALGOS))
            self.algorithm_combo.setToolTip(self.tr("rtn: round to nearest; hqq: half-quadratic (asymmetric); "
                                                    "gptq: error-correcting, needs calibration data"))
            self.algorithm_combo.currentTextChanged.connect(self._update_rows)
            self._add("algorithm", self.tr("Algorithm:"), self.algorithm_combo)
        if "symmetric" in self.keys:
            self.symmetric_check = QCheckBox(self.tr("Symmetric (no zero point)"), self)
            self._add("symmetric", "", self.symmetric_check)
        if "calibration" in self.keys:
            self.calibration_edit = QLineEdit(self)
            self.calibration_edit.setPlaceholderText(self.tr(".txt of lines, or a folder of .npy/.npz"))
            row = QHBoxLayout()
            row.addWidget(self.calibration_edit, 1)
            for text, slot in ((self.tr("File…"), self._choose_calibration_file),
                               (self.tr("Folder…"), self._choose_calibration_folder)):
                button = QToolButton(self)
                button.setText(text)
                button.clicked.connect(slot)
                row.addWidget(button)
            self._add("calibration", self.tr("Calibration data:"), row)
            self.tokenizer_edit = QLineEdit(self)
            self.tokenizer_edit.setPlaceholderText(self.tr("default: the model's folder"))
            self.tokenizer_edit.setToolTip(self.tr("Folder with the tokenizer for a .txt calibration file "
                                                   "(the command line's --tokenizer; recipes use the source's)"))
            self._add("tokenizer", self.tr("Tokenizer:"), self.tokenizer_edit)
        if "method" in self.keys:
            self.method_combo = QComboBox(self)
            self.method_combo.addItems(list(CALIBRATION_METHODS))
            self.method_combo.setToolTip(self.tr("How activation ranges are chosen from the calibration data"))
            self._add("method", self.tr("Calibration method:"), self.method_combo)
        if "calibration_samples" in self.keys:
            self.samples_spin = QSpinBox(self)
            self.samples_spin.setRange(1, INT_MAX)
            self.samples_spin.setValue(DEFAULTS["calibration_samples"])
            self._add("calibration_samples", self.tr("Calibration samples:"), self.samples_spin)
        if "min_cosine" in self.keys:
            self._add("min_cosine", self.tr("Min cosine:"), self._min_cosine_row())
            row = QHBoxLayout()
            self.max_excluded_spin = QSpinBox(self)
            self.max_excluded_spin.setRange(0, INT_MAX)
            self.max_excluded_check = QCheckBox(self.tr("limit"), self)
            self.max_excluded_check.setToolTip(self.tr("Unticked: at most a quarter of the candidate nodes stay "
                                                       "in float32"))
            self.max_excluded_spin.setEnabled(False)
            self.max_excluded_check.toggled.connect(self.max_excluded_spin.setEnabled)
            row.addWidget(self.max_excluded_spin)
            row.addWidget(self.max_excluded_check)
            row.addStretch(1)
            self._add("max_excluded", self.tr("Max nodes in fp32:"), row)
        if "op_types" in self.keys:
            self.op_types_edit = QLineEdit(self)
            self.op_types_edit.setPlaceholderText(self.tr("default operators, e.g. MatMul, Gemm"))
            self._add("op_types", self.tr("Operator types:"), self.op_types_edit)
        self.exclude_edit = QPlainTextEdit(self)
        self.exclude_edit.setPlaceholderText(self.tr("Node names to keep in float, separated by commas or lines "
                                                     "(e.g. /lm_head/MatMul)"))
        self.exclude_edit.setMaximumHeight(64)
        self._add("exclude", self.tr("Exclude nodes:"), self.exclude_edit)
        self._update_rows()

    def _default_label(self) -> str:
        from workbench.core.pipeline import QUANT_FILE

        return QUANT_FILE.get(self.mode, self.mode)

    def _add(self, key, label, field) -> None:
        self.form.addRow(label, field)
        self.rows[key] = field

    def _min_cosine_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.min_cosine_check = QCheckBox(self.tr("require"), self)
        self.min_cosine_spin = QDoubleSpinBox(self)
        self.min_cosine_spin.setDecimals(5)
        self.min_cosine_spin.setRange(0.0, 0.99999)
        self.min_cosine_spin.setSingleStep(0.001)
        self.min_cosine_spin.setValue(0.99)
        self.min_cosine_spin.setSpecialValueText(self.tr("off"))
        tip = self.tr("int8 dynamic keeps the most sensitive nodes in float32 until the fidelity cosine reaches this "
                      "floor. Unticked: aims for 0.99 and keeps plain int8 if it cannot; ticked: required (the job "
                      "fails if it cannot be reached); 0 = off.")
        for widget in (self.min_cosine_check, self.min_cosine_spin):
            widget.setToolTip(tip)
        row.addWidget(self.min_cosine_spin)
        row.addWidget(self.min_cosine_check)
        row.addStretch(1)
        return row

    def _update_rows(self, *_args) -> None:
        """int4: the calibration rows only for gptq (the only algorithm that reads calibration data)."""
        if self.mode != "int4":
            return
        gptq = self.algorithm_combo.currentText() == "gptq"
        for key in ("calibration", "tokenizer", "calibration_samples"):
            self.form.setRowVisible(self.rows[key], gptq)

    def row_visible(self, key: str) -> bool:
        return key in self.rows and self.form.isRowVisible(self.rows[key])

    def _choose_calibration_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Calibration data"), "",
                                              self.tr("Calibration data (*.txt *.npy *.npz);;All files (*)"))
        if path:
            self.calibration_edit.setText(path)

    def _choose_calibration_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Calibration data"))
        if path:
            self.calibration_edit.setText(path)

    # -- values ----------------------------------------------------------------------------------------------
    def min_cosine(self):
        """None: the int8 default (0.99, best effort); a number: what the user requires (0: off)."""
        return round(self.min_cosine_spin.value(), 5) if self.min_cosine_check.isChecked() else None

    def values(self) -> dict:
        """Every key of this mode with the control's value (None: not set, the engine's default)."""
        v = {"name": self.name_edit.text().strip() or None, "exclude": list(split_names(
            self.exclude_edit.toPlainText()))}
        if "per_channel" in self.keys:
            v["per_channel"] = self.per_channel_check.isChecked()
        if "block_size" in self.keys:
            v["block_size"] = self.block_size_spin.value()
        if "algorithm" in self.keys:
            v["algorithm"] = self.algorithm_combo.currentText()
        if "symmetric" in self.keys:
            v["symmetric"] = self.symmetric_check.isChecked()
        if "calibration" in self.keys:
            v["calibration"] = self.calibration_edit.text().strip() or None
        if "method" in self.keys:
            v["method"] = self.method_combo.currentText()
        if "calibration_samples" in self.keys:
            v["calibration_samples"] = self.samples_spin.value()
        if "min_cosine" in self.keys:
            v["min_cosine"] = self.min_cosine()
            v["max_excluded"] = self.max_excluded_spin.value() if self.max_excluded_check.isChecked() else None
        if "op_types" in self.keys:
            v["op_types"] = list(split_names(self.op_types_edit.text()))
        return v

    def entry(self) -> dict:
        """This variant's `[[quantize]]` table: the mode, every set key that applies, and the kept extras."""
        entry = {"mode": self.mode}
        entry.update({k: v for k, v in self.values().items() if v is not None and v != []})
        for key, value in self.extra.items():
            entry.setdefault(key, value)
        return entry

    def spec(self, model: str, output: str) -> QuantSpec:
        v = self.values()
        kwargs = {k: v[k] for k in ("per_channel", "block_size", "algorithm", "symmetric", "method",
                                    "calibration_samples", "min_cosine", "max_excluded") if k in v}
        if "calibration" in v:
            kwargs["calibration"] = v["calibration"]
            kwargs["tokenizer"] = self.tokenizer_edit.text().strip() or None
        return QuantSpec(model=model, output=output, mode=self.mode, exclude=tuple(v["exclude"]),
                         op_types=tuple(v.get("op_types") or ()) or None, **kwargs)

    def apply(self, entry: dict) -> None:
        """Show one `[[quantize]]` entry; keys it leaves out get their defaults."""
        entry = dict(entry)
        get = entry.get
        self.name_edit.setText(str(get("name") or ""))
        self.exclude_edit.setPlainText("\n".join(get("exclude") or ()))
        if "per_channel" in self.keys:
            self.per_channel_check.setChecked(bool(get("per_channel", DEFAULTS["per_channel"])))
        if "block_size" in self.keys:
            self.block_size_spin.setValue(int(get("block_size", DEFAULTS["block_size"])))
        if "algorithm" in self.keys:
            self._set_combo(self.algorithm_combo, get("algorithm", DEFAULTS["algorithm"]))
        if "symmetric" in self.keys:
            self.symmetric_check.setChecked(bool(get("symmetric", DEFAULTS["symmetric"])))
        if "calibration" in self.keys:
            self.calibration_edit.setText(str(get("calibration") or ""))
        if "method" in self.keys:
            self._set_combo(self.method_combo, get("method", DEFAULTS["method"]))
        if "calibration_samples" in self.keys:
            self.samples_spin.setValue(int(get("calibration_samples", DEFAULTS["calibration_samples"])))
        if "min_cosine" in self.keys:
            floor = get("min_cosine")
            self.min_cosine_check.setChecked(floor is not None)
            self.min_cosine_spin.setValue(0.99 if floor is None else float(floor))
            limit = get("max_excluded")
            self.max_excluded_check.setChecked(limit is not None)
            self.max_excluded_spin.setValue(0 if limit is None else int(limit))
        if "op_types" in self.keys:
            self.op_types_edit.setText(", ".join(get("op_types") or ()))
        self.extra = {k: v for k, v in entry.items() if k != "mode" and k not in self.keys}
        self._update_rows()

    @staticmethod
    def _set_combo(combo: QComboBox, value) -> None:
        if combo.findText(str(value)) < 0:  # a value the engine will refuse: shown, and written back, as it is
            combo.addItem(str(value))
        combo.setCurrentText(str(value))
