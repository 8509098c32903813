"""Validate: check the ONNX model and compare it with PyTorch, one row per output, green or red."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFormLayout, QGroupBox, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableView)

from workbench.core.specs import ModelSource, ValidateSpec
from workbench.gui import commands
from workbench.gui.formatting import fit_table
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.models import RecordTableModel
from workbench.gui.panels.base import PanelBase, PathEdit, show_error
from workbench.gui.tasks import run_validate

PASS_COLOR, FAIL_COLOR = QColor(46, 160, 90, 70), QColor(220, 60, 60, 80)


def parse_shapes(text: str) -> tuple:
    """``"2x8, 3x13"`` -> ``((2, 8), (3, 13))``."""
    shapes = []
    for part in text.replace(";", ",").split(","):
        part = part.strip().lower().replace("×", "x")
        if not part:
            continue
        b, _, s = part.partition("x")
        shapes.append((int(b), int(s)))
    if not shapes:
        raise ValueError("no shape")
    return tuple(shapes)


def _optional_float(text: str):
    text = text.strip()
    return float(text) if text else None


class ValidatePanel(PanelBase):
    step = "validate"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.result = None
        self.set_header(self.tr("Validate"),
                        self.tr("Run the ONNX checker and shape inference, then feed the same inputs to PyTorch "
                                "and ONNX Runtime at each shape below and compare every output (padded positions are "
                                "ignored)."))
        self.body().addWidget(self._settings_box())
        self.verdict = self.banner("okBanner")
        self.body().addWidget(self.verdict)
        self.model = RecordTableModel([self.tr("Output"), self.tr("Shape"), self.tr("Max abs diff"),
                                       self.tr("Max rel diff"), self.tr("Cosine"), self.tr("Result")], self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        # Numbers and shapes show whole (3 significant digits, never wrapped); a long output name ends in "…"
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        fit_table(self.table)
        self.body().addWidget(self.table, 1)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.body().addWidget(self.details)
        self.culprit = QLabel(self)
        self.culprit.setObjectName("locateCulprit")
        self.culprit.setWordWrap(True)
        self.culprit.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.culprit.hide()
        self.body().addWidget(self.culprit)
        self.show_culprit = QPushButton(self.tr("Show in the graph"), self)
        self.show_culprit.hide()
        self.show_culprit.clicked.connect(lambda: self.state.requestPanel.emit("graph"))
        self.body().addWidget(self.show_culprit, 0, Qt.AlignLeft)
        row = self.make_action_row(self.tr("Validate"), "validate")
        self.run_button.clicked.connect(self.validate)
        self.body().addLayout(row)
        self.state.onnxChanged.connect(self.model_edit.setText)
        self.state.sourceChanged.connect(self.against_edit.setText)
        self.model_edit.setText(self.state.onnx_path)
        self.against_edit.setText(self.state.source_path)

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("What to compare"), self)
        form = QFormLayout(box)
        self.model_edit = PathEdit("open", self.tr("ONNX models (*.onnx)"), box)
        self.against_edit = PathEdit("folder", "", box)
        self.rtol_edit = QLineEdit(box)
        self.rtol_edit.setPlaceholderText(self.tr("default for the dtype (1e-4 for fp32)"))
        self.atol_edit = QLineEdit(box)
        self.atol_edit.setPlaceholderText(self.tr("default for the dtype (1e-5 for fp32)"))
        default_shapes = ValidateSpec.__dataclass_fields__["shapes"].default  # the engine's: 3, all different
        self.shapes_edit = QLineEdit(", ".join(f"{b}x{s}" for b, s in default_shapes), box)
        self.shapes_edit.setToolTip(self.tr("batch x sequence pairs, separated by commas"))
        form.addRow(self.tr("ONNX model:"), self.model_edit)
        form.addRow(self.tr("Against (PyTorch):"), self.against_edit)
        form.addRow(self.tr("Relative tolerance:"), self.rtol_edit)
        form.addRow(self.tr("Absolute tolerance:"), self.atol_edit)
        form.addRow(self.tr("Shapes (batch x sequence):"), self.shapes_edit)
        self.locate_check = QCheckBox(self.tr("Locate the first difference (compare every module with PyTorch)"), box)
        form.addRow("", self.locate_check)
        return box

    def spec(self) -> ValidateSpec:
        model, against = self.model_edit.text(), self.against_edit.text()
        if not model:
            raise ValueError(self.tr("Export a model first, or choose an ONNX file."))
        if not against:
            raise ValueError(self.tr("Choose the PyTorch model to compare against."))
        try:
            rtol, atol = _optional_float(self.rtol_edit.text()), _optional_float(self.atol_edit.text())
        except ValueError:
            raise ValueError(self.tr("Tolerances must be numbers such as 1e-4.")) from None
        try:
            shapes = parse_shapes(self.shapes_edit.text())
        except ValueError:
            raise ValueError(self.tr("Write shapes as batch x sequence pairs, e.g. 2x8, 3x13.")) from None
        return ValidateSpec(model=model, against=ModelSource(path=against), rtol=rtol, atol=atol, shapes=shapes,
                            locate=self.locate_check.isChecked())

    def validate(self):
        try:
            spec = self.spec()
        except ValueError as err:
            show_error(self, self.tr("Validate"), str(err))
            return None
        return self.start_job(self.tr("Validate {0}").format(spec.model.rsplit("/", 1)[-1]), run_validate, spec,
                              on_success=self.show_result)

    def show_result(self, result) -> None:
        self.result = result
        rows, colors = [], []
        for out in result.outputs:
            rows.append([out.name, out.shape, out.max_abs_diff, out.max_rel_diff, f"{out.cosine:.7f}",
                         self.tr("pass") if out.passed else self.tr("FAIL")])
            colors.append(PASS_COLOR if out.passed else FAIL_COLOR)
        self.model.set_rows(rows, colors)
        shapes = ", ".join("×".join(str(d) for d in s) if isinstance(s, (list, tuple)) else str(s)
                           for s in result.shapes_tried)
        if result.passed:
            self.verdict.setObjectName("okBanner")
            self.verdict.setText(self.tr("PASSED: ONNX Runtime matches PyTorch on every output."))
        else:
            self.verdict.setObjectName("failBanner")
            self.verdict.setText(self.tr("FAILED: some outputs differ from PyTorch beyond the tolerances."))
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        self.verdict.show()
        self.details.setText(self.tr("Shapes tried: {0}. Tolerances: rtol {1:g}, atol {2:g}. Checker: {3}. "
                                     "Shape inference: {4}.").format(shapes, result.rtol, result.atol,
                                                                      result.checker, result.shape_inference)
                             + "".join(f"\n{engine_text(n)}" for n in getattr(result, "notes", None) or []))
        self._show_divergence(result)
        self.state.set_validation(result)

    def _show_divergence(self, result) -> None:
        d = getattr(result, "divergence", None)
        self.show_culprit.setVisible(bool(d))
        if not d:
            checked = getattr(result, "locate_checked", 0)
            self.culprit.setText(self.tr("No module diverges from PyTorch ({0} compared).").format(checked))
            self.culprit.setVisible(bool(checked))
            return
        inputs = ", ".join(f"{i['name']} {i['max_rel_diff']:.3g}" for i in d["inputs"]) or self.tr("none")
        self.culprit.setText(self.tr("First difference: node {0} ({1}) in {2}: max rel diff {3:.3g}, cosine {4:.6f}; "
                                     "its inputs' max rel diff: {5}.").format(d["node"], d["op_type"], d["module"],
                                                                             d["max_rel_diff"], d["cosine"], inputs))
        self.culprit.show()

    def model_reset(self) -> None:
        """A new model: the previous model's verdict and table no longer describe it."""
        self.result = None
        self.model.set_rows([])
        self.verdict.hide()
        self.details.setText("")
        self.culprit.hide()
        self.show_culprit.hide()
        super().model_reset()

    def cli_command(self) -> str:
        return commands.validate_command(self.spec())

    def recipe_sections(self) -> dict:
        try:
            rtol, atol = _optional_float(self.rtol_edit.text()), _optional_float(self.atol_edit.text())
        except ValueError:
            rtol = atol = None
        return {"validate": {"rtol": rtol, "atol": atol}}

    def apply_recipe(self, recipe: dict) -> None:
        section = recipe.get("validate") or {}
        self.rtol_edit.setText("" if section.get("rtol") is None else repr(section["rtol"]))
        self.atol_edit.setText("" if section.get("atol") is None else repr(section["atol"]))
