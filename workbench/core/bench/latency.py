"""Timed runs of an ONNX model in ONNX Runtime (and of the PyTorch model in eager mode), sample by sample.

:func:`iter_samples` returns an iterator of :class:`BenchSample` (the live charts read it); nothing runs until the
first sample is asked for. Warm-up runs are not yielded. The iterator stops after ``spec.iterations`` runs, once
``spec.time_budget_s`` has passed, or cleanly (no exception) when the cancel token is set. Its ``notes`` attribute
carries what the user should know (e.g. that CUDA was asked for but the CPU ran), ``provider`` the provider that
really ran, ``batch`` the batch the inputs really have.

:func:`run_bench` runs it to the end and summarises (:func:`summarize`); with ``spec.compare_torch`` PyTorch eager
runs on the very same input values and its result goes to ``result.torch``. Peak RSS inside one process includes
whatever that process held before; for a fair memory comparison use ``workbench.core.bench.isolated``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np

from workbench.core.bench import memory
from workbench.core.errors import JobCancelled, WorkbenchError, first_line
from workbench.core.jobs import CancelToken, ProgressFn
from workbench.core.results import BenchResult, BenchSample
from workbench.core.specs import DTYPES, PROVIDERS, BenchSpec, ModelSource

MEMORY_MODES = ("run", "process")
SHARED_PROCESS_NOTE = ("PyTorch and ONNX Runtime ran in one process, so each peak RSS includes memory the other "
                       "held; compare memory with compare_table (one process each)")


def _is_onnx(path: str) -> bool:
    return Path(str(path)).suffix.lower() == ".onnx"


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
                sample = BenchSample(iteration=i, latency_ms=(t1 - t0) / 1e6, rss_mb=self.tracker.sample(),
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


# ------------------------------------------------------------------------------------------------ ONNX Runtime

class OrtSampler(Sampler):
    def __init__(self, spec: BenchSpec, cancel=None, inputs: Optional[dict] = None, memory_mode: str = "run"):
        super().__init__(spec, cancel, memory_mode)
        from workbench.core.ort import providers_for

        from workbench.core.loading.limits import regular_file

        path = regular_file(spec.model, "ONNX file", "check the path, or export the model first")
        self.path = path
        self.default_name = f"ORT {path.name}"
        self.inputs = inputs
        self.session = None
        self.io_binding = False
        self.cuda_graph = False
        self._providers, notes = providers_for(spec.provider)
        self.notes.extend(notes)  # the CUDA fallback note first, as the user asked for CUDA
        self.provider = "cuda" if "CUDAExecutionProvider" in self._providers else "cpu"

    def _session(self, cuda_graph: bool):
        from workbench.core.ort import make_session

        # self.provider is already 'cpu' when CUDA is not available (noted in __init__): no second note then.
        options = {"enable_cuda_graph": "1"} if cuda_graph and self.provider == "cuda" else None
        self._session_notes: list = []
        return make_session(self.path, self.provider, int(self.spec.threads) if self.spec.threads else None,
                            "all", provider_options=options, notes=self._session_notes)

    def _feeds(self, session) -> dict:
        from workbench.core.bench.inputs import effective_batch, onnx_example_inputs
        from workbench.core.ort import feed

        source = self.inputs
        if source is None:
            source = onnx_example_inputs(self.path, self.spec.batch, self.spec.sequence)
        feeds = feed(session, source)
        self.batch = effective_batch(feeds, self.spec.batch)
        if self.batch != self.spec.batch:
            self.notes.append(f"the inputs have a batch of {self.batch} (the model's fixed size, or the inputs "
                              f"given), not {self.spec.batch}; throughput counts {self.batch}")
        return feeds

    def _prepare(self) -> Callable[[], None]:
        spec = self.spec
        want_graph = bool(spec.cuda_graph)
        use_binding = spec.io_binding if spec.io_binding is not None else self.provider == "cuda"
        if want_graph and self.provider != "cuda":
            self.notes.append("CUDA graphs need the CUDA provider; ran without them")
            want_graph = False
        if want_graph and not use_binding:
            self.notes.append("CUDA graphs need IOBinding; turned IOBinding on")
            use_binding = True
        try:
            session = self._session(want_graph)
        except WorkbenchError as err:
            if not want_graph:
                raise
            self.notes.append(f"ONNX Runtime refused CUDA graphs for this model ({first_line(err)}); "
                              "ran without them")
            want_graph = False
            session = self._session(False)
        if self.provider == "cuda" and session.workbench_provider != "cuda":
            self.notes.extend(self._session_notes)  # the CUDA provider did not start: say so, report CPU
            self.provider = "cpu"
            want_graph = False
        if self.provider == "cuda":
            self.gpu_marks["session"] = memory.gpu_used_mb()
        feeds = self._feeds(session)
        self.session = session
        if not use_binding:
            names = None

            def run() -> None:
                try:
                    result = session.run(names, feeds)
                    if self.keep_outputs:
                        self._last = result
                except WorkbenchError:
                    raise  # the run-time guard's one line (core/loading/limits.py)
                except Exception as err:  # noqa: BLE001
                    raise WorkbenchError(f"ONNX Runtime failed to run the model: {first_line(err)}",
                                         "check the input shapes and dtypes against `workbench inspect`") from err
            return run
        self.io_binding = True
        try:
            return self._bound_run(session, feeds, want_graph)
        except Exception as err:  # noqa: BLE001 - any failure of the capture: retry without CUDA graphs
            if not want_graph:
                raise
            why = first_line(err)
        self.notes.append(f"CUDA graph capture failed ({why}; every node must run on CUDA, with fixed shapes); "
                          "ran with IOBinding but without CUDA graphs")
        self.session = session = self._session(False)
        return self._bound_run(session, feeds, False)

    def _output_layout(self, session, feeds: dict) -> list:
        """[(shape, numpy dtype)] of the outputs for these feeds: from the model's output shapes, whose named
        dimensions the inputs fix (batch, sequence), else from one run of a session without CUDA graphs."""
        sizes: dict = {}
        for info in session.get_inputs():
            if info.name in feeds:
                for dim, size in zip(info.shape, np.shape(feeds[info.name])):
                    if isinstance(dim, str):
                        sizes[dim] = int(size)
        outputs = session.get_outputs()
        dtypes = [_ORT_NP.get(o.type, np.float32) for o in outputs]
        shapes = [[d if isinstance(d, int) and d >= 0 else sizes.get(d) for d in o.shape] for o in outputs]
        if all(None not in shape for shape in shapes):
            return list(zip(shapes, dtypes))
        probe = self._session(False)  # a dimension the inputs do not name: learn the shapes by running once
        results = probe.run(None, feeds)
        del probe
        return [(list(np.shape(r)), dtype) for r, dtype in zip(results, dtypes)]

    def _bound_run(self, session, feeds: dict, cuda_graph: bool) -> Callable[[], None]:
        import onnxruntime as ort

        device = "cuda" if self.provider == "cuda" else "cpu"
        output_names = [o.name for o in session.get_outputs()]
        try:
            binding = session.io_binding()
            # Keep the OrtValues alive as long as the binding: the buffers must stay where they were bound.
            values = {name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(arr), device, 0)
                      for name, arr in feeds.items()}
            for name, value in values.items():
                binding.bind_ortvalue_input(name, value)
            fixed = {}
            if cuda_graph:
                # ONNX Runtime captures the graph inside the very first run (it runs itself again to do so), and
                # replays write where that capture wrote: the outputs must sit at fixed addresses from the start.
                for out, (shape, dtype) in zip(output_names, self._output_layout(session, feeds)):
                    fixed[out] = ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype, device, 0)
                    binding.bind_ortvalue_output(out, fixed[out])
            else:
                for name in output_names:
                    binding.bind_output(name, device, 0)
        except Exception as err:  # noqa: BLE001
            raise WorkbenchError(f"ONNX Runtime could not bind the inputs on {device}: {first_line(err)}",
                                 "run with io_binding off") from err

        def run() -> None:
            try:
                session.run_with_iobinding(binding)
            except WorkbenchError:
                raise  # the run-time guard's one line (core/loading/limits.py)
            except Exception as err:  # noqa: BLE001
                raise WorkbenchError(f"ONNX Runtime failed to run the model: {first_line(err)}",
                                     "check the input shapes and dtypes against `workbench inspect`") from err

        self._bound = (binding, values, fixed)
        if cuda_graph:
            run()  # captures the graph now, so a capture failure shows here
            self.gpu_marks["after capture"] = memory.gpu_used_mb()
            self.cuda_graph = True
        return run

    def _teardown(self) -> None:
        if self.keep_outputs:
            bound = getattr(self, "_bound", None)
            values = [v.numpy() for v in bound[0].get_outputs()] if bound else self._last
            self.outputs = [np.asarray(v, dtype=np.float32) for v in values] if values is not None else None
        self._last = None
        self._bound = None
        self.session = None


_ORT_NP = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
           "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
           "tensor(uint8)": np.uint8, "tensor(int8)": np.int8}


# --------------------------------------------------------------------------------------------- PyTorch eager

class TorchSampler(Sampler):
    def __init__(self, source: ModelSource, spec: BenchSpec, cancel=None, inputs: Optional[dict] = None,
                 loaded=None, memory_mode: str = "run"):
        super().__init__(spec, cancel, memory_mode)
        self.source = source if isinstance(source, ModelSource) else ModelSource(path=str(source))
        self.inputs = inputs
        self.loaded = loaded
        self.inputs_used: Optional[dict] = None  # numpy copies of what ran (for other runtimes to reuse)
        self.default_name = "PyTorch eager" + ("" if spec.torch_dtype == "fp32" else f" {spec.torch_dtype}")
        self.provider = spec.provider
        self._threads_before: Optional[int] = None

    def _tensors(self, loaded, device) -> dict:
        import torch

        from workbench.core.loading.model import torch_dtype

        given = self.inputs if self.inputs is not None else loaded.make_inputs(self.spec.batch, self.spec.sequence)
        values = list(given.items())
        fdtype = torch_dtype(self.spec.torch_dtype)
        out = {}
        for i, info in enumerate(loaded.inputs):
            if info.name in given:
                value = given[info.name]
            elif i < len(values):
                value = values[i][1]
            else:
                raise WorkbenchError(f"no value for the PyTorch input '{info.name}'",
                                     f"the model expects: {', '.join(loaded.input_names)}")
            tensor = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(value))
            tensor = tensor.to(torch.int64) if info.dtype == "int64" else tensor.to(fdtype)
            out[info.name] = tensor.to(device)
        self.inputs_used = {k: (v.float() if v.is_floating_point() else v).cpu().numpy() for k, v in out.items()}
        from workbench.core.bench.inputs import effective_batch

        self.batch = effective_batch(out, self.spec.batch)
        return out

    def _prepare(self) -> Callable[[], None]:
        import torch

        from workbench.core.loading import load_model

        if self.spec.threads:
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(int(self.spec.threads))
        device = "cpu"
        if self.spec.provider == "cuda":
            if torch.cuda.is_available():
                device = "cuda"
            else:
                self.notes.append("PyTorch has no CUDA here (a CUDA build of torch and a GPU are needed); "
                                  "ran on the CPU")
        self.provider = device
        loaded = self.loaded or load_model(self.source, self.spec.torch_dtype)
        if loaded.dtype != self.spec.torch_dtype:
            self.notes.append(f"the PyTorch model was loaded as {loaded.dtype}, not {self.spec.torch_dtype}")
        module = loaded.module
        if hasattr(module, "to"):
            module = module.to(device)
        if hasattr(module, "eval"):
            module.eval()
        tensors = self._tensors(loaded, device)
        sync = torch.cuda.synchronize if device == "cuda" else None

        def run() -> None:
            try:
                with torch.inference_mode():
                    result = module(**tensors)
                if self.keep_outputs:
                    self._last = result
                if sync is not None:
                    sync()
            except WorkbenchError:
                raise
            except Exception as err:  # noqa: BLE001
                raise WorkbenchError(f"PyTorch failed to run the model: {first_line(err)}",
                                     "check that the model runs on these input shapes") from err
        return run

    def _teardown(self) -> None:
        if self.keep_outputs and self._last is not None:
            values = self._last if isinstance(self._last, (tuple, list)) else [self._last]
            self.outputs = [v.detach().float().cpu().numpy() for v in values if hasattr(v, "detach")]
        self._last = None
        if self._threads_before is not None:
            import torch

            torch.set_num_threads(self._threads_before)
            self._threads_before = None


# -------------------------------------------------------------------------------------------------- public API

def iter_samples(spec: BenchSpec, cancel: Optional[CancelToken] = None, *, inputs: Optional[dict] = None,
                 memory_mode: str = "run") -> Sampler:
    """Timed runs of ``spec.model``: ONNX Runtime for an ``.onnx`` file, else PyTorch eager on that source.

    ``inputs`` ({name: array or tensor}) replaces the example inputs built from the model's metadata.
    """
    if _is_onnx(spec.model):
        return OrtSampler(spec, cancel, inputs=inputs, memory_mode=memory_mode)
    from workbench.core.loading import is_user_code

    if not is_user_code(spec.model) and not Path(spec.model).expanduser().exists():
        raise WorkbenchError(f"{spec.model}: no such file or folder",
                             "give an .onnx file, or a model folder or file for PyTorch eager")
    return TorchSampler(ModelSource(path=str(spec.model), trust_code=spec.trust_code), spec, cancel, inputs=inputs,
                        memory_mode=memory_mode)


def torch_samples(source, spec: BenchSpec, cancel: Optional[CancelToken] = None, *, inputs: Optional[dict] = None,
                  loaded=None, memory_mode: str = "run") -> TorchSampler:
    """Timed PyTorch eager runs of ``source`` (a ModelSource or path) with the spec's shapes, threads and dtype.

    Give ``loaded`` (a LoadedModel) and ``inputs`` to reuse a model and the exact input values of another run.
    """
    return TorchSampler(source, spec, cancel, inputs=inputs, loaded=loaded, memory_mode=memory_mode)


def summarize(name: str, provider: str, samples: list, batch: int, seq: int, notes: Optional[list] = None,
              peak_rss_mb: Optional[float] = None, gpu_peak_mb: Optional[float] = None) -> BenchResult:
    """Percentiles, mean, min and max latency, throughput and memory peaks of a list of BenchSample."""
    if not samples:
        raise WorkbenchError(f"{name}: no timed run finished", "ask for at least one iteration, with no cancel")
    lat = np.asarray([s.latency_ms for s in samples], dtype=np.float64)
    p50, p95, p99 = (float(v) for v in np.percentile(lat, [50, 95, 99]))
    mean = float(lat.mean())
    stats = {"p50": p50, "p95": p95, "p99": p99, "mean": mean, "min": float(lat.min()), "max": float(lat.max())}
    rss = [s.rss_mb for s in samples if s.rss_mb is not None]
    peak = max(rss + ([peak_rss_mb] if peak_rss_mb is not None else []), default=0.0)
    gpu = [s.gpu_mb for s in samples if s.gpu_mb is not None] + ([gpu_peak_mb] if gpu_peak_mb is not None else [])
    return BenchResult(name=name, provider=provider, latency_ms=stats,
                       throughput_per_s=float(batch) * 1000.0 / mean if mean > 0 else 0.0,
                       peak_rss_mb=float(peak), gpu_peak_mb=max(gpu) if gpu else None, iterations=len(samples),
                       batch=int(batch), sequence=int(seq), notes=list(notes or []),
                       samples=[float(v) for v in lat])


def collect(sampler: Sampler, name: Optional[str] = None, progress: Optional[ProgressFn] = None,
            span: tuple = (0.0, 1.0)) -> BenchResult:
    """Run a sampler to its end and summarise it; progress maps onto ``span`` of the overall fraction."""
    runs = stream(sampler, name, progress, span)
    while True:
        try:
            next(runs)
        except StopIteration as end:
            return end.value


def stream(sampler: Sampler, name: Optional[str] = None, progress: Optional[ProgressFn] = None,
           span: tuple = (0.0, 1.0)):
    """:func:`collect` as a generator: yields each BenchSample as it comes, then returns the same summary
    (``result = yield from stream(...)``; live charts and the final numbers from one run)."""
    spec = sampler.spec
    name = name or sampler.default_name
    lo, hi = span
    budget = spec.time_budget_s
    if progress:
        progress(lo, f"{name}: loading and warm-up")
    samples, last = [], -1.0
    for sample in sampler:
        samples.append(sample)
        yield sample
        if progress:
            done = (sample.iteration + 1) / spec.iterations
            if budget:
                done = max(done, sample.elapsed_s / float(budget))
            fraction = lo + (hi - lo) * min(done, 1.0)
            if fraction - last >= 0.005 or done >= 1.0:
                last = fraction
                progress(fraction, f"{name}: run {sample.iteration + 1}/{spec.iterations}")
    if sampler.cancelled:
        raise JobCancelled()
    notes = list(sampler.notes)
    if sampler.stopped_by_budget:
        notes.append(f"stopped by the time budget of {budget:g} s after {len(samples)} of {spec.iterations} runs")
    if sampler.memory_mode == "process":
        notes.append("peak RSS is the whole benchmark process's (interpreter, runtime, model and runs)")
    if sampler.uses_gpu and memory.gpu_memory_source() == "device":
        notes.append("GPU memory is the whole device's (this process's own use is not visible here)")
    return summarize(name, sampler.provider, samples, sampler.batch, sampler.sequence, notes,
                     peak_rss_mb=sampler.peak_rss_mb, gpu_peak_mb=sampler.gpu_peak_mb)


def run_bench(spec: BenchSpec, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None, *,
              inputs: Optional[dict] = None, name: Optional[str] = None, memory_mode: str = "run") -> BenchResult:
    """Benchmark ``spec.model`` and summarise; with ``spec.compare_torch``, PyTorch eager on the same inputs goes to
    ``result.torch``. Raises JobCancelled when cancelled."""
    check_spec(spec)
    loaded = None
    if spec.compare_torch is not None and _is_onnx(spec.model):
        from workbench.core.loading import load_model

        if progress:
            progress(0.0, "loading the PyTorch model")
        loaded = load_model(spec.compare_torch, spec.torch_dtype)
        if inputs is None:
            inputs = loaded.make_inputs(spec.batch, spec.sequence)
    sampler = iter_samples(spec, cancel, inputs=inputs, memory_mode=memory_mode)
    if loaded is None:
        result = collect(sampler, name, progress)
        if progress:
            progress(1.0, "done")
        return result
    result = collect(sampler, name, progress, span=(0.0, 0.5))
    tsampler = torch_samples(spec.compare_torch, spec, cancel, inputs=inputs, loaded=loaded,
                             memory_mode=memory_mode)
    torch_result = collect(tsampler, None, progress, span=(0.5, 1.0))
    if memory_mode == "run":
        result.notes.append(SHARED_PROCESS_NOTE)
        torch_result.notes.append(SHARED_PROCESS_NOTE)
    result.torch.append(torch_result)
    if progress:
        progress(1.0, "done")
    return result
