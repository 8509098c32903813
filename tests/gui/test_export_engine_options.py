"""Export panel: OpenVINO's calibration data (a path option) and MNN's converter optimization level (an int option)
reach the spec, the copied command line and the recipe, and an empty path is no key at all."""

import shlex

import pytest

pytest.importorskip("openvino")


def _panel(qtbot, state):
    from workbench.gui.panels.export_panel import ExportPanel

    panel = ExportPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    state.set_source("/models/tiny-bert")
    return panel


def test_calibration_path_and_mnn_optimize_level_reach_spec_command_and_recipe(qtbot, state, tmp_path):
    from workbench.cli import build_parser

    panel = _panel(qtbot, state)
    panel.target_combo.setCurrentText("openvino")
    calibration = next(c for c in panel.target_options.controls["openvino"] if c.option.field == "calibration")
    assert calibration.edit.isVisible() and panel.spec().calibration is None
    assert "calibration" not in panel.recipe_sections()["export"] and "--calibration" not in panel.cli_command()
    calibration.edit.setText(str(tmp_path / "cal.txt"))  # typed in
    quant = next(c for c in panel.target_options.controls["openvino"] if c.option.field == "quant")
    quant.combo.setCurrentIndex(quant.combo.findData("int4"))
    quant.combo.activated.emit(quant.combo.currentIndex())
    assert (panel.spec().calibration, panel.spec().quant) == (str(tmp_path / "cal.txt"), "int4")
    assert panel.recipe_sections()["export"]["calibration"] == str(tmp_path / "cal.txt")
    args = build_parser().parse_args(shlex.split(panel.cli_command())[1:])
    assert (args.calibration, args.quant) == (str(tmp_path / "cal.txt"), "int4")
    panel.grab().save(str(tmp_path / "openvino_options.png"))

    panel.target_combo.setCurrentText("mnn")
    level = next(c for c in panel.target_options.controls["mnn"] if c.option.field == "optimize_level")
    assert level.combo.currentText() == "1" and panel.spec().optimize_level is None  # the target's default
    level.combo.setCurrentIndex(level.combo.findData("2"))
    level.combo.activated.emit(level.combo.currentIndex())
    assert panel.spec().optimize_level == 2 and panel.recipe_sections()["export"]["optimize_level"] == 2
    assert build_parser().parse_args(shlex.split(panel.cli_command())[1:]).optimize_level == 2
