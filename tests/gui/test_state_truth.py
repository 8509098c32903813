"""The GUI's state follows reality (issue 17, points 2 and 4): a failed load leaves no previous model behind,
checkmarks follow the files that exist, and quantize results are judged against their precision's floor."""

from pathlib import Path

from gui_helpers import wait_job
from PySide6.QtCore import Qt

from workbench.gui import workers

SHOTS = Path("/tmp")


def _open(qtbot, window, path):
    job = window.open_path(str(path))
    assert job is not None
    wait_job(qtbot, job, 240)
    return job


def test_failed_load_clears_the_previous_model(qtbot, window, llama_dir, tmp_path):
    good = _open(qtbot, window, llama_dir)
    assert good.state == workers.DONE, good.error
    load = window.load_panel
    assert load.problems.isVisible() and load.tensor_model.total_rows() > 0
    assert window.export_panel.run_button.isEnabled()

    for name, content in (("broken.onnx", bytes(range(256)) * 3), ("notes.safetensors", b"just some text\n")):
        bad = tmp_path / name
        bad.write_bytes(content)
        window.log_widget.clear()
        # what the previous model left in the other panels (a verdict, node counts)
        window.validate_panel.verdict.setText("PASSED: ONNX Runtime matches PyTorch on every output.")
        window.validate_panel.verdict.show()
        window.optimize_panel.counts.setText("Nodes: 10 before, 8 after")
        window.optimize_panel.counts.show()
        job = _open(qtbot, window, bad)
        assert job.state == workers.FAILED
        # nothing of the previous model is shown, and the banner says why in one line
        assert load.tensor_model.total_rows() == 0 and load.config_model.rowCount() == 0
        assert load.format_label.text() == "—" and load.params_label.text() == "—"
        assert load.problems.isVisible() and load.problems.objectName() == "problems"
        assert "Could not load" in load.problems.text() and "ready to export" not in load.problems.text()
        assert "\n" not in load.problems.text()
        assert window.state.source_path == "" and window.state.onnx_path == "" and window.state.load_error
        # the steps that need a model cannot run
        for step in window.MODEL_STEPS:
            assert not window.navigator.is_step_enabled(step), step
        assert not window.export_panel.run_button.isEnabled()
        assert not window.export_action.isEnabled() and not window.quantize_action.isEnabled()
        assert not window.quantize_panel.run_button.isEnabled()
        assert window.export_panel.source_label.text() == "(no model loaded)"
        assert not window.export_panel.summary.isVisible()
        assert window.validate_panel.verdict.isHidden() and window.validate_panel.model_edit.text() == ""
        assert window.validate_panel.against_edit.text() == ""
        assert window.optimize_panel.counts.isHidden() and window.optimize_panel.model_edit.text() == ""
        # the Log shows one line for the failure; the traceback is behind the job row's Details…
        log = window.log_widget.toPlainText()
        assert "Traceback" not in log
        failed_lines = [ln for ln in log.splitlines() if "Failed:" in ln]
        assert len(failed_lines) == 1 and name in failed_lines[0]
        row = window.jobs_widget.row_for(job)
        if job.detail:
            assert row.details_button.isVisibleTo(row)
            box = row.show_details()
            assert box.detailedText() == job.detail
            if name == "broken.onnx":
                qtbot.waitExposed(box)
                box.grab().save(str(SHOTS / "state_truth_details.png"))
            box.close()
        if name == "broken.onnx":
            window.resize(1360, 860)
            qtbot.wait(50)
            window.grab().save(str(SHOTS / "state_truth_failed_load.png"))

    # loading a good model again brings the steps back
    good = _open(qtbot, window, llama_dir)
    assert good.state == workers.DONE
    assert window.navigator.is_step_enabled("export") and window.export_panel.run_button.isEnabled()
    assert window.export_action.isEnabled() and window.bench_action.isEnabled()
    assert window.state.load_error == ""


def _fake_export(path: str):
    def run(progress=None, cancel=None):
        from workbench.core.results import ExportResult

        Path(path).write_bytes(b"an exported model")
        return ExportResult(outputs=[path], exporter="dynamo", input_names=["input_ids", "token_type_ids"],
                            input_shapes={"input_ids": ["batch", "sequence"], "token_type_ids": [2, 8]},
                            output_names=["logits"], output_shapes={"logits": ["batch", "sequence", 128]})
    return run


def test_cancelled_export_keeps_the_checkmark_of_the_existing_file(qtbot, window, llama_dir, tmp_path):
    window.state.set_source(str(llama_dir))
    panel = window.export_panel
    first = str(tmp_path / "first.onnx")
    job = panel.start_job("Export first.onnx", _fake_export(first), process=False, on_success=panel.show_result)
    assert wait_job(qtbot, job, 30) == workers.DONE
    assert window.navigator.state_of("export") == "done"
    # the banner states the shapes read back from the file, and says which input is fixed
    assert "Inputs in the file: input_ids: batch × sequence; token_type_ids: 2 × 8 (fixed size)" in \
        panel.summary.text()
    assert "Outputs in the file: logits: batch × sequence × 128" in panel.summary.text()
    window.show_panel("export")
    qtbot.wait(50)
    window.grab().save(str(SHOTS / "state_truth_export_banner.png"))

    # a real export (child process) into another file, cancelled while it runs
    window.state.set_source(str(llama_dir))
    panel.output_edit.setText(str(tmp_path / "second.onnx"))
    job = panel.export()
    assert job is not None
    qtbot.waitUntil(lambda: job.state == workers.RUNNING, timeout=30000)
    job.cancel()
    assert wait_job(qtbot, job, 60) == workers.CANCELLED
    assert Path(first).is_file()
    assert window.navigator.state_of("export") == "done"  # the earlier export still exists

    # once the file is gone, a cancelled run no longer shows a checkmark
    Path(first).unlink()
    job = panel.export()
    qtbot.waitUntil(lambda: job.state == workers.RUNNING, timeout=30000)
    job.cancel()
    assert wait_job(qtbot, job, 60) == workers.CANCELLED
    assert window.navigator.state_of("export") == "idle"

    # a new model unchecks everything
    Path(first).write_bytes(b"again")
    job = panel.start_job("Export first.onnx", _fake_export(first), process=False, on_success=panel.show_result)
    assert wait_job(qtbot, job, 30) == workers.DONE
    assert window.navigator.state_of("export") == "done"
    _open(qtbot, window, llama_dir)
    assert window.navigator.state_of("export") == "idle"
    assert not panel.summary.isVisible()


def _quant_result(tmp_path, mode, cosine):
    from workbench.core.results import Fidelity, QuantizeResult

    out = tmp_path / f"model.{mode}.onnx"
    out.write_bytes(b"q")
    return QuantizeResult(output=str(out), mode=mode, size_bytes={"before": 4_000_000, "after": 1_100_000},
                          fidelity=Fidelity(cosine=cosine, max_abs_diff=0.01))


def test_quantize_results_are_judged_against_their_floor(qtbot, state, tmp_path):
    from workbench.gui.panels.quantize_panel import BAD_COLOR, OK_COLOR, WARN_COLOR, QuantizePanel

    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    for mode, cosine in (("fp16", 1.0), ("int4", 0.953), ("int8-dynamic", 0.97)):
        panel.show_result(_quant_result(tmp_path, mode, cosine))
    headers = [panel.model.headerData(c, Qt.Horizontal) for c in range(panel.model.columnCount())]
    col = headers.index("Verdict")
    rows = {r[0]: r for r in panel.model.rows()}
    colors = {panel.model.rows()[i][0]: panel.model.data(panel.model.index(i, col), Qt.BackgroundRole)
              for i in range(panel.model.rowCount())}
    assert rows["fp16"][col].startswith("pass") and colors["fp16"] == OK_COLOR
    assert "0.999" in rows["fp16"][col]
    assert rows["int4"][col].startswith("warning") and colors["int4"] == WARN_COLOR
    assert "0.953" in rows["int4"][col] and "0.95 floor" in rows["int4"][col]
    assert rows["int8-dynamic"][col].startswith("fail") and colors["int8-dynamic"] == BAD_COLOR
    assert "below the 0.99 floor" in rows["int8-dynamic"][col] and "int8" in rows["int8-dynamic"][col]
    panel.resize(1300, 860)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab().save(str(SHOTS / "state_truth_quantize.png"))


def test_a_new_model_unchecks_the_benchmark(qtbot, window, llama_dir):
    window.navigator.set_state("bench", "done")
    window.navigator.set_state("quantize", "done")
    _open(qtbot, window, llama_dir)
    assert window.navigator.state_of("bench") == "idle"
    assert window.navigator.state_of("quantize") == "idle"
    assert window.navigator.state_of("load") == "done"


def test_quantize_verdict_follows_the_engine_floor_and_passed(qtbot, state, tmp_path):
    from dataclasses import fields

    from workbench.core.results import QuantizeResult
    from workbench.gui.panels.quantize_panel import quantize_verdict

    result = _quant_result(tmp_path, "int8-dynamic", 0.987)
    assert quantize_verdict(result)[0] == "fail"  # below int8's 0.99
    names = {f.name for f in fields(QuantizeResult)}
    if {"passed", "floor"} <= names:  # the engine judged it against a floor of its own (e.g. min_cosine 0.98)
        result.passed, result.floor = True, 0.98
        level, text = quantize_verdict(result)
        assert level == "pass" and "0.98 floor" in text
        result.passed = False
        assert quantize_verdict(result)[0] == "fail"
