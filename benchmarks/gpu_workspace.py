"""Issue 15 goal 1, memory: what cuBLAS's workspace costs and what shrinking it costs in speed.

cuBLAS reads ``CUBLAS_WORKSPACE_CONFIG`` once per process, when it is first loaded, so each setting runs in a
fresh child process started with that environment. The child is the product's benchmark path, nothing of its
own: ``workbench.core.bench.latency.iter_samples`` + ``collect`` (what ``workbench bench --provider cuda
--cuda-graph`` runs) on the ``optimize --target cuda --fp16-outputs`` models that ``benchmarks/gpu.py`` leaves in
its work folder, IOBinding and CUDA graphs, after a bare CUDA context is made through ctypes (``cudaFree(0)``,
no torch) so that NVML's per-process figure can be split into context and session. Settings and batches are
interleaved over ``--rounds`` rounds, so a drift of the GPU's clocks shows as spread, not as an effect.

    python benchmarks/gpu.py --models gpt2,bert ...                # first, in the same lease: the models
    python benchmarks/gpu_workspace.py --out $OUT                   # ~15 s per child
    python benchmarks/gpu_workspace.py --tiny --out /tmp/x          # a CPU machine: checks the script, rows say
                                                                    # CUDA is missing
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# "unset" leaves the variable out of the child's environment (cuBLAS's own default); ":4096:1" is one 4 MiB
# buffer, ":4096:8" eight (PyTorch's choice on Hopper); ":0:0" is none (cuBLAS then picks kernels that need none)
SETTINGS = ("unset", ":4096:1", ":4096:8", ":0:0")
MODEL_KEY = "fused_fp16out"


def _cudart():
    """The CUDA runtime library onnxruntime-gpu loads (after its preload_dlls), or None."""
    for name in ("libcudart.so.13", "libcudart.so.12", "libcudart.so"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def child(model: str, batch: int, seq: int, iters: int, warmup: int) -> dict:
    """One setting in this fresh process: bare context, then the product's sampler; marks in MiB (NVML)."""
    import onnxruntime as ort

    from workbench.core.bench import memory
    from workbench.core.bench.latency import collect, iter_samples
    from workbench.core.specs import BenchSpec

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    rt = _cudart()
    context = None
    if rt is not None and rt.cudaFree(ctypes.c_void_p(0)) == 0:
        context = memory.gpu_process_mb()
    spec = BenchSpec(model=model, provider="cuda", batch=batch, sequence=seq, iterations=iters, warmup=warmup,
                     io_binding=True, cuda_graph=True)
    sampler = iter_samples(spec, memory_mode="process")
    result = collect(sampler, f"b{batch}")
    marks = {"context": context, **{k: v for k, v in sampler.gpu_marks.items() if v is not None},
             "peak": result.gpu_peak_mb}
    return {"p50_ms": result.latency_ms["p50"], "p95_ms": result.latency_ms["p95"],
            "min_ms": result.latency_ms["min"], "iterations": result.iterations, "provider": result.provider,
            "cuda_graph": sampler.cuda_graph, "marks_mb": marks,
            "over_context_mb": (result.gpu_peak_mb - context) if result.gpu_peak_mb is not None and context
            is not None else None, "notes": result.notes}


def run_child(setting: str, model: str, batch: int, args) -> dict:
    env = dict(os.environ)
    env.pop("CUBLAS_WORKSPACE_CONFIG", None)
    if setting != "unset":
        env["CUBLAS_WORKSPACE_CONFIG"] = setting
    from gpu_memory import child_row  # benchmarks/gpu_memory.py: the same child protocol

    return child_row(__file__, {"model": model, "batch": batch, "seq": args.seq, "iters": args.iters,
                                "warmup": args.warmup}, env)


def summarize(rows: list) -> list:
    """Per (model, batch, setting): median over rounds of p50, spread, and memory over the context."""
    groups: dict = {}
    for r in rows:
        if "p50_ms" in r:
            groups.setdefault((r["model"], r["batch"], r["setting"]), []).append(r)
    out = []
    for (model, batch, setting), rs in groups.items():
        p50s = [r["p50_ms"] for r in rs]
        over = [r["over_context_mb"] for r in rs if r.get("over_context_mb") is not None]
        out.append({"model": model, "batch": batch, "setting": setting, "rounds": len(rs),
                    "p50_ms": statistics.median(p50s), "p50_min_ms": min(p50s), "p50_max_ms": max(p50s),
                    "over_context_mb": statistics.median(over) if over else None,
                    "weights_mb": rs[0].get("weights_mb")})
    return out


def markdown(doc: dict) -> str:
    from workbench.core.render import table

    lines = [f"# cuBLAS workspace against speed and GPU memory: {doc['machine']}", "",
             f"Command: `{doc['command']}`. Models: `optimize --target cuda --fp16-outputs` (benchmarks/gpu.py's "
             f"`{MODEL_KEY}`), sequence {doc['seq']}, IOBinding + CUDA graphs, {doc['iters']} runs after "
             f"{doc['warmup']} warm-up, each setting in a fresh process (the product's sampler); {doc['rounds']} "
             "rounds, interleaved. p50: the median of the rounds' p50 (min-max beside it). GPU MB over context: "
             "NVML's per-process peak minus the bare CUDA context made first (ctypes cudaFree(0)).", ""]
    body = []
    for s in doc["summary"]:
        w = s.get("weights_mb")
        over = s["over_context_mb"]
        body.append([s["model"], s["batch"], s["setting"], f"{s['p50_ms']:.3f}",
                     f"{s['p50_min_ms']:.3f}-{s['p50_max_ms']:.3f}",
                     "-" if over is None else f"{over:.0f}", "-" if over is None or not w else f"{over / w:.2f}"])
    lines.append(table(["model", "batch", "CUBLAS_WORKSPACE_CONFIG", "p50 ms", "p50 range ms",
                        "GPU MB over context", "x fp16 weights"], body))
    errors = [r for r in doc["rows"] if "error" in r]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {r['model']} b{r['batch']} {r['setting']}: {r['error']}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--models", default="gpt2,bert")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--keys", default=MODEL_KEY, help="gpu.py model keys to run, e.g. fused_fp16out,"
                    "fused_fp16out_nomask (the second: the same preset without the attention-mask rewrite)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--work", default="/tmp/wb-gpu")
    ap.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--name", default="gpu_workspace")
    args = ap.parse_args(argv)
    if args.child:
        a = json.loads(args.child)
        try:
            row = child(a["model"], a["batch"], a["seq"], a["iters"], a["warmup"])
        except Exception as err:  # noqa: BLE001 - the parent's row says what failed
            row = {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}"}
        print(json.dumps(row))
        return 0
    import gpu  # benchmarks/gpu.py: the same models, exported and optimized through the product

    from workbench.core.fsutil import file_size

    if args.tiny:
        args.seq, args.iters, args.warmup, args.rounds = 32, 20, 3, 1
        args.work += "-tiny"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip() if not args.tiny else "tiny (CPU check)"
    doc = {"command": "python benchmarks/gpu_workspace.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "machine": machine or "no nvidia-smi", "seq": args.seq, "iters": args.iters, "warmup": args.warmup,
           "rounds": args.rounds, "keys": args.keys, "rows": [], "summary": []}
    models = {}
    keys = [k for k in args.keys.split(",") if k]
    for kind in [k for k in args.models.split(",") if k]:
        info = gpu.prepare(kind, Path(args.work), args.tiny, [k for k in keys if k in gpu.OPTIONAL_KEYS])
        for key in keys:
            models[kind if key == MODEL_KEY else f"{kind} {key}"] = info["paths"][key]
    settings = [s for s in args.settings.split(",") if s]
    for rnd in range(args.rounds):
        for kind, path in models.items():
            for batch in [int(b) for b in args.batches.split(",")]:
                order = settings if rnd % 2 == 0 else settings[::-1]
                for setting in order:
                    row = {"model": kind, "batch": batch, "setting": setting, "round": rnd,
                           "weights_mb": file_size(path) / 2**20, **run_child(setting, path, batch, args)}
                    doc["rows"].append(row)
                    print(json.dumps(row), flush=True)
                    doc["summary"] = summarize(doc["rows"])
                    (out / f"{args.name}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
                    (out / f"{args.name}.md").write_text(markdown(doc), encoding="utf-8")
    print((out / f"{args.name}.md").read_text("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
