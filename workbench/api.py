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
from workbench.core.results import (BenchResult, BenchSample, ExportResult, GenerateBenchResult, GenerateResult,
                                    InspectResult, OptimizeResult, QuantizeResult, RunResult, ValidateResult)
from workbench.core.specs import (BenchSpec, ExportSpec, InputSpec, ModelSource, OptimizeSpec, QuantSpec,
                                  ValidateSpec)

__all__ = ["inspect", "export", "validate", "optimize", "quantize", "bench", "bench_samples", "run", "demo", "sweep",
           "generate", "generate_stream", "compare_generation", "bench_generate",
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
    """Check the exported model and compare it with PyTorch at input shapes that differ in every dynamic
    dimension (``ValidateSpec.shapes``); the result says which shapes it used and whether the file is static."""
    from workbench.core.validate import validate_model

    spec = _spec(ValidateSpec, spec, args, kwargs)
    return validate_model(spec, progress=progress, cancel=cancel)


def runtimes() -> list[dict]:
    """Every registered runtime (built-in or plugin): name, description, the artifacts it opens, origin, whether its
    library imports here, its version and devices, and how to install it where it does not."""
    from workbench.core.registry import default_registry

    rows = []
    for rt in default_registry().runtimes.values():
        state = rt.availability()
        rows.append({"name": rt.name, "description": rt.description, "opens": list(rt.suffixes),
                     "generates": rt.generates, "origin": rt.origin, "available": bool(state.available),
                     "version": state.version, "devices": list(state.devices), "hint": state.hint})
    return rows


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


def generate(model: str, prompt, max_new_tokens: int = 32, *, temperature: float = 0.0, top_k: int = 0,
             top_p: float = 1.0, seed: int = 0, provider: str = "cpu", threads: Optional[int] = None,
             compare_torch=None, stop_at_eos: bool = True, kv_cache: Optional[str] = None,
             progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> GenerateResult:
    """Generate from an exported decoder (folder or .onnx; ``export(..., task="text-generation-with-past")``) or a
    Hugging Face folder (PyTorch). ``prompt`` is text (the folder's tokenizer) or a list of token ids; greedy
    unless ``temperature > 0``. With ``compare_torch`` (the source folder) ``agreement`` says how many tokens
    PyTorch generated alike and where the two first diverge. ``kv_cache`` ("f16" or "f32", a .gguf only): llama.cpp's
    KV cache type (left out: f32 when compared with PyTorch, so the file is measured, else llama.cpp's f16)."""
    from workbench.core.generate import generate as run_generate
    from workbench.core.seq2seq_generate import generate as seq2seq_generate, is_seq2seq

    run_generate = seq2seq_generate if is_seq2seq(model) else run_generate  # encode once, then decode
    return run_generate(model, prompt, max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                        seed=seed, provider=provider, threads=threads, compare_torch=as_source(compare_torch),
                        stop_at_eos=stop_at_eos, progress=progress, cancel=cancel,
                        **({} if kv_cache is None else {"kv_cache": kv_cache}))


def generate_stream(model: str, prompt, max_new_tokens: int = 32, *, cancel: Optional[CancelToken] = None,
                    **kwargs) -> Iterator:
    """Yield one ``TokenStep`` per generated token (ids, new text, latency) as it comes; options as generate()."""
    from workbench.core.generate import stream_text
    from workbench.core.runtimes import stream as runtime_stream
    from workbench.core.seq2seq_generate import is_seq2seq, stream_text as seq2seq_stream

    if runtime_stream.handles(model):  # a .gguf (llama.cpp) or another runtime's artifact: its Session.generate
        return runtime_stream.stream_text(model, prompt, max_new_tokens, cancel=cancel, **kwargs)
    kwargs.pop("tokenizer", None)  # the ONNX decoders' folders hold their tokenizer
    stream_text = seq2seq_stream if is_seq2seq(model) else stream_text
    return stream_text(model, prompt, max_new_tokens, cancel=cancel, **kwargs)


def compare_generation(onnx_dir: str, torch_src, prompts, max_new_tokens: int = 16, *, provider: str = "cpu",
                       progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> dict:
    """Greedy generation in ONNX Runtime and PyTorch, token for token: the agreement rate and the first
    divergence per prompt (fp32 exports agree 100%)."""
    from workbench.core.generate import compare_generation as run_compare

    return run_compare(onnx_dir, as_source(torch_src), prompts, max_new_tokens, provider=provider,
                       progress=progress, cancel=cancel)


def bench_generate(models, torch_source=None, *, progress: Optional[ProgressFn] = None,
                   cancel: Optional[CancelToken] = None, **kwargs) -> GenerateBenchResult:
    """Time to first token, decode latency p50/p95, tokens/s at batch 1 and N, and peak memory for PyTorch
    (``torch_source``) and each ONNX decoder in ``models``; see workbench.core.bench.generate_bench."""
    from workbench.core.bench.generate_bench import bench_generate as run_bench_generate

    return run_bench_generate(models, as_source(torch_source), progress=progress, cancel=cancel, **kwargs)


def advise(source, *, device: str = "cpu", memory_gb: Optional[float] = None):
    """The route and GGUF quant type that fit ``source`` (a Hugging Face folder) in ``memory_gb`` (default: this
    machine's available memory), from the workbench's own measured fidelity, speed and size per type; see
    workbench.core.gguf.advise."""
    from workbench.core.gguf.advise import advise as run_advise

    return run_advise(as_source(source), device=device, memory_gb=memory_gb)


def run(recipe: str, output_dir: Optional[str] = None, *, progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None, overwrite: bool = False, trust_code: bool = False) -> RunResult:
    """Run a recipe file (TOML or YAML): every artifact and report.json / report.html go to the output folder.
    ``overwrite=True`` (or ``overwrite = true`` in the recipe) lets it replace files of the user's there.
    The recipe's ``[source] trust_code = true`` is honoured only with ``trust_code=True`` (``--trust-code``)."""
    from workbench.core.recipe import run_recipe

    return run_recipe(recipe, output_dir, progress=progress, cancel=cancel, overwrite=overwrite,
                      trust_code=trust_code)


def sweep(path: str, output_dir: Optional[str] = None, *, cluster: str = "local", cache: Optional[str] = None,
          jobs: Optional[int] = None, max_latency_ms: Optional[float] = None, min_cosine: Optional[float] = None,
          force: bool = False, artifacts: str = "shared", progress: Optional[ProgressFn] = None,
          cancel: Optional[CancelToken] = None):
    """Run a sweep file (``workbench sweep``): every cell's row in ``output_dir/cells``, sweep.json / sweep.html
    with the curves, Pareto front and recommendation; ``cluster`` is local, ray:local, ray:auto or ray:HOST:PORT.
    Returns a SweepResult; a folder run before reuses its artifacts and finished cells."""
    from workbench.core.sweep import load_sweep, run_sweep

    return run_sweep(load_sweep(path), output_dir, cluster=cluster, cache=cache, jobs=jobs,
                     max_latency_ms=max_latency_ms, min_cosine=min_cosine, force=force, artifacts=artifacts,
                     progress=progress, cancel=cancel)


def demo(output_dir: str = "workbench-demo", *, progress: Optional[ProgressFn] = None,
         cancel: Optional[CancelToken] = None, quick: bool = False, force: bool = False) -> RunResult:
    """Build the built-in demo model (a tiny DeepSeek/Llama-style causal LM) and run the whole pipeline on it.
    Running it again into the same folder re-writes the workbench's own files there; files of the user's are
    replaced only with ``force``."""
    from workbench.core.demo import run_demo

    return run_demo(output_dir, progress=progress, cancel=cancel, quick=quick, force=force)


def deploy(artifact, output, lang: str = "python", *, force: bool = False):
    """Write a minimal program (python, cpp, java, csharp) that loads ``artifact`` with its runtime, feeds its inputs
    and prints its outputs (workbench.core.deploy); returns a DeployResult."""
    from workbench.core.deploy import deploy as _deploy

    return _deploy(artifact, output, lang, force=force)


def encrypt(model, output, key: bytes, *, force: bool = False) -> dict:
    """AES-256-GCM ``model`` (.onnx with its external data, or OpenVINO .xml + .bin) into ``output``
    (workbench.core.crypto); the runtimes decrypt it into memory only."""
    from workbench.core.encrypt import encrypt as _encrypt

    return _encrypt(model, output, key, force=force)
