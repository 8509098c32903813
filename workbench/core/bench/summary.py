"""A benchmark's numbers from its samples: percentiles, throughput, memory peaks (:func:`summarize`), and running a
sampler to its end with progress (:func:`collect`, or :func:`stream` for live charts and the summary from one run)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from workbench.core.bench import memory
from workbench.core.bench.sampler import Sampler
from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs import ProgressFn
from workbench.core.results import BenchResult


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
    result = summarize(name, sampler.provider, samples, sampler.batch, sampler.sequence, notes,
                       peak_rss_mb=sampler.peak_rss_mb, gpu_peak_mb=sampler.gpu_peak_mb)
    sequences = int(getattr(sampler, "sequential", 1) or 1)
    if sequences > 1:  # a runtime that runs a batch's sequences one after another (llama.cpp): say it, per sequence
        lat = result.latency_ms
        result.notes.append(f"batch {sequences} run as {sequences} sequences one after another: latency is the "
                            f"whole batch's; per sequence p50 {lat['p50'] / sequences:.3f} ms, p95 "
                            f"{lat['p95'] / sequences:.3f} ms")
    return result
