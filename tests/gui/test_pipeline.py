"""The pipeline panels on the tiny Llama folder: inspect, export (child process), validate, quantize."""

from pathlib import Path

from gui_helpers import wait_job
from PySide6.QtCore import Qt

from workbench.gui import workers


def test_load_panel_inspects_and_filters(qtbot, state, llama_dir):
    from workbench.gui.panels.load_panel import LoadPanel

    panel = LoadPanel(state)
    qtbot.addWidget(panel)
    job = panel.open_path(str(llama_dir))
    assert state.source_path == str(llama_dir)
    assert wait_job(qtbot, job, 60) == workers.DONE, job.error
    assert panel.format_label.text() == "hf-folder"
    total = panel.tensor_proxy.rowCount()
    assert total >= 2 * 9  # per layer: q k v o, gate up down, 2 norms; plus embeddings and final norm
    assert any(r[0] == "model" or "hidden_size" in str(r[0]) for r in panel.config_model.rows())
    panel.filter_edit.setText("q_proj")
    qtbot.waitUntil(lambda: panel.tensor_proxy.rowCount() == 2, timeout=3000)
    names = [panel.tensor_proxy.index(r, 0).data() for r in range(2)]
    assert all("q_proj" in n for n in names)
    panel.filter_edit.setText("/layers\\.1\\..*proj/")
    qtbot.waitUntil(lambda: panel.tensor_proxy.rowCount() == 7, timeout=3000)
    panel.filter_edit.clear()
    qtbot.waitUntil(lambda: panel.tensor_proxy.rowCount() == total, timeout=3000)
    # sortable: the largest tensor first when sorting by size, descending
    panel.tensor_view.sortByColumn(4, Qt.DescendingOrder)
    sizes = [panel.tensor_model.row(r)[4] for r in range(total)]
    assert sizes == sorted(sizes, reverse=True)
    assert panel.problems.isVisible() or not panel.isVisible()


def test_load_panel_shows_problems(qtbot, state, tmp_path):
    from workbench.gui.panels.load_panel import LoadPanel

    (tmp_path / "config.json").write_text('{"hidden_size": 8}')
    panel = LoadPanel(state)
    qtbot.addWidget(panel)
    job = panel.open_path(str(tmp_path))
    assert wait_job(qtbot, job, 60) == workers.DONE, job.error
    assert panel.problems.objectName() == "problems"
    assert "model_type" in panel.problems.text()


def test_export_panel_exports_in_child_process(qtbot, state, exported_onnx):
    assert Path(exported_onnx).is_file()
    assert Path(exported_onnx).name == "model.onnx"


def test_export_sets_state_and_requests_graph(qtbot, state, llama_dir, tmp_path, exported_onnx):
    # Drive show_result with a real result (no second export): the panel sets the current model and asks for
    # the graph view.
    from workbench.core.results import ExportResult
    from workbench.gui.panels.export_panel import ExportPanel

    state.set_source(str(llama_dir))
    panel = ExportPanel(state)
    qtbot.addWidget(panel)
    requested = []
    state.requestPanel.connect(requested.append)
    with qtbot.waitSignal(state.onnxChanged, timeout=2000):
        panel.show_result(ExportResult(outputs=[exported_onnx], exporter="dynamo", seconds=1.0))
    assert state.onnx_path == exported_onnx
    assert requested == ["graph"]
    assert panel.summary.isVisible() or not panel.isVisible()


def test_validate_panel_shows_passing_table(qtbot, state, llama_dir, exported_onnx):
    from workbench.gui.panels.validate_panel import PASS_COLOR, ValidatePanel

    state.set_source(str(llama_dir))
    state.set_onnx(exported_onnx)
    panel = ValidatePanel(state)
    qtbot.addWidget(panel)
    assert panel.model_edit.text() == exported_onnx
    job = panel.validate()
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    assert job.result.passed
    assert state.validation is job.result
    rows = panel.model.rows()
    assert rows and all(r[-1] == "pass" for r in rows)
    index = panel.model.index(0, 0)
    assert panel.model.data(index, Qt.BackgroundRole) == PASS_COLOR
    assert panel.verdict.objectName() == "okBanner"
    assert "2×8" in panel.details.text() or "2x8" in panel.details.text()


def test_quantize_panel_int8_dynamic(qtbot, state, exported_onnx, tmp_path):
    from workbench.gui.panels.quantize_panel import QuantizePanel

    state.set_onnx(exported_onnx)
    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    assert panel.input_combo.currentText() == exported_onnx
    panel.output_dir_edit.setText(str(tmp_path))
    assert panel.selected_modes() == ["int8-dynamic"]
    jobs = panel.quantize()
    assert len(jobs) == 1
    assert wait_job(qtbot, jobs[0], 240) == workers.DONE, jobs[0].error
    result = jobs[0].result
    assert Path(result.output).is_file()
    assert result.size_bytes["after"] < result.size_bytes["before"]
    row = panel.model.rows()[0]
    assert row[0] == "int8-dynamic" and row[1] == "done"
    assert 0.5 < float(row[5]) <= 1.0001  # cosine
    assert state.variants["int8-dynamic"] == result.output


def test_optimize_panel_shows_node_counts(qtbot, state, exported_onnx, tmp_path):
    from workbench.gui.panels.optimize_panel import OptimizePanel

    state.set_onnx(exported_onnx)
    panel = OptimizePanel(state)
    qtbot.addWidget(panel)
    assert panel.output_edit.text().endswith("model.opt.onnx")
    panel.output_edit.setText(str(tmp_path / "model.opt.onnx"))
    job = panel.optimize()
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    result = job.result
    assert (tmp_path / "model.opt.onnx").is_file()
    assert result.nodes_after <= result.nodes_before
    assert str(result.nodes_before) in panel.counts.text()
    assert panel.steps_model.rowCount() == len(result.steps)
    assert state.variants["optimized"] == result.output
    assert panel.use_button.isEnabled()
