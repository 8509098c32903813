"""Opening a second model: nothing of the first one stays in use (its ONNX, its axes, its output folder, its
benchmark), and a finished run whose verdict failed gets a red mark, not a green one."""

from types import SimpleNamespace

import onnx
from gui_helpers import wait_job
from onnx import numpy_helper

from workbench.gui import workers


def _open(qtbot, window, path):
    job = window.open_path(str(path))
    assert job is not None
    wait_job(qtbot, job, 240)
    assert job.state == workers.DONE, job.error
    return job


def _axes_inputs(panel) -> set:
    return set(panel.dynamic_axes() or {})


def test_a_second_model_drops_the_first_models_onnx_and_paths(qtbot, window, tiny_models, exported):
    first, second = tiny_models("llama"), tiny_models("bert")
    _open(qtbot, window, first)
    window.state.set_onnx(exported("llama").path)  # what a finished export does
    assert window.validate_panel.model_edit.text() == exported("llama").path
    assert window.onnx_status.isVisibleTo(window)

    job = window.open_path(str(second))
    # at once, before the inspection ends: the first model's ONNX is nobody's current model any more
    assert window.state.onnx_path == "" and window.state.source_path == str(second)
    assert window.validate_panel.model_edit.text() == ""
    assert window.validate_panel.against_edit.text() == str(second)
    assert window.optimize_panel.model_edit.text() == ""
    assert not window.onnx_status.isVisibleTo(window)
    wait_job(qtbot, job, 240)
    assert window.state.onnx_path == ""


def test_opening_an_onnx_file_after_a_checkpoint_has_no_pytorch_source(qtbot, window, tiny_models, exported):
    _open(qtbot, window, tiny_models("llama"))
    _open(qtbot, window, exported("bert").path)
    assert window.state.source_path == ""  # llama is not this ONNX file's source
    assert window.state.onnx_path == exported("bert").path
    assert window.validate_panel.against_edit.text() == ""


def test_suggested_axes_follow_the_new_model_but_edited_axes_stay(qtbot, window, tiny_models):
    panel = window.export_panel
    _open(qtbot, window, tiny_models("llama"))
    assert _axes_inputs(panel) == {"input_ids", "attention_mask"}
    _open(qtbot, window, tiny_models("bert"))
    assert "token_type_ids" in _axes_inputs(panel)  # BERT's own suggestion, not llama's two rows
    # axes the user wrote are theirs: a new model does not replace them
    panel.set_dynamic_axes({"input_ids": {0: "batch"}})
    _open(qtbot, window, tiny_models("llama"))
    assert panel.dynamic_axes() == {"input_ids": {0: "batch"}}


def test_output_folders_follow_the_model_that_loaded(qtbot, window, tiny_models, tmp_path):
    missing = tmp_path / "does_not_exist"
    job = window.open_path(str(missing))
    wait_job(qtbot, job, 60)
    assert job.state == workers.FAILED
    assert "does_not_exist" not in window.report_panel.output_edit.text()
    assert "does_not_exist" not in window.export_panel.output_edit.text()
    _open(qtbot, window, tiny_models("bert"))
    assert window.report_panel.output_edit.text() == window.state.default_output_dir()
    assert window.report_panel.output_edit.text().endswith("bert-workbench")
    # a folder the user chose stays through a new model
    window.report_panel.output_edit.setText(str(tmp_path / "mine"))
    _open(qtbot, window, tiny_models("llama"))
    assert window.report_panel.output_edit.text() == str(tmp_path / "mine")


def test_a_failed_load_opens_no_message_box_over_its_banner(qtbot, window, tmp_path, monkeypatch):
    from workbench.gui.panels import base

    shown = []
    monkeypatch.setattr(base, "show_error", lambda *a, **k: shown.append(a))
    bad = tmp_path / "notes.safetensors"
    bad.write_bytes(b"just some text\n")
    job = window.open_path(str(bad))
    wait_job(qtbot, job, 60)
    assert job.state == workers.FAILED
    assert window.load_panel.problems.isVisible() and "Could not load" in window.load_panel.problems.text()
    assert shown == []


def _verdict(passed):
    return SimpleNamespace(passed=passed)


def test_a_run_whose_verdict_failed_is_a_red_mark(qtbot, window):
    from workbench.gui.panels.base import verdict_failed

    assert verdict_failed(_verdict(False)) and not verdict_failed(_verdict(True))
    assert not verdict_failed(SimpleNamespace(path="x"))  # no verdict: an export, a benchmark
    assert verdict_failed(SimpleNamespace(validation=_verdict(False)))
    panel = window.quantize_panel
    marks = []
    panel.stepStateChanged.connect(lambda step, state: marks.append(state))
    job = panel.start_job("judged", lambda progress=None, cancel=None: _verdict(False), process=False)
    wait_job(qtbot, job, 30)
    assert marks[-1] == "failed" and window.navigator.state_of("quantize") == "failed"


def test_validation_that_finds_differences_is_marked_failed(qtbot, window, tiny_models, exported, tmp_path):
    """A real validation of a tampered export: the panel says FAILED and the navigator's mark is red."""
    model = onnx.load(exported("llama").path)
    weight = max(model.graph.initializer, key=lambda t: len(t.raw_data) if t.raw_data else 0)
    values = numpy_helper.to_array(weight).copy()
    values.reshape(-1)[: max(1, values.size // 4)] *= 1.5
    weight.CopyFrom(numpy_helper.from_array(values, weight.name))
    tampered = tmp_path / "tampered.onnx"
    onnx.save(model, str(tampered))
    _open(qtbot, window, tiny_models("llama"))
    panel = window.validate_panel
    panel.model_edit.setText(str(tampered))
    panel.shapes_edit.setText("2x8")
    job = panel.validate()
    wait_job(qtbot, job, 240)
    assert job.state == workers.DONE, job.error
    assert job.result.passed is False
    assert panel.verdict.objectName() == "failBanner"
    assert window.navigator.state_of("validate") == "failed"
