"""The stable Python API. It mirrors the CLI; every function returns a dataclass from workbench.core.results.

Each function takes either a spec dataclass or the spec's fields as keyword arguments::

    from workbench import api
    info = api.inspect("model_dir")
    exp = api.export("model_dir", "out/model.onnx", opset=18)
    val = api.validate(exp.path, against="model_dir")
    q = api.quantize(exp.path, "out/model.int8.onnx", mode="int8-dynamic")
    for sample in api.bench_samples(q.output): ...
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

from workbench.core.jobs import CancelToken, ProgressFn
from workbench.core.results import (BenchResult, BenchSample, ExportResult, InspectResult, OptimizeResult,
                                    QuantizeResult, RunResult, ValidateResult)
from workbench.core.specs import (BenchSpec, ExportSpec, InputSpec, ModelSource, OptimizeSpec, QuantSpec,
                                  ValidateSpec)

__all__ = ["inspect", "export", "validate", "optimize", "quantize", "bench", "bench_samples", "run", "demo",
           "ModelSource", "ExportSpec", "ValidateSpec", "OptimizeSpec", "QuantSpec", "BenchSpec", "InputSpec",
           "CancelToken"]


def as_source(src) -> ModelSource:
    if src is None or isinstance(src, ModelSource):
        return src
    return ModelSource(path=str(src))


def _spec(cls, first, positional: tuple, kwargs: dict):
    if isinstance(first, cls):
        return dataclasses.replace(first, **kwargs) if kwargs else first
    names = [f.name for f in dataclasses.fields(cls)]
    values = dict(zip(names, (first, *positional)))
    values.update(kwargs)
    for key in ("source", "against", "compare_torch"):
        if key in values:
            values[key] = as_source(values[key])
    if isinstance(values.get("inputs"), dict):
        values["inputs"] = InputSpec(**values["inputs"])
    return cls(**values)


def inspect(path: str) -> InspectResult:
    """Read a checkpoint, model folder or ONNX file (headers only where the format allows)."""
    from workbench.core.loading import inspect_path

    return inspect_path(path)


def export(spec, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
           **kwargs) -> ExportResult:
    """Export a model (``ExportSpec`` or ``source, output, **fields``) to the spec's target (ONNX by default)."""
    from workbench.core.registry import default_registry

    spec = _spec(ExportSpec, spec, args, kwargs)
    return default_registry().target(spec.target).export(spec, progress=progress, cancel=cancel)


def validate(spec, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
             **kwargs) -> ValidateResult:
    """Check the exported model and compare it with PyTorch at two input shapes."""
    from workbench.core.validate import validate_model

    spec = _spec(ValidateSpec, spec, args, kwargs)
    return validate_model(spec, progress=progress, cancel=cancel)


def optimize(spec, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
             **kwargs) -> OptimizeResult:
    """onnxslim, ORT graph optimization and transformer fusion, with node counts before and after."""
    from workbench.core.optimize import optimize_model

    spec = _spec(OptimizeSpec, spec, args, kwargs)
    return optimize_model(spec, progress=progress, cancel=cancel)


def quantize(spec, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
             **kwargs) -> QuantizeResult:
    """Quantize an ONNX model; the result carries its size and its fidelity against the input model."""
    from workbench.core.quantize.runner import quantize_model

    spec = _spec(QuantSpec, spec, args, kwargs)
    return quantize_model(spec, progress=progress, cancel=cancel)


def bench_samples(spec, *args, cancel: Optional[CancelToken] = None, **kwargs) -> Iterator[BenchSample]:
    """Yield one sample per timed run (latency, RSS, GPU memory); the live charts read this."""
    from workbench.core.bench.latency import iter_samples

    spec = _spec(BenchSpec, spec, args, kwargs)
    return iter_samples(spec, cancel=cancel)


def bench(spec, *args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
          **kwargs) -> BenchResult:
    """Benchmark an ONNX model (and PyTorch eager on the same inputs with ``compare_torch``)."""
    from workbench.core.bench.latency import run_bench

    spec = _spec(BenchSpec, spec, args, kwargs)
    return run_bench(spec, progress=progress, cancel=cancel)


def run(recipe: str, output_dir: Optional[str] = None, *, progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None) -> RunResult:
    """Run a recipe file (TOML or YAML): every artifact and report.json / report.html go to the output folder."""
    from workbench.core.recipe import run_recipe

    return run_recipe(recipe, output_dir, progress=progress, cancel=cancel)


def demo(output_dir: str = "workbench-demo", *, progress: Optional[ProgressFn] = None,
         cancel: Optional[CancelToken] = None, quick: bool = False) -> RunResult:
    """Build the built-in demo model (a tiny DeepSeek/Llama-style causal LM) and run the whole pipeline on it."""
    from workbench.core.demo import run_demo

    return run_demo(output_dir, progress=progress, cancel=cancel, quick=quick)
