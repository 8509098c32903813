"""Report: the report of the steps finished in this session (built from the panels' results, nothing runs again),
or of a recipe run (the whole pipeline as one job); load and save recipes; show report.html.

Both reports go through the engine's writer (``workbench.core.report``), the one ``workbench run`` uses. The
questions asked before a recipe runs (may its program run, may it replace files) are report_recipe.py's.
Size: what is left (~390 lines) is one concern, the report and the recipe that makes it: the session's steps and
their timings, building and showing report.html (QtWebEngine or the text browser, the placeholder, "Open in
browser"), and loading, saving and running the recipe from the same row of buttons; these share the recipe and output
fields and the shown report's state, so splitting them further would move that state across modules, not reduce it."""

from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
)

from workbench.core.recipe import read_recipe, save_recipe
from workbench.gui import commands
from workbench.gui.panels.base import PanelBase, PathEdit, ask_replace, show_error
from workbench.gui.panels.report_recipe import ask_overwrite, ask_trust
from workbench.gui.tasks import run_recipe as run_recipe_job
from workbench.gui.theme import icon, primary_icon


def _web_view_class():
    """QWebEngineView when QtWebEngine is installed (and not turned off with WORKBENCH_NO_WEBENGINE=1)."""
    if os.environ.get("WORKBENCH_NO_WEBENGINE"):
        return None
    try:
        from PySide6.QtWebEngineWidgets import QWebEngineView
    except ImportError:
        return None
    return QWebEngineView


class ReportPanel(PanelBase):
    step = "report"

    def __init__(self, api_state, parent=None):
        super().__init__(api_state, parent)
        self.result = None
        self.report_path = ""
        self.web_view = None
        self.step_panels: dict = {}  # step -> panel, set by the main window (set_step_panels)
        self.build_job = None
        self._built_signature = ()  # the session's results the shown report was built from (or superseded)
        self._durations: list = []  # (result, seconds) of every job that succeeded in this session
        added = getattr(getattr(self.state, "jobs", None), "jobAdded", None)  # a JobManager (tests: a stand-in)
        if added is not None:
            added.connect(self._watch_job)
        self.set_header(self.tr("Report"),
                        self.tr("The report collects the results and plots of the steps finished in this session "
                                "(Build report; nothing runs again), or of a recipe: the whole pipeline in one TOML "
                                "file, run here or with `workbench run`."))
        self.body().addWidget(self._recipe_box())
        from workbench.gui.panels.recipe_variants import RecipeVariantsBox

        self.variants_box = RecipeVariantsBox(self.state, self)  # [[gguf]]/[[openvino]]/[[mnn]], with Remove
        self.body().addWidget(self.variants_box)
        self.summary = self.banner("okBanner")
        self.body().addWidget(self.summary)
        self.open_note = self.banner("failBanner")  # why "Open in browser" could not open the report
        self.body().addWidget(self.open_note)
        self.viewer = QStackedWidget(self)
        self.browser = QTextBrowser(self.viewer)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(self._placeholder_html())
        self.viewer.addWidget(self.browser)
        self.body().addWidget(self.viewer, 1)
        row = self.make_action_row(self.tr("Run recipe"), "run")
        self.run_button.clicked.connect(self.run_recipe)
        self.run_button.setObjectName("")  # the primary action is building the report from what was done
        self.run_button.setIcon(icon("run"))  # a plain button: the coloured icon
        self.run_button.setToolTip(self.tr("Run every step of the recipe again, in one job"))
        self.build_button = QPushButton(primary_icon("report"), self.tr("Build report"), self)
        self.build_button.setObjectName("primary")
        self.build_button.setToolTip(self.tr("Write report.html from the steps finished in this session "
                                             "(nothing runs again)"))
        self.build_button.clicked.connect(lambda: self.build_report())
        row.insertWidget(0, self.build_button)
        self.open_browser_button = QPushButton(self.tr("Open in browser"), self)
        self.open_browser_button.clicked.connect(lambda: self.open_in_browser())
        self.open_browser_button.setEnabled(False)  # until a report is shown
        self.open_browser_button.setToolTip(self.tr("No report to open yet: build the report (or run a recipe) first."))
        row.insertWidget(3, self.open_browser_button)
        self.recipe_button.hide()  # "Save recipe…" sits in the recipe box above
        self.body().addLayout(row)
        self.state.sourceChanged.connect(self._source_changed)

    def _recipe_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Recipe"), self)
        form = QFormLayout(box)
        self.recipe_edit = PathEdit("open", self.tr("Recipes (*.toml *.yaml *.yml)"), box)
        self.recipe_edit.edit.setPlaceholderText(self.tr("empty: the settings of every step, as they are now"))
        self.output_edit = PathEdit("folder", "", box)
        self._output_auto_text = ""  # the folder _source_changed derived from the model (followed while unchanged)
        buttons = QHBoxLayout()
        load = QPushButton(icon("recipe"), self.tr("Load recipe…"), box)
        load.clicked.connect(lambda: self.load_recipe())
        save = QPushButton(icon("save"), self.tr("Save recipe…"), box)
        save.clicked.connect(lambda: self.save_recipe())
        buttons.addWidget(load)
        buttons.addWidget(save)
        buttons.addStretch(1)
        form.addRow(self.tr("Recipe file:"), self.recipe_edit)
        form.addRow(self.tr("Output folder:"), self.output_edit)
        form.addRow(buttons)
        return box

    def _placeholder_html(self) -> str:
        steps = [s["name"] for s in self.session_steps()] if self.step_panels else []
        if steps:
            text = self.tr("{0} steps finished in this session ({1}). Build report writes report.html from their "
                           "results; nothing runs again.").format(len(steps), ", ".join(steps))
        else:
            text = self.tr("No report yet: finish a step (Export, Validate, Optimize, Quantize, Benchmark) and "
                           "build the report from it, run a recipe, or run the demo (Help > Run the demo).")
        return f"<div style='margin:40px; color:#7b8794; font-size:13pt'>{html.escape(text)}</div>"

    # -- the session's report ----------------------------------------------------------------------------------
    def set_step_panels(self, panels: dict) -> None:
        """The window's panels by step: their finished results are what the session report is built from."""
        self.step_panels = dict(panels)
        if not self.report_path:
            self.browser.setHtml(self._placeholder_html())

    def _watch_job(self, job) -> None:
        job.succeeded.connect(lambda result, j=job: self._durations.append((result, j.elapsed())))

    def seconds_of(self, result):
        """How long the job that produced ``result`` ran (``Job.elapsed()``), None when no job of this session
        did (a result handed to a panel by hand). A benchmark variant's job returns a run holding the row."""
        for produced, seconds in reversed(self._durations):
            if produced is result or getattr(produced, "result", None) is result:
                return seconds
        return None

    def session_steps(self) -> list:
        """``[step_entry]`` of every step finished in this session, in pipeline order, from the results the panels
        hold (export, validate, optimize, each quantize variant, the benchmark)."""
        from workbench.core.pipeline import QUANT_FILE
        from workbench.core.report import step_entry

        panels = self.step_panels
        steps = []
        for step in ("export", "validate", "optimize"):
            result = getattr(panels.get(step), "result", None)
            if result is not None:
                steps.append(step_entry(step, result, self.seconds_of(result)))
        for mode, result in dict(getattr(panels.get("quantize"), "results", None) or {}).items():
            steps.append(step_entry(f"quantize {QUANT_FILE.get(mode, mode)}", result, self.seconds_of(result)))
        bench = panels.get("bench")
        rows, failures = list(getattr(bench, "results", None) or []), dict(getattr(bench, "failures", None) or {})
        if rows or failures:
            took = [self.seconds_of(r) for r in rows]  # one job per variant: the step took their sum
            seconds = sum(took) if took and None not in took else None
            entry = {"name": "bench", "ok": not failures, "seconds": seconds,
                     "result": {"rows": [r.to_dict() if hasattr(r, "to_dict") else r for r in rows]}}
            if failures:
                entry["error"] = "; ".join(f"{name}: {msg}" for name, msg in failures.items())
            steps.append(entry)
        return steps

    def _signature(self) -> tuple:
        panels = self.step_panels
        results = [getattr(panels.get(s), "result", None) for s in ("export", "validate", "optimize")]
        results += list(dict(getattr(panels.get("quantize"), "results", None) or {}).values())
        results += list(getattr(panels.get("bench"), "results", None) or [])
        return tuple(id(r) for r in results if r is not None)

    def build_report(self, ask: bool = True):
        """Write report.json / report.html into the output folder from the session's finished steps (a thread
        job: nothing is exported, validated or measured again). ``ask=False``: leave files that would need
        replacing alone (returns None) instead of asking."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.fsutil import source_inputs, would_replace
        from workbench.core.report import session_report, write_session_report
        from workbench.core.specs import ModelSource

        steps = self.session_steps()
        if not steps:
            if ask:
                show_error(self, self.tr("Build report"), self.tr(
                    "No step has finished in this session yet: export, validate, optimize, quantize or benchmark "
                    "a model first (or run a recipe)."))
            return None
        folder = Path(self.output_edit.text() or self.state.default_output_dir()).expanduser()
        source = self.state.source_path or self.state.onnx_path
        inputs = source_inputs(ModelSource(path=source)) if source else []
        try:
            existing = [p for name in ("report.json", "report.html")
                        for p in would_replace(folder / name, inputs=inputs)]
        except WorkbenchError as err:
            if ask:
                show_error(self, self.tr("Build report"), err.one_line())
            return None
        if existing and (not ask or not ask_replace(self, existing)):
            if ask:
                self.log(self.tr("Not built: kept the existing {0}").format(", ".join(existing)))
            return None
        name = Path(source).name if source else "session"
        report = session_report(name, source, steps)
        signature = self._signature()
        job = self.start_job(self.tr("Build report in {0}").format(folder), write_session_report, report,
                             str(folder), bool(existing), inputs, process=False,
                             on_success=lambda result: self._report_built(result, signature))
        self.build_job = job
        return job

    def _report_built(self, result, signature: tuple) -> None:
        self._built_signature = signature
        self.output_edit.setText(result.output_dir)
        self._set_summary(self.tr("Report built from {0} finished steps ({1}), in {2}").format(
            len(result.steps), ", ".join(result.steps), result.output_dir), result.failed)
        self.show_report(result.report_html)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Shown with steps finished since the report on screen was built: build it again (asking nothing; a
        report that is not the workbench's own is left for Build report to ask about)."""
        super().showEvent(event)
        if not self.step_panels or (self.build_job is not None and self.build_job.is_running):
            return
        if self.current_job is not None and self.current_job.is_running:
            return
        signature = self._signature()
        if signature and signature != self._built_signature:
            self.build_report(ask=False)
        if not self.report_path:
            self.browser.setHtml(self._placeholder_html())

    def open_in_browser(self) -> bool:
        """Open the shown report.html in the desktop's browser; when there is none yet, or the desktop cannot
        open it, say why in the panel."""
        path = Path(self.report_path) if self.report_path else None
        if path is None:
            reason = self.tr("No report to open yet: build the report (or run a recipe) first.")
        elif not path.is_file():
            reason = self.tr("{0} no longer exists: build the report again.").format(path)
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.resolve()))):
            reason = self.tr("The desktop could not open {0} in a browser (no default browser is set up here): "
                             "open the file by hand.").format(path)
        else:
            self.open_note.hide()
            self.log(self.tr("Opened {0} in the browser").format(path))
            self.notify(self.tr("Opened {0} in the browser").format(path))
            return True
        self.open_note.setText(reason)
        self.open_note.show()
        self.log(reason)
        return False

    def _source_changed(self, path: str) -> None:
        """The output folder follows the model while it is the one derived from the model (not typed, browsed or
        a recipe's): a failed load or a new model never leaves the previous model's folder here."""
        current = self.output_edit.text()
        if current and current != self._output_auto_text:
            return
        self._output_auto_text = self.state.default_output_dir() if path else ""
        self.output_edit.setText(self._output_auto_text)

    # -- recipes ---------------------------------------------------------------------------------------------
    def load_recipe(self, path: str = ""):
        """Read a recipe, check it with the engine's parser, and show its settings in every panel."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Open recipe"), "",
                                                  self.tr("Recipes (*.toml *.yaml *.yml)"))
            if not path:
                return None
        try:
            from workbench.core.recipe import load_recipe, recipe_to_dict

            data = recipe_to_dict(load_recipe(path))
        except ImportError:
            data = read_recipe(path)
        except Exception as err:  # noqa: BLE001 - WorkbenchError's one line, or a parser's message
            show_error(self, self.tr("Open recipe"), str(err))
            return None
        self.recipe_edit.setText(path)
        if data.get("output_dir"):
            self.output_edit.setText(str(data["output_dir"]))
        apply = getattr(self.state, "recipe_applier", None)
        if callable(apply):
            apply(data)
        self.log(self.tr("Recipe loaded: {0}").format(path))
        return data

    def save_recipe(self, path=None):
        written = super().save_recipe(path)
        if written:
            self.recipe_edit.setText(str(written))
        return written

    def recipe_sections(self) -> dict:
        return {}

    def _recipe_for_run(self) -> str:
        path = self.recipe_edit.text()
        if path:
            return path
        folder = Path(self.output_edit.text() or self.state.default_output_dir())
        if not self.state.source_path:
            raise ValueError(self.tr("Load a model or a recipe first."))
        from workbench.core.fsutil import would_replace

        target = folder / "recipe.toml"
        existing = would_replace(target)
        if existing and not ask_replace(self, existing):
            raise ValueError(self.tr("Kept the existing {0}: choose another output folder.").format(target))
        written = save_recipe(self.build_recipe(), target, force=bool(existing))
        self.recipe_edit.setText(str(written))
        return str(written)

    def run_recipe(self):
        from workbench.core.errors import WorkbenchError

        try:
            recipe = self._recipe_for_run()
        except (ValueError, OSError, WorkbenchError) as err:
            show_error(self, self.tr("Run recipe"), str(err))
            return None
        output = self.output_edit.text() or None
        trust = ask_trust(self, self.state, recipe)
        if trust is None:
            self.log(self.tr("Not started: the recipe's model is a program and was not allowed to run"))
            return None
        overwrite = ask_overwrite(self, recipe, output)
        if overwrite is None:
            self.log(self.tr("Not started: the recipe would replace existing files"))
            return None
        return self.start_job(self.tr("Run recipe {0}").format(Path(recipe).name), run_recipe_job, recipe, output,
                              overwrite=overwrite, trust_code=trust, on_success=self.show_result)

    def show_result(self, result) -> None:
        self.result = result
        self._built_signature = self._signature()  # the recipe's report stands until more is done by hand
        steps = [s.get("name", str(s)) if isinstance(s, dict) else str(s) for s in result.steps]
        self._set_summary(self.tr("Recipe finished: {0} steps, report in {1}").format(len(steps), result.output_dir),
                          list(result.failed or []))
        if result.report_html:
            self.show_report(result.report_html)

    def _set_summary(self, text: str, failed: list) -> None:
        if failed:
            text += "\n" + self.tr("Failed steps: {0}").format(", ".join(map(str, failed)))
            self.summary.setObjectName("failBanner")
        else:
            self.summary.setObjectName("okBanner")
        self.summary.setText(text)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.summary.show()

    def show_report(self, path: str) -> None:
        self.report_path = str(path)
        self.open_browser_button.setEnabled(True)
        self.open_browser_button.setToolTip(str(path))
        self.open_note.hide()
        url = QUrl.fromLocalFile(str(Path(path).resolve()))
        view_class = _web_view_class()
        if view_class is not None:
            if self.web_view is None:
                self.web_view = view_class(self.viewer)
                self.viewer.addWidget(self.web_view)
            self.web_view.load(url)
            self.viewer.setCurrentWidget(self.web_view)
        else:
            self.browser.setSearchPaths([str(Path(path).parent)])
            if self.browser.source() == url:
                self.browser.reload()  # the same file, written again
            else:
                self.browser.setSource(url)
            self.viewer.setCurrentWidget(self.browser)

    def model_reset(self) -> None:
        """A new model: the report on screen is about the previous one."""
        self.report_path = ""
        self.open_browser_button.setEnabled(False)
        self._built_signature = ()
        self.summary.hide()
        self.open_note.hide()
        self.viewer.setCurrentWidget(self.browser)
        self.browser.setHtml(self._placeholder_html())
        super().model_reset()

    def _set_busy(self, busy: bool) -> None:
        super()._set_busy(busy)
        self.build_button.setEnabled(not busy)

    def cli_command(self) -> str:
        recipe = self.recipe_edit.text() or str(Path(self.output_edit.text() or self.state.default_output_dir())
                                                / "recipe.toml")
        return commands.run_command(recipe, self.output_edit.text() or None)

    def shutdown(self) -> None:
        if self.web_view is not None:
            self.web_view.setUrl(QUrl("about:blank"))
