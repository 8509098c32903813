"""Write workbench/core/gguf/measured.py (what `workbench advise` reasons from) out of the committed results of
benchmarks/gguf_validate.py and benchmarks/gguf_cpu_table.py: bits per weight and decode tokens/s per GGUF type
(the ~100M Llama), the runtime's memory over the file, fidelity per type (MiniLM min cosine; tiny decoders'
teacher-forced top-1, mean over the families), and which route decoded faster on CPU.
Usage: python benchmarks/gguf_advise_data.py [--table gguf_cpu_table_threads1]
(the table by default is the quiet 2-thread run, gguf_cpu_table.json: the issue's 2 threads; the 1-thread table was
the input while the 2-thread one had been measured under contention)."""

from __future__ import annotations

import argparse
import json
import pprint
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OUT = ROOT / "workbench" / "core" / "gguf" / "measured.py"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="gguf_cpu_table", help="the CPU table's results stem")
    args = ap.parse_args()
    table = json.loads((RESULTS / f"{args.table}.json").read_text())
    validate = json.loads((RESULTS / "gguf_validate.json").read_text())
    params = table["parameters"]
    types, overhead = {}, []
    for row in table["rows"]:
        name = row["name"]
        if not name.startswith("llama.cpp ") or row["batch"] != 1:
            continue
        quant = name.split("-")[-1].removesuffix(".gguf")
        encoder = validate["minilm"]["quants"].get(quant, {}).get("cosine_min")
        fams = [f["quants"][quant]["teacher_forced_top1"] for f in validate["decoders"]["families"].values()
                if quant in f["quants"]]
        types[quant] = {"bits_per_weight": round(row["size_mb"] * 1e6 * 8 / params, 3),
                        "tokens_per_s": round(row["tokens_per_s"], 2),
                        "fidelity": {"encoder": encoder, "decoder": round(float(np.mean(fams)), 4) if fams else None}}
        overhead.append(row["peak_rss_mb"] - row["size_mb"])
    best = {rt: max((r["tokens_per_s"] for r in table["rows"] if r["runtime"] == rt and r.get("agreement")
                     and r["agreement"]["rate"] == 1.0), default=0.0) for rt in ("llama.cpp", "onnxruntime")}
    route = "gguf" if best["llama.cpp"] >= best["onnxruntime"] else "onnx"
    command = " ".join(["python benchmarks/gguf_advise_data.py", *sys.argv[1:]])
    written = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = f'''"""Measured by the workbench itself; written {written} by `{command}` from
benchmarks/results/{args.table}.json ({table["date"]}) and gguf_validate.json ({validate["date"]}). Do not edit:
re-run the benchmarks and that script. Read by workbench/core/gguf/advise.py."""

SOURCES = {pprint.pformat({"cpu_table": f"benchmarks/results/{args.table}.json", "validate":
                           "benchmarks/results/gguf_validate.json", "cpu_table_machine": table["machine"]})}
# per GGUF type: bits per weight (file size of the {params / 1e6:.1f}M Llama), decode tokens/s there, fidelity vs PyTorch
GGUF = {pprint.pformat(types, sort_dicts=False)}
# median peak RSS minus file size of the llama.cpp variants (interpreter, llama.cpp, buffers, a 512-token context)
RUNTIME_OVERHEAD_BYTES = {int(np.median(overhead) * 1e6)}
# the route whose 100%-agreeing variant decoded fastest on CPU: {best}
CPU_ROUTE = {route!r}
'''
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
