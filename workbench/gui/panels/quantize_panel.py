"""Quantize: several variants at once, each its own child-process job, compared in one table.

Size: ~340 lines, one panel: its variants box, settings and per-variant result rows all follow the one set of
ticked modes (the verdict texts are quantize_verdict.py, the sensitivity table sensitivity_view.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.specs import QuantSpec
from workbench.gui import commands
from workbench.gui.formatting import fit_table, scroll_area
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.models import RecordTableModel, human_bytes
from workbench.gui.panels.base import DONE, FAILED, IDLE, RUNNING, PanelBase, show_error
from workbench.gui.panels.quantize_options import ModeOptions, split_names
from workbench.gui.panels.quantize_verdict import (  # noqa: F401 - importable from here
    BAD_COLOR, BUSY_COLOR, OK_COLOR, VERDICT_COLORS, WARN_COLOR, WARNING_MARGIN, cosine_floor, precision_of,
    quantize_verdict, warning_margin)
from workbench.gui.panels.sensitivity_view import SensitivityWidget
from workbench.gui.tasks import run_quantize


class QuantizePanel(PanelBase):
    step = "quantize"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.results: dict = {}  # mode -> QuantizeResult
        self.rows: dict = {}  # mode -> [row values], colour
        self.jobs: dict = {}
        self.set_header(self.tr("Quantize"),
                        self.tr("Tick the variants to build; each runs as its own job. Fidelity compares every "
                                "variant's outputs with the unquantized model (cosine 1.0 = identical)."))
        self.modes = {
            "int8-dynamic": self.tr("int8 dynamic (weights int8, activations quantized at run time)"),
            "int8-static": self.tr("int8 static (QDQ, needs calibration data)"),
            "fp16": self.tr("fp16 (half-precision weights and compute)"),
            "int4": self.tr("int4 weight-only (MatMulNBits)"),
            "int8-weight": self.tr("int8 weight-only"),
        }
        # The variant and settings forms scroll when the window is too short for them and the results table,
        # instead of being squeezed (clipping their fields) or squeezing the table to one row.
        forms = QWidget(self)
        grid = QGridLayout(forms)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._variants_box(), 0, 0)
        grid.addWidget(self._settings_box(), 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.body().addWidget(scroll_area(forms, self), 1)
        self.model = RecordTableModel([self.tr("Variant"), self.tr("State"), self.tr("Size before"),
                                       self.tr("Size after"), self.tr("Ratio"), self.tr("Cosine"),
                                       self.tr("Verdict"), self.tr("Max abs diff"), self.tr("Output")], self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        fit_table(self.table)  # numbers never wrap; a long output path ends in "…" (whole in its tooltip)
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 3 * 30)  # 3 variants
        self.body().addWidget(self.table, 1)
        self.sensitivity = SensitivityWidget(self)  # shown after an int8 run that measured sensitivity
        self.sensitivity.requantizeRequested.connect(self.requantize)
        self.body().addWidget(self.sensitivity, 2)
        self._requantizing = False
        row = self.make_action_row(self.tr("Quantize"), "quantize")
        self.run_button.clicked.connect(self.quantize)
        self.body().addLayout(row)
        self.state.onnxChanged.connect(self._models_changed)
        self.state.variantsChanged.connect(self._models_changed)
        self._models_changed()

    def _variants_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Variants"), self)
        layout = QVBoxLayout(box)
        self.mode_checks = {}
        for mode, text in self.modes.items():
            check = QCheckBox(text, box)
            check.setChecked(mode == "int8-dynamic")
            check.toggled.connect(lambda on, m=mode: on and self.show_options(m))
            self.mode_checks[mode] = check
            layout.addWidget(check)
        layout.addStretch(1)
        return box

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Settings"), self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.input_combo = QComboBox(box)
        self.input_combo.setEditable(True)
        self.input_combo.setInsertPolicy(QComboBox.NoInsert)
        self.output_dir_edit = QLineEdit(box)
        self.output_dir_edit.setPlaceholderText(self.tr("beside the input model"))
        form.addRow(self.tr("Input model:"), self.input_combo)
        form.addRow(self.tr("Output folder:"), self.output_dir_edit)
        # one page of options per variant, showing only the options of that mode (quantize_options.KEYS)
        self.options_combo = QComboBox(box)
        self.options_stack = QStackedWidget(box)
        self.options = {}
        for mode in self.modes:
            self.options[mode] = ModeOptions(mode, self.options_stack)
            self.options_stack.addWidget(self.options[mode])
            self.options_combo.addItem(mode, mode)
        self.options_combo.currentIndexChanged.connect(self.options_stack.setCurrentIndex)
        form.addRow(self.tr("Options of:"), self.options_combo)
        form.addRow(self.options_stack)
        self._align_labels([form] + [page.form for page in self.options.values()])
        return box

    @staticmethod
    def _align_labels(forms) -> None:
        """One label column for the settings and every options page (the pages' forms are nested)."""
        labels = [form.itemAt(row, QFormLayout.LabelRole) for form in forms for row in range(form.rowCount())]
        labels = [item.widget() for item in labels if item is not None and item.widget() is not None]
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

    def show_options(self, mode: str) -> None:
        """Show the options page of one variant."""
        self.options_combo.setCurrentIndex(list(self.modes).index(mode))

    # the int8 controls by their old names (the sensitivity table and scripts drive int8-dynamic through them)
    @property
    def per_channel_check(self):
        return self.options["int8-dynamic"].per_channel_check

    @property
    def exclude_edit(self):
        return self.options["int8-dynamic"].exclude_edit

    @property
    def min_cosine_check(self):
        return self.options["int8-dynamic"].min_cosine_check

    @property
    def min_cosine_spin(self):
        return self.options["int8-dynamic"].min_cosine_spin

    @property
    def calibration_edit(self):
        return self.options["int8-static"].calibration_edit

    def min_cosine(self):
        """None: the int8 default (0.99, best effort); a number: what the user requires (0: off)."""
        return self.options["int8-dynamic"].min_cosine()

    def _models_changed(self, *_args) -> None:
        """Offer the current model and its optimized variant; a new current model becomes the selection."""
        keep = self.input_combo.currentText()
        if _args:  # onnxChanged(path): select the new current model
            keep = self.state.onnx_path
        paths = list(dict.fromkeys(p for p in (self.state.onnx_path, self.state.variants.get("optimized")) if p))
        self.input_combo.blockSignals(True)
        self.input_combo.clear()
        self.input_combo.addItems(paths)
        self.input_combo.setCurrentText(keep if keep in paths else (paths[0] if paths else ""))
        self.input_combo.blockSignals(False)

    def add_exclusion(self, node_name: str) -> None:
        names = list(split_names(self.exclude_edit.toPlainText()))
        if node_name and node_name not in names:
            names.append(node_name)
            self.exclude_edit.setPlainText("\n".join(names))

    # -- specs -----------------------------------------------------------------------------------------------
    def selected_modes(self) -> list[str]:
        return [m for m, check in self.mode_checks.items() if check.isChecked()]

    def specs(self) -> list[QuantSpec]:
        model = self.input_combo.currentText().strip()
        if not model:
            raise ValueError(self.tr("Export a model first, or type the path of an ONNX file."))
        modes = self.selected_modes()
        if not modes:
            raise ValueError(self.tr("Tick at least one variant."))
        if "int8-static" in modes and not self.calibration_edit.text().strip():
            raise ValueError(self.tr("int8 static needs calibration data: choose a file or a folder."))
        folder = Path(self.output_dir_edit.text().strip() or Path(model).parent)
        stem = Path(model).stem
        return [self.options[mode].spec(model, str(folder / f"{stem}.{mode}.onnx")) for mode in modes]

    # -- running ---------------------------------------------------------------------------------------------
    def quantize(self) -> list:
        try:
            specs = self.specs()
        except ValueError as err:
            show_error(self, self.tr("Quantize"), str(err))
            return []
        self._requantizing = False
        return self._start(specs)

    def requantize(self, kept: list):
        """int8 again with exactly the ticked nodes in float32 (as ``--exclude``), no further search."""
        in_table = {r["node"] for r in self.sensitivity.model._rows}
        typed = [n for n in split_names(self.exclude_edit.toPlainText()) if n not in in_table]
        self.mode_checks["int8-dynamic"].setChecked(True)
        self.exclude_edit.setPlainText("\n".join(typed + list(kept)))
        self.min_cosine_check.setChecked(True)
        self.min_cosine_spin.setValue(0.0)  # "off": the ticked nodes are the whole choice
        try:
            spec = next(s for s in self.specs() if s.mode == "int8-dynamic")
        except ValueError as err:
            show_error(self, self.tr("Quantize"), str(err))
            return None
        self._requantizing = True
        jobs = self._start([spec])
        return jobs[0] if jobs else None

    def _start(self, specs: list) -> list:
        started = []
        for spec in specs:
            self._set_row(spec.mode, self.tr("running"), BUSY_COLOR, output=spec.output)
            job = self.start_job(self.tr("Quantize {0}").format(spec.mode), run_quantize, spec,
                                 cleanup=[spec.output], on_success=self.show_result)
            if job is None:  # the user kept the existing file
                self._set_row(spec.mode, self.tr("not started"), None)
                continue
            job.failed.connect(lambda msg, m=spec.mode: self._set_row(m, self.tr("failed"), BAD_COLOR, tip=msg))
            job.cancelled.connect(lambda m=spec.mode: self._set_row(m, self.tr("cancelled"), None))
            job.finished.connect(lambda _s: self._update_busy())
            self.jobs[spec.mode] = job
            started.append(job)
        self._update_busy()
        return started

    def cancel_job(self) -> None:
        for job in self.jobs.values():
            job.cancel()

    def _update_busy(self) -> None:
        busy = any(j.is_running for j in self.jobs.values())
        self.run_button.setEnabled(not busy and not getattr(self.state, "load_error", ""))
        self.cancel_button.setEnabled(busy)
        if not busy and self.jobs:
            states = [j.state for j in self.jobs.values()]
            state = (DONE if "done" in states and "failed" not in states
                     else FAILED if "failed" in states else IDLE)
            # the checkmark follows the files: a cancelled or failed re-run keeps it while a variant exists
            self.set_step_state(DONE if state != DONE and self.artifact_exists() else state)
        elif busy:
            self.set_step_state(RUNNING)

    def _set_busy(self, busy: bool) -> None:  # several jobs: the buttons follow all of them
        self._update_busy()

    def artifact_exists(self) -> bool:
        return any(Path(r.output).exists() for r in self.results.values())

    def model_reset(self) -> None:
        """A new model: the previous model's variants and their verdicts are no longer shown."""
        self.results.clear()
        self.rows.clear()
        self.jobs = {m: j for m, j in self.jobs.items() if j.is_running}
        self.model.set_rows([])
        self.sensitivity.setVisible(False)
        super().model_reset()

    def _set_row(self, mode, state, color, output=None, result=None, tip=None) -> None:
        old = self.rows.get(mode, ([mode, "", None, None, None, None, "", None, output or ""], None, None))[0]
        row = list(old)
        row[1] = state
        if result is None and state != self.tr("done"):
            row[6] = ""  # a new run, a failure or a cancel: the old verdict no longer describes a file
        if result is not None:
            before, after = result.size_bytes.get("before"), result.size_bytes.get("after")
            level, verdict = quantize_verdict(result)
            notes = [engine_text(str(n)) for n in getattr(result, "notes", None) or []]
            color, tip = VERDICT_COLORS[level], tip or "\n".join([verdict, *notes])
            row[2:9] = [human_bytes(before), human_bytes(after),
                        f"{after / before:.2f}×" if before and after else "", f"{result.fidelity.cosine:.6f}",
                        verdict, result.fidelity.max_abs_diff, result.output]
        self.rows[mode] = (row, color, tip)
        ordered = [self.rows[m] for m in self.modes if m in self.rows]
        self.model.set_rows([r[0] for r in ordered], [r[1] for r in ordered], [r[2] for r in ordered])

    def show_result(self, result) -> None:
        self.results[result.mode] = result
        self._set_row(result.mode, self.tr("done"), OK_COLOR, result=result)
        self.log(quantize_verdict(result)[1])
        self.state.add_variant(result.mode, result.output)
        if result.mode == "int8-dynamic":
            if self._requantizing:
                self.sensitivity.show_requantized(result)
            else:
                self.sensitivity.show_targeting(result.targeting)

    # -- CLI / recipe ----------------------------------------------------------------------------------------
    def cli_command(self) -> str:
        return "\n".join(commands.quantize_command(spec) for spec in self.specs())

    def recipe_sections(self) -> dict:
        order = getattr(self, "_recipe_order", [])  # a loaded recipe's variants keep their order
        modes = sorted(self.selected_modes(), key=lambda m: order.index(m) if m in order else len(order))
        entries = [self.options[mode].entry() for mode in modes]
        return {"quantize": entries} if entries else {}

    def apply_recipe(self, recipe: dict) -> None:
        """One variant per mode: each `[[quantize]]` entry fills its mode's options page (defaults for what it
        leaves out); a second entry of the same mode cannot be shown and is named in the log."""
        entries = recipe.get("quantize") or []
        if isinstance(entries, dict):
            entries = [entries]
        seen = {}
        for entry in entries:
            mode = entry.get("mode")
            if mode not in self.options:
                self.log(self.tr("Recipe: quantize mode {0} is not one the panel offers; left out").format(mode))
            elif mode in seen:
                self.log(self.tr("Recipe: a second {0} variant ({1}) cannot be shown; the panel keeps the first")
                         .format(mode, entry.get("name") or mode))
            else:
                seen[mode] = entry
        for mode, page in self.options.items():
            page.apply(seen.get(mode, {"mode": mode}))
        for mode, check in self.mode_checks.items():
            check.blockSignals(True)
            check.setChecked(mode in seen)
            check.blockSignals(False)
        self._recipe_order = list(seen)
        if seen:
            self.show_options(next(iter(seen)))
