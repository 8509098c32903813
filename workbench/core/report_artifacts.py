"""The report's one table of every artifact a run made, whatever runtime runs it (ONNX Runtime, llama.cpp,
OpenVINO, MNN): its file size, its fidelity against PyTorch, its speed and its memory, PyTorch eager first as the
reference. A pure function of the report dict (report.json's layout), like report_summary.

Fidelity comes from the step that measured the artifact: the export's validation (the main export, whatever its
target), the optimize step's validation, a [[quantize]] step's cosine (against the fp32 export, which the
validation compares with PyTorch), a [[gguf]] variant's validation in llama.cpp (logits cosine and top-1 agreement
on real prompts)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

COMPANIONS = (".data",)  # an ONNX file's external weights: model.onnx.data


def size_mb(path) -> Optional[float]:
    """MB on disk of an artifact and the files that are part of it (model.onnx.data, OpenVINO's .bin), or of a
    folder's files; None when it is gone."""
    p = Path(str(path))
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 1e6
    if not p.is_file():
        return None
    parts = [p, *(Path(str(p) + c) for c in COMPANIONS)] + ([p.with_suffix(".bin")] if p.suffix == ".xml" else [])
    return sum(f.stat().st_size for f in parts if f.is_file()) / 1e6


def _step(report: dict, name: str) -> Optional[dict]:
    return next((s for s in report.get("steps", []) if s.get("name") == name), None)


def measuring_step(report: dict, variant: str) -> Optional[dict]:
    """The step whose result says how close ``variant`` is to PyTorch: the one the pipeline named for it
    (report["fidelity_steps"]: a [[gguf]]/[[openvino]]/[[mnn]] variant's validation), else by the pipeline's
    variant names."""
    named = (report.get("fidelity_steps") or {}).get(variant)
    if named:
        return _step(report, named)
    runtime, _, label = variant.partition(" ")
    if runtime == "llama.cpp" and _step(report, f"validate gguf {label}"):
        return _step(report, f"validate gguf {label}")
    if variant == "ORT optimized":
        return _step(report, "optimize")
    if runtime == "ORT" and _step(report, f"quantize {label}"):
        return _step(report, f"quantize {label}")
    return _step(report, "validate")


def fidelity(step: Optional[dict]) -> dict:
    """{cosine, top1, passed, against, words} from a validate, optimize, quantize or GGUF validate step."""
    if step is None:
        return {"cosine": None, "top1": None, "passed": None, "against": None, "words": "not measured"}
    if not step.get("result"):
        return {"cosine": None, "top1": None, "passed": False, "against": None, "words": step.get("error", "failed")}
    res = step["result"]
    if step["name"] == "optimize":
        res = res.get("validation") or {}
    if "prompts" in res:  # a GGUF in llama.cpp vs PyTorch on real prompts (gguf_validate)
        rows = res["prompts"]
        cos = min(r["cosine_min"] for r in rows) if rows else None
        tokens = sum(r.get("tokens", 0) for r in rows if "top1_agreement" in r)
        top1 = (sum(r["top1_agreement"] * r.get("tokens", 0) for r in rows if "top1_agreement" in r) / tokens
                if tokens else None)
        words = f"{len(rows)} prompts, {res.get('precision')} tolerance {res.get('tolerance')}"
        return {"cosine": cos, "top1": top1, "passed": res.get("passed"), "against": "PyTorch", "words": words}
    if "fidelity" in res:  # a [[quantize]] variant, against the fp32 export
        cos = (res.get("fidelity") or {}).get("cosine")
        return {"cosine": cos, "top1": None, "passed": res.get("passed", True), "against": "the fp32 export",
                "words": f"{res.get('mode')} against the fp32 export"}
    outputs = res.get("outputs") or []
    cosines = [o["cosine"] for o in outputs if isinstance(o.get("cosine"), (int, float))]
    if not cosines and "passed" not in res:
        return {"cosine": None, "top1": None, "passed": None, "against": None, "words": "not measured"}
    return {"cosine": min(cosines) if cosines else None, "top1": res.get("top1_agreement"),
            "passed": res.get("passed"), "against": "PyTorch", "words": f"{len(outputs)} outputs"}


def artifacts(report: dict) -> list:
    """[{name, runtime, file, size_mb, fidelity, p50_ms, p95_ms, throughput_per_s, peak_rss_mb, bench_error,
    speed_note}]:
    PyTorch eager (when benchmarked), then every variant of the run, benchmarked or not."""
    rows = {r["name"]: r for s in report.get("steps", []) if s.get("name") == "bench" and s.get("result")
            for r in s["result"].get("rows", [])}
    bench_failed = {f["name"]: f["error"] for s in report.get("steps", []) if s.get("name") == "bench"
                    and s.get("result") for f in s["result"].get("failed", [])}
    bench_step = _step(report, "bench")
    runtimes = report.get("runtimes") or {}

    def speed(name: str) -> dict:
        row = rows.get(name) or {}
        lat = row.get("latency_ms") or {}
        error = bench_failed.get(name)
        if not row and error is None and bench_step is not None and not bench_step.get("ok"):
            error = bench_step.get("error")
        # how the row's batch ran where that is not one batched run (llama.cpp: its sequences one after another)
        how = next((n for n in row.get("notes") or [] if "sequences one after another" in n), None)
        return {"p50_ms": lat.get("p50"), "p95_ms": lat.get("p95"), "throughput_per_s": row.get("throughput_per_s"),
                "peak_rss_mb": row.get("peak_rss_mb"), "provider": row.get("provider"), "bench_error": error,
                "speed_note": how}

    out = []
    for name in rows:
        if name.lower().startswith("pytorch"):
            out.append({"name": name, "runtime": "torch", "file": report.get("source"), "size_mb": None,
                        "fidelity": {"cosine": 1.0, "top1": 1.0, "passed": True, "against": None,
                                     "words": "the reference"}, **speed(name)})
    variants = report.get("variants") or {}
    for name, path in variants.items():
        out.append({"name": name, "runtime": runtimes.get(name), "file": str(path), "size_mb": size_mb(path),
                    "fidelity": fidelity(measuring_step(report, name)), **speed(name)})
    for name in rows:  # benchmarked without a variant entry (a report built from the GUI session's steps)
        if name not in variants and not name.lower().startswith("pytorch"):
            out.append({"name": name, "runtime": None, "file": None, "size_mb": None,
                        "fidelity": fidelity(measuring_step(report, name)), **speed(name)})
    return out
