"""The timed-run loop every benchmark shares (:class:`Sampler`), and :class:`RuntimeSampler`: timed
``session.run(feeds)`` of any registered runtime, chosen by the artifact's suffix or ``BenchSpec.runtime``.

A Sampler is an iterator of :class:`BenchSample`; nothing runs until the first sample is asked for. Warm-up runs are
not yielded. It stops after ``spec.iterations`` runs, once ``spec.time_budget_s`` has passed, or cleanly (no
exception) when the cancel token is set. ``notes`` carries what the user should know (e.g. that CUDA was asked for
but the CPU ran), ``provider`` the device that really ran, ``batch`` the batch the inputs really have.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator, Optional

import numpy as np

from workbench.core.bench import memory
from workbench.core.errors import WorkbenchError, first_line
from workbench.core.jobs import CancelToken
from workbench.core.results import BenchSample
from workbench.core.specs import DTYPES, PROVIDERS, BenchSpec

MEMORY_MODES = ("run", "process")


def check_spec(spec: BenchSpec) -> None:
    """Raise WorkbenchError for values no benchmark can run with."""
    def bad(what, hint):
        raise WorkbenchError(what, hint)

    if spec.provider not in PROVIDERS:
        bad(f"unknown provider '{spec.provider}'", f"use one of: {', '.join(PROVIDERS)}")
    if spec.torch_dtype not in DTYPES:
        bad(f"unknown dtype '{spec.torch_dtype}'", f"use one of: {', '.join(DTYPES)}")
    if int(spec.iterations) < 1:
        bad(f"iterations must be at least 1 (got {spec.iterations})", "ask for 1 or more timed runs")
    if int(spec.warmup) < 0:
        bad(f"warmup cannot be negative (got {spec.warmup})", "use 0 or more warm-up runs")
    if int(spec.batch) < 1 or int(spec.sequence) < 1:
        bad(f"batch and sequence must be at least 1 (got {spec.batch} and {spec.sequence})",
            "give positive sizes")
    if spec.threads is not None and int(spec.threads) < 1:
        bad(f"threads must be at least 1 (got {spec.threads})", "leave it unset for the runtime's default")
    if spec.time_budget_s is not None and float(spec.time_budget_s) <= 0:
        bad(f"time budget must be positive (got {spec.time_budget_s})", "leave it unset for no budget")


def _cancelled(cancel) -> bool:
    return bool(cancel is not None and getattr(cancel, "cancelled", False))


class Sampler:
    """Iterator of BenchSample over timed runs; subclasses prepare the runtime and return the run callable."""

    default_name = "benchmark"
    per_run = 1  # inferences one run() does (a runtime's throughput mode): a sample's time is divided by it
    sequential = 1  # a batch run as this many sequences one after another (llama.cpp): notes give per-sequence times

    def __init__(self, spec: BenchSpec, cancel: Optional[CancelToken] = None, memory_mode: str = "run"):
        check_spec(spec)
        if memory_mode not in MEMORY_MODES:
            raise WorkbenchError(f"unknown memory mode '{memory_mode}'", "use run or process")
        self.spec = spec
        self.cancel = cancel
        self.memory_mode = memory_mode
        self.notes: list = []
        self.provider = spec.provider
        self.batch = int(spec.batch)
        self.sequence = int(spec.sequence)
        self.count = 0
        self.cancelled = False
        self.stopped_by_budget = False
        self.tracker: Optional[memory.PeakTracker] = None
        self._gen = None
        # keep_outputs: keep the last run's outputs; ``outputs`` (float32 numpy arrays) is set once the run ends
        self.keep_outputs = False
        self.outputs: Optional[list] = None
        self._last = None
        self.gpu_marks: dict = {}  # GPU memory (MiB) at steps of the preparation, where NVML reads it

    # -- iterator protocol: lazy, so building the iterator costs nothing and errors come with the first sample
    def __iter__(self) -> "Sampler":
        return self

    def __next__(self) -> BenchSample:
        if self._gen is None:
            self._gen = self._loop()
        return next(self._gen)

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()

    @property
    def uses_gpu(self) -> bool:
        return self.provider == "cuda"

    @property
    def peak_rss_mb(self) -> Optional[float]:
        return self.tracker.peak_mb if self.tracker else None

    @property
    def gpu_peak_mb(self) -> Optional[float]:
        return self.tracker.gpu_peak_mb if self.tracker else None

    def _prepare(self) -> Callable[[], None]:
        raise NotImplementedError

    def _teardown(self) -> None:
        pass

    def _start_tracker(self) -> None:
        whole = self.memory_mode == "process"
        self.tracker = memory.PeakTracker(interval_s=None, reset=not whole, whole_process=whole, gpu=False)
        self.tracker.start()
        if not whole and not self.tracker.hwm_reset:
            # The kernel's peak mark cannot be reset here: sample RSS on a thread to catch peaks inside runs.
            self.tracker.stop()
            self.tracker = memory.PeakTracker(interval_s=0.01, reset=False, gpu=False).start()

    def _loop(self) -> Iterator[BenchSample]:
        spec = self.spec
        self._start_tracker()
        try:
            run = self._prepare()
            self.tracker.gpu = self.uses_gpu
            self.tracker.sample_gpu()
            for _ in range(int(spec.warmup)):
                if _cancelled(self.cancel):
                    self.cancelled = True
                    return
                run()
            budget = float(spec.time_budget_s) if spec.time_budget_s is not None else None
            start = time.perf_counter()
            for i in range(int(spec.iterations)):
                if _cancelled(self.cancel):
                    self.cancelled = True
                    return
                t0 = time.perf_counter_ns()
                run()
                t1 = time.perf_counter_ns()
                elapsed = time.perf_counter() - start
                sample = BenchSample(iteration=i, latency_ms=(t1 - t0) / 1e6 / self.per_run, rss_mb=self.tracker.sample(),
                                     gpu_mb=self.tracker.sample_gpu(), elapsed_s=elapsed)
                self.count += 1
                yield sample
                if budget is not None and elapsed >= budget:
                    self.stopped_by_budget = True
                    return
        finally:
            self._teardown()
            if self.tracker is not None:
                self.tracker.stop()


class RuntimeSampler(Sampler):
    """Timed ``session.run(feeds)`` of the runtime that opens ``spec.model`` (or ``spec.runtime``)."""

    def __init__(self, spec: BenchSpec, cancel=None, inputs: Optional[dict] = None, memory_mode: str = "run"):
        super().__init__(spec, cancel, memory_mode)
        from workbench.core.loading.limits import input_path
        from workbench.core.runtimes.select import choose

        self.path = input_path(spec.model, "model artifact", "check the path, or export the model first")
        self.runtime = choose(self.path, spec.runtime)
        self.default_name = f"{self.runtime.name} {self.path.name}"
        self.inputs = inputs
        self.session = None

    def _open(self, extra: Optional[dict] = None):
        from workbench.core.runtimes.base import RuntimeOptions

        threads = int(self.spec.threads) if self.spec.threads else None
        from workbench.core.runtimes.select import open_session

        options = RuntimeOptions(device=self.provider, threads=threads,
                                 extra={**(self.spec.runtime_options or {}), **(extra or {})})
        return open_session(self.runtime, self.path, options)

    def _note_batch(self, feeds: dict) -> None:
        from workbench.core.bench.inputs import effective_batch

        self.batch = effective_batch(feeds, self.spec.batch)
        if self.batch != self.spec.batch:
            self.notes.append(f"the inputs have a batch of {self.batch} (the model's fixed size, or the inputs "
                              f"given), not {self.spec.batch}; throughput counts {self.batch}")

    def _prepare(self) -> Callable[[], None]:
        from workbench.core.bench.inputs import runtime_example_inputs
        from workbench.core.runtimes.select import feed

        self.session = session = self._open()
        self.notes.extend(session.notes)
        self.provider = session.device
        infos = session.inputs()
        given = self.inputs
        if given is None and self.path.suffix.lower() == ".onnx":  # the same values ONNX Runtime's sampler uses
            from workbench.core.bench.inputs import onnx_example_inputs

            given = onnx_example_inputs(self.path, self.spec.batch, self.spec.sequence)
        elif given is None:
            given = runtime_example_inputs(infos, self.spec.batch, self.spec.sequence)
        feeds = feed(infos, given)
        self._note_batch(feeds)
        name = self.runtime.name
        if self.batch > 1 and getattr(session, "sequential_batch", False):
            self.sequential = self.batch  # llama.cpp: the batch's rows one after another (summary's note)
        if getattr(session, "kv_cache", None):  # llama.cpp's KV cache type: the row says which one ran
            self.notes.append(f"{name} KV cache: {session.kv_cache}")
        in_flight = int(getattr(session, "in_flight", 1) or 1)  # a runtime's throughput mode: requests at once
        if in_flight > 1:
            self.per_run = in_flight
            self.notes.append(f"{in_flight} requests in flight: each sample is one round of {in_flight} requests, "
                              f"its time divided by {in_flight} (time per inference, so throughput is the rate; "
                              "one request's latency is longer)")
            run_once = session.run_in_flight
        else:
            run_once = session.run

        def run() -> None:
            try:
                result = run_once(feeds)
            except WorkbenchError:
                raise
            except Exception as err:  # noqa: BLE001 - a runtime's own error types
                raise WorkbenchError(f"{name} failed to run the model: {first_line(err)}",
                                     "check the input shapes and dtypes against `workbench inspect`") from err
            if self.keep_outputs:
                self._last = result
        return run

    def _teardown(self) -> None:
        if self.keep_outputs and self._last is not None:
            self.outputs = [np.asarray(v, dtype=np.float32) for v in self._last.values()]
        self._last = None
        if self.session is not None:
            self.session.close()
            self.session = None
