"""OpenVINO on this CPU: all-MiniLM-L6-v2 (real weights) and a small ResNet-style CNN, batch 1 and 8: PyTorch eager
and ONNX Runtime fp32 against the openvino target's IRs (fp32 through ONNX, fp32 from OpenVINO's PyTorch frontend,
fp16 weights, NNCF int8 and int4 weights), OpenVINO's throughput mode, and optimum-intel's own IR as the anchor.

    python benchmarks/openvino_ir.py            # 50 timed runs after 5 warm-up runs, 2 threads
    python benchmarks/openvino_ir.py --quick    # 10 runs, batch 1 only, a smoke test

optimum-intel is not a workbench dependency: it installs beside every pin (``pip install --dry-run -c
constraints.txt optimum-intel`` adds optimum, accelerate, datasets, pandas, pyarrow and others, changing none), but
accelerate and datasets in the workbench's own environment would change how transformers loads models for everyone,
so the anchor runs from a side folder: ``pip install --no-deps --target DIR optimum-intel==1.15.0 optimum==2.3.0``
and ``--optimum DIR`` (skipped, with the reason in the table, when not given).

Each model is exported to ONNX once (``workbench.api.export``, dynamo); the IRs are the openvino target's, from that
ONNX file (or the PyTorch model for the frontend row). Every row runs in a process of its own (``compare_table``), on
the same input values. Cosine vs PyTorch is ``workbench validate``'s (worst output, padded positions masked) at the
row's batch, judged at the row's own precision. Writes ``benchmarks/results/openvino_ir.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from minilm_cpu import machine_info, minilm_folder  # noqa: E402
from mnn import build_cnn, cosines, machine_lines  # noqa: E402 - the same CNN and fidelity check as the MNN table

RESULTS = Path(__file__).resolve().parent / "results"
# row -> export keyword arguments of the openvino target (source: the ONNX export unless "from_torch")
VARIANTS = (("OpenVINO fp32", {}), ("OpenVINO fp32 (PyTorch frontend)", {"exporter": "openvino", "from_torch": True}),
            ("OpenVINO fp16 weights", {"dtype": "fp16"}), ("OpenVINO int8 weights (NNCF)", {"quant": "int8"}),
            ("OpenVINO int4 weights (NNCF)", {"quant": "int4"}))
OPTIMUM_SCRIPT = """
import sys
from optimum.intel import OVModelForFeatureExtraction, OVModelForImageClassification
cls = OVModelForFeatureExtraction if sys.argv[3] == "text" else OVModelForImageClassification
cls.from_pretrained(sys.argv[1], export=True, compile=False).save_pretrained(sys.argv[2])
"""


def _mb(xml) -> float:
    return round(sum(Path(xml).with_suffix(s).stat().st_size for s in (".xml", ".bin")) / 2**20, 2)


def build(name: str, src: Path, work: Path, optimum: Path | None, kind: str) -> tuple[dict, dict]:
    """({row: artifact}, {row: details}) for one model."""
    from workbench import api

    started = time.perf_counter()
    exp = api.export(str(src), str(work / name / "model.onnx"))
    print(f"{name}: exported with {exp.exporter} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    paths = {"ORT fp32": exp.path}
    details = {"ORT fp32": {"size_mb": round(sum(Path(p).stat().st_size for p in exp.outputs) / 2**20, 2)}}
    for row, kwargs in VARIANTS:
        kwargs = dict(kwargs)
        source = str(src) if kwargs.pop("from_torch", False) else exp.path
        out = work / name / row.replace(" ", "_").replace("(", "").replace(")", "") / "model.xml"
        started = time.perf_counter()
        try:
            result = api.export(source, str(out), target="openvino", **kwargs)
        except Exception as err:  # noqa: BLE001 - one failed variant must not lose the table
            details[row] = {"error": str(err)}
            print(f"{name} {row}: {err}", file=sys.stderr)
            continue
        paths[row] = str(out)
        details[row] = {"size_mb": _mb(out), "convert_s": round(time.perf_counter() - started, 1),
                        "notes": result.notes[-1:]}
    if optimum is None:
        details["optimum-intel IR"] = {"error": "not run: give --optimum DIR (see the module docstring)"}
        return paths, details
    target = work / name / "optimum"
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(optimum)}
    done = subprocess.run([sys.executable, "-c", OPTIMUM_SCRIPT, str(src), str(target), kind], env=env,
                          capture_output=True, text=True)
    xml = target / "openvino_model.xml"
    if done.returncode != 0 or not xml.is_file():
        details["optimum-intel IR"] = {"error": (done.stderr.strip().splitlines() or ["no IR written"])[-1]}
    else:
        paths["optimum-intel IR"] = str(xml)
        details["optimum-intel IR"] = {"size_mb": _mb(xml), "convert_s": round(time.perf_counter() - started, 1)}
    return paths, details


def markdown(report: dict) -> str:
    s, m = report["settings"], report["machine"]
    lines = ["# OpenVINO on the CPU: MiniLM and a small CNN, PyTorch eager and ONNX Runtime vs the openvino target",
             "", f"{s['iterations']} timed runs after {s['warmup']} warm-up runs, {s['threads']} threads, MiniLM at "
             f"sequence {s['sequence']}, the CNN at 3x128x128; each row in a process of its own on the same input "
             "values. OpenVINO rows run at f32 inference precision (the runtime's default) with the LATENCY hint, "
             "except the throughput row (THROUGHPUT hint, 2 streams, OpenVINO's optimal requests in flight: its "
             "p50 is a round's time per inference). Cosine: `workbench validate`'s worst output vs PyTorch at the "
             "row's batch; passed is judged at the row's own precision (int8 >= 0.99, int4 >= 0.95).", "",
             "| model | batch | variant | p50 ms | p95 ms | throughput/s | peak RSS MB | file MB | cosine | passed |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in report["rows"]:
        lat = row.get("latency_ms") or {}
        cos = row.get("cosine")
        lines.append(f"| {row['model']} | {row['batch']} | {row['name']} | {lat.get('p50', 0):.2f} | "
                     f"{lat.get('p95', 0):.2f} | {row.get('throughput_per_s', 0):.1f} | "
                     f"{row.get('peak_rss_mb', 0):.0f} | {row.get('size_mb', '-')} | "
                     f"{'-' if cos is None else f'{cos:.6f}'} | {row.get('passed', '-')} |")
    failed = [f"- {k}: {v}" for k, v in report.get("failures", {}).items()]
    if failed:
        lines += ["", "Not run or failed:", ""] + failed
    return "\n".join(lines + machine_lines(report, report["libraries"]))


def main(argv=None) -> int:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--optimum", type=Path, help="a folder with optimum-intel installed (--no-deps --target)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.warmup, args.batches = 10, 2, [1]
    from workbench.core.bench.isolated import compare_table
    from workbench.core.specs import BenchSpec, ModelSource

    started = time.perf_counter()
    machine = machine_info()
    rows, failures = [], {}
    with tempfile.TemporaryDirectory(prefix="openvino-bench-") as scratch:
        work = Path(scratch)
        models = {"MiniLM-L6": (minilm_folder(), "text", args.sequence),
                  "ResNet-style CNN": (build_cnn(work / "cnn-src"), "image", 8)}
        for name, (src, kind, seq) in models.items():
            paths, details = build(name, src, work, args.optimum, kind)
            failures.update({f"{name} {k}": v["error"] for k, v in details.items() if "error" in v})
            for batch in args.batches:
                spec = BenchSpec(model=paths["ORT fp32"], batch=batch, sequence=seq, iterations=args.iterations,
                                 warmup=args.warmup, threads=args.threads)
                fidelity = cosines(paths, src, batch, seq)
                results = compare_table(paths, source=ModelSource(str(src)), spec=spec)
                from workbench.core.bench.inputs import onnx_example_inputs

                # the same values as the table above (an IR alone would have compare_table read it as ONNX)
                throughput = compare_table({"OpenVINO fp32, throughput mode": paths["OpenVINO fp32"]},
                                           spec=dataclasses.replace(spec, runtime_options={
                                               "hint": "THROUGHPUT", "streams": 2}),
                                           inputs=onnx_example_inputs(paths["ORT fp32"], batch, seq))
                fidelity["OpenVINO fp32, throughput mode"] = fidelity.get("OpenVINO fp32", {})
                details["OpenVINO fp32, throughput mode"] = details.get("OpenVINO fp32", {})
                for res in list(results) + list(throughput):
                    row = {"model": name, **res.to_dict()}
                    row.pop("samples", None)
                    row.update({k: v for k, v in details.get(res.name, {}).items() if k != "error"})
                    row.update(fidelity.get(res.name, {}))
                    rows.append(row)
                    print(f"{name} b{batch} {res.name}: p50 {res.latency_ms.get('p50', 0):.2f} ms, cosine "
                          f"{row.get('cosine', '-')}", file=sys.stderr)
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    libraries = {n: version(n) for n in ("openvino", "nncf")}
    if args.optimum:
        libraries["optimum-intel (side folder)"] = "1.15.0"
    report = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine,
              "settings": vars(args) | {"out": str(args.out), "optimum": str(args.optimum)}, "rows": rows,
              "failures": failures, "libraries": libraries, "seconds": time.perf_counter() - started}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "openvino_ir.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (args.out / "openvino_ir.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
