"""Report panel: run a recipe as a child-process job (cancellable), show report.html."""

from conftest import wait_job

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
