"""Report: load, save and run recipes (the whole pipeline as one job) and show report.html."""

from __future__ import annotations

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

from workbench.gui import commands, recipes
from workbench.gui.panels.base import PanelBase, PathEdit, ask_replace, show_error
from workbench.gui.tasks import run_recipe as run_recipe_job
from workbench.gui.theme import icon


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
        self.set_header(self.tr("Report"),
                        self.tr("A recipe is the whole pipeline in one TOML file. Run it here or with "
                                "`workbench run`; the report collects every step's results and plots."))
        self.body().addWidget(self._recipe_box())
        self.summary = self.banner("okBanner")
        self.body().addWidget(self.summary)
        self.viewer = QStackedWidget(self)
        self.browser = QTextBrowser(self.viewer)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(self._placeholder_html())
        self.viewer.addWidget(self.browser)
        self.body().addWidget(self.viewer, 1)
        row = self.make_action_row(self.tr("Run recipe"), "run")
        self.run_button.clicked.connect(self.run_recipe)
        self.open_browser_button = QPushButton(self.tr("Open in browser"), self)
        self.open_browser_button.setEnabled(False)
        self.open_browser_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.report_path)))
        row.insertWidget(2, self.open_browser_button)
        self.recipe_button.hide()  # "Save recipe…" sits in the recipe box above
        self.body().addLayout(row)
        self.state.sourceChanged.connect(self._source_changed)

    def _recipe_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Recipe"), self)
        form = QFormLayout(box)
        self.recipe_edit = PathEdit("open", self.tr("Recipes (*.toml *.yaml *.yml)"), box)
        self.recipe_edit.edit.setPlaceholderText(self.tr("empty: the settings of every step, as they are now"))
        self.output_edit = PathEdit("folder", "", box)
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
        return ("<div style='margin:40px; color:#7b8794; font-size:13pt'>"
                + self.tr("No report yet. Run a recipe, or run the demo (Help > Run the demo).") + "</div>")

    def _source_changed(self, _path: str) -> None:
        if not self.output_edit.text():
            self.output_edit.setText(self.state.default_output_dir())

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
            data = recipes.load(path)
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
        written = recipes.save(self.build_recipe(), target, force=bool(existing))
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
        trust = self._ask_trust(recipe)
        if trust is None:
            self.log(self.tr("Not started: the recipe's model is a program and was not allowed to run"))
            return None
        overwrite = self._ask_overwrite(recipe, output)
        if overwrite is None:
            self.log(self.tr("Not started: the recipe would replace existing files"))
            return None
        return self.start_job(self.tr("Run recipe {0}").format(Path(recipe).name), run_recipe_job, recipe, output,
                              overwrite=overwrite, trust_code=trust, on_success=self.show_result)

    def _ask_trust(self, recipe_path: str):
        """False: the recipe's source is no program; True: the user allowed it to run; None: the user said no."""
        from workbench.core.recipe import load_recipe
        from workbench.gui.trust import allow, ask_to_run, program_kind

        try:
            recipe = load_recipe(recipe_path)
        except Exception:  # noqa: BLE001 - a bad recipe: the job says why, in one line
            return False
        src = str(recipe.source["path"])
        if program_kind(src) is not None:
            return allow(self, self.state, src)
        if recipe.source.get("trust_code"):
            return True if ask_to_run(self, src, self.tr("the recipe sets trust_code = true")) else None
        return False

    def _ask_overwrite(self, recipe_path: str, output):
        """False: nothing of the user's would be replaced (or the job will refuse by itself); True: the user agreed
        to replace the files named in the question; None: the user said no."""
        from workbench.core.fsutil import source_inputs, would_replace
        from workbench.core.pipeline import _planned, _source
        from workbench.core.recipe import load_recipe

        try:
            recipe = load_recipe(recipe_path)
            out = Path(output).expanduser().resolve() if output else recipe.output_dir
            source = _source(recipe)
            existing = [p for path in _planned(recipe, source, out)
                        for p in would_replace(path, inputs=source_inputs(source))]
        except Exception:  # noqa: BLE001 - a bad recipe or a refused folder: the job says why, in one line
            return False
        if not existing or recipe.overwrite:
            return False
        return True if ask_replace(self, existing) else None

    def show_result(self, result) -> None:
        self.result = result
        failed = list(result.failed or [])
        steps = [s.get("name", str(s)) if isinstance(s, dict) else str(s) for s in result.steps]
        text = self.tr("Recipe finished: {0} steps, report in {1}").format(len(steps), result.output_dir)
        if failed:
            text += "\n" + self.tr("Failed steps: {0}").format(", ".join(map(str, failed)))
            self.summary.setObjectName("failBanner")
        else:
            self.summary.setObjectName("okBanner")
        self.summary.setText(text)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.summary.show()
        if result.report_html:
            self.show_report(result.report_html)

    def show_report(self, path: str) -> None:
        self.report_path = str(path)
        self.open_browser_button.setEnabled(True)
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
            self.browser.setSource(url)
            self.viewer.setCurrentWidget(self.browser)

    def cli_command(self) -> str:
        recipe = self.recipe_edit.text() or str(Path(self.output_edit.text() or self.state.default_output_dir())
                                                / "recipe.toml")
        return commands.run_command(recipe, self.output_edit.text() or None)

    def shutdown(self) -> None:
        if self.web_view is not None:
            self.web_view.setUrl(QUrl("about:blank"))
