"""GPU benchmark: GPT-2-small and BERT-base shapes (random weights), PyTorch against ONNX Runtime's CUDA provider.

Every variant runs in one process on the same input values, through the product's own code: the ONNX files come
from ``workbench.api.export`` and ``workbench.api.optimize(target="cuda")``, the timings from
``workbench.core.bench.latency`` (the samplers behind ``workbench bench --provider cuda``). Variants:

    PyTorch eager fp32, eager fp16, torch.compile(mode="reduce-overhead") fp16;
    ORT CUDA fp32 (IOBinding), ORT fp16 (IOBinding), ORT fp16 + fusion, ORT fp16 + CUDA graphs,
    ORT fp16 + fusion + CUDA graphs; also each fusion option alone (ORT's optimizer, onnxscript) and, with CUDA
    graphs: for GPT-2 the fused model without the LM head's alignment padding and without the packed-QKV
    Attention / Gemm-bias fusions (core/optimize/fusions.py), and for both the fused model with float16 outputs
    (``optimize --fp16-outputs``), alone, without the attention-mask rewrite (core/optimize/masks.py) and with ORT's own attention kernels pinned (``sdpa_kernel=19``: flash,
    memory-efficient, unfused, not cuDNN's) and with a 4 MiB cuBLAS workspace (CUBLAS_WORKSPACE_CONFIG=:4096:1,
    set before the session is made).

Per variant: p50/p95 latency, throughput, GPU memory, max relative error against eager fp32 on the same inputs,
speed-up against eager fp16 and torch.compile. At batch 1 a torch.profiler trace (CUPTI sees ONNX Runtime's
kernels too) counts kernels, launches and copies per run against the wall time.

    python benchmarks/gpu.py                       # on the GPU machine: prep + bench, results under --out
    python benchmarks/gpu.py --stage prep          # only export and optimize (no GPU needed)
    python benchmarks/gpu.py --tiny --out /tmp/x   # tiny shapes: checks the script on a CPU machine
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TORCH_VARIANTS = ("PyTorch eager fp32", "PyTorch eager fp16", "torch.compile fp16")
# name -> (model file key, cuda_graph)
ORT_VARIANTS = {"ORT CUDA fp32": ("fp32", False), "ORT fp16": ("fp16", False),
                "ORT fp16 + fusion": ("fused", False), "ORT fp16 + CUDA graphs": ("fp16", True),
                "ORT fp16 + fusion + CUDA graphs": ("fused", True)}
OPTION_VARIANTS = {"ORT fp16 + ORT-optimizer fusion only": ("ortfuse", False),
                   "ORT fp16 + onnxscript fusion only": ("osfuse", False),
                   "ORT fp16 + fusion + CUDA graphs, LM head not padded": ("fused_nopad", True),
                   "ORT fp16 + fusion + CUDA graphs, no QKV packing / Gemm-bias folding": ("fused_unpacked", True),
                   "ORT fp16 + fusion + CUDA graphs, fp16 outputs": ("fused_fp16out", True),
                   "ORT fp16 + fusion + CUDA graphs, fp16 outputs, no attention-mask rewrite":
                       ("fused_fp16out_nomask", True),
                   "ORT fp16 + fusion + CUDA graphs, fp16 outputs, sdpa_kernel=19": ("fused_fp16out", True),
                   "ORT fp16 + fusion + CUDA graphs, fp16 outputs, cuBLAS workspace 4 MiB": ("fused_fp16out", True)}
# variant -> (provider options over the workbench's CUDA defaults, environment set while its session is made)
VARIANT_SETTINGS = {"ORT fp16 + fusion + CUDA graphs, fp16 outputs, sdpa_kernel=19": ({"sdpa_kernel": "19"}, {}),
                    "ORT fp16 + fusion + CUDA graphs, fp16 outputs, cuBLAS workspace 4 MiB":
                        ({}, {"CUBLAS_WORKSPACE_CONFIG": ":4096:1"})}
PROFILE_RUNS = 20  # runs inside torch.profiler, before the timed ones (which they do not count among)
PROFILED = ("PyTorch eager fp16", "torch.compile fp16", "ORT fp16", "ORT fp16 + fusion",
            "ORT fp16 + fusion + CUDA graphs", "ORT fp16 + fusion + CUDA graphs, no QKV packing / Gemm-bias folding",
            "ORT fp16 + fusion + CUDA graphs, fp16 outputs",
            "ORT fp16 + fusion + CUDA graphs, fp16 outputs, no attention-mask rewrite",
            "ORT fp16 + fusion + CUDA graphs, fp16 outputs, sdpa_kernel=19")


_SAVE = [lambda: None]  # main() puts its save() here: results are written after every row


def _add(rows: list, row: dict) -> None:
    rows.append(row)
    _SAVE[0]()


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, flush=True)


# ---------------------------------------------------------------------------------------------------- models

def build_folder(kind: str, folder: Path, tiny: bool) -> Path:
    """A Hugging Face folder of the model's shape with random weights (biases and LayerNorms not trivial)."""
    import torch
    import transformers as tf

    if (folder / "config.json").is_file():
        return folder
    torch.manual_seed(0)
    if kind == "gpt2":
        cfg = tf.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=256) if tiny else \
            tf.GPT2Config(n_layer=12, n_embd=768, n_head=12)
        model = tf.GPT2LMHeadModel(cfg)
    else:
        cfg = tf.BertConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                            vocab_size=512) if tiny else tf.BertConfig()
        model = tf.BertModel(cfg)
    with torch.no_grad():  # zero biases get folded away by the exporter: real checkpoints have none such
        for name, p in model.named_parameters():
            if name.endswith("bias") or "ln" in name.lower() or "layernorm" in name.lower():
                p.add_(torch.randn_like(p) * 0.02)
    model.save_pretrained(str(folder))
    return folder


OPTIONAL_KEYS = ("fp16", "fused_fp16out_nomask", "fused_unpacked", "fused_nopad", "ortfuse", "osfuse")


def prepare(kind: str, work: Path, tiny: bool, keys=OPTIONAL_KEYS) -> dict:
    """Export and optimize through the product's API; returns {key: path} and what each step reported.
    fp32, fused and fused_fp16out are always made; of the others only ``keys``."""
    from workbench import api
    from workbench.core.optimize import cuda as oc

    base = work / kind
    hf = build_folder(kind, base / "hf", tiny)
    info_path = base / "prep.json"
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        if all(Path(p).exists() for p in info["paths"].values()):
            return info
    info = {"paths": {"hf": str(hf)}, "steps": {}, "seconds": {}}
    t = time.perf_counter()
    exp = api.export(str(hf), str(base / "fp32" / "model.onnx"))
    info["paths"]["fp32"] = exp.path
    info["seconds"]["export"] = time.perf_counter() - t
    for key, fusion in (("fp16", False), ("fused", True)) if "fp16" in keys else (("fused", True),):
        t = time.perf_counter()
        res = api.optimize(exp.path, str(base / key / "model.onnx"), target="cuda", fusion=fusion,
                           simplify=False, against=str(hf))
        info["paths"][key] = res.output
        info["steps"][key] = {"steps": res.steps, "nodes_before": res.nodes_before, "nodes_after": res.nodes_after,
                              "op_counts_after": res.op_counts_after,
                              "validation": res.validation.to_dict() if res.validation else None}
        info["seconds"][f"optimize {key}"] = time.perf_counter() - t
    t = time.perf_counter()  # the preset with float16 outputs (no Cast at the end)
    res = api.optimize(exp.path, str(base / "fused_fp16out" / "model.onnx"), target="cuda", simplify=False,
                       fp16_outputs=True)
    info["paths"]["fused_fp16out"] = res.output
    info["steps"]["fused_fp16out"] = {"steps": res.steps, "nodes_after": res.nodes_after}
    info["seconds"]["optimize fused_fp16out"] = time.perf_counter() - t
    if "fused_fp16out_nomask" in keys:  # fp16 outputs without the attention-mask rewrite (core/optimize/masks.py)
        t = time.perf_counter()
        saved_mask, oc.simplify_attention_mask = oc.simplify_attention_mask, lambda model: 0
        try:
            res = api.optimize(exp.path, str(base / "fused_fp16out_nomask" / "model.onnx"), target="cuda",
                               simplify=False, fp16_outputs=True)
        finally:
            oc.simplify_attention_mask = saved_mask
        info["paths"]["fused_fp16out_nomask"] = res.output
        info["steps"]["fused_fp16out_nomask"] = {"steps": res.steps, "nodes_after": res.nodes_after}
        info["seconds"]["optimize fused_fp16out_nomask"] = time.perf_counter() - t
    if kind == "gpt2" and "fused_unpacked" in keys:  # the preset before the QKV-packing and Gemm-bias fusions
        t = time.perf_counter()
        saved = oc.pack_qkv_attention, oc.fold_gemm_biases
        oc.pack_qkv_attention = oc.fold_gemm_biases = lambda model: 0
        try:
            res = api.optimize(exp.path, str(base / "fused_unpacked" / "model.onnx"), target="cuda", simplify=False)
        finally:
            oc.pack_qkv_attention, oc.fold_gemm_biases = saved
        info["paths"]["fused_unpacked"] = res.output
        info["steps"]["fused_unpacked"] = {"steps": res.steps, "nodes_after": res.nodes_after}
        info["seconds"]["optimize fused_unpacked"] = time.perf_counter() - t
    if kind == "gpt2" and "fused_nopad" in keys:  # without the LM head's alignment padding: what it is worth
        t = time.perf_counter()
        saved, oc.ALIGN_MULTIPLE = oc.ALIGN_MULTIPLE, 0
        try:
            res = api.optimize(exp.path, str(base / "fused_nopad" / "model.onnx"), target="cuda", simplify=False)
        finally:
            oc.ALIGN_MULTIPLE = saved
        info["paths"]["fused_nopad"] = res.output
        info["steps"]["fused_nopad"] = {"steps": res.steps, "nodes_after": res.nodes_after}
        info["seconds"]["optimize fused_nopad"] = time.perf_counter() - t
    # each fusion option alone (for the option table), through the preset's own steps
    src = Path(exp.path)
    config = json.loads((hf / "config.json").read_text())
    for key, fuse in (("ortfuse", lambda a, b: oc.ort_fusion(a, b, kind, config, False)),
                      ("osfuse", lambda a, b: oc.onnxscript_fusion(a, b, False))):
        if key not in keys:
            continue
        t = time.perf_counter()
        mid = base / key / "fp32" / "model.onnx"
        out = base / key / "model.onnx"
        mid.parent.mkdir(parents=True, exist_ok=True)
        try:
            detail = fuse(src, mid)
            oc.to_fp16(mid, out, False)
            info["paths"][key] = str(out)
            info["steps"][key] = {"detail": detail, "nodes_after": _nodes(out)}
        except Exception as err:  # noqa: BLE001 - an option that does not apply is a result too
            info["steps"][key] = {"detail": f"failed: {str(err).splitlines()[0][:200]}"}
        info["seconds"][f"option {key}"] = time.perf_counter() - t
    info["nodes"] = {k: _nodes(p) for k, p in info["paths"].items() if p.endswith(".onnx")}
    info_path.write_text(json.dumps(info, indent=1))
    return info


def _nodes(path) -> int:
    from workbench.core.optimize.common import op_counts

    return sum(op_counts(path).values())


def _file_mb(path) -> float:
    from workbench.core.fsutil import file_size

    return file_size(path) / 2**20


# ---------------------------------------------------------------------------------------------- measuring

def _gpu_clean():
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
    except Exception:  # noqa: BLE001
        pass


def _rel_err(out, ref, mask=None) -> float | None:
    import numpy as np

    if out is None or ref is None:
        return None
    a, b = np.asarray(out[0], np.float64), np.asarray(ref[0], np.float64)
    if a.shape != b.shape:
        return None
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def measure(sampler, name: str, profile: bool = False) -> tuple:
    """Run a sampler to its end (collect), with GPU memory over a clean baseline; optionally profile 20 runs."""
    import torch

    from workbench.core.bench import memory
    from workbench.core.bench.latency import collect

    _gpu_clean()
    base = memory.gpu_used_mb()
    sampler.keep_outputs = True
    prof_stats = None
    if profile:
        prof_stats = _profiled(sampler)
    result = collect(sampler, name)
    row = {"variant": name, "batch": result.batch, "provider": result.provider,
           "p50_ms": result.latency_ms["p50"], "p95_ms": result.latency_ms["p95"],
           "mean_ms": result.latency_ms["mean"], "min_ms": result.latency_ms["min"],
           "throughput_per_s": result.throughput_per_s, "iterations": result.iterations,
           "gpu_peak_mb": result.gpu_peak_mb, "gpu_base_mb": base,
           "gpu_delta_mb": (result.gpu_peak_mb - base) if result.gpu_peak_mb is not None and base is not None
           else None, "notes": result.notes}
    if torch.cuda.is_available():
        row["torch_reserved_peak_mb"] = torch.cuda.max_memory_reserved() / 2**20
    if prof_stats:
        row["profile"] = prof_stats
    return row, sampler.outputs


def _profiled(sampler, runs: int = PROFILE_RUNS) -> dict:
    """Take the first samples (warm-up included) outside, then ``runs`` timed runs inside torch.profiler."""
    from torch.profiler import ProfilerActivity, profile

    import torch

    first = next(sampler)  # prepares and warms up
    samples = [first]
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
    with profile(activities=activities) as prof:
        for _ in range(runs):
            samples.append(next(sampler))
    return _profile_stats(prof, runs, [s.latency_ms for s in samples[1:]])


def _profile_stats(prof, runs: int, wall_ms: list) -> dict:
    import statistics

    kernels, copies, api = {}, {"count": 0, "us": 0.0}, {}
    for ev in prof.events():
        dev = str(getattr(ev, "device_type", "")).endswith("CUDA")
        dur = float(ev.time_range.elapsed_us()) if dev else 0.0
        if dev:
            if "memcpy" in ev.name.lower() or "memset" in ev.name.lower():
                copies["count"] += 1
                copies["us"] += dur
            else:
                k = kernels.setdefault(ev.name, [0, 0.0])
                k[0] += 1
                k[1] += dur
        elif ev.name.startswith(("cudaLaunchKernel", "cudaGraphLaunch", "cuLaunchKernel", "cudaMemcpy",
                                 "cudaStreamSynchronize", "cudaLaunchKernelExC", "cuGraphLaunch")):
            a = api.setdefault(ev.name, [0, 0.0])
            a[0] += 1
            a[1] += float(ev.cpu_time_total)
    kernel_us = sum(v[1] for v in kernels.values())
    wall = statistics.median(wall_ms) if wall_ms else 0.0
    top = sorted(kernels.items(), key=lambda kv: -kv[1][1])[:40]
    return {"runs": runs, "wall_p50_ms": wall,
            "kernels_per_run": sum(v[0] for v in kernels.values()) / runs,
            "kernel_ms_per_run": kernel_us / runs / 1000,
            "copies_per_run": copies["count"] / runs, "copy_ms_per_run": copies["us"] / runs / 1000,
            "gpu_busy_fraction": (kernel_us + copies["us"]) / runs / 1000 / wall if wall else None,
            "runtime_calls_per_run": {k: v[0] / runs for k, v in api.items()},
            "top_kernels": [{"name": n[:90], "per_run": v[0] / runs, "ms_per_run": v[1] / runs / 1000}
                            for n, v in top]}


# ------------------------------------------------------------------------------------------------ variants

def torch_rows(kind, info, inputs_by_batch, args, deadline, out_rows, refs):
    import torch

    from workbench.core.bench.latency import torch_samples
    from workbench.core.loading import load_model
    from workbench.core.specs import BenchSpec, ModelSource

    src = ModelSource(path=info["paths"]["hf"])
    cuda = torch.cuda.is_available()
    for dtype in ("fp32", "fp16"):
        loaded = load_model(src, dtype)
        compiled = None
        names = ["PyTorch eager fp32"] if dtype == "fp32" else ["PyTorch eager fp16", "torch.compile fp16"]
        if args.no_compile:
            names = [n for n in names if not n.startswith("torch.compile")]
        for name in names:
            for batch, inputs in inputs_by_batch.items():
                if time.perf_counter() > deadline:
                    _add(out_rows, {"variant": name, "batch": batch, "skipped": "time budget"})
                    continue
                use = loaded
                if compiled is None:  # weights back on the host: each eager row's GPU memory includes them
                    loaded.module.to("cpu")
                if name.startswith("torch.compile"):
                    if compiled is None:
                        module = loaded.module.to("cuda" if cuda else "cpu")
                        compiled = torch.compile(module, mode="reduce-overhead", dynamic=False)
                    use = dataclasses.replace(loaded, module=compiled)
                profiled = batch == 1 and name in PROFILED
                spec = BenchSpec(model=info["paths"]["hf"], provider="cuda", batch=batch, sequence=args.seq,
                                 iterations=_iters(args, batch, profiled),
                                 warmup=args.warmup_compile if use is not loaded else args.warmup,
                                 torch_dtype=dtype)
                t = time.perf_counter()
                try:
                    sampler = torch_samples(src, spec, inputs=inputs, loaded=use)
                    row, outputs = measure(sampler, name, profile=profiled)
                    if name == "PyTorch eager fp32":
                        refs[batch] = outputs
                    row["max_rel_err_vs_fp32"] = _rel_err(outputs, refs.get(batch))
                except Exception as err:  # noqa: BLE001
                    row = {"variant": name, "batch": batch, "error": _err(err)}
                row["seconds"] = time.perf_counter() - t
                _add(out_rows, row)
                log(kind, _line(row))
        del loaded, compiled
        _gpu_clean()


def ort_rows(kind, info, inputs_by_batch, args, deadline, out_rows, refs, variants, batches=None):
    from workbench.core.bench.latency import iter_samples
    from workbench.core.specs import BenchSpec

    cpu_only = False
    for batch, inputs in inputs_by_batch.items():
        if batches and batch not in batches:
            continue
        for name, (key, graph) in variants.items():
            path = info["paths"].get(key)
            if path is None:
                _add(out_rows, {"variant": name, "batch": batch, "error": info["steps"].get(key, {}).get(
                    "detail", "model missing")})
                continue
            if time.perf_counter() > deadline or cpu_only:
                _add(out_rows, {"variant": name, "batch": batch,
                                "skipped": "time budget" if not cpu_only else "CUDA did not start"})
                continue
            profiled = batch == 1 and name in PROFILED
            spec = BenchSpec(model=path, provider="cuda", batch=batch, sequence=args.seq,
                             iterations=_iters(args, batch, profiled), warmup=args.warmup,
                             io_binding=True, cuda_graph=graph)
            t = time.perf_counter()
            try:
                with _settings(name):  # the session is made at the sampler's first run, inside
                    sampler = iter_samples(spec, inputs=inputs)
                    row, outputs = measure(sampler, name, profile=profiled)
                row["max_rel_err_vs_fp32"] = _rel_err(outputs, refs.get(batch))
                row["io_binding"], row["cuda_graph"] = sampler.io_binding, sampler.cuda_graph
                row["gpu_marks_over_base"] = {k: v - row["gpu_base_mb"] for k, v in sampler.gpu_marks.items()
                                              if v is not None and row.get("gpu_base_mb") is not None}
                row["weights_mb"] = _file_mb(path)
                row["nodes"] = info.get("nodes", {}).get(key)
            except Exception as err:  # noqa: BLE001
                row = {"variant": name, "batch": batch, "error": _err(err)}
            row["seconds"] = time.perf_counter() - t
            _add(out_rows, row)
            log(kind, _line(row))
            # CPU runs of full-size models would eat the time budget and measure nothing asked for
            cpu_only = row.get("provider") == "cpu" and not args.tiny


@contextlib.contextmanager
def _settings(name: str):
    """The variant's provider options (over workbench.core.ort.CUDA_DEFAULTS) and environment, while its session
    is made; restored afterwards."""
    from workbench.core import ort as wort

    options, env = VARIANT_SETTINGS.get(name, ({}, {}))
    saved_defaults, saved_env = wort.CUDA_DEFAULTS, {k: os.environ.get(k) for k in env}
    wort.CUDA_DEFAULTS = {**saved_defaults, **options}
    os.environ.update(env)
    try:
        yield
    finally:
        wort.CUDA_DEFAULTS = saved_defaults
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _iters(args, batch: int, profiled: bool) -> int:
    return (args.iters if batch == 1 else args.iters_b8) + (PROFILE_RUNS + 1 if profiled else 0)


def _err(err) -> str:
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return text.splitlines()[-1][:400] if text else type(err).__name__


def _line(row) -> str:
    if "error" in row or "skipped" in row:
        return f"{row['variant']:34s} b{row['batch']}: {row.get('error') or row.get('skipped')}"
    err = row.get("max_rel_err_vs_fp32")
    return (f"{row['variant']:34s} b{row['batch']} {row['provider']:4s} p50 {row['p50_ms']:8.3f} ms "
            f"p95 {row['p95_ms']:8.3f}  gpu+{(row.get('gpu_delta_mb') or 0):7.0f} MB  err "
            f"{err if err is None else f'{err:.1e}'}  {'; '.join(row['notes'])[:200]}")


def add_ratios(rows: list) -> None:
    ref = {}
    for r in rows:
        if "p50_ms" in r and r["variant"] in ("PyTorch eager fp16", "torch.compile fp16"):
            ref[(r["variant"], r["batch"])] = r["p50_ms"]
    for r in rows:
        if "p50_ms" not in r:
            continue
        e, c = ref.get(("PyTorch eager fp16", r["batch"])), ref.get(("torch.compile fp16", r["batch"]))
        r["x_vs_eager_fp16"] = e / r["p50_ms"] if e else None
        r["x_vs_compile"] = c / r["p50_ms"] if c else None


def warm_compile(kind, info, args) -> None:
    """Compile once per shape, as the benchmark will, so that its run finds Inductor's caches warm."""
    import torch

    from workbench.core.loading import load_model
    from workbench.core.specs import ModelSource

    if not torch.cuda.is_available():
        return
    t = time.perf_counter()
    loaded = load_model(ModelSource(path=info["paths"]["hf"]), "fp16")
    module = loaded.module.to("cuda").eval()
    compiled = torch.compile(module, mode="reduce-overhead", dynamic=False)
    for batch, inputs in make_inputs(info, [int(b) for b in args.batches.split(",")], args.seq, False).items():
        tensors = {k: (v.to(torch.int64) if not v.is_floating_point() else v.half()).cuda() for k, v in inputs.items()}
        with torch.inference_mode():
            for _ in range(3):
                compiled(**tensors)
        torch.cuda.synchronize()
        log(kind, f"compiled b{batch} after {time.perf_counter() - t:.0f} s")


def make_inputs(info, batches, seq, tiny):
    from workbench.core.loading import load_model
    from workbench.core.specs import ModelSource

    loaded = load_model(ModelSource(path=info["paths"]["hf"]), "fp32")
    return {b: loaded.make_inputs(b, seq, seed=1234 + b) for b in batches}


# --------------------------------------------------------------------------------------------------- report

def environment() -> dict:
    env = {"python": platform.python_version(), "machine": platform.machine()}
    for mod in ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "onnx_ir"):
        try:
            env[mod] = __import__(mod).__version__
        except Exception as err:  # noqa: BLE001
            env[mod] = f"missing ({type(err).__name__})"
    try:
        import onnxruntime as ort

        env["ort_providers"] = ort.get_available_providers()
    except Exception:  # noqa: BLE001
        pass
    try:
        import torch

        env["cuda"] = torch.version.cuda
        env["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        pass
    from workbench.core.bench import memory

    env["nvml"] = memory.gpu_info()
    env["gpu_memory_source"] = memory.gpu_memory_source()
    return env


# issue 15, goal 1 (batch 1, sequence 128): p50 ms, x torch.compile fp16, GPU memory over the fp16 weights
GOALS = {"gpt2": {"p50_ms": 0.50, "x_vs_compile": 2.2, "gpu_over_weights": 1.3}, "bert": {"p50_ms": 0.45}}


def goals(results: dict) -> dict:
    """Per model: the fastest ORT CUDA row at batch 1 against the goals, and the leanest one's GPU memory."""
    out = {}
    for kind, goal in GOALS.items():
        model = results.get("models", {}).get(kind, {})
        ort_b1 = [r for r in model.get("rows", []) if r.get("batch") == 1 and r["variant"].startswith("ORT")
                  and "p50_ms" in r and r.get("provider") == "cuda"]
        if not ort_b1:
            continue
        best = min(ort_b1, key=lambda r: r["p50_ms"])
        weights = model.get("weights_mb", {}).get("fused")
        with_mem = [r for r in ort_b1 if r.get("gpu_delta_mb")]
        lean = min(with_mem, key=lambda r: r["gpu_delta_mb"]) if with_mem else None
        out[kind] = {"best_variant": best["variant"], "p50_ms": best["p50_ms"],
                     "x_vs_compile": best.get("x_vs_compile"), "gpu_mb": best.get("gpu_delta_mb"),
                     "weights_mb": weights,
                     "gpu_over_weights": best["gpu_delta_mb"] / weights if best.get("gpu_delta_mb") and weights
                     else None,
                     "leanest_variant": lean and lean["variant"], "leanest_gpu_mb": lean and lean["gpu_delta_mb"],
                     "leanest_over_weights": lean["gpu_delta_mb"] / weights if lean and weights else None,
                     "goals": goal}
    return out


def _goal_lines(g: dict) -> list:
    def fmt(v, f="{:.2f}"):
        return "n/a" if v is None else f.format(v)
    lines = []
    for kind, r in g.items():
        goal = r["goals"]
        text = f"- {kind}: best ORT variant **{r['best_variant']}**: p50 {fmt(r['p50_ms'], '{:.3f}')} ms " \
               f"(goal <= {goal['p50_ms']})"
        if "x_vs_compile" in goal:
            text += f", {fmt(r['x_vs_compile'])}x torch.compile (goal >= {goal['x_vs_compile']})"
        if "gpu_over_weights" in goal:
            text += (f", GPU {fmt(r['gpu_mb'], '{:.0f}')} MB = {fmt(r['gpu_over_weights'])}x the fp16 weights of "
                     f"{fmt(r['weights_mb'], '{:.0f}')} MB (goal <= {goal['gpu_over_weights']}); leanest: "
                     f"{r['leanest_variant']}, {fmt(r['leanest_gpu_mb'], '{:.0f}')} MB = "
                     f"{fmt(r['leanest_over_weights'])}x")
        lines.append(text)
    return lines


def markdown(results: dict) -> str:
    env = results["environment"]
    out = [f"# GPU benchmark: {env.get('gpu') or 'no GPU'}", "",
           f"torch {env.get('torch')} (CUDA {env.get('cuda')}), transformers {env.get('transformers')}, "
           f"onnxruntime {env.get('onnxruntime')}, onnx {env.get('onnx')}, onnxscript {env.get('onnxscript')}; "
           f"sequence {results['args']['seq']}, random weights, same inputs for every variant; "
           f"p50/p95 of {results['args']['iters']} runs at batch 1 ({results['args']['iters_b8']} at batch 8) "
           "after warm-up, each run synchronised. GPU MB: for ORT rows the NVML peak over a clean baseline taken "
           "before the session was made (weights, arena, cuBLAS/cuDNN handles; CUDA context excluded), for "
           "PyTorch rows the caching allocator's reserved peak (weights, activations, CUDA-graph pools); NVML "
           "delta MB is the NVML peak over the baseline for every row. err: max |diff| / "
           "max |ref| of the first output against PyTorch eager fp32 on the same inputs.", ""]
    g = results.get("goals") or {}
    if g:
        out += ["## Goals (issue 15, goal 1: batch 1, sequence 128)", ""] + _goal_lines(g) + [""]
    for kind, m in results.get("models", {}).items():
        out += [f"## {kind}", "", "| variant | batch | p50 ms | p95 ms | items/s | GPU MB | NVML delta MB | "
                "x eager fp16 | x compile | err vs fp32 | notes |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in m.get("rows", []):
            if "p50_ms" not in r:
                out.append(f"| {r['variant']} | {r['batch']} | {r.get('error') or r.get('skipped')} |||||||||")
                continue

            def f(k, spec="{:.3f}"):
                v = r.get(k)
                return "" if v is None else spec.format(v)
            is_torch = r["variant"].startswith(("PyTorch", "torch"))
            gpu = f("torch_reserved_peak_mb" if is_torch else "gpu_delta_mb", "{:.0f}")
            out.append(f"| {r['variant']} | {r['batch']} | {f('p50_ms')} | {f('p95_ms')} | "
                       f"{f('throughput_per_s', '{:.0f}')} | {gpu} | {f('gpu_delta_mb', '{:.0f}')} | "
                       f"{f('x_vs_eager_fp16', '{:.2f}')} | {f('x_vs_compile', '{:.2f}')} | "
                       f"{f('max_rel_err_vs_fp32', '{:.1e}')} | {'; '.join(r.get('notes', []))[:160]} |")
        out += ["", "Fusion options (fp16, node counts of the whole graph):", ""]
        for key, st in m.get("prep", {}).get("steps", {}).items():
            detail = st.get("detail") or "; ".join(s["detail"] for s in st.get("steps", []) if s.get("applied"))
            out.append(f"- {key}: {st.get('nodes_after')} nodes: {detail}")
        out += ["", "Profile at batch 1 (torch.profiler/CUPTI, 20 runs):", "",
                "| variant | wall p50 ms | kernels/run | kernel ms/run | copies/run | GPU busy | top kernel |",
                "|---|---|---|---|---|---|---|"]
        for r in m.get("rows", []):
            p = r.get("profile")
            if not p:
                continue
            top = p["top_kernels"][0] if p["top_kernels"] else {"name": "", "ms_per_run": 0}
            busy = p.get("gpu_busy_fraction")
            out.append(f"| {r['variant']} | {p['wall_p50_ms']:.3f} | {p['kernels_per_run']:.0f} | "
                       f"{p['kernel_ms_per_run']:.3f} | {p['copies_per_run']:.1f} | "
                       f"{'' if busy is None else f'{busy:.0%}'} | {top['name'][:50]} ({top['ms_per_run']:.3f} ms) |")
        out.append("")
    if results.get("errors"):
        out += ["## Errors", ""] + [f"- {e}" for e in results["errors"]]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------------ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny shapes and few runs (checks the script on a CPU)")
    ap.add_argument("--stage", choices=("prep", "warm", "bench", "all"), default="all",
                    help="prep: export + optimize; warm: also fill torch.compile's cache; bench/all: everything")
    ap.add_argument("--models", default="gpt2,bert")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--iters-b8", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--warmup-compile", type=int, default=20)
    ap.add_argument("--no-compile", action="store_true", help="leave out torch.compile (a quick check)")
    ap.add_argument("--work", default="/tmp/wb-gpu")
    ap.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--budget-s", type=float, default=520.0, help="stop starting new variants after this")
    ap.add_argument("--prep", default=",".join(OPTIONAL_KEYS),
                    help="the optional models to make besides fp32, fused and fused_fp16out: " + ",".join(OPTIONAL_KEYS))
    ap.add_argument("--only", help="a regular expression: run only the ORT variants whose names it finds "
                    "(the PyTorch rows always run: they are the references)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.seq, args.iters, args.iters_b8, args.warmup, args.warmup_compile = 32, 20, 10, 3, 3
        args.work = args.work + "-tiny"
    deadline = time.perf_counter() + args.budget_s
    work, out = Path(args.work), Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    kinds = [k for k in args.models.split(",") if k]
    batches = [int(b) for b in args.batches.split(",")]
    results = {"args": vars(args), "environment": environment(), "models": {}, "errors": []}
    log("environment", json.dumps(results["environment"]))
    device = (results["environment"].get("gpu") or "cpu").lower()
    tag = next((t for t in ("h200", "h100", "a100", "l4", "l40s", "a10") if t in device), device.split()[-1])
    stem = out / (f"gpu_{tag}" + ("_tiny" if args.tiny else ""))

    def save():
        results["goals"] = goals(results)
        stem.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
        stem.with_suffix(".md").write_text(markdown(results))
    _SAVE[0] = save

    for kind in kinds:
        t = time.perf_counter()
        try:
            info = prepare(kind, work, args.tiny, args.prep.split(","))
        except Exception as err:  # noqa: BLE001
            results["errors"].append(f"{kind} prep: {_err(err)}")
            traceback.print_exc()
            save()
            continue
        log(kind, "prepared in", f"{time.perf_counter() - t:.0f} s:", json.dumps(info.get("nodes")))
        m = results["models"].setdefault(kind, {"rows": []})
        m["prep"] = info
        m["weights_mb"] = {k: _file_mb(p) for k, p in info["paths"].items() if p.endswith(".onnx")}
        save()
        if args.stage == "prep":
            continue
        if args.stage == "warm":
            warm_compile(kind, info, args)
            continue
        inputs = make_inputs(info, batches, args.seq, args.tiny)
        refs: dict = {}
        torch_rows(kind, info, inputs, args, deadline, m["rows"], refs)
        save()
        wanted = re.compile(args.only).search if args.only else (lambda name: True)
        ort_rows(kind, info, inputs, args, deadline, m["rows"], refs,
                 {k: v for k, v in ORT_VARIANTS.items() if wanted(k)})
        ort_rows(kind, info, inputs, args, deadline, m["rows"], refs,
                 {k: v for k, v in OPTION_VARIANTS.items() if v[0] in info["paths"] and wanted(k)})
        add_ratios(m["rows"])
        save()
    save()
    print(stem.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
