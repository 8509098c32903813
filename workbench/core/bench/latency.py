"""Timed runs of a model in any registered runtime (and of the PyTorch model in eager mode), sample by sample.

:func:`iter_samples` returns an iterator of :class:`BenchSample` (the live charts read it): the runtime that opens
the artifact (``BenchSpec.runtime``, else by its suffix) runs ``session.run(feeds)``; ONNX Runtime adds IOBinding and
CUDA graphs (bench/ort_sampler.py); a model source runs in PyTorch eager (bench/torch_sampler.py). The loop is
bench/sampler.py, the numbers bench/summary.py; this module keeps the public names.

:func:`run_bench` runs it to the end and summarises (:func:`summarize`); with ``spec.compare_torch`` PyTorch eager
runs on the very same input values and its result goes to ``result.torch``. Peak RSS inside one process includes
whatever that process held before; for a fair memory comparison use ``workbench.core.bench.isolated``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from workbench.core.bench.ort_sampler import OrtSampler
from workbench.core.bench.sampler import MEMORY_MODES, RuntimeSampler, Sampler, check_spec
from workbench.core.bench.summary import collect, stream, summarize
from workbench.core.bench.torch_sampler import TorchSampler, open_reference
from workbench.core.errors import WorkbenchError
from workbench.core.jobs import CancelToken, ProgressFn
from workbench.core.results import BenchResult
from workbench.core.specs import BenchSpec, ModelSource

__all__ = ["MEMORY_MODES", "OrtSampler", "RuntimeSampler", "Sampler", "TorchSampler", "check_spec", "collect",
           "iter_samples", "run_bench", "stream", "summarize", "torch_samples"]
SHARED_PROCESS_NOTE = ("PyTorch and ONNX Runtime ran in one process, so each peak RSS includes memory the other "
                       "held; compare memory with compare_table (one process each)")
SAMPLERS = {"onnxruntime": OrtSampler}  # runtimes with timed-run extras of their own; others: RuntimeSampler


def _is_onnx(path: str) -> bool:
    return Path(str(path)).suffix.lower() == ".onnx"


def _torch_side(spec: BenchSpec) -> bool:
    """Whether ``spec.model`` runs in PyTorch eager: the torch runtime named, or a source no other runtime opens
    (a folder or a file whose suffix only PyTorch reads)."""
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.select import REFERENCE

    if spec.runtime:
        return spec.runtime == REFERENCE
    path = Path(str(spec.model)).expanduser()
    if _is_onnx(path):
        return False
    return path.is_dir() or not any(r.name != REFERENCE for r in default_registry().runtimes_for(path))


def iter_samples(spec: BenchSpec, cancel: Optional[CancelToken] = None, *, inputs: Optional[dict] = None,
                 memory_mode: str = "run") -> Sampler:
    """Timed runs of ``spec.model`` through the runtime that opens it (``spec.runtime``, else by its suffix: ONNX
    Runtime for an ``.onnx`` file), else PyTorch eager (the torch runtime) on that source.

    ``inputs`` ({name: array or tensor}) replaces the example inputs built from the model's metadata.
    """
    if not _torch_side(spec):
        from workbench.core.runtimes.select import choose

        runtime = "onnxruntime" if spec.runtime is None and _is_onnx(spec.model) else spec.runtime
        sampler = SAMPLERS.get(choose(spec.model, runtime).name, RuntimeSampler) if runtime else RuntimeSampler
        return sampler(spec, cancel, inputs=inputs, memory_mode=memory_mode)
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


def run_bench(spec: BenchSpec, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None, *,
              inputs: Optional[dict] = None, name: Optional[str] = None, memory_mode: str = "run") -> BenchResult:
    """Benchmark ``spec.model`` and summarise; with ``spec.compare_torch``, PyTorch eager on the same inputs goes to
    ``result.torch``. Raises JobCancelled when cancelled."""
    check_spec(spec)
    loaded = None
    if spec.compare_torch is not None and not _torch_side(spec):
        if progress:
            progress(0.0, "loading the PyTorch model")
        loaded = open_reference(spec.compare_torch, spec.torch_dtype).loaded
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
