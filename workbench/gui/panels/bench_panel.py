"""Benchmark panel: live latency and memory charts of several variants, one after another, and a summary table.

Each variant is a job of the window's JobManager (Jobs dock: progress, elapsed time, Cancel; Log): a spawned child
process runs ``workbench.core.bench.isolated.stream_variant``, the same samplers and summary as ``workbench bench``,
and streams its samples back in batches (at most one every :data:`BATCH_INTERVAL_S`); the charts redraw from their
own timer, never per sample. The peak RSS shown is that child's own (interpreter, runtime, model and runs), never
the window's. Every variant runs on the same input values (the first variant's: PyTorch's example inputs when it
runs first); an ONNX file whose fixed input sizes cannot take the panel's batch and sequence is refused with the
file's real shapes. Cancel kills the running child's process group at once.

The layout is bench_layout.py, the variant rows bench_variants.py, the summary table bench_table.py. This module keeps
one run's state: which variants are offered and checked, the run queue and its job callbacks, the charts and table
they feed, and the CLI command of the same run. Size: ~340 lines, one module, because the queue's callbacks
read and write that state together (the inputs every variant shares, the failures, the counts, the table rows).
"""

from __future__ import annotations

import shlex
from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QFileDialog, QWidget

from workbench.core.errors import first_line
from workbench.gui.child import PROGRESS_INTERVAL_S
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.panels.bench_layout import DEFAULT_WARMUP, build, cuda_status  # noqa: F401 - DEFAULT_WARMUP
from workbench.gui.panels.bench_table import COLUMNS
from workbench.gui.panels.bench_variants import ORT, TORCH, Variant, VariantRow, default_threads, runtime_choices
from workbench.gui.i18n import Retranslating

BATCH_INTERVAL_S = PROGRESS_INTERVAL_S  # the child sends its samples in batches at most this often
TORCH_NAME, ORT_NAME = "PyTorch eager", "ORT fp32"
__all__ = ["BenchPanel", "Variant", "TORCH", "ORT", "COLUMNS"]


class BenchPanel(Retranslating, QWidget):
    """Provider, shapes, iterations and variants; Run streams into live charts and ends with a summary table."""

    runFinished = Signal(list)  # [BenchResult] of the variants that finished

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        if state.jobs is None:  # a panel on its own (tests, embedding): a JobManager of its own
            from workbench.gui.workers import JobManager

            state.jobs = JobManager(self)
        self.job = None  # the variant's job that runs now
        self._queue: list = []  # the variants still to run
        self._active = False
        self._cancelled = False
        self._inputs: Optional[dict] = None  # the values every variant runs on (the first variant's)
        self.results: list = []
        self.failures: dict = {}
        self.counts: dict = {}
        self.last_cli = ""
        build(self)
        self.refresh_variants()
        for signal in (state.sourceChanged, state.onnxChanged):
            signal.connect(lambda _path: self.refresh_variants())
        state.variantsChanged.connect(self.refresh_variants)
        reset = getattr(state, "modelReset", None)
        if reset is not None:
            reset.connect(self.model_reset)

    def model_reset(self) -> None:
        """A new model: the previous model's results, curves and status no longer describe it (a run going on
        keeps going and is shown to its end)."""
        if self.running:
            return
        self.results, self.failures, self.counts, self.ran = [], {}, {}, {}
        self.table.clear_rows()
        self.charts.clear()
        self._cancelled = False
        self.status.setText(self.tr("Ready"))
        self._update_buttons()

    def run_cancelled(self) -> bool:
        """True when the last run ended by a cancel."""
        return self._cancelled and not self._active

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.check_cuda()

    def check_cuda(self) -> None:
        """Enable CUDA only where ONNX Runtime offers it (imports onnxruntime, so done on first show)."""
        if self._cuda_checked:
            return
        self._cuda_checked = True
        ok, why = cuda_status()
        cuda_item = self.provider.model().item(1)
        cuda_item.setEnabled(ok)
        cuda_item.setToolTip(why)
        self.provider.setToolTip(self.tr("CUDA: {0}").format(why))

    def retranslate(self) -> None:
        """Every text in the installed language, in place: settings, variants, results and charts stay."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)
        self.table.retranslate()

    # -- variants --------------------------------------------------------------------------------------------------
    def available_variants(self) -> list:
        """Every variant the state offers, checked or not; PyTorch only for a non-ONNX source."""
        out = []
        src = self.state.source_path
        if src and not src.lower().endswith(".onnx"):
            out.append(Variant(TORCH_NAME, TORCH, src))
        if self.state.onnx_path:
            out.append(Variant(ORT_NAME, ORT, self.state.onnx_path))
        for name, path in self.state.variants.items():
            out.append(Variant(str(name), ORT, str(path)))
        return out

    def refresh_variants(self) -> None:
        """One row per variant: its check box and, for an artifact, the runtimes that open it (registry)."""
        previous = {name: box.isChecked() for name, box in self.checks.items()}
        runtimes = {name: row.chosen().runtime for name, row in self.rows.items()}
        for widget in list(self.rows.values()) + [b for n, b in self.checks.items() if n not in self.rows]:
            self.variant_layout.removeWidget(widget)
            widget.hide()
            widget.deleteLater()
        self.checks.clear()
        self.rows.clear()
        variants = self.available_variants()
        for v in variants:
            choices = runtime_choices(v.path) if v.kind == ORT else []
            row = VariantRow(v, choices, previous.get(v.name, True), runtimes.get(v.name, ""))
            row.check.toggled.connect(self._update_buttons)
            self.variant_layout.addWidget(row)
            self.checks[v.name], self.rows[v.name] = row.check, row
        if not variants:
            box = QCheckBox(self.tr("(load a model first)"))
            box.setEnabled(False)
            self.variant_layout.addWidget(box)
            self.checks[""] = box
        self.settings_form.setRowVisible(self.kv_cache, any(v.path.lower().endswith(".gguf") for v in variants))
        self._update_buttons()

    def selected_variants(self) -> list:
        """The checked variants, each with the runtime picked for it."""
        return [self.rows[v.name].chosen() for v in self.available_variants()
                if v.name in self.rows and self.rows[v.name].runnable() and self.rows[v.name].check.isChecked()]

    def resolved_threads(self) -> int:
        """The Threads box, or for "default" one number for every variant (runtimes' own defaults differ)."""
        return self.threads.value() or default_threads()

    def spec_fields(self) -> dict:
        return {"provider": self.provider.currentData(), "batch": self.batch.value(),
                "sequence": self.sequence.value(), "iterations": self.iterations.value(),
                "warmup": self.warmup.value(), "threads": self.threads.value() or None,
                "kv_cache": self.kv_cache.currentData()}  # written as shown, f16 too: a loaded recipe's key stays

    def apply_recipe(self, recipe: dict) -> None:
        """Show a recipe's [bench] settings (BenchSpec's defaults, the pipeline's, for the keys it leaves out)."""
        from workbench.core.recipe_schema import with_defaults

        section = with_defaults("bench", recipe.get("bench"))
        index = self.provider.findData(section["provider"])
        if index >= 0:
            self.provider.setCurrentIndex(index)
        for name in ("batch", "sequence", "iterations", "warmup"):
            getattr(self, name).setValue(int(section[name]))
        self.threads.setValue(int(section.get("threads") or 0))
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(section.get("kv_cache") or "f16")))

    # -- run -------------------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._active

    def run(self) -> None:
        """Run the checked variants one after another, each a child-process job (see the module docstring)."""
        variants = self.selected_variants()
        if not variants or self.running:
            return
        variants = self._allowed(variants)
        if not variants:
            return
        self.results, self.failures, self.counts, self.ran = [], {}, {}, {}
        self.table.clear_rows()
        self.charts.clear()
        self._queue, self._inputs, self._cancelled, self._active = list(variants), None, False, True
        self._update_buttons()
        self._next()

    def _allowed(self, variants: list) -> list:
        """The PyTorch variant of a program source (TorchScript, .pt2, model.py) runs only if the user says yes
        (workbench.gui.trust); declined, it is left out and the ONNX variants still run."""
        import dataclasses

        from workbench.gui.trust import allow

        out = []
        for v in variants:
            allowed = allow(self, self.state, v.path) if v.kind == TORCH else False
            if allowed is None:
                self.status.setText(self.tr("{0} left out: {1} is a program and was not allowed to run").format(v.name, v.path))
                continue
            out.append(dataclasses.replace(v, trust_code=True) if allowed else v)
        return out

    def _next(self) -> None:
        """Start the next variant's job, or end the run."""
        self.job = None
        if self._cancelled or not self._queue or not self._active:
            self._on_done(self._cancelled)
            return
        from workbench.core.bench.isolated import stream_variant
        from workbench.core.specs import BenchSpec, ModelSource

        variant = self._queue.pop(0)
        fields = {**self.spec_fields(), "threads": self.resolved_threads()}
        kv_cache = fields.pop("kv_cache")  # llama.cpp's setting: the .gguf variants' runtime options only
        options = {"kv_cache": kv_cache} if variant.path.lower().endswith(".gguf") else {}
        spec = BenchSpec(model=variant.path, trust_code=variant.trust_code, runtime=variant.runtime or None,
                         runtime_options=options, **fields)
        self.ran[variant.name] = (variant.runtime or "torch", fields["threads"])
        source = ModelSource(path=variant.path, trust_code=variant.trust_code) if variant.kind == TORCH else None
        name = self.tr("Benchmark {0}").format(variant.name)
        self._on_started(variant.name)
        job = self.state.jobs.run_in_process(name, stream_variant, spec, terminate_grace_s=0, torch_source=source,
                                             inputs=self._inputs, label=variant.name)
        self.job = job
        self.state.log(self.tr("Started: {0}").format(name))
        job.samples.connect(lambda batch, n=variant.name: self._on_samples(n, batch))
        job.succeeded.connect(lambda run, n=variant.name: self._on_finished(n, run))
        job.failed.connect(lambda message, n=variant.name: self._on_failed(n, message))
        job.cancelled.connect(self._on_cancelled)
        job.finished.connect(lambda _state, j=job: self._job_ended(j))

    def _job_ended(self, job) -> None:
        if job is self.job:
            self._next()

    def cancel(self) -> None:
        """Cancel the run: the running variant's child is killed at once, the variants after it never start."""
        if not self._active:
            return
        self._cancelled = True
        self._queue = []
        self.status.setText(self.tr("Cancelling…"))
        if self.job is not None:
            self.job.cancel()
        else:
            self._on_done(True)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel a running benchmark and wait for its job's thread (its child is killed)."""
        self._queue = []
        job = self.job
        if job is not None and job.is_running:
            self._cancelled = True
            job.cancel()
            job.worker.wait(timeout_ms)

    def _on_started(self, name: str) -> None:
        self.counts[name] = 0
        self.charts.add_series(name)
        self.save_button.setEnabled(True)
        self.status.setText(self.tr("{0}: loading and warm-up…").format(name))

    def _on_samples(self, name: str, samples: list) -> None:
        self.charts.feed(name, samples)
        self.counts[name] = self.counts.get(name, 0) + len(samples)
        self.status.setText(self.tr("{0}: run {1}/{2}").format(name, self.counts[name], self.iterations.value()))

    def _on_finished(self, name: str, run) -> None:
        result = run.result
        if self._inputs is None and run.inputs is not None:
            self._inputs = run.inputs  # the next variants run on exactly these values
        self.results.append(result)
        self._add_row(result)
        job = self.job
        took = self.tr(", {0:.1f} s").format(job.elapsed()) if job is not None else ""
        self.state.log(self.tr("Finished: Benchmark {0} (p50 {1:.3f} ms, p95 {2:.3f} ms, peak RSS {3:.0f} MB of its "
                               "own process{4})").format(name, result.latency_ms['p50'], result.latency_ms['p95'],
                                                         result.peak_rss_mb, took))

    def _on_failed(self, name: str, message: str) -> None:
        first = first_line(message, None)
        self.failures[name] = first
        self.state.log(self.tr("Failed: Benchmark {0}: {1}").format(name, engine_text(first)))
        self.charts.remove(name)
        text = engine_text(first) if " refused: " in first else self.tr("failed: {0}").format(engine_text(first))
        self.table.add_failure(name, text, first)
        self.status.setText(f"{name}: {text}")

    def _on_cancelled(self) -> None:
        self._cancelled = True  # also when the job was cancelled from the Jobs dock
        self._queue = []

    def _on_done(self, cancelled: bool) -> None:
        self.charts.redraw()
        done = self.tr("{0} variant(s) done").format(len(self.results))
        if self.failures:
            done = self.tr("{0}, {1} failed").format(done, len(self.failures))
        self.status.setText((self.tr("Cancelled: {0}") if cancelled else self.tr("Finished: {0}")).format(done))
        if cancelled:
            self.state.log(self.tr("Cancelled: Benchmark ({0})").format(done))
        self.job, self._queue, self._active = None, [], False
        self._update_buttons()
        self.runFinished.emit(list(self.results))

    def _add_row(self, r) -> None:
        self.table.add_result(r, *self.ran.get(r.name, ("—", None)))

    def _update_buttons(self) -> None:
        running = self.running
        self.run_button.setEnabled(not running and bool(self.selected_variants()))
        self.cancel_button.setEnabled(running)
        self.provider.setEnabled(not running)
        for row in self.rows.values():
            row.setEnabled(not running)  # the variants cannot change under a run
        self.save_button.setEnabled(any(chart.series for chart in (self.charts.latency, self.charts.memory)))
        self.cli_button.setEnabled(bool(self.selected_variants()))

    # -- export ----------------------------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Follow the window's light/dark theme (the main window calls this)."""
        self.charts.set_theme(name)

    def save_charts(self, path: Optional[str] = None) -> Optional[str]:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save charts as PNG"), "benchmark.png",
                                                  self.tr("PNG image (*.png)"))
            if not path:
                return None
        return self.charts.save_png(path)

    def cli_command(self) -> str:
        """``workbench bench`` lines that reproduce this run: one per selected artifact, with its runtime where it
        is not the one the file's suffix picks, and the thread count the run uses."""
        fields = self.spec_fields()
        variants = self.selected_variants()
        torch = next((v for v in variants if v.kind == TORCH), None)
        onnx = [v for v in variants if v.kind == ORT] or [Variant(ORT_NAME, ORT, self.state.onnx_path or "MODEL")]
        lines = []
        for i, v in enumerate(onnx):
            args = ["workbench", "bench", v.path, "--provider", fields["provider"], "--batch", str(fields["batch"]),
                    "--seq", str(fields["sequence"]), "--iterations", str(fields["iterations"])]
            if fields["warmup"] != DEFAULT_WARMUP:
                args += ["--warmup", str(fields["warmup"])]
            args += ["--threads", str(self.resolved_threads())]
            suffix_pick = next((c.name for c in runtime_choices(v.path)), "")
            if v.runtime and v.runtime != suffix_pick:
                args += ["--runtime", v.runtime]
            if v.path.lower().endswith(".gguf"):  # a decoder .gguf alone benches its generation without --runtime
                args += [] if "--runtime" in args else ["--runtime", "llama.cpp"]
                args += ["--kv-cache", fields["kv_cache"]] if fields["kv_cache"] != "f16" else []  # f16: the default
            if torch is not None and i == 0:
                from workbench.core.loading import program_kind

                args += ["--compare-torch", torch.path] + (["--trust-code"] if program_kind(torch.path) else [])
            lines.append(shlex.join(args))
        return "\n".join(lines)

    def copy_cli(self) -> str:
        self.last_cli = self.cli_command()
        QGuiApplication.clipboard().setText(self.last_cli)
        self.status.setText(self.tr("Copied: {0}").format(self.last_cli))
        return self.last_cli
