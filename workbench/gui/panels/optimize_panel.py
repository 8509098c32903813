"""Optimize: onnxslim, ONNX Runtime graph optimization and transformer fusion, with node counts before/after."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
)

from workbench.core.recipe_schema import with_defaults
from workbench.core.specs import OPT_LEVELS, ModelSource, OptimizeSpec
from workbench.gui import commands
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.models import RecordTableModel
from workbench.gui.panels.base import PanelBase, PathEdit, show_error
from workbench.gui.tasks import run_optimize


def _table(model, parent) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class OptimizePanel(PanelBase):
    step = "optimize"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.result = None
        self._output_auto = True
        self.set_header(self.tr("Optimize"),
                        self.tr("Simplify the graph (onnxslim), apply ONNX Runtime's graph optimizations and fuse "
                                "transformer blocks where the model type is known. The result is a new variant; "
                                "the current model is not replaced."))
        self.body().addWidget(self._settings_box())
        self.counts = self.banner("okBanner")
        self.body().addWidget(self.counts)
        splitter = QSplitter(Qt.Horizontal, self)
        self.steps_model = RecordTableModel([self.tr("Step"), self.tr("Applied"), self.tr("Nodes before"),
                                             self.tr("Nodes after"), self.tr("Detail")], self)
        self.ops_model = RecordTableModel([self.tr("Operator"), self.tr("Before"), self.tr("After"),
                                           self.tr("Change")], self)
        splitter.addWidget(_table(self.steps_model, splitter))
        splitter.addWidget(_table(self.ops_model, splitter))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.body().addWidget(splitter, 1)
        row = self.make_action_row(self.tr("Optimize"), "optimize")
        self.run_button.clicked.connect(self.optimize)
        self.use_button = QPushButton(self.tr("Use as current model"), self)
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_result)
        row.insertWidget(2, self.use_button)
        self.body().addLayout(row)
        self.state.onnxChanged.connect(self._onnx_changed)
        self._onnx_changed(self.state.onnx_path)

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Settings"), self)
        form = QFormLayout(box)
        self.model_edit = PathEdit("open", self.tr("ONNX models (*.onnx)"), box)
        self.output_edit = PathEdit("save", self.tr("ONNX models (*.onnx)"), box)
        self.output_edit.edit.textEdited.connect(lambda _t: setattr(self, "_output_auto", False))
        self.level_combo = QComboBox(box)
        self.level_combo.addItems(OPT_LEVELS)
        self.level_combo.setCurrentText("extended")
        checks = QHBoxLayout()
        self.simplify_check = QCheckBox(self.tr("Simplify (onnxslim)"), box)
        self.simplify_check.setChecked(True)
        self.fusion_check = QCheckBox(self.tr("Transformer fusion"), box)
        self.fusion_check.setChecked(True)
        self.revalidate_check = QCheckBox(self.tr("Validate against PyTorch afterwards"), box)
        checks.addWidget(self.simplify_check)
        checks.addWidget(self.fusion_check)
        checks.addWidget(self.revalidate_check)
        checks.addStretch(1)
        form.addRow(self.tr("Input model:"), self.model_edit)
        form.addRow(self.tr("Output:"), self.output_edit)
        form.addRow(self.tr("Level:"), self.level_combo)
        form.addRow(checks)
        return box

    def _onnx_changed(self, path: str) -> None:
        self.model_edit.setText(path)
        if path and self._output_auto:
            p = Path(path)
            self.output_edit.setText(str(p.with_name(f"{p.stem}.opt.onnx")))

    def spec(self) -> OptimizeSpec:
        model, output = self.model_edit.text(), self.output_edit.text()
        if not model:
            raise ValueError(self.tr("Export a model first, or choose an ONNX file."))
        if not output:
            raise ValueError(self.tr("Choose where to write the optimized model."))
        against = None
        if self.revalidate_check.isChecked() and self.state.source_path:
            against = ModelSource(path=self.state.source_path)
        return OptimizeSpec(model=model, output=output, level=self.level_combo.currentText(),
                            simplify=self.simplify_check.isChecked(), fusion=self.fusion_check.isChecked(),
                            against=against)

    def optimize(self):
        try:
            spec = self.spec()
        except ValueError as err:
            show_error(self, self.tr("Optimize"), str(err))
            return None
        self.use_button.setEnabled(False)
        return self.start_job(self.tr("Optimize {0}").format(Path(spec.model).name), run_optimize, spec,
                              cleanup=[spec.output], on_success=self.show_result)

    def show_result(self, result) -> None:
        self.result = result
        self._fill_steps(result)
        ops = sorted(set(result.op_counts_before) | set(result.op_counts_after))
        rows = []
        for op in ops:
            before, after = result.op_counts_before.get(op, 0), result.op_counts_after.get(op, 0)
            rows.append([op, before, after, f"{after - before:+d}" if after != before else ""])
        rows.sort(key=lambda r: -(abs(r[2] - r[1])))
        self.ops_model.set_rows(rows)
        saved = result.nodes_before - result.nodes_after
        pct = 100.0 * saved / result.nodes_before if result.nodes_before else 0.0
        self.counts.setText(self.tr("Nodes: {0} before, {1} after ({2:.1f}% fewer).").format(
            result.nodes_before, result.nodes_after, pct))
        self.counts.show()
        self.use_button.setEnabled(True)
        self.state.add_variant("optimized", result.output)
        if result.validation is not None:
            self.state.set_validation(result.validation)

    def _fill_steps(self, result) -> None:
        """The steps table from the engine's English step names and details, in the installed language."""
        self.steps_model.set_rows([[engine_text(s.get("name", "")), s.get("applied"), s.get("nodes_before"),
                                    s.get("nodes_after"), engine_text(s.get("detail", ""))] for s in result.steps])

    def retranslate(self) -> None:
        """A live language switch: the texts, and the steps table written again from the result (issue 17)."""
        super().retranslate()
        if self.result is not None:
            self._fill_steps(self.result)

    def model_reset(self) -> None:
        """A new model: the previous model's optimization results no longer describe it."""
        self.result = None
        self.steps_model.set_rows([])
        self.ops_model.set_rows([])
        self.counts.hide()
        self.use_button.setEnabled(False)
        super().model_reset()

    def use_result(self) -> None:
        if self.result is not None:
            self.state.set_onnx(self.result.output)

    def cli_command(self) -> str:
        return commands.optimize_command(self.spec())

    def recipe_sections(self) -> dict:
        return {"optimize": {"level": self.level_combo.currentText(), "simplify": self.simplify_check.isChecked(),
                             "fusion": self.fusion_check.isChecked()}}

    def apply_recipe(self, recipe: dict) -> None:
        section = with_defaults("optimize", recipe.get("optimize"))  # OptimizeSpec's defaults for keys left out
        self.level_combo.setCurrentText(section["level"])
        self.simplify_check.setChecked(bool(section["simplify"]))
        self.fusion_check.setChecked(bool(section["fusion"]))
