"""Chat panel: an OpenVINO IR and an .mnn decoder (the Export panel's variants) answer beside PyTorch and ONNX
Runtime, each through its runtime's registered decoder, token by token, with the same tokens and text as PyTorch;
their columns are named by runtime and precision."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from workbench.gui import workers
from workbench.gui.panels.chat_panel import ORT, TORCH, ChatPanel

from edge_decoders import PROMPT, built_pair
from gui_helpers import wait_job

pytest.importorskip("openvino")
pytest.importorskip("MNN")


@pytest.fixture(scope="module")
def decoders(tmp_path_factory):
    return built_pair(tmp_path_factory, "chat-edge")


def test_openvino_and_mnn_answer_beside_pytorch_and_onnx_runtime(qtbot, state, decoders):
    from workbench import api

    source, paths = decoders
    state.set_source(str(source))
    state.add_variant("openvino fp32", paths["openvino"])
    state.add_variant("mnn fp32", paths["mnn"])
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.decoder_edit.setText(paths["onnx"])
    panel._refresh_variants()
    panel.resize(1280, 720)
    panel.show()
    items = {panel.variant_list.item(i).data(Qt.UserRole): panel.variant_list.item(i)
             for i in range(panel.variant_list.count())}
    for path in (paths["openvino"], paths["mnn"]):
        assert items[path].flags() & Qt.ItemIsEnabled and items[path].checkState() == Qt.Checked
    assert [(key, title) for key, title, _m in panel.wanted_columns()] == [
        (TORCH, "PyTorch"), (ORT, "ONNX Runtime fp32"), (paths["openvino"], "openvino fp32"),
        (paths["mnn"], "mnn fp32")]
    panel.max_tokens_spin.setValue(10)
    panel.prompt_edit.setPlainText(PROMPT)
    job = panel.send()
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    reference = api.generate(str(source), PROMPT, 10)
    assert reference.text
    for key in (TORCH, ORT, paths["openvino"], paths["mnn"]):
        column = panel.columns[key]
        assert not column.error and column.finished, (key, column.status.text())
        assert column.tokens == reference.tokens, key
        assert column.text.toPlainText() == reference.text, key
        assert column.tokens_per_s() > 0 and "tokens/s: " in column.stats.text()
        if key != TORCH:
            assert column.agree.objectName() == "chatAgreeOk" and "same tokens as PyTorch" in column.agree.text()
    assert not panel.error_banner.isVisible()
    shot = Path("/tmp/chat_openvino_mnn.png")
    panel.grab().save(str(shot))
    assert shot.stat().st_size > 0


def test_a_broken_ir_fails_its_column_in_one_line(qtbot, state, decoders, tmp_path):
    source, paths = decoders
    broken = tmp_path / "model.xml"
    broken.write_text(Path(paths["openvino"]).read_text()[:500])  # truncated XML, no .bin
    state.set_source(str(source))
    state.add_variant("openvino fp32", str(broken))
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.torch_check.setChecked(False)
    panel.max_tokens_spin.setValue(4)
    panel.prompt_edit.setPlainText(PROMPT)
    job = panel.send()
    assert wait_job(qtbot, job, 120) == workers.DONE, job.error
    column = panel.columns[str(broken)]
    assert column.error and "\n" not in column.error and "model.bin" in column.error
    assert not panel.error_banner.isHidden() and not column.tokens
