"""Where the fused CUDA graphs copy between host and device (issue 15: GPT-2's fused fp16 graph shows 13 copies
per run in benchmarks/results/gpu_h200.md where the unfused one shows 2, and wall time is 0.22 ms over kernel
time). Builds GPT-2-small and BERT-base as benchmarks/gpu.py does (its ``prepare``: export -> optimize --target
cuda), opens each fused file in ONNX Runtime's CUDA provider with ``optimized_model_filepath``, and lists the
Memcpy nodes ORT inserted, with what produces and consumes each copied tensor.

    export PYTHONPATH=/tmp/site:$PWD && python3 benchmarks/gpu_memcpy_probe.py --out $OUT      # GPU machine
    python benchmarks/gpu_memcpy_probe.py --tiny --provider cpu --out /tmp/x                     # CPU: no copies
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def copies(path: str, provider: str, work: Path) -> dict:
    import onnx
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.optimized_model_filepath = str(work / (Path(path).parent.name + ".opt.onnx"))
    so.add_session_config_entry("session.optimized_model_external_initializers_file_name", "opt.data")
    providers = ["CUDAExecutionProvider"] if provider == "cuda" else ["CPUExecutionProvider"]
    ort.InferenceSession(path, so, providers=providers)
    model = onnx.load(so.optimized_model_filepath, load_external_data=False)
    producers = {o: n for n in model.graph.node for o in n.output}
    consumers = collections.defaultdict(list)
    for n in model.graph.node:
        for i in n.input:
            consumers[i].append(n)
    graph_inputs = {i.name for i in model.graph.input}
    rows = []
    for n in model.graph.node:
        if n.op_type.startswith("Memcpy"):
            src = n.input[0]
            made_by = producers[src].op_type if src in producers else ("graph input" if src in graph_inputs
                                                                        else "initializer")
            rows.append({"op": n.op_type, "tensor": src, "produced_by": made_by,
                         "consumed_by": sorted({f"{c.op_type}[{list(c.input).index(n.output[0])}]"
                                                for c in consumers[n.output[0]]})})
    return {"memcpy_nodes": len(rows), "by_kind": dict(collections.Counter(
        f"{r['op']}: {r['produced_by']} -> {', '.join(r['consumed_by'])}" for r in rows)), "copies": rows[:40],
        "nodes": len(model.graph.node), "ops": dict(collections.Counter(n.op_type for n in model.graph.node))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", default="cuda")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "/tmp/memcpy-probe"))
    args = ap.parse_args()
    import workbench  # noqa: F401  (before onnxruntime: telemetry off)
    import onnxruntime as ort

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    from gpu import prepare

    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("gpt2", "bert"):
            info = prepare(kind, Path(tmp), args.tiny)
            result[kind] = {key: copies(info["paths"][key], args.provider, Path(tmp))
                            for key in ("fp16", "fused") if key in info["paths"]}
            result[kind]["fused_steps"] = [f"{s['name']}: {s.get('detail', '')}"
                                           for s in info["steps"]["fused"]["steps"] if s.get("applied")]
            print(kind, json.dumps({k: v.get("by_kind") if isinstance(v, dict) else v
                                    for k, v in result[kind].items()}, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_memcpy_probe.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
