"""The top of a report, for someone who reads only that (issue 14 point 6): the recommended variant and why, its
speed-up and size reduction against PyTorch, the fidelity verdict, noise warnings on wide-spread measurements, the
machine and library versions, and an export's dynamic axes in plain words. Pure functions of the report dict
(report.json's layout), so a report built by ``workbench run`` and one built from the GUI session read the same."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Optional

# p50 this many times the fastest run: the runs did not measure one steady speed (a busy machine, a cold cache,
# a thread pool still spinning up). Also p99 this many times p50.
NOISE_P50_OVER_MIN = 3.0
NOISE_P99_OVER_P50 = 5.0
LIBRARIES = ("workbench", "torch", "transformers", "onnx", "onnxruntime", "numpy", "optimum", "llama-cpp-python",
             "openvino")  # the libraries that did the work (the GUI toolkit does none)


def environment() -> dict:
    """The machine and the versions of the libraries that did the work (the ones installed)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    memory_gb = None
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        pass
    return {"system": f"{platform.system()} {platform.release()}", "machine": platform.machine(),
            "processor": _cpu_name(), "cpus": os.cpu_count(), "memory_gb": memory_gb,
            "python": platform.python_version(), "libraries": versions}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _steps(report: dict, prefix: str) -> list:
    return [s for s in report.get("steps", []) if s.get("name", "").startswith(prefix) and s.get("result")]


def _bench_rows(report: dict) -> list:
    return [r for s in _steps(report, "bench") for r in s["result"].get("rows", [])]


def _quantized(report: dict) -> dict:
    """{label: quantize result} of the report's quantize steps, under both the step's label ("quantize int8" ->
    "int8", as the benchmark names the variant "ORT int8") and the mode ("int8-dynamic")."""
    out = {}
    for step in _steps(report, "quantize"):
        label = step["name"][len("quantize"):].strip()
        for key in (label, step["result"].get("mode")):
            if key:
                out.setdefault(key, step["result"])
    return out


def _quantize_of(row: dict, quantized: dict) -> tuple:
    """(label, result) of the quantize step that made the benchmarked variant ``row``, else (None, None)."""
    words = row.get("name", "").replace("(", " ").replace(")", " ").split()
    for key, result in quantized.items():
        if key in words or key == row.get("name"):
            return key, result
    return None, None


def _validation(report: dict) -> Optional[dict]:
    for s in _steps(report, "validate"):
        return s["result"]
    return None


def _is_torch(row: dict) -> bool:
    return row.get("name", "").lower().startswith("pytorch")


def _fidelity(row: dict, quantized: dict, validation: Optional[dict]) -> tuple:
    """(ok, words) of a benchmarked variant: its quantize step's cosine against the dtype's floor, or, for the fp32
    export, the validation against PyTorch; (None, ...) when nothing measured it."""
    mode, q = _quantize_of(row, quantized)
    if q is not None:
        cos, floor = (q.get("fidelity") or {}).get("cosine"), q.get("floor")
        if q.get("passed") is False:
            return False, f"cosine {cos:.4f} below the {mode} floor {floor:g}"
        if isinstance(cos, (int, float)):
            return True, f"cosine {cos:.4f} against fp32" + (f" (floor {floor:g})" if floor else "")
    if validation is not None and ("fp32" in row.get("name", "") or "optimized" in row.get("name", "")):
        if validation.get("passed"):
            return True, "matches PyTorch (validation passed)"
        return False, "does not match PyTorch (validation failed)"
    return None, "fidelity not measured in this report"


def noise_warnings(report: dict) -> list:
    """One line per benchmark row whose spread is too wide to trust its p50 as the speed."""
    out = []
    for row in _bench_rows(report):
        lat = row.get("latency_ms") or {}
        p50, low, p99 = lat.get("p50"), lat.get("min"), lat.get("p99")
        if isinstance(p50, (int, float)) and isinstance(low, (int, float)) and low > 0 and p50 > NOISE_P50_OVER_MIN * low:
            out.append(f"{row['name']}: p50 {p50:.3g} ms is {p50 / low:.0f}x its fastest run ({low:.3g} ms): the runs "
                       "varied a lot (a busy machine?); measure again on a quiet machine before trusting it")
        elif isinstance(p50, (int, float)) and isinstance(p99, (int, float)) and p50 > 0 \
                and p99 > NOISE_P99_OVER_P50 * p50:
            out.append(f"{row['name']}: p99 {p99:.3g} ms is {p99 / p50:.0f}x p50 ({p50:.3g} ms): occasional slow "
                       "runs; the p50 holds, the tail is noise-bound")
    return out


def summary(report: dict) -> dict:
    """{recommended, why, speedup, size, fidelity, noise, candidates}; recommended is None without a benchmark."""
    rows = _bench_rows(report)
    quantized, validation = _quantized(report), _validation(report)
    torch = next((r for r in rows if _is_torch(r)), None)
    candidates = []
    for row in rows:
        if _is_torch(row):
            continue
        ok, words = _fidelity(row, quantized, validation)
        if row["name"] in (report.get("fidelity_steps") or {}):  # a [[gguf]]/[[openvino]]/[[mnn]] variant:
            from workbench.core.report_artifacts import fidelity, measuring_step  # its own validation

            f = fidelity(measuring_step(report, row["name"]))
            ok = f["passed"]
            words = f"cosine {f['cosine']:.4f} vs PyTorch" if f["cosine"] is not None else f["words"]
        candidates.append({"name": row["name"], "p50_ms": (row.get("latency_ms") or {}).get("p50"), "ok": ok,
                           "fidelity": words})
    good = [c for c in candidates if c["ok"] is not False and isinstance(c["p50_ms"], (int, float))]
    out = {"recommended": None, "why": "", "speedup": None, "size": None, "candidates": candidates,
           "noise": noise_warnings(report),
           "fidelity": ("PASSED" if validation.get("passed") else "FAILED") if validation else "not validated"}
    if not good:
        out["why"] = ("no variant was benchmarked" if not candidates else
                      "every benchmarked variant failed its fidelity check")
        return out
    best = min(good, key=lambda c: c["p50_ms"])
    out["recommended"] = best["name"]
    rejected = [c["name"] for c in candidates if c["ok"] is False]
    why = f"the fastest benchmarked variant ({best['p50_ms']:.3g} ms p50) whose fidelity holds: {best['fidelity']}"
    if rejected:
        why += f"; left out for fidelity: {', '.join(rejected)}"
    out["why"] = why
    if torch is not None and (torch.get("latency_ms") or {}).get("p50"):
        out["speedup"] = torch["latency_ms"]["p50"] / best["p50_ms"]
    _mode, q = _quantize_of({"name": best["name"]}, quantized)
    if q is not None:
        sizes = q.get("size_bytes") or {}
        if sizes.get("before"):
            out["size"] = {"before_mb": sizes["before"] / 1e6, "after_mb": sizes["after"] / 1e6,
                           "reduction": 1.0 - sizes["after"] / sizes["before"]}
    return out


def dynamic_axes_words(rows: list) -> list:
    """``report.dynamic_axes_rows`` as sentences: which dimension of which input may vary, which is fixed."""
    by_tensor: dict = {}
    for tensor, axis, wanted, got in rows:
        by_tensor.setdefault(tensor, []).append((axis, wanted, got))
    lines = []
    for tensor, axes in by_tensor.items():
        free = [f"axis {a} ('{got}')" for a, _w, got in axes if isinstance(got, str)]
        fixed = [f"axis {a} (asked to vary as '{w}', the file fixes it at {got})" for a, w, got in axes
                 if isinstance(got, int)]
        unread = [f"axis {a}" for a, _w, got in axes if got is None]
        parts = []
        if free:
            parts.append(f"{' and '.join(free)} can take any size")
        if fixed:
            parts.append(f"{' and '.join(fixed)}: only that size works; re-export with the axis dynamic")
        if unread:
            parts.append(f"{' and '.join(unread)} not read back from the file")
        lines.append(f"{tensor}: " + "; ".join(parts))
    return lines
