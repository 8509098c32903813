"""Every CPU runtime in one run: all-MiniLM-L6-v2 (real weights) and a ResNet-style CNN, batch 1 and 8, PyTorch
eager, ONNX Runtime fp32 / int8, OpenVINO fp32 / fp16 weights / int8 weights (NNCF), MNN fp32 / fp16 weights /
int8 weights: p50, p95, throughput, peak RSS, file size and cosine vs PyTorch, every row measured in this one
invocation.

    nice -n -10 python benchmarks/all_runtimes.py                 # 30 timed runs after 3 warm-up runs, 2 threads
    nice -n -10 python benchmarks/all_runtimes.py --iterations 10  # a smoke test

Everything goes through the engine: ``api.export`` (ONNX, dynamo; then the openvino and mnn targets, as
openvino_ir.py and mnn.py build them), ``api.quantize`` (ORT int8 dynamic, per channel, min_cosine off so the row is
plain int8), ``bench.isolated.compare_table`` (each row in a process of its own: peak RSS is that runtime's whole
process) and ``api.validate`` (cosine: the worst output vs PyTorch at the row's batch, padded positions masked).
The load average is recorded at start and end. The optimum-intel anchor is not run: why is in the results.
Writes ``benchmarks/results/all_runtimes.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from minilm_cpu import machine_info, minilm_folder  # noqa: E402
from mnn import build as build_mnn, build_cnn, cosines, machine_lines  # noqa: E402
from openvino_ir import _mb as ir_mb  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
OPENVINO = (("OpenVINO fp32", {}), ("OpenVINO fp16 weights", {"dtype": "fp16"}),
            ("OpenVINO int8 weights (NNCF)", {"quant": "int8"}))
ORDER = ("PyTorch eager", "ORT fp32", "ORT int8 (dynamic)", "OpenVINO fp32", "OpenVINO fp16 weights",
         "OpenVINO int8 weights (NNCF)", "MNN fp32", "MNN fp16 weights", "MNN int8 weights")
OPTIMUM = ("optimum-intel's OpenVINO export of MiniLM is not in the table: optimum-intel 1.15.0 (the release "
           "`pip install --dry-run -c constraints.txt optimum-intel` resolves, changing no pin) detects OpenVINO through "
           "`from openvino.runtime import get_version`, and OpenVINO 2026 (our openvino {ov}) removed the "
           "`openvino.runtime` namespace, so it reports OpenVINO as missing and exports nothing "
           "(benchmarks/openvino_ir.py --optimum, results/openvino_ir.md)")


def build(name: str, src: Path, work: Path) -> tuple[dict, dict]:
    """({row: artifact}, {row: details}) for one model: the mnn table's ONNX + MNN files, ORT int8, the IRs."""
    from workbench import api

    paths, details = build_mnn(name, src, work)
    onnx = paths["ORT fp32"]
    started = time.perf_counter()
    try:
        q = api.quantize(onnx, str(work / name / "model.int8.onnx"), mode="int8-dynamic", min_cosine=0)
        paths["ORT int8 (dynamic)"] = q.output
        details["ORT int8 (dynamic)"] = {"size_mb": round(q.size_bytes["after"] / 2**20, 2),
                                         "convert_s": round(time.perf_counter() - started, 1)}
    except Exception as err:  # noqa: BLE001 - one failed variant must not lose the table
        details["ORT int8 (dynamic)"] = {"error": str(err)}
    for row, kwargs in OPENVINO:
        out = work / name / row.split()[1] / "model.xml"
        started = time.perf_counter()
        try:
            api.export(onnx, str(out), target="openvino", **kwargs)
        except Exception as err:  # noqa: BLE001
            details[row] = {"error": str(err)}
            continue
        paths[row] = str(out)
        details[row] = {"size_mb": ir_mb(out), "convert_s": round(time.perf_counter() - started, 1)}
    return paths, details


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = ["# Every CPU runtime in one run: MiniLM and a ResNet-style CNN", "",
             f"One invocation of `benchmarks/all_runtimes.py` (at `nice -n -10`): {s['iterations']} timed runs after "
             f"{s['warmup']} warm-up runs, {s['threads']} threads, MiniLM at sequence {s['sequence']}, the CNN at "
             "3x128x128; each row in a process of its own on the same input values (peak RSS: that whole process). "
             "Cosine: `workbench validate`'s worst output vs PyTorch at the row's batch. OpenVINO at f32 inference "
             "precision, LATENCY hint; MNN at precision mode high.", ""]
    for model in dict.fromkeys(r["model"] for r in report["rows"]):
        for batch in s["batches"]:
            rows = [r for r in report["rows"] if r["model"] == model and r["batch"] == batch]
            rows.sort(key=lambda r: ORDER.index(r["name"]) if r["name"] in ORDER else len(ORDER))
            lines += [f"## {model}, batch {batch}", "",
                      "| runtime | p50 ms | p95 ms | throughput/s | peak RSS MB | file MB | cosine vs PyTorch |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for row in rows:
                lat, cos = row.get("latency_ms") or {}, row.get("cosine")
                lines.append(f"| {row['name']} | {lat.get('p50', 0):.2f} | {lat.get('p95', 0):.2f} | "
                             f"{row.get('throughput_per_s', 0):.1f} | {row.get('peak_rss_mb', 0):.0f} | "
                             f"{row.get('size_mb', '-')} | {'-' if cos is None else f'{cos:.6f}'} |")
            lines.append("")
    lines += ["## Not in the table", "", f"- {report['optimum']}"]
    lines += [f"- {k}: {v}" for k, v in report.get("failures", {}).items()]
    return "\n".join(lines + machine_lines(report, report["libraries"]))


def main(argv=None) -> int:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from workbench.core.bench.isolated import compare_table
    from workbench.core.specs import BenchSpec, ModelSource

    started = time.perf_counter()
    info = machine_info()
    rows, failures = [], {}
    with tempfile.TemporaryDirectory(prefix="all-runtimes-") as tmp:
        work = Path(tmp)
        models = {"all-MiniLM-L6-v2": (minilm_folder(), args.sequence),
                  "ResNet-style CNN": (build_cnn(work / "cnn-src"), 8)}
        for model, (src, seq) in models.items():
            paths, details = build(model.split()[0].lower(), src, work)
            failures.update({f"{model} {k}": v["error"] for k, v in details.items() if "error" in v})
            for batch in args.batches:
                spec = BenchSpec(model=paths["ORT fp32"], provider="cpu", batch=batch, sequence=seq,
                                 iterations=args.iterations, warmup=args.warmup, threads=args.threads)
                print(f"{model} b{batch}: timing {', '.join(['PyTorch eager', *paths])}", file=sys.stderr)
                results = compare_table(paths, ModelSource(path=str(src)), spec)
                fidelity = cosines(paths, src, batch, seq)
                for result in results:
                    row = {"model": model, "batch": batch, **result.to_dict()}
                    row.pop("samples", None)
                    key = next((k for k in paths if result.name == k), None) or next(
                        (k for k in paths if result.name.endswith(Path(paths[k]).name)), None)
                    if key:
                        row["name"] = key
                        row.update(size_mb=details[key]["size_mb"], **fidelity[key])
                    rows.append(row)
                    lat = row.get("latency_ms") or {}
                    print(f"  {row['name']}: p50 {lat.get('p50', 0):.2f} ms, cosine {row.get('cosine')}",
                          file=sys.stderr)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    libraries = {n: version(n) for n in ("onnxruntime", "openvino", "nncf", "mnn")}
    report = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": info,
              "seconds": time.perf_counter() - started, "rows": rows, "failures": failures, "libraries": libraries,
              "optimum": OPTIMUM.format(ov=libraries["openvino"]), "niceness": os.nice(0),
              "settings": {"iterations": args.iterations, "warmup": args.warmup, "threads": args.threads,
                           "sequence": args.sequence, "batches": args.batches}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "all_runtimes.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (args.out / "all_runtimes.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {args.out / 'all_runtimes.json'} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
