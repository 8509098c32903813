"""Export: the exporter's options, a dynamic-axes editor, and the export itself as a child-process job.

Size: ~350 lines: the options, inputs and target forms all feed the one ExportSpec the panel builds and the recipe
sections it writes, "Add to recipe" included (the axes table is axes_editor.py, the target forms
core/target_options.py, the recipe's variant list recipe_variants.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.dynamic_axes import default_axes
from workbench.core.specs import DTYPES, EXPORTERS, ExportSpec, InputSpec, ModelSource
from workbench.gui import commands
from workbench.gui.formatting import ElidedLabel, scroll_area
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.panels.axes_editor import DynamicAxesBox
from workbench.gui.panels.base import PanelBase, PathEdit
from workbench.gui.panels.target_options_box import TargetOptionsBox
from workbench.gui.tasks import run_export


def _names(text: str):
    names = tuple(n.strip() for n in text.replace(";", ",").split(",") if n.strip())
    return names or None


def _with_shapes(names, shapes: dict) -> str:
    """'input_ids: batch × sequence; ...': the shapes as the exported file states them (read back); an input whose
    every dimension is a number is marked fixed (only that size will run)."""
    parts = []
    for n in names:
        dims = (shapes or {}).get(n)
        if dims is None:
            parts.append(str(n))
            continue
        text = " × ".join(map(str, dims)) or QCoreApplication.translate("ExportPanel", "scalar")
        if dims and all(isinstance(d, int) for d in dims):
            text += " " + QCoreApplication.translate("ExportPanel", "(fixed size)")
        parts.append(f"{n}: {text}")
    return "; ".join(parts)


class ExportPanel(PanelBase):
    step = "export"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.result = None
        self._output_auto = True
        self._recipe_source = None  # the source of the last recipe applied (its axes are kept as they are)
        self.set_header(self.tr("Export"),
                        self.tr("Convert the loaded model for a runtime: ONNX, or another target of the Target "
                                "list (GGUF for llama.cpp, OpenVINO IR, ...) with that target's own options. For "
                                "ONNX the dynamo exporter is tried first and falls back to the legacy exporter when "
                                "it fails (the reason is reported). Example sizes of 2 or more keep dynamic axes "
                                "dynamic."))
        # The forms and the axes table scroll together when the window is too short for them (e.g. once the
        # banner below shows): squeezed, the forms clipped their fields' letters.
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        for col, box in enumerate((self._options_box(), self._inputs_box())):
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            grid.addWidget(box, 0, col, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        column.addLayout(grid)
        column.addWidget(self.target_options)
        self.add_variant_button = QPushButton(self.tr("Add to recipe"), content)
        self.add_variant_button.setToolTip(self.tr("Add this target with these options to the recipe as one more "
                                                   "artifact: a recipe run writes, validates and benchmarks it "
                                                   "beside the others (listed in Report)"))
        self.add_variant_button.clicked.connect(lambda: self.add_to_recipe())
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_variant_button)
        add_row.addStretch(1)
        column.addLayout(add_row)
        column.addWidget(self._axes_box(), 1)
        self.body().addWidget(scroll_area(content, self), 1)
        self.summary = self.banner("okBanner")
        self.body().addWidget(self.summary)
        row = self.make_action_row(self.tr("Export"), "export")
        self.run_button.clicked.connect(self.export)
        self.body().addLayout(row)
        self.state.sourceChanged.connect(self._source_changed)
        self.state.inspectChanged.connect(self._inspected)
        self._source_changed(self.state.source_path)
        self._target_changed()

    # -- layout ----------------------------------------------------------------------------------------------
    def _options_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Exporter"), self)
        form = QFormLayout(box)
        # One line, cut at its end with the whole path in the tooltip: a word-wrapped path made the form taller
        # than the layout gave it once the banner below showed, clipping the fields' letters.
        self.source_label = ElidedLabel(self.tr("(no model loaded)"), box)
        self.output_edit = PathEdit("save", self.tr("ONNX models (*.onnx)"), box)
        self.output_edit.edit.textEdited.connect(self._output_edited)
        self.output_edit.button.clicked.connect(self._output_edited)
        self.exporter_combo = QComboBox(box)
        self.exporter_combo.addItems(EXPORTERS)
        from workbench.core.registry import default_registry

        self.registry = default_registry()
        self.target_combo = QComboBox(box)  # every registered target, plugins included
        self.target_combo.addItems(list(self.registry.targets))
        self.opset_spin = QSpinBox(box)
        self.opset_spin.setRange(0, 23)
        self.opset_spin.setSpecialValueText(self.tr("exporter default"))
        self.opset_spin.setValue(0)
        self.dtype_combo = QComboBox(box)
        self.dtype_combo.addItems(DTYPES)
        self.folding_check = QCheckBox(self.tr("Fold constants"), box)
        self.folding_check.setChecked(True)
        form.addRow(self.tr("Source:"), self.source_label)
        form.addRow(self.tr("Output:"), self.output_edit)
        form.addRow(self.tr("Exporter:"), self.exporter_combo)
        form.addRow(self.tr("Opset:"), self.opset_spin)
        form.addRow("", self.folding_check)
        form.addRow(self.tr("Target:"), self.target_combo)
        form.addRow(self.tr("Dtype:"), self.dtype_combo)
        # the chosen target's own options, in a box of their own under the forms (built from its declaration)
        self.target_options = TargetOptionsBox(self.registry, {"dtype": self.dtype_combo}, self)
        self.target_combo.currentTextChanged.connect(lambda _t: self._target_changed())
        self.dtype_combo.currentTextChanged.connect(lambda _t: self.target_options.follow(
            self.target_combo.currentText(), {"dtype": self.dtype_combo.currentText()}))
        return box

    def _inputs_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Inputs and outputs"), self)
        form = QFormLayout(box)
        self.input_names_edit = QLineEdit(box)
        self.input_names_edit.setPlaceholderText(self.tr("automatic (e.g. input_ids, attention_mask)"))
        self.output_names_edit = QLineEdit(box)
        self.output_names_edit.setPlaceholderText(self.tr("automatic (e.g. logits)"))
        self.batch_spin = QSpinBox(box)
        self.batch_spin.setRange(1, 4096)
        self.batch_spin.setValue(InputSpec().batch)
        self.seq_spin = QSpinBox(box)
        self.seq_spin.setRange(1, 1 << 16)
        self.seq_spin.setValue(InputSpec().sequence)
        form.addRow(self.tr("Input names:"), self.input_names_edit)
        form.addRow(self.tr("Output names:"), self.output_names_edit)
        form.addRow(self.tr("Example batch:"), self.batch_spin)
        form.addRow(self.tr("Example sequence:"), self.seq_spin)
        note = QLabel(self.tr("Leave names empty to use the model's own."), box)
        note.setObjectName("panelHint")
        form.addRow(note)
        return box

    def _axes_box(self) -> QGroupBox:
        box = DynamicAxesBox(self, suggest=self.suggest_axes)
        self.axes_group, self.axes_table = box, box.table
        return box

    # -- target --------------------------------------------------------------------------------------------
    def _field_widgets(self) -> dict:
        """The panel's controls of each ExportSpec field a target may declare it does not use."""
        return {"exporter": [self.exporter_combo], "opset": [self.opset_spin], "dtype": [self.dtype_combo],
                "constant_folding": [self.folding_check], "input_names": [self.input_names_edit],
                "output_names": [self.output_names_edit], "dynamic_axes": [self.axes_group],
                "inputs": [self.batch_spin, self.seq_spin]}

    def _target_changed(self) -> None:
        """The chosen target's options appear; the controls it does not use are disabled, saying so; the output
        name takes the target's suffix (a name the user typed keeps its folder and stem)."""
        name = self.target_combo.currentText()
        target = self.registry.targets.get(name)
        if target is None:
            return
        unused = set(target.form.unused)
        for field, widgets in self._field_widgets().items():
            for widget in widgets:
                widget.setEnabled(field not in unused)
                widget.setToolTip(self.tr("The {0} target does not use this setting.").format(name)
                                  if field in unused else "")
        if "dtype" not in self.target_options.generic_fields(name):  # every dtype again (a target may restrict it)
            model = self.dtype_combo.model()
            for i in range(self.dtype_combo.count()):
                model.item(i).setEnabled(True)
                model.item(i).setToolTip("")
        self.target_options.set_target(name, {"dtype": self.dtype_combo.currentText()})
        from workbench.core.recipe_schema import VARIANT_TARGETS

        self.add_variant_button.setVisible(name in VARIANT_TARGETS)
        suffix = target.suffix or ""
        self.output_edit.file_filter = self.tr("{0} files (*{1})").format(name, suffix) if suffix else ""
        output = self.output_edit.text()
        known = {t.suffix for t in self.registry.targets.values() if t.suffix}
        if output and suffix and Path(output).suffix.lower() in known | {""} and not output.endswith(suffix):
            self.output_edit.setText(str(Path(output).with_suffix(suffix)))

    # -- dynamic axes (panels/axes_editor.py) ----------------------------------------------------------------
    def add_axis(self, input_name: str, axis: int, name: str) -> None:
        self.axes_group.add_axis(input_name, axis, name)

    def remove_selected_axes(self) -> None:
        self.axes_group.remove_selected()

    def set_dynamic_axes(self, axes: dict) -> None:
        self.axes_group.set_axes(axes)

    def suggest_axes(self) -> None:
        """The engine's defaults (every input the model is fed, from the last inspection; else text inputs)."""
        self.set_dynamic_axes(getattr(self, "_default_axes", None) or default_axes())
        self._suggested_axes = self.dynamic_axes()  # a new model replaces these while they stay unedited

    def dynamic_axes(self):
        """``{input: {axis: name}}`` from the table, or None (automatic) when it is empty."""
        return self.axes_group.axes()

    def _axes_or_none(self):
        """The table's axes, or None when a row is half filled (being edited: never the suggestion)."""
        try:
            return self.dynamic_axes()
        except ValueError:
            return None

    # -- state -----------------------------------------------------------------------------------------------
    def _output_edited(self, *_args) -> None:
        self._output_auto = False

    def model_reset(self) -> None:
        """A new model: the previous export's banner no longer describes it, and axes suggested for the previous
        model (not edited since) give way to the new model's suggestions once it is inspected."""
        self.result = None
        self.summary.hide()
        suggested = getattr(self, "_suggested_axes", None)
        if suggested is not None and self._axes_or_none() == suggested:
            self.set_dynamic_axes({})
        self._suggested_axes = None
        super().model_reset()

    def _source_changed(self, path: str) -> None:
        if not path:  # a failed load or a new model: nothing loaded was exported yet
            self.result = None
            self.summary.hide()
            if self._output_auto:
                self.output_edit.setText("")
        self.source_label.setText(path or self.tr("(no model loaded)"))
        if path and (self._output_auto or not self.output_edit.text()):
            target = self.registry.targets.get(self.target_combo.currentText())
            suffix = (target.suffix if target is not None else "") or ".onnx"
            self.output_edit.setText(str(Path(self.state.default_output_dir()) / f"model{suffix}"))

    def _inspected(self, result) -> None:
        config = getattr(result, "config", None) or {}
        self._default_axes = getattr(result, "default_dynamic_axes", None) or None
        from_recipe = self.state.source_path and self.state.source_path == self._recipe_source
        if self.axes_table.rowCount() == 0 and ("vocab_size" in config or "text_config" in config) \
                and not from_recipe:  # a recipe without `dynamic` (automatic axes) stays without
            self.suggest_axes()

    def spec(self) -> ExportSpec:
        source = self.state.source_path
        if not source:
            raise ValueError(self.tr("Load a model first (Load step)."))
        output = self.output_edit.text()
        if not output:
            raise ValueError(self.tr("Choose where to write the exported model."))
        target = self.target_combo.currentText()
        problems = self.target_options.problems(target)
        if problems:
            raise ValueError(engine_text(problems[0]))
        return ExportSpec(source=ModelSource(path=source), output=output, target=target,
                          **self.target_options.values(target),
                          exporter=self.exporter_combo.currentText(), opset=self.opset_spin.value() or None,
                          dtype=self.dtype_combo.currentText(), constant_folding=self.folding_check.isChecked(),
                          input_names=_names(self.input_names_edit.text()),
                          output_names=_names(self.output_names_edit.text()), dynamic_axes=self.dynamic_axes(),
                          inputs=InputSpec(batch=self.batch_spin.value(), sequence=self.seq_spin.value()))

    # -- running ---------------------------------------------------------------------------------------------
    def export(self):
        try:
            spec = self.spec()
        except ValueError as err:
            from workbench.gui.panels.base import show_error

            show_error(self, self.tr("Export"), str(err))
            return None
        self.summary.hide()
        return self.start_job(self.tr("Export {0}").format(Path(spec.output).name), run_export, spec,
                              cleanup=[spec.output], on_success=self.show_result)

    def show_result(self, result) -> None:
        self.result = result
        lines = [self.tr("Exported with the {0} exporter in {1:.1f} s: {2}").format(
            result.exporter, result.seconds, ", ".join(Path(p).name for p in result.outputs))]
        if result.fallback_reason:
            lines.append(self.tr("Fell back to the legacy exporter: {0}").format(engine_text(result.fallback_reason)))
        if result.input_names or result.output_names:
            lines.append(self.tr("Inputs in the file: {0}").format(
                _with_shapes(result.input_names, getattr(result, "input_shapes", {}))))
            lines.append(self.tr("Outputs in the file: {0}").format(
                _with_shapes(result.output_names, getattr(result, "output_shapes", {}))))
        lines += [engine_text(str(note)) for note in getattr(result, "notes", None) or []]
        self.summary.setText("\n".join(lines))
        self.summary.show()
        if result.target == "onnx":
            self.state.set_onnx(result.path)
            self.state.clear_variants()
            self.state.requestPanel.emit("graph")
        elif result.outputs and [r for r in self.registry.runtimes_for(result.outputs[0]) if r.name != "torch"]:
            # a GGUF or an OpenVINO IR: a variant the Benchmark and Chat panels offer beside the ONNX ones
            label = f"{result.target} {result.dtype}" if result.dtype else result.target
            self.state.add_variant(label, result.outputs[0])

    def add_to_recipe(self):
        """The current target and its options as a [[target]] entry of the recipe (through core's recipe
        reader); the entry, or None when the form or the reader refuses it (one line says why)."""
        from workbench.core.errors import WorkbenchError
        from workbench.gui.panels.base import show_error
        from workbench.gui.panels.recipe_variants import describe, entry_from_form

        target = self.target_combo.currentText()
        problems = self.target_options.problems(target)
        try:
            if problems:
                raise ValueError(engine_text(problems[0]))
            entry = self.state.add_recipe_variant(target, entry_from_form(
                target, self.target_options.values(target), self.dtype_combo.currentText()))
        except (ValueError, WorkbenchError) as err:
            show_error(self, self.tr("Add to recipe"), engine_text(str(err)))
            return None
        self.log(self.tr("Added to the recipe: {0}").format(describe(target, entry)))
        return entry

    # -- CLI / recipe ----------------------------------------------------------------------------------------
    def cli_command(self) -> str:
        return commands.export_command(self.spec())

    def recipe_sections(self) -> dict:
        try:
            axes = self.dynamic_axes()
        except ValueError:
            axes = None
        section = {"target": self.target_combo.currentText(), "exporter": self.exporter_combo.currentText(),
                   "opset": self.opset_spin.value() or None, "dtype": self.dtype_combo.currentText(),
                   "constant_folding": self.folding_check.isChecked(),
                   "dynamic": commands.dynamic_items(axes) or None,
                   "batch": self.batch_spin.value(), "sequence": self.seq_spin.value(),
                   "input_names": list(_names(self.input_names_edit.text()) or []) or None,
                   "output_names": list(_names(self.output_names_edit.text()) or []) or None,
                   **self.target_options.values(self.target_combo.currentText())}
        return {"export": section}

    def apply_recipe(self, recipe: dict) -> None:
        section = recipe.get("export") or {}
        self.exporter_combo.setCurrentText(section.get("exporter", "dynamo"))
        self.target_combo.setCurrentText(section.get("target", "onnx"))
        self.opset_spin.setValue(int(section.get("opset") or 0))
        self.dtype_combo.setCurrentText(section.get("dtype", "fp32"))
        self.folding_check.setChecked(bool(section.get("constant_folding", True)))
        self.batch_spin.setValue(int(section.get("batch", InputSpec().batch)))
        self.seq_spin.setValue(int(section.get("sequence", InputSpec().sequence)))
        self.input_names_edit.setText(", ".join(section.get("input_names", [])))
        self.output_names_edit.setText(", ".join(section.get("output_names", [])))
        self._recipe_source = (recipe.get("source") or {}).get("path")
        self._suggested_axes = None  # the recipe's axes are the user's: a new model does not replace them
        # no `dynamic` key: none in the panel either, so the recipe saves back without one
        self.set_dynamic_axes(commands.parse_dynamic_items(section.get("dynamic") or []))
        self.target_options.apply(section, {"dtype": self.dtype_combo.currentText()})
        self._target_changed()
