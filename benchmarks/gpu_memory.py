"""Issue 15 goal 1, the memory part: where ONNX Runtime's CUDA memory goes for GPT-2-small fp16 (fused, the
``optimize --target cuda`` preset) at batch 1, sequence 128, and what the fixed overhead is.

Each configuration runs in its own child process; NVML reads that process's GPU memory (the CUDA context
included) at each mark: after the CUDA context alone (torch-free: ``cudaFree(0)`` through ctypes), after the
session is made, after the first run, after the timed runs. Configurations: ORT's own CUDA defaults, the
workbench's (``workbench.core.ort.CUDA_DEFAULTS``: arena kSameAsRequested), then each further option alone
(no cuDNN max workspace, cudnn algo search DEFAULT, CUDA graphs, a gpu_mem_limit of 1.3x the weights), and the same
sessions on a one-node model (Identity) to show the fixed part: CUDA context, handles, loaded kernels.

    python benchmarks/gpu_memory.py --out $OUT          # on the GPU machine (prep + measure, ~2 min)
    python benchmarks/gpu_memory.py --tiny --out /tmp/x  # a tiny GPT-2 on a CPU machine: rows say CUDA is missing
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

NAME = "gpu_memory_h200"
BASE = {"device_id": "0"}
WB = {"device_id": "0", "arena_extend_strategy": "kSameAsRequested"}
CONFIGS = {
    "ORT defaults": dict(BASE),
    "workbench defaults (kSameAsRequested)": dict(WB),
    "+ cudnn_conv_use_max_workspace=0": {**WB, "cudnn_conv_use_max_workspace": "0"},
    "+ cudnn_conv_algo_search=DEFAULT": {**WB, "cudnn_conv_algo_search": "DEFAULT"},
    "+ CUDA graphs": {**WB, "enable_cuda_graph": "1"},
    "+ gpu_mem_limit 1.3x weights": {**WB, "gpu_mem_limit": "LIMIT"},
}


def prepare(work: Path, tiny: bool) -> dict:
    import torch
    import transformers as tf
    from onnx import TensorProto, helper, save

    from workbench import api

    hf = work / "hf"
    if not (hf / "config.json").is_file():
        torch.manual_seed(0)
        cfg = tf.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=256) if tiny else \
            tf.GPT2Config(n_layer=12, n_embd=768, n_head=12)
        tf.GPT2LMHeadModel(cfg).eval().save_pretrained(hf)
    paths = {}
    t = time.perf_counter()
    exp = api.export(str(hf), str(work / "fp32" / "model.onnx"))
    res = api.optimize(exp.path, str(work / "fused" / "model.onnx"), target="cuda", simplify=False)
    paths["gpt2 fp16 fused"] = res.output
    ident = work / "identity.onnx"  # the fixed part: a session with almost nothing in it
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 8])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10), str(ident))
    paths["identity"] = str(ident)
    return {"paths": paths, "prep_s": round(time.perf_counter() - t, 1), "steps": res.steps}


def _weights_mb(path: str) -> float:
    from workbench.core.fsutil import file_size

    return file_size(path) / 2**20


# ------------------------------------------------------------------------------------------- the child

def _proc_mb() -> float | None:
    import pynvml

    pynvml.nvmlInit()
    h = pynvml.nvmlDeviceGetHandleByIndex(0)
    for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h):
        if p.pid == os.getpid() and p.usedGpuMemory is not None:
            return p.usedGpuMemory / 2**20
    return 0.0


def child(model: str, options: dict, seq: int, iters: int) -> dict:
    import ctypes

    import numpy as np
    import onnxruntime as ort

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    marks = {}
    try:
        rt = ctypes.CDLL("libcudart.so.13")  # the CUDA runtime onnxruntime-gpu loads (preload_dlls found it)
    except OSError:
        rt = None  # no bare-context mark; the session's marks still come
    if rt is not None and rt.cudaFree(ctypes.c_void_p(0)) != 0:
        return {"error": "cudaFree(0) failed: no CUDA device"}
    marks["context"] = _proc_mb() if rt is not None else None
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(model, so, providers=[("CUDAExecutionProvider", options), "CPUExecutionProvider"])
    if sess.get_providers()[0] != "CUDAExecutionProvider":
        return {"error": f"CUDA provider not active: {sess.get_providers()}"}
    marks["session"] = _proc_mb()
    rng = np.random.default_rng(0)
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else (1 if n == 0 else seq) for n, d in enumerate(i.shape)]
        if "int64" in i.type:
            feeds[i.name] = (np.ones(shape, np.int64) if "mask" in i.name else
                             np.broadcast_to(np.arange(shape[-1]), shape).astype(np.int64).copy()
                             if "position" in i.name else rng.integers(0, 500, shape).astype(np.int64))
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(np.float16 if "float16" in i.type else np.float32)
    first = sess.run(None, feeds)
    binding = sess.io_binding()
    for name, arr in feeds.items():
        binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(arr, "cuda", 0))
    for o, arr in zip(sess.get_outputs(), first):  # fixed output buffers (what CUDA graphs need)
        binding.bind_ortvalue_output(o.name, ort.OrtValue.ortvalue_from_shape_and_type(arr.shape, arr.dtype,
                                                                                        "cuda", 0))
    ro = ort.RunOptions()
    for _ in range(10):
        sess.run_with_iobinding(binding, ro)
    binding.synchronize_outputs()
    marks["first runs"] = _proc_mb()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        sess.run_with_iobinding(binding, ro)
        binding.synchronize_outputs()
        times.append((time.perf_counter() - t) * 1e3)
    marks["timed runs"] = _proc_mb()
    times.sort()
    return {"marks_mb": marks, "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))],
            "runs": iters, "providers": sess.get_providers()}


# ------------------------------------------------------------------------------------------- the parent

def run_child(model: str, options: dict, seq: int, iters: int) -> dict:
    return child_row(__file__, {"model": model, "options": options, "seq": seq, "iters": iters})


def child_row(script: str, payload: dict, env: dict | None = None) -> dict:
    """``python script --child JSON`` in a fresh process (with ``env``); its last stdout line as the row, or an
    error row naming the child's last line; plus the seconds it took (also benchmarks/gpu_workspace.py's)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, script, "--child", json.dumps(payload)], capture_output=True, text=True,
                          env=env, timeout=300)
    try:
        row = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        row = {"error": f"child exit {proc.returncode}: {tail[-1][:300] if tail else 'no output'}"}
    row["seconds"] = round(time.perf_counter() - t, 1)
    return row


def markdown(doc: dict) -> str:
    from workbench.core.render import table

    w = doc["weights_mb"]
    lines = ["# GPU memory of ORT CUDA sessions: GPT-2-small fp16 (fused) b1 s128, and a one-node model", "",
             f"Machine: {doc['machine']}. Command: `{doc['command']}`. Each row is its own child process; MB are "
             "NVML's per-process GPU memory (CUDA context included) at each mark; 'over context' = after the timed "
             f"runs minus the bare CUDA context. GPT-2 fp16 weights: {w:.1f} MB (the .onnx and its data); the "
             f"issue's goal is <= 1.3x = {1.3 * w:.0f} MB. p50 over {doc['iters']} IOBinding runs (each "
             "synchronised).", ""]
    body = []
    for r in doc["rows"]:
        m = r.get("marks_mb") or {}
        over = (m["timed runs"] - m["context"]) if m.get("timed runs") is not None and m.get("context") is not None \
            else None
        body.append([r["model"], r["config"], *(f"{m[k]:.0f}" if m.get(k) is not None else "-" for k in
                                                ("context", "session", "first runs", "timed runs")),
                     f"{over:.0f}" if over is not None else "-",
                     f"{over / w:.2f}" if over is not None and r["model"] != "identity" else "-",
                     f"{r['p50_ms']:.3f}" if r.get("p50_ms") is not None else "-", r.get("error", "")])
    lines.append(table(["model", "config", "context MB", "session MB", "first runs MB", "timed runs MB",
                        "over context MB", "x fp16 weights", "p50 ms", "error"], body))
    lines += ["", "Options per config (ORT CUDA provider options):", ""]
    lines += [f"- {k}: {v}" for k, v in doc["configs"].items()]
    env = Path(__file__).resolve().parent / "results" / "gpu_memory_env_h200.txt"
    if env.is_file() and not doc.get("tiny"):
        lines += ["", "## Environment settings (workbench defaults; `bash benchmarks/gpu_memory_env.sh`, same lease)",
                  "", "X=1 is no setting. 'over context' as above.", ""]
        body = []
        for i, line in enumerate(l for l in env.read_text("utf-8").splitlines() if l.startswith("ENV ")):
            head, _, js = line[4:].partition(" {")
            r = json.loads("{" + js)
            m = r.get("marks_mb") or {}
            over = m["timed runs"] - m["context"] if m.get("context") is not None else None
            body.append(["gpt2" if i % 2 == 0 else "identity", head, *(f"{m[k]:.0f}" for k in
                         ("context", "session", "first runs", "timed runs")), f"{over:.0f}",
                         f"{over / w:.2f}" if i % 2 == 0 else "-", f"{r['p50_ms']:.3f}"])
        lines.append(table(["model", "environment", "context MB", "session MB", "first runs MB", "timed runs MB",
                            "over context MB", "x fp16 weights", "p50 ms"], body))
    lines += FINDINGS if not doc.get("tiny") else []
    return "\n".join(lines) + "\n"


FINDINGS = """
## What it says (issue 15 goal 1, memory; one run each, 2026-12-03)

- The fixed part: a one-node model's session costs 148 MB over the bare CUDA context (518 MB per process, not
  counted in the issue's 410 MB); with CUBLAS_WORKSPACE_CONFIG=:0:0 it is 20 MB. So ~128 MB of the "fixed
  overhead" is cuBLAS's workspace (allocated at session creation and at the first run even though Identity never
  calls cuBLAS); CUBLASLT_WORKSPACE_SIZE=0 changes nothing; cuDNN options change nothing (GPT-2 has no conv).
- GPT-2-small fp16 fused: 552 MB over the context with the workbench's defaults (2.32x the 237.7 MB of fp16
  weights; ORT's default arena kNextPowerOfTwo: 696 MB, 2.93x), 424 MB (1.78x) with CUBLAS_WORKSPACE_CONFIG=:0:0,
  514 MB with CUDA graphs. A gpu_mem_limit of 1.3x the weights still ran, at 526 MB (the limit is the arena's,
  not the process's). Goal <= 1.3x: missed (best measured 1.78x); what is left beyond weights + cuBLAS workspace is
  the arena's activations and ORT's own buffers (not split further in this run).
- CUDA_MODULE_LOADING=EAGER adds ~850 MB at session creation (every kernel of the CUDA provider loaded); lazy is
  already the default.
- p50 here is IOBinding without CUDA graphs, one child per row, noisy (1.1-1.9 ms for the same configuration):
  not a latency result. The CUDA-graph row's 2.7 ms is not explained by this run. Not measured: whether cuBLAS's
  workspace of 0 costs GEMM speed at batch 8 and above; that decides whether the engine should set it.
""".splitlines()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--work", default="/tmp/wb-gpu-memory")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--render", action="store_true", help="the .md again from the committed .json")
    args = ap.parse_args()
    if args.render:
        res = ROOT / "benchmarks" / "results"
        doc = json.loads((res / f"{NAME}.json").read_text("utf-8"))
        (res / f"{NAME}.md").write_text(markdown(doc), encoding="utf-8")
        return
    if args.child:
        a = json.loads(args.child)
        try:
            row = child(a["model"], a["options"], a["seq"], a["iters"])
        except Exception as err:  # noqa: BLE001 - the parent's row says what failed
            row = {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}"}
        print(json.dumps(row))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    prep = prepare(work, args.tiny)
    weights = _weights_mb(prep["paths"]["gpt2 fp16 fused"])
    configs = {k: {o: (str(int(1.3 * weights * 2**20)) if v == "LIMIT" else v) for o, v in c.items()}
               for k, c in CONFIGS.items()}
    machine = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip() if not args.tiny else "tiny (CPU check)"
    doc = {"command": "python benchmarks/gpu_memory.py" + (" --tiny" if args.tiny else ""), "machine": machine,
           "tiny": args.tiny,
           "weights_mb": weights, "iters": args.iters, "prep": prep, "configs": configs, "rows": []}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for model in ("gpt2 fp16 fused", "identity"):
        for name, opts in configs.items():
            if model == "identity" and name not in ("ORT defaults", "workbench defaults (kSameAsRequested)"):
                continue
            row = {"model": "identity" if model == "identity" else "gpt2", "config": name,
                   **run_child(prep["paths"][model], opts, args.seq, args.iters)}
            doc["rows"].append(row)
            print(json.dumps(row), flush=True)
            (out / f"{NAME}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
            (out / f"{NAME}.md").write_text(markdown(doc), encoding="utf-8")


if __name__ == "__main__":
    main()
