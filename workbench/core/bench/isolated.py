"""Benchmarks in a child process of their own, for a fair memory comparison.

A process's peak RSS only grows: in one process, the second runtime's peak includes the first one's. Each run here
starts in a fresh interpreter (multiprocessing 'spawn'), so its peak RSS is that runtime's whole footprint
(interpreter, runtime libraries, model, runs) and nothing else. An ONNX Runtime child never imports torch.

:func:`compare_table` runs PyTorch eager first (its child also returns the exact input values it used) and then
every ONNX variant on those same values, each in its own process; :func:`format_table` prints the results.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import NamedTuple, Optional

from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs import CancelToken, ProgressFn
from workbench.core.jobs.child import exit_description
from workbench.core.results import BenchResult
from workbench.core.specs import BenchSpec, ModelSource

PROGRESS_PACE_S = 0.25  # stream_variant's progress reports, at most this often


def _variant(payload: dict, progress: Optional[ProgressFn] = None, cancel=None) -> tuple:
    """Child job (run through ``workbench.core.jobs.child``): one benchmark; returns (BenchResult, extra)."""
    from workbench.core.bench.latency import collect, iter_samples, torch_samples

    spec = payload["spec"]
    if payload.get("torch_source") is not None:
        sampler = torch_samples(payload["torch_source"], spec, inputs=payload.get("inputs"), memory_mode="process")
    else:
        sampler = iter_samples(spec, inputs=payload.get("inputs"), memory_mode="process")
    result = collect(sampler, payload.get("name"), progress)
    extra = {}
    if payload.get("return_inputs"):
        extra["inputs"] = getattr(sampler, "inputs_used", None)
    return result, extra


def _exit_reason(code: Optional[int]) -> str:
    if code is None:
        return "did not exit"
    return f"was killed by {exit_description(code)}" if code < 0 else f"exited with {exit_description(code)}"


def run_child(payload: dict, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
              timeout_s: Optional[float] = None, target=None) -> tuple:
    """Run ``target(payload, progress=, cancel=)`` (default: one benchmark variant) in a spawned child through the
    job runner; returns its (result, extra) or raises WorkbenchError (JobCancelled on cancel).

    ``target`` is a picklable, module-level job function (generation benchmarks and tests pass their own)."""
    from workbench.core.jobs.child import ChildFailed, run

    label = payload.get("name") or Path(str(payload["spec"].model)).name
    try:
        return run(target or _variant, payload, progress=progress, cancel=cancel, timeout_s=timeout_s,
                   name=f"workbench-bench-{label}")
    except JobCancelled:
        raise
    except ChildFailed as err:
        if err.cause in ("crash", "timeout"):
            raise WorkbenchError(f"the benchmark process for {label}: {err.what}",
                                 "run the same benchmark in-process (api.bench) to see the error; SIGKILL often "
                                 "means out of memory") from None
        if err.cause == "unexpected":
            raise WorkbenchError(f"the benchmark process for {label} failed: {err.what}",
                                 "this is a bug or an unsupported model; the child's traceback is in the error's "
                                 "cause") from RuntimeError(err.detail)
        raise WorkbenchError(err.what, err.hint) from RuntimeError(err.detail)


def run_isolated(spec: BenchSpec, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None, *,
                 torch_source=None, inputs: Optional[dict] = None, name: Optional[str] = None,
                 timeout_s: Optional[float] = None) -> BenchResult:
    """``run_bench`` of one variant in a spawned child; the result's peak RSS is that child's whole peak.

    With ``torch_source`` (a ModelSource or path) the child runs PyTorch eager on it instead of ``spec.model``.
    ``spec.compare_torch`` is ignored here: compare with :func:`compare_table`, one process per runtime.
    """
    from workbench.core.bench.latency import check_spec

    check_spec(spec)
    spec = dataclasses.replace(spec, compare_torch=None)
    payload = {"spec": spec, "inputs": _numpy(inputs), "name": name,
               "torch_source": _as_source(torch_source)}
    result, _ = run_child(payload, progress, cancel, timeout_s)
    return result


class VariantRun(NamedTuple):
    """What :func:`stream_variant` returns: the summary, and the exact input values it ran on (numpy)."""

    result: BenchResult
    inputs: Optional[dict]


def stream_variant(spec: BenchSpec, *, torch_source=None, inputs: Optional[dict] = None, label: Optional[str] = None,
                   progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None):
    """One variant in this process, streamed: yields each BenchSample, returns a :class:`VariantRun`.

    Meant to run in a process of its own (the GUI's benchmark jobs run it in a spawned child): its peak RSS is the
    whole process's, as :func:`run_isolated` reports it. The sampler and the summary are ``workbench bench``'s
    (``latency.iter_samples`` / ``torch_samples`` and ``latency.stream``, which ``collect`` runs). With
    ``torch_source`` PyTorch eager runs instead of ``spec.model``. ``inputs`` are the values to run on (another
    variant's ``VariantRun.inputs``, so every variant gets identical values); an ONNX file whose fixed input sizes
    cannot take them, or ``spec.batch`` and ``spec.sequence`` when ``inputs`` is None, is refused
    (WorkbenchError naming the file's shapes) rather than run on other shapes.
    """
    from workbench.core.bench.latency import check_spec, iter_samples, stream, torch_samples

    check_spec(spec)
    spec = dataclasses.replace(spec, compare_torch=None)
    values = _numpy(inputs)
    progress = _paced(progress)
    if torch_source is not None:
        sampler = torch_samples(_as_source(torch_source), spec, cancel, inputs=values, memory_mode="process")
    else:
        from workbench.core.bench.inputs import check_fits, onnx_example_inputs
        from workbench.core.loading.limits import regular_file

        if str(spec.model).lower().endswith(".onnx"):  # other artifacts: the inputs their runtime's session names
            regular_file(str(spec.model), "ONNX file", "check the path, or export the model first")
            check_fits(spec.model, spec.batch, spec.sequence, values, label=label or "")
            if values is None:
                values = onnx_example_inputs(spec.model, spec.batch, spec.sequence)
        sampler = iter_samples(spec, cancel, inputs=values, memory_mode="process")
    result = yield from stream(sampler, label, progress)
    if progress:
        progress(1.0, "done")
    return VariantRun(result, values if torch_source is None else getattr(sampler, "inputs_used", None))


def _paced(progress: Optional[ProgressFn], interval_s: float = PROGRESS_PACE_S) -> Optional[ProgressFn]:
    """``progress`` called at most every ``interval_s`` (and always for the first and the final report): a report
    per timed run, sent to another process between runs, would take CPU from the runs being timed."""
    if progress is None:
        return None
    last = [-float("inf")]

    def paced(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= interval_s or fraction >= 1.0:
            last[0] = now
            progress(fraction, message)
    return paced


def _as_source(source):
    if source is None or isinstance(source, ModelSource):
        return source
    return ModelSource(path=str(source))


def _numpy(inputs: Optional[dict]) -> Optional[dict]:
    """Plain numpy arrays (torch tensors converted) so the child needs no torch to unpickle them."""
    if inputs is None:
        return None
    import numpy as np

    out = {}
    for key, value in inputs.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu()
            value = value.float() if value.is_floating_point() else value
            value = value.numpy()
        out[key] = np.asarray(value)
    return out


def compare_table(models: dict, source=None, spec: Optional[BenchSpec] = None,
                  progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None, *,
                  inputs: Optional[dict] = None, timeout_s: Optional[float] = None,
                  failures: Optional[list] = None, options: Optional[dict] = None) -> list:
    """[BenchResult]: PyTorch eager on ``source`` (when given) then each ``{name: artifact path}`` (an .onnx file or
    any artifact a registered runtime opens: a .gguf, an OpenVINO .xml...), one process each, all on identical
    input values (PyTorch's example inputs, else ``inputs``, else the first ONNX model's).

    With ``failures`` (a list), a variant whose benchmark fails is appended to it as ``(name, one-line reason)``
    and the others still run (a recipe's table keeps every row it could measure); without it the first failure
    raises. ``options`` ({name: runtime settings}) adds settings of one variant's runtime to its spec's
    ``runtime_options`` (a recipe's llama.cpp KV cache type goes to the .gguf rows only)."""
    if spec is None:
        first = next(iter(models.values()), None)
        spec = BenchSpec(model=str(first or getattr(source, "path", source)))
    from workbench.core.bench.latency import check_spec

    from workbench.core.loading.limits import regular_file

    check_spec(spec)
    source = _as_source(source)
    for label, path in models.items():
        try:
            regular_file(str(path), "ONNX file" if str(path).lower().endswith(".onnx") else "model artifact",
                         "check the path, or export the model first")
        except WorkbenchError as err:
            raise WorkbenchError(f"{label}: {err.what}", err.hint) from None
    total = len(models) + (1 if source is not None else 0)
    if total == 0:
        raise WorkbenchError("nothing to compare", "give at least one ONNX model or a PyTorch source")
    done = [0]

    def part(fraction: float, message: str) -> None:
        if progress:
            progress((done[0] + fraction) / total, message)

    results = []
    base = dataclasses.replace(spec, compare_torch=None)
    values = _numpy(inputs)
    if source is not None:
        name = "PyTorch eager" + ("" if spec.torch_dtype == "fp32" else f" {spec.torch_dtype}")
        payload = {"spec": dataclasses.replace(base, model=str(source.path)), "torch_source": source,
                   "inputs": values, "name": name, "return_inputs": values is None}
        result, extra = run_child(payload, part, cancel, timeout_s)
        results.append(result)
        if values is None:
            values = extra.get("inputs")
        done[0] += 1
    onnx = [p for p in models.values() if str(p).lower().endswith(".onnx")]
    if values is None and onnx:  # else each runtime builds its session's own example inputs
        from workbench.core.bench.inputs import onnx_example_inputs

        values = onnx_example_inputs(onnx[0], spec.batch, spec.sequence)
    for label, path in models.items():
        extra = {**(base.runtime_options or {}), **((options or {}).get(label) or {})}
        payload = {"spec": dataclasses.replace(base, model=str(path), runtime_options=extra), "inputs": values,
                   "name": label}
        try:
            result, _ = run_child(payload, part, cancel, timeout_s)
        except WorkbenchError as err:
            if failures is None or isinstance(err, JobCancelled):
                raise
            failures.append((label, err.one_line()))
        else:
            results.append(result)
        done[0] += 1
    if progress:
        progress(1.0, "done")
    return results


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


COLUMNS = ("name", "provider", "p50 ms", "p95 ms", "mean ms", "throughput/s", "peak RSS MB", "GPU MB")


def table_rows(results: list) -> list:
    """One row of strings per result (and per result.torch entry), in COLUMNS order."""
    rows = []
    flat = []
    for result in results:
        flat.append(result)
        flat.extend(getattr(result, "torch", None) or [])
    for r in flat:
        lat = r.latency_ms or {}
        rows.append([r.name, r.provider, _fmt(lat.get("p50"), 3), _fmt(lat.get("p95"), 3), _fmt(lat.get("mean"), 3),
                     _fmt(r.throughput_per_s, 1), _fmt(r.peak_rss_mb, 1), _fmt(r.gpu_peak_mb, 1)])
    return rows


def format_table(results: list) -> str:
    """A plain-text table: name, provider, p50, p95, mean ms, throughput/s, peak RSS MB, GPU MB."""
    rows = table_rows(results)
    widths = [max(len(COLUMNS[i]), *(len(row[i]) for row in rows)) if rows else len(COLUMNS[i])
              for i in range(len(COLUMNS))]

    def line(cells) -> str:
        parts = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        parts += [c.rjust(w) for c, w in zip(cells[2:], widths[2:])]
        return "  ".join(parts).rstrip()

    out = [line(COLUMNS), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)
