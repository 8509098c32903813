"""What every pipeline panel shares: a title, an action row with "Copy as CLI command" and "Save as recipe",
job starting with error reporting, and a step state for the navigator.

Strings here use ``QCoreApplication.translate("PanelBase", ...)``: PySide's ``self.tr`` takes the context from the
object's own class, which would not find strings written in a base class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import first_line
from workbench.core.recipe import save_recipe
from workbench.gui.theme import icon, primary_icon
from workbench.gui.i18n import Retranslating
from workbench.gui.panels.controls import PathEdit, ask_replace, confirm_outputs, show_error  # noqa: F401

IDLE, RUNNING, DONE, FAILED = "idle", "running", "done", "failed"


def verdict_failed(result) -> bool:
    """True when a job's result carries a failed verdict: its own ``passed`` or its ``validation.passed``."""
    if getattr(result, "passed", None) is False:
        return True
    return getattr(getattr(result, "validation", None), "passed", None) is False


class PanelBase(Retranslating, QWidget):
    """Base of the pipeline panels.

    Subclasses set ``step`` and implement ``cli_command()`` and ``recipe_sections()``; they start their work with
    :meth:`start_job`. ``stepStateChanged(step, state)`` drives the navigator's state icons.
    """

    step = ""
    error_dialog = True  # a failed job also opens a message box (False: the panel shows the failure itself)
    stepStateChanged = Signal(str, str)
    jobDone = Signal(str, bool)  # step, success (the demo walks the pipeline on this)

    def __init__(self, api_state, parent=None):
        super().__init__(parent)
        self.state = api_state
        self.step_state = IDLE
        self.current_job = None
        self.last_outputs: list = []  # the files the step's last successful run wrote (its checkmark's evidence)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(14, 10, 14, 10)
        self._layout.setSpacing(8)
        self.title_label = QLabel(self)
        self.title_label.setObjectName("panelTitle")
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("panelHint")
        self.hint_label.setWordWrap(True)
        self._layout.addWidget(self.title_label)
        self._layout.addWidget(self.hint_label)
        reset = getattr(api_state, "modelReset", None)
        if reset is not None:
            reset.connect(self.model_reset)


    def retranslate(self) -> None:
        """Every text of the panel in the installed language, in place (values, tables and results stay)."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)

    def model_reset(self) -> None:
        """A new model was opened: this step's earlier output no longer belongs to the current model."""
        self.last_outputs = []
        if self.step_state != RUNNING:
            self.set_step_state(IDLE)

    def artifact_exists(self) -> bool:
        """True when the file(s) of the step's last successful run are still on disk."""
        return bool(self.last_outputs) and all(Path(p).exists() for p in self.last_outputs)

    def remember_outputs(self, result) -> None:
        """Note the files a successful run wrote (``path``/``output``/``outputs`` of its result, if any)."""
        paths = [getattr(result, "path", None) or getattr(result, "output", None)]
        paths += list(getattr(result, "outputs", None) or [])
        self.last_outputs = list(dict.fromkeys(str(p) for p in paths if isinstance(p, (str, Path)) and str(p)))

    def set_model_available(self, available: bool) -> None:
        """Enable or disable the Run button (a failed load leaves nothing to run on); a running job keeps it off."""
        if hasattr(self, "run_button"):
            busy = hasattr(self, "cancel_button") and self.cancel_button.isEnabled()
            self.run_button.setEnabled(bool(available) and not busy)

    # -- layout helpers ------------------------------------------------------------------------------------------
    def set_header(self, title: str, hint: str) -> None:
        self.title_label.setText(title)
        self.hint_label.setText(hint)

    def body(self):
        return self._layout

    def make_action_row(self, run_text: str, run_icon: str = "run") -> QHBoxLayout:
        """The row at the bottom: the primary Run button, then Copy as CLI command and Save as recipe."""
        row = QHBoxLayout()
        self.run_button = QPushButton(primary_icon(run_icon), run_text, self)
        self.run_button.setObjectName("primary")
        self.run_button.setMinimumWidth(110)  # 140 made the Optimize row need the whole 801 px at 1280x720
        self.cancel_button = QPushButton(icon("cancel"), QCoreApplication.translate("PanelBase", "Cancel"), self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_job)
        self.copy_button = QPushButton(
            icon("copy"), QCoreApplication.translate("PanelBase", "Copy as CLI command"), self)
        self.copy_button.setToolTip(QCoreApplication.translate(
            "PanelBase", "Put the equivalent `workbench` command line on the clipboard"))
        self.copy_button.clicked.connect(self.copy_cli)
        self.recipe_button = QPushButton(
            icon("recipe"), QCoreApplication.translate("PanelBase", "Save as recipe…"), self)
        self.recipe_button.setToolTip(QCoreApplication.translate(
            "PanelBase", "Write these settings to a TOML recipe for `workbench run`"))
        self.recipe_button.clicked.connect(self.save_recipe)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        row.addWidget(self.recipe_button)
        return row

    def banner(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
        label.hide()
        return label

    # -- CLI and recipe ------------------------------------------------------------------------------------------
    def cli_command(self) -> str:
        """The exact ``workbench ...`` command for the current settings (ValueError when incomplete)."""
        raise NotImplementedError

    def recipe_sections(self) -> dict:
        """This panel's part of a recipe, e.g. ``{"export": {...}}``."""
        return {}

    def apply_recipe(self, recipe: dict) -> None:
        """Show a recipe's settings for this panel's step."""

    def copy_cli(self) -> str:
        try:
            command = self.cli_command()
        except ValueError as err:
            show_error(self, QCoreApplication.translate("PanelBase", "Copy as CLI command"), str(err))
            return ""
        QGuiApplication.clipboard().setText(command)
        self.log(QCoreApplication.translate("PanelBase", "Copied: {0}").format(command))
        self.notify(QCoreApplication.translate("PanelBase", "Command copied to the clipboard"))
        return command

    def build_recipe(self) -> dict:
        """The whole pipeline's recipe when the window provides one, else the source plus this panel's part."""
        builder = getattr(self.state, "recipe_builder", None)
        if callable(builder):
            return builder(self.step)
        recipe = {"name": Path(self.state.source_path or "model").name or "model",
                  "output_dir": self.state.output_dir or "out"}
        if self.state.source_path:
            recipe["source"] = {"path": self.state.source_path}
        recipe.update(self.recipe_sections())
        return recipe

    def save_recipe(self, path: Optional[str] = None) -> Optional[Path]:
        if not path:
            start = str(Path(self.state.output_dir or Path.home()) / "recipe.toml")
            path, _ = QFileDialog.getSaveFileName(
                self, QCoreApplication.translate("PanelBase", "Save recipe"), start,
                QCoreApplication.translate("PanelBase", "Recipes (*.toml)"))
            if not path:
                return None
        try:
            written = save_recipe(self.build_recipe(), path)
        except Exception as err:  # noqa: BLE001 - OSError, ValueError, WorkbenchError (e.g. a folder or a device)
            show_error(self, QCoreApplication.translate("PanelBase", "Save recipe"), str(err))
            return None
        self.log(QCoreApplication.translate("PanelBase", "Recipe saved to {0}").format(written))
        self.notify(QCoreApplication.translate("PanelBase", "Recipe saved to {0}").format(written))
        return written

    # -- jobs ----------------------------------------------------------------------------------------------------
    def start_job(self, name: str, fn, *args, process: bool = True, cleanup=(), on_success=None, **kwargs):
        """Start ``fn`` as a job; failures go to a message box and the log, success to ``on_success``. When the
        job's output exists, the user is asked first (None: the user chose not to replace it)."""
        from workbench.gui.trust import confirm_programs

        args = confirm_programs(self, self.state, args)  # a program source runs only if the user says yes
        if args is None:
            self.log(QCoreApplication.translate("PanelBase", "Not started: {0} (its model is a program and was "
                                                "not allowed to run)").format(name))
            return None
        args = confirm_outputs(self, args)
        if args is None:
            self.log(QCoreApplication.translate("PanelBase", "Not started: {0} (kept the existing files)").format(name))
            return None
        jobs = self.state.jobs
        if process:
            job = jobs.run_in_process(name, fn, *args, cleanup=cleanup, **kwargs)
        else:
            job = jobs.run_in_thread(name, fn, *args, **kwargs)
        self.current_job = job
        self.set_step_state(RUNNING)
        self._set_busy(True)
        self.log(QCoreApplication.translate("PanelBase", "Started: {0}").format(name))

        def succeeded(result):
            try:
                if on_success is not None:
                    on_success(result)
            except Exception as err:  # noqa: BLE001 - a display bug must not look like a failed job
                self.log(QCoreApplication.translate("PanelBase", "Could not show the result: {0}").format(err))
            self.remember_outputs(result)
            # a run that finished but whose verdict is a failure (validation differs, quantized below its
            # floor) is a failed step: never a green checkmark over a red banner
            self.set_step_state(FAILED if verdict_failed(result) else DONE)
            self.log(QCoreApplication.translate("PanelBase", "Finished: {0} ({1:.1f} s)").format(name, job.elapsed()))
            self.jobDone.emit(self.step, True)

        def failed(message):
            # the checkmark stays while the earlier run's file exists; the traceback is in the job's Details…
            self.set_step_state(DONE if self.artifact_exists() else FAILED)
            first = first_line(message, None)
            from workbench.gui.i18n import engine

            self.log(QCoreApplication.translate("PanelBase", "Failed: {0}: {1}").format(name, engine.translate(first)))
            if self.error_dialog:
                show_error(self, QCoreApplication.translate("PanelBase", "{0} failed").format(name), message)
            self.jobDone.emit(self.step, False)

        def cancelled():
            self.set_step_state(DONE if self.artifact_exists() else IDLE)
            self.log(QCoreApplication.translate("PanelBase", "Cancelled: {0}").format(name))
            self.jobDone.emit(self.step, False)

        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        job.cancelled.connect(cancelled)
        job.finished.connect(lambda _s: self._set_busy(False))
        return job

    def cancel_job(self) -> None:
        if self.current_job is not None:
            self.current_job.cancel()

    def _set_busy(self, busy: bool) -> None:
        if hasattr(self, "run_button"):
            self.run_button.setEnabled(not busy)
            self.cancel_button.setEnabled(busy)

    def set_step_state(self, state: str) -> None:
        self.step_state = state
        self.stepStateChanged.emit(self.step, state)

    # -- messages ------------------------------------------------------------------------------------------------
    def log(self, message: str) -> None:
        log = getattr(self.state, "log", None)
        if callable(log):
            log(message)

    def notify(self, message: str) -> None:
        window = self.window()
        bar = getattr(window, "statusBar", None)
        if callable(bar) and window is not self:
            bar().showMessage(message, 5000)
