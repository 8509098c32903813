"""The validate panel's "Locate the first difference": the spec and command line carry --locate, the culprit is
shown with its errors, and the Graph panel selects that node and shows both sides' statistics."""

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")
pytest.importorskip("netron")

from tests.gui.test_netron_view import READY_MS, tiny_onnx  # noqa: E402,F401 - the fixture

from workbench.core.results import OutputDiff, ValidateResult  # noqa: E402

DIVERGENCE = {"node": "node_linear_1", "op_type": "Gemm", "module": "net.1", "value": "y",
              "boundary_of": "net.1 (output)", "max_rel_diff": 0.05, "max_abs_diff": 0.02, "cosine": 0.99871,
              "inputs": [{"name": "relu", "module": "net.0", "max_rel_diff": 1.2e-7, "cosine": 1.0}],
              "region": [{"node": "node_linear_1", "op_type": "Gemm", "module": "net.1"}],
              "candidates_checked": 3, "how": "first boundary value beyond tolerance whose inputs are within it"}


def _result(divergence):
    return ValidateResult(passed=divergence is None, shapes_tried=[[2, 8]], rtol=1e-4, atol=1e-5, outputs=[
        OutputDiff(name="y", shape=[2, 4], max_abs_diff=0.02, max_rel_diff=0.05, cosine=0.99871, passed=False)],
        divergence=divergence, locate_checked=3)


def test_validate_panel_locate_option_and_culprit(qtbot, state, tmp_path):
    from workbench.gui.panels.validate_panel import ValidatePanel

    panel = ValidatePanel(state)
    qtbot.addWidget(panel)
    panel.model_edit.setText(str(tmp_path / "m.onnx"))
    panel.against_edit.setText(str(tmp_path))
    assert not panel.spec().locate and "--locate" not in panel.cli_command()
    panel.locate_check.setChecked(True)
    assert panel.spec().locate and panel.cli_command().endswith("--locate")
    panel.show_result(_result(DIVERGENCE))
    text = panel.culprit.text()
    assert "node_linear_1" in text and "Gemm" in text and "net.1" in text and "0.05" in text and "relu" in text
    assert panel.show_culprit.isVisibleTo(panel)
    requested = []
    state.requestPanel.connect(requested.append)
    panel.show_culprit.click()
    assert requested == ["graph"]
    panel.show_result(_result(None))
    assert "No module diverges" in panel.culprit.text() and not panel.show_culprit.isVisibleTo(panel)


def test_graph_panel_selects_the_culprit(qtbot, tiny_onnx):  # noqa: F811
    from workbench.gui.panels.graph_panel import GraphPanel
    from workbench.gui.state import AppState

    state = AppState()
    panel = GraphPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    try:
        state.set_onnx(tiny_onnx)
        qtbot.waitUntil(lambda: panel.view.is_ready, timeout=READY_MS)
        with qtbot.waitSignal(panel.view.selectionChanged, timeout=10_000) as blocker:
            state.set_validation(_result(DIVERGENCE))
        assert blocker.args[0] == ["node_linear_1"]
        text = panel.info.toPlainText()
        assert "First divergence from PyTorch" in text and "net.1" in text and "relu" in text
        panel.grab().save("/tmp/locate_graph.png")
    finally:
        panel.shutdown()
