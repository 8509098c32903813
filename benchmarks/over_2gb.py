"""A synthetic ONNX model above 2 GB through inspect, the checker, optimize, quantize and bench.

The model is a chain of MatMul + Relu layers with fp32 weights (9 x 8192 x 8192, ~2.4 GB) in one external data file.
It is written layer by layer: each weight is generated, appended to ``model.onnx.data`` and dropped, and the graph
(a few KB) references the bytes by offset, so building it never holds more than one layer (~270 MB) in memory.

Each step runs in its own process through the CLI (``python -m workbench ... --json``; the checker, which has no
CLI command, through ``python -c``) under ``/usr/bin/time -v`` (psutil polling where that is missing), so the peak
RSS is that step's alone.

    python benchmarks/over_2gb.py            # writes benchmarks/results/over_2gb.json and .md
    python benchmarks/over_2gb.py --layers 9 --hidden 8192 --iterations 3
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MEMORY_LIMIT_GB = 24
TIME = "/usr/bin/time"


def build_model(folder: Path, layers: int, hidden: int) -> Path:
    """model.onnx + model.onnx.data, one layer's weight in memory at a time."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    path, data = folder / "model.onnx", folder / "model.onnx.data"
    rng = np.random.default_rng(0)
    scale = np.float32(1.0 / np.sqrt(hidden))
    initializers, nodes, offset = [], [], 0
    previous = "x"
    with open(data, "wb") as f:
        for i in range(layers):
            weight = rng.standard_normal((hidden, hidden), dtype=np.float32)
            weight *= scale
            raw = weight.tobytes()
            del weight
            f.write(raw)
            tensor = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[hidden, hidden])
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data.name), ("offset", str(offset)), ("length", str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            offset += len(raw)
            del raw
            initializers.append(tensor)
            out = "y" if i == layers - 1 else f"h{i}"
            if i == layers - 1:
                nodes.append(helper.make_node("MatMul", [previous, f"w{i}"], [out], name=f"matmul{i}"))
            else:
                nodes.append(helper.make_node("MatMul", [previous, f"w{i}"], [f"m{i}"], name=f"matmul{i}"))
                nodes.append(helper.make_node("Relu", [f"m{i}"], [out], name=f"relu{i}"))
            previous = out
    graph = helper.make_graph(
        nodes, "over_2gb",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", hidden])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", hidden])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="over_2gb.py")
    model.ir_version = 8
    onnx.save_model(model, str(path))  # the proto holds no weight bytes: a few KB
    return path


def folder_bytes(path: Path) -> int:
    """The .onnx file and the external data beside it (every file of its folder that starts with its name)."""
    path = Path(path)
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.parent.iterdir() if p.is_file() and p.name.startswith(path.name))


def _peak_from_time(stderr: str):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) * 1024 if m else None


def run_step(name: str, argv: list, timeout: float) -> dict:
    """Run one step in a subprocess; seconds, peak RSS (bytes), rc, the JSON it printed and its last error line."""
    use_time = os.path.exists(TIME)
    cmd = ([TIME, "-v"] if use_time else []) + argv
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print(f"[{name}] {' '.join(argv[2:])[:160]}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT), env=env)
    peak = 0
    if not use_time:  # psutil polling: the process and its children
        import psutil

        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        stderr += f"\ntimed out after {timeout:.0f} s"
    seconds = time.perf_counter() - started
    if use_time:
        peak = _peak_from_time(stderr) or 0
    result = None
    try:
        result = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        result = None
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("\t") and "Command" not in ln]
    step = {"step": name, "ok": proc.returncode == 0, "rc": proc.returncode, "seconds": round(seconds, 2),
            "peak_rss_gb": round(peak / 1e9, 3), "error": None if proc.returncode == 0 else (lines[-1] if lines else "")}
    print(f"[{name}] ok={step['ok']} {step['seconds']} s, peak RSS {step['peak_rss_gb']} GB"
          + (f" -- {step['error']}" if step["error"] else ""), flush=True)
    return step, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=9)
    parser.add_argument("--hidden", type=int, default=8192)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--tmp", help="folder for the temporary files (default: the system temp dir)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per step")
    parser.add_argument("--out", default=str(RESULTS / "over_2gb"))
    args = parser.parse_args(argv)

    weights = args.layers * args.hidden * args.hidden * 4
    tmp_root = Path(args.tmp or tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    need = weights * 4  # the model, the optimized copy, quantize's working copy and its output
    if free < need:
        print(f"{tmp_root}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed", file=sys.stderr)
        return 2
    py = [sys.executable]
    steps, record = [], {}
    with tempfile.TemporaryDirectory(prefix="wb-over2gb-", dir=tmp_root) as tmp:
        tmp = Path(tmp)
        (tmp / "src").mkdir()
        started = time.perf_counter()
        model = build_model(tmp / "src", args.layers, args.hidden)
        build_s = time.perf_counter() - started
        record["model"] = {"layers": args.layers, "hidden": args.hidden, "weights_bytes": weights,
                           "onnx_bytes": model.stat().st_size, "total_bytes": folder_bytes(model),
                           "build_seconds": round(build_s, 2)}
        print(f"built {model} ({folder_bytes(model) / 1e9:.2f} GB) in {build_s:.1f} s", flush=True)

        opt, quant = tmp / "opt" / "model.onnx", tmp / "quant" / "model.onnx"
        opt.parent.mkdir()
        quant.parent.mkdir()
        check_code = ("import json, sys; from workbench.core.onnx_io import check_model; "
                      "c, i = check_model(sys.argv[1]); print(json.dumps({'checker': c, 'shape_inference': i})); "
                      "sys.exit(0 if c == 'ok' and i == 'ok' else 1)")
        plan = [
            ("inspect", py + ["-m", "workbench", "inspect", str(model), "--json"], model),
            ("check_model", py + ["-c", check_code, str(model)], model),
            ("optimize_basic", py + ["-m", "workbench", "optimize", str(model), "-o", str(opt), "--level", "basic",
                                     "--json"], opt),
            ("quantize_int8_dynamic", py + ["-m", "workbench", "quantize", str(model), "-o", str(quant),
                                            "--mode", "int8-dynamic", "--json"], quant),
            ("bench", py + ["-m", "workbench", "bench", str(model), "--iterations", str(args.iterations),
                            "--warmup", "1", "--batch", "1", "--json"], model),
        ]
        outputs = {}
        for name, cmd, out_path in plan:
            step, result = run_step(name, cmd, args.timeout)
            step["output_bytes"] = folder_bytes(out_path)
            step["within_24gb"] = step["peak_rss_gb"] < MEMORY_LIMIT_GB
            steps.append(step)
            outputs[name] = result
        record["details"] = _details(outputs)
    record["temp_removed"] = not tmp.exists()

    record.update({
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "memory_gb": _memory_gb()},
        "peak_rss_method": "/usr/bin/time -v" if os.path.exists(TIME) else "psutil polling",
        "steps": steps,
        "all_ok": all(s["ok"] and s["within_24gb"] for s in steps),
    })
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    out.with_suffix(".md").write_text(_markdown(record))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return 0 if record["all_ok"] else 1


def _details(outputs: dict) -> dict:
    """A few numbers from each step's JSON result (what it saw), tolerant of missing keys."""
    d = {}
    ins = outputs.get("inspect") or {}
    d["inspect"] = {k: ins.get(k) for k in ("format", "parameters", "total_bytes", "external_data", "node_count")}
    d["check_model"] = outputs.get("check_model")
    opt = outputs.get("optimize_basic") or {}
    d["optimize_basic"] = {k: opt.get(k) for k in ("nodes_before", "nodes_after", "size_before", "size_after",
                                                   "notes") if k in opt}
    q = outputs.get("quantize_int8_dynamic") or {}
    d["quantize_int8_dynamic"] = {k: q.get(k) for k in ("size_before", "size_after", "fidelity", "settings", "notes")
                                  if k in q}
    b = outputs.get("bench") or {}
    d["bench"] = {k: b.get(k) for k in ("latency_ms", "throughput", "memory", "iterations", "notes") if k in b}
    return d


def _memory_gb():
    try:
        import psutil

        return round(psutil.virtual_memory().total / 1e9, 1)
    except ImportError:
        return None


def _markdown(r: dict) -> str:
    m = r["model"]
    lines = [f"# ONNX model above 2 GB ({r['date']})", "",
             f"Synthetic model: {m['layers']} x MatMul [{m['hidden']} x {m['hidden']}] fp32 (+ Relu), "
             f"{m['total_bytes'] / 1e9:.2f} GB on disk ({m['onnx_bytes']} B graph + one external data file), "
             f"built in {m['build_seconds']} s. Machine: {r['machine']['cpus']} CPUs, {r['machine']['memory_gb']} GB "
             f"RAM (shared with a background test run). Peak RSS by {r['peak_rss_method']}, one process per step.",
             "", "| step | ok | seconds | peak RSS (GB) | output size (GB) | error |", "|---|---|---|---|---|---|"]
    for s in r["steps"]:
        lines.append(f"| {s['step']} | {'yes' if s['ok'] else 'NO'} | {s['seconds']} | {s['peak_rss_gb']} | "
                     f"{s['output_bytes'] / 1e9:.2f} | {(s['error'] or '').replace('|', '/')} |")
    lines += ["", f"All steps passed within {MEMORY_LIMIT_GB} GB: {'yes' if r['all_ok'] else 'no'}. "
                  f"Temporary files removed: {'yes' if r['temp_removed'] else 'no'}.", "",
              "Details (from each step's --json output):", "", "```json", json.dumps(r["details"], indent=2), "```",
              ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
