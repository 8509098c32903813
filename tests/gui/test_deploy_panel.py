"""The Deploy step's panel: artifact, language and folder; Generate writes the same program as `workbench deploy`,
shows its files and build command, refuses a missing artifact in one message; English and zh_CN screenshots."""

import numpy as np
import pytest

from workbench.gui.i18n import translators


def _onnx(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])],
                              [numpy_helper.from_array(np.ones((4, 2), np.float32), "W")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return path


@pytest.fixture
def panel(qtbot, state):
    from workbench.gui.panels.deploy_panel import DeployPanel

    widget = DeployPanel(state)
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    widget.show()
    return widget


def test_generate_writes_the_program_and_shows_how_to_build_it(qtbot, panel, tmp_path):
    from gui_helpers import wait_job

    model = _onnx(tmp_path / "m.onnx")
    panel.artifact_edit.setText(str(model))
    panel.output_edit.setText(str(tmp_path / "kit"))
    panel.lang_combo.setCurrentIndex(panel.lang_combo.findData("cpp"))
    assert panel.cli_command() == f"workbench deploy {model} -o {tmp_path / 'kit'} --lang cpp"
    job = panel.generate()
    assert wait_job(qtbot, job) == "done"
    assert (tmp_path / "kit" / "main.cpp").is_file() and '"x"' in (tmp_path / "kit" / "main.cpp").read_text()
    qtbot.waitUntil(panel.result_label.isVisible, timeout=5000)
    assert "CMakeLists.txt" in panel.result_label.text() and "cmake -S . -B build" in panel.result_label.text()
    panel.grab().save(str(tmp_path / "deploy-en.png"))
    panel.lang_combo.setCurrentIndex(panel.lang_combo.findData("python"))
    job = panel.generate()  # the folder an earlier deploy wrote is replaced
    assert wait_job(qtbot, job) == "done"
    assert (tmp_path / "kit" / "run_model.py").is_file() and not (tmp_path / "kit" / "main.cpp").exists()


def test_missing_artifact_or_folder_is_one_message_and_no_job(qtbot, panel, tmp_path, monkeypatch):
    from workbench.gui.panels import base

    shown = []
    monkeypatch.setattr(base, "show_error", lambda parent, title, message: shown.append(message))
    assert panel.generate() is None and shown == ["Choose an artifact first"]
    panel.artifact_edit.setText(str(tmp_path / "m.onnx"))
    assert panel.generate() is None and shown[-1] == "Choose an output folder first"
    with pytest.raises(ValueError):
        panel.output_edit.setText("")
        panel.cli_command()


def test_panel_reads_in_zh_cn(qtbot, panel, tmp_path):
    from workbench.gui import i18n

    try:
        translators.install_translator("zh_CN")
        panel.retranslate()
        assert panel.title_label.text() == "部署" and panel.run_button.text() == "生成"
        assert panel.lang_label.text() == "语言"
        panel.grab().save(str(tmp_path / "deploy-zh.png"))
    finally:
        translators.install_translator("en")
        i18n.retranslate_tree(panel)
