"""Time two ONNX models (default: .qbench/plain.onnx and .qbench/targeted.onnx) with the project's run_bench on the CPU,
batch 1, sequence 128, 2 threads, rounds interleaved; writes $OUT/lat.json. Made for the quiet device host:

    PYTHONPATH=$PWD python3 benchmarks/quantize_min_cosine_latency.py 7
"""
import json, os, platform, statistics, sys
sys.path.insert(0, os.getcwd())
import onnxruntime
from workbench.core.bench.latency import run_bench
from workbench.core.specs import BenchSpec
paths = {"plain": ".qbench/plain.onnx", "targeted": ".qbench/targeted.onnx"}
rounds = {k: [] for k in paths}
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    for k in (paths if i % 2 == 0 else list(reversed(list(paths)))):
        r = run_bench(BenchSpec(model=paths[k], provider="cpu", batch=1, sequence=128, iterations=200, warmup=20,
                                threads=2))
        rounds[k].append(r.latency_ms["p50"])
    print(i, {k: v[-1] for k, v in rounds.items()}, flush=True)
p50 = {k: statistics.median(v) for k, v in rounds.items()}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
out = {"onnxruntime": onnxruntime.__version__, "python": platform.python_version(), "cpu": cpu,
       "avx512_vnni": "avx512_vnni" in flags, "logical_cores": os.cpu_count(), "load_average_at_end": os.getloadavg(),
       "p50_ms": p50, "p50_ms_rounds": rounds, "ratio_targeted_vs_plain": p50["targeted"] / p50["plain"],
       "batch": 1, "sequence": 128, "threads": 2, "iterations": 200, "bench": "workbench.core.bench.latency.run_bench"}
json.dump(out, open(os.path.join(os.environ.get("OUT", "."), "lat.json"), "w"), indent=1)
print(json.dumps(out))
