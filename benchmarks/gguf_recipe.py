"""One recipe, every artifact in one table: `workbench run` on a tiny random Llama (hidden 256, 2 layers, so the
K-quants quantize every matrix natively) with an ONNX export, int8 and int4 [[quantize]] variants, three
[[gguf]] variants (f16, q8_0, q4_k_m), OpenVINO fp32 and int8 (NNCF weights) and MNN fp32 and int8 weights,
validated against PyTorch and benchmarked each in its runtime, in a process of its own;
the report's artifacts table (report_artifacts.py) is written to benchmarks/results/gguf_recipe.{json,md}.

Usage: python benchmarks/gguf_recipe.py [--iterations 50] [--sequence 64] [--threads 2]"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"

RECIPE = """
name = "tiny-llama-every-artifact"
output_dir = "out"
[source]
path = "llama"
[validate]
[[quantize]]
mode = "int8-dynamic"
[[quantize]]
mode = "int4"
block_size = 32
[[gguf]]
quant = "f16"
[[gguf]]
quant = "q8_0"
[[gguf]]
quant = "q4_k_m"
[[openvino]]
[[openvino]]
quant = "int8"
[[mnn]]
[[mnn]]
quant = "int8"
[bench]
iterations = {iterations}
warmup = 5
sequence = {sequence}
threads = {threads}
"""


def _num(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def markdown(data: dict) -> str:
    lines = [f"# One recipe, every artifact: tiny random Llama ({data['date']})", "", data["machine"], "",
             f"`{data['command']}`: {data['seconds']:.0f} s for the whole run; bench at batch 1, sequence "
             f"{data['sequence']}, {data['iterations']} timed runs per variant, {data['threads']} threads.", "",
             "| artifact | runtime | size MB | cosine vs PyTorch | top-1 agreement | fidelity | p50 ms | p95 ms | "
             "per s | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in data["artifacts"]:
        f = r["fidelity"]
        cos = _num(f["cosine"], ".6f") + (f" ({f['against']})" if f.get("against") not in (None, "PyTorch") else "")
        ok = "-" if f["passed"] is None else "pass" if f["passed"] else "FAIL"
        lines.append(f"| {r['name']} | {r['runtime']} | {_num(r['size_mb'], '.3f')} | {cos} | "
                     f"{_num(f['top1'], '.3f')} | {ok} | {_num(r['p50_ms'], '.3f')} | {_num(r['p95_ms'], '.3f')} | "
                     f"{_num(r['throughput_per_s'], ',.0f')} | {_num(r['peak_rss_mb'], '.1f')} |")
    if data["failed"]:
        lines += ["", "Failed steps: " + "; ".join(data["failed"])]
    return "\n".join(lines + [""] + data.get("notes", [])) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--sequence", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import llama_cpp
    from gguf_validate import build_decoder

    from workbench.core.recipe import run_recipe

    with tempfile.TemporaryDirectory(prefix="gguf-recipe-") as tmp:
        root = Path(tmp)
        build_decoder("llama", root / "llama")
        (root / "recipe.toml").write_text(RECIPE.format(**vars(args)), encoding="utf-8")
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        result = run_recipe(str(root / "recipe.toml"))
        seconds = time.perf_counter() - started
        report = json.loads(Path(result.report_json).read_text("utf-8"))
    for row in report["artifacts"]:
        row["file"] = Path(row["file"]).name if row.get("file") else None  # the temp folder is gone
    data = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs (1-min load average "
                       f"{load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after), llama-cpp-python "
                       f"{llama_cpp.__version__}",
            "command": "python benchmarks/gguf_recipe.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
            "seconds": seconds, **vars(args), "steps": [(s["name"], s["ok"], round(s.get("seconds") or 0, 1))
                                                       for s in report["steps"]],
            "failed": report["failed"], "artifacts": report["artifacts"]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gguf_recipe.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "gguf_recipe.md").write_text(markdown(data))
    print(markdown(data))


if __name__ == "__main__":
    main()
