"""`workbench gui --demo`: build the tiny demo model, then walk the pipeline on it, panel by panel
(load -> export -> validate -> quantize int8 -> benchmark), narrating each step in the log and status bar.

Every output of a demo run goes into a new folder of its own (``<tmp>/model-workbench-demo/runs/run-*``): the
panels' output fields are pointed there before each step, so paths the user left in the panels are never
written to."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.gui import workers
from workbench.gui.tasks import build_demo_model

STEP_PAUSE_MS = 900


def default_demo_folder() -> Path:
    return Path(tempfile.gettempdir()) / "model-workbench-demo" / "demo-model"


def new_run_folder() -> Path:
    """A new, empty folder for one demo run's outputs."""
    root = default_demo_folder().parent / "runs"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=time.strftime("run-%Y%m%d-%H%M%S-"), dir=root))


class DemoRunner(QObject):
    """Drives the window through the pipeline; each step starts when the previous step's jobs succeeded."""

    stepStarted = Signal(str)
    finished = Signal(bool)  # True when every step succeeded

    def __init__(self, window, folder: Optional[str] = None, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.folder = Path(folder) if folder else default_demo_folder()
        self.run_dir: Optional[Path] = None  # made by start(): this run's outputs, and nothing else, go there
        self._user_output_dir = ""
        self.running = False
        self.index = -1
        self.current_step = ""
        self._waiting: list = []
        self._failed = False
        self.steps = [
            ("build", self.tr("Building a tiny demo language model (random weights, a few hundred kB)."),
             self._build),
            ("load", self.tr("Step 1: loading the model and checking it for problems."), self._load),
            ("export", self.tr("Step 2: exporting to ONNX, a format that many runtimes and devices understand."),
             self._export),
            ("validate", self.tr("Step 3: checking that the ONNX model computes the same numbers as PyTorch."),
             window.run_validate),
            ("quantize", self.tr("Step 4: making an 8-bit version that is smaller and usually faster."),
             self._quantize),
            ("bench", self.tr("Step 5: measuring how fast the model runs."), window.run_bench),
        ]

    def say(self, message: str) -> None:
        self.window.state.log(message)
        self.window.statusBar().showMessage(message, 15000)

    def start(self) -> None:
        self.running = True
        self.index = -1
        self.run_dir = new_run_folder()
        self._user_output_dir = self.window.state.output_dir
        self.window.state.output_dir = str(self.run_dir)
        self.say(self.tr("Demo: watch the workbench take a model from PyTorch to a fast, small ONNX model."))
        self._next()

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._restore_output_dir()
            self.finished.emit(False)

    def _restore_output_dir(self) -> None:
        if self.window.state.output_dir == str(self.run_dir):
            self.window.state.output_dir = self._user_output_dir

    def _next(self) -> None:
        if not self.running:
            return
        self.index += 1
        if self.index >= len(self.steps):
            self.running = False
            self._restore_output_dir()
            self.say(self.tr("Demo finished: every step succeeded. Open the Graph tab to explore the model."))
            self.finished.emit(True)
            return
        step, text, action = self.steps[self.index]
        self.current_step = step
        self.say(text)
        self.stepStarted.emit(step)
        result = action()
        if result is True:  # nothing to wait for
            QTimer.singleShot(STEP_PAUSE_MS, self._next)
            return
        jobs = [j for j in (result if isinstance(result, list) else [result]) if isinstance(j, workers.Job)]
        if not jobs:
            if step == "bench":
                self._wait_for_bench()
                return
            self._fail(self.tr("The demo stopped at '{0}': the step could not start.").format(step))
            return
        self._waiting = [j for j in jobs if j.is_running]
        self._failed = any(j.state in (workers.FAILED, workers.CANCELLED) for j in jobs)
        for job in self._waiting:
            job.finished.connect(lambda state, j=job: self._job_finished(j, state))
        if not self._waiting:
            self._after_step()

    def _wait_for_bench(self) -> None:
        """The benchmark panel runs its variants as one job after another: wait for its runFinished signal."""
        panel = self.window.bench_panel
        finished = getattr(panel, "runFinished", None)
        if finished is None or not self.window.bench_running():
            QTimer.singleShot(STEP_PAUSE_MS, self._next)
            return

        def done(results):
            finished.disconnect(done)
            self._failed = not results
            self._after_step()

        finished.connect(done)

    def _job_finished(self, job, state: str) -> None:
        if job in self._waiting:
            self._waiting.remove(job)
        if state != workers.DONE:
            self._failed = True
        if not self._waiting:
            QTimer.singleShot(0, self._after_step)

    def _after_step(self) -> None:
        if not self.running:
            return
        if self._failed:
            self._fail(self.tr("The demo stopped at '{0}': see the Jobs and Log panes.").format(self.current_step))
            return
        QTimer.singleShot(STEP_PAUSE_MS, self._next)

    def _fail(self, message: str) -> None:
        self.say(message)
        self.running = False
        self._restore_output_dir()
        self.finished.emit(False)

    # -- steps -----------------------------------------------------------------------------------------------
    def _build(self):
        if (self.folder / "config.json").exists():
            self.say(self.tr("Using the demo model built earlier in {0}.").format(self.folder))
            return True
        self.window.show_panel("load")
        return self.window.jobs.run_in_process(self.tr("Build the demo model"), build_demo_model, str(self.folder))

    def _load(self):
        return self.window.open_path(str(self.folder))

    def _export(self):
        panel = self.window.export_panel
        panel.output_edit.setText(str(self.run_dir / "model.onnx"))  # never the path left in the panel
        return self.window.run_export()

    def _quantize(self):
        panel = self.window.quantize_panel
        for mode, check in panel.mode_checks.items():
            check.setChecked(mode == "int8-dynamic")
        panel.input_combo.setEditText(str(self.run_dir / "model.onnx"))
        panel.output_dir_edit.setText(str(self.run_dir))
        return self.window.run_quantize()

