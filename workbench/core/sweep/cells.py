"""One timed cell: a benchmark of one artifact at one batch / sequence / threads / provider setting, in a spawned
child process (workbench.core.bench.isolated), so its peak memory is its own. The same function runs a local cell
and a Ray task's cell, which is why the two give the same numbers within noise.

A cell that fails is a row with ``ok: false`` and the one-line reason; the sweep goes on.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from workbench.core.errors import JobCancelled, WorkbenchError

ROW_NUMBERS = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "throughput_per_s", "peak_rss_mb", "gpu_peak_mb")


def cell_key(artifact_key: str, cell, bench: dict) -> str:
    from workbench.core.sweep.artifacts import key_of

    fields = {k: v for k, v in dataclasses.asdict(cell).items() if k not in ("model", "variant")}
    if fields.get("accelerator") is None:
        fields.pop("accelerator", None)  # keys of sweeps without GPU kinds stay as they were
    return key_of("cell", artifact_key, fields, bench)


def bench_spec(model_path: str, cell, bench: dict):
    from workbench.core.specs import BenchSpec

    return BenchSpec(model=str(model_path), provider=cell.provider, batch=cell.batch, sequence=cell.sequence,
                     threads=cell.threads, cuda_graph=cell.cuda_graph, runtime=cell.runtime,
                     iterations=bench.get("iterations", 100), warmup=bench.get("warmup", 10),
                     time_budget_s=bench.get("time_budget_s"),
                     # llama.cpp's KV cache type: that runtime's setting, so the .gguf cells only
                     runtime_options={"kv_cache": bench["kv_cache"]} if bench.get("kv_cache") is not None
                     and str(model_path).lower().endswith(".gguf") else {})


def time_cell(cell, model_path: str, bench: dict, cancel=None, timeout_s=None) -> dict:
    """The cell's numbers ({p50_ms, ..., notes}) or {ok: False, error}; a cancel raises JobCancelled."""
    from workbench.core.bench.isolated import run_isolated

    started = time.perf_counter()
    try:
        res = run_isolated(bench_spec(model_path, cell, bench), cancel=cancel, name=cell.label(),
                           timeout_s=timeout_s)
    except JobCancelled:
        raise
    except WorkbenchError as err:
        return {"ok": False, "error": err.one_line(), "seconds": round(time.perf_counter() - started, 3)}
    except Exception as err:  # noqa: BLE001 - any failure is this cell's row, the sweep goes on
        from workbench.core.errors import first_line

        return {"ok": False, "error": f"{type(err).__name__}: {first_line(err)}",
                "seconds": round(time.perf_counter() - started, 3)}
    lat = res.latency_ms or {}
    return {"ok": True, "p50_ms": lat.get("p50"), "p95_ms": lat.get("p95"), "p99_ms": lat.get("p99"),
            "mean_ms": lat.get("mean"), "throughput_per_s": res.throughput_per_s, "peak_rss_mb": res.peak_rss_mb,
            "gpu_peak_mb": res.gpu_peak_mb, "iterations": res.iterations, "provider_used": res.provider,
            "notes": list(res.notes or []), "seconds": round(time.perf_counter() - started, 3)}


def make_row(cell, artifact: dict, timing: dict, key: str, where: str) -> dict:
    row = {**dataclasses.asdict(cell), "key": key, "artifact": artifact.get("key"), "where": where}
    row.update(timing)
    row["cosine"] = artifact.get("cosine")
    row["max_rel_diff"] = artifact.get("max_rel_diff")
    row["validate_passed"] = artifact.get("validate_passed")
    if artifact.get("validate_error"):  # no fidelity: why validate could not compare it with PyTorch
        row["validate_error"] = artifact["validate_error"]
    row["size_mb"] = round(artifact["size_bytes"] / 1e6, 3) if artifact.get("size_bytes") else None
    return row


def failed_row(cell, reason: str, key: str, artifact_key=None) -> dict:
    return {**dataclasses.asdict(cell), "key": key, "artifact": artifact_key, "ok": False, "error": reason}


def save_row(folder: Path, row: dict) -> None:
    """cells/<key>.json, written whole (a reader never sees half a row); only finished rows are kept for reuse."""
    from workbench.core.fsutil import staged_output

    with staged_output(folder / f"{row['key']}.json", force=True) as path:
        path.write_text(json.dumps(row, indent=1, default=str), encoding="utf-8")


def load_row(folder: Path, key: str):
    try:
        row = json.loads((folder / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return row if row.get("ok") else None  # a failed cell runs again on the next start
