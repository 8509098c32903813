"""`workbench sweep`: plan the artifacts and cells, build what the cache lacks, time every cell not yet finished,
and write the report.

The output folder holds ``plan.json`` (every cell, written first: the GUI's sweep view reads it to show the
sweep live), ``cells/<key>.json`` (one per cell as it finishes), ``artifacts/`` (the build cache, unless
``cache`` names another folder, e.g. one every Ray node mounts) and ``sweep.json`` + ``sweep.html``. Nothing
finished is thrown away: a stopped sweep, started again, reuses every artifact and every finished cell.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import threading
import time
from pathlib import Path
from typing import NamedTuple, Optional

from workbench.core.errors import WorkbenchError
from workbench.core.jobs import no_progress
from workbench.core.sweep import cells as C

OURS = "plan.json"


class Todo(NamedTuple):
    cell: object
    key: str
    model_path: str
    artifact: dict


@dataclasses.dataclass
class SweepResult:
    output_dir: str
    report_json: str
    report_html: str
    cells: int
    finished: int
    reused: int
    failed: list
    recommendation: dict
    wall_s: float
    cluster: str
    rows: list = dataclasses.field(default_factory=list)  # every cell's row, in the plan's order

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["ok"], data["reason"] = self.outcome()
        return data

    def outcome(self) -> tuple:
        if not self.failed:
            return True, None
        return False, f"{len(self.failed)} of {self.cells} cells failed (their rows are in the report): " + \
            "; ".join(self.failed[:3]) + ("; ..." if len(self.failed) > 3 else "")

    def __str__(self) -> str:
        from workbench.core.render import table
        from workbench.core.sweep.summary import TABLE, table_rows

        lines = [table(list(TABLE), table_rows(self.rows)), "",
                 f"report: {self.report_html}", f"json:   {self.report_json}",
                 f"{self.finished} of {self.cells} cells finished ({self.reused} reused), {len(self.failed)} failed,"
                 f" {self.wall_s:.1f} s on {self.cluster}"]
        for model, rec in self.recommendation.items():
            lines.append(f"recommended for {model}: {rec}")
        return "\n".join(lines + [f"failed: {f}" for f in self.failed])


def _folder(out: Path, force: bool) -> Path:
    from workbench.core.fsutil import check_folder

    real = check_folder(out, "sweep output folder")
    if real.is_dir() and any(real.iterdir()) and not (real / OURS).is_file() and not force:
        raise WorkbenchError(f"{real} holds files that are not a sweep's",
                             "give a new or empty folder (-o DIR), or the folder of an earlier run of this sweep")
    real.mkdir(parents=True, exist_ok=True)
    return real


def _executor(cluster: str, jobs, artifacts: str):
    from workbench.core.sweep.ray_cluster import RayExecutor, parse_cluster

    kind, address = parse_cluster(cluster)
    if kind == "local":
        from workbench.core.sweep.local import LocalExecutor

        return LocalExecutor(jobs)
    return RayExecutor(address, jobs, artifacts)


def run_sweep(sweep, output_dir=None, *, cluster: str = "local", cache=None, jobs: Optional[int] = None,
              max_latency_ms: Optional[float] = None, min_cosine: Optional[float] = None, force: bool = False,
              artifacts: str = "shared", progress=None, cancel=None) -> SweepResult:
    from workbench.core.fsutil import staged_output
    from workbench.core.sweep.artifacts import plan_builds
    from workbench.core.sweep.report import build_report, write_report

    from workbench.core.sweep.ray_cluster import parse_cluster

    kind, _ = parse_cluster(cluster)  # a bad --cluster is refused before anything is written
    if artifacts not in ("shared", "object-store"):
        raise WorkbenchError(f"unknown --artifacts {artifacts}", "use shared or object-store")
    if artifacts == "object-store" and kind != "ray":
        raise WorkbenchError("--artifacts object-store is for --cluster ray:...", "leave it out for a local sweep")
    progress = progress or no_progress
    started = time.perf_counter()
    max_latency_ms = max_latency_ms if max_latency_ms is not None else sweep.budget.get("max_latency_ms")
    min_cosine = min_cosine if min_cosine is not None else sweep.budget.get("min_cosine")
    out = _folder(Path(output_dir or sweep.output_dir).expanduser(), force)
    cache = Path(cache).expanduser().resolve() if cache else out / "artifacts"
    cache.mkdir(parents=True, exist_ok=True)
    rows_dir = out / "cells"
    rows_dir.mkdir(exist_ok=True)
    progress(0.0, "hashing the sources")
    builds, artifact_of = plan_builds(sweep)
    cells = [(c, C.cell_key(artifact_of[(c.model, c.variant)], c, sweep.bench)) for c in sweep.cells()]
    plan = {"name": sweep.name, "sweep": str(sweep.path), "cells": [{**dataclasses.asdict(c), "key": k}
                                                                    for c, k in cells],
            "builds": len(builds), "cluster": cluster}
    with staged_output(out / OURS, force=True) as p:
        p.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    executor = _executor(cluster, jobs, artifacts)
    lock, done = threading.Lock(), [0]
    total = len(builds) + len(cells)

    def tick(text: str) -> None:
        with lock:
            done[0] += 1
            progress(min(done[0] / max(total, 1), 0.99), text)

    try:
        t0 = time.perf_counter()
        metas = executor.build(builds, cache, lambda b, m: tick(
            f"built {b.label}" + (" (cached)" if m.get("reused") else "") if m.get("ok") else
            f"build failed: {m.get('error')}"), cancel)
        build_s = time.perf_counter() - t0
        rows, todo = _split(cells, artifact_of, metas, cache, rows_dir, tick)

        def on_row(item: Todo, timing: dict, where: str) -> None:
            row = C.make_row(item.cell, item.artifact, timing, item.key, where)
            C.save_row(rows_dir, row)
            rows.append(row)
            tick(f"{item.cell.label()}: " + (f"p50 {row['p50_ms']:.3f} ms" if row.get("ok") else
                                              f"FAILED {row.get('error')}"))

        t1 = time.perf_counter()
        executor.time(todo, sweep.bench, on_row, cancel)
        timed_s = time.perf_counter() - t1
        describe = executor.describe()
    finally:
        executor.close()
    order = {k: i for i, (_, k) in enumerate(cells)}
    rows.sort(key=lambda r: order[r["key"]])
    meta = {"name": sweep.name, "sweep": str(sweep.path), "cluster": cluster, "executor": describe,
            "wall_s": time.perf_counter() - started, "build_s": build_s, "timed_s": timed_s,
            "machine": f"{platform.node()} {platform.processor() or platform.machine()} {os.cpu_count()} CPUs",
            "cache": str(cache), "bench": sweep.bench, "axes": sweep.axes}
    report = build_report(meta, rows, max_latency_ms, min_cosine)
    json_path, html_path = write_report(report, out)
    progress(1.0, "done")
    by_key = {r["key"]: r for r in rows}
    rec = {m: (_rec_text(by_key[v["key"]]) if v["key"] else v["reason"])
           for m, v in report["recommendation"].items()}
    return SweepResult(str(out), str(json_path), str(html_path), len(cells), sum(1 for r in rows if r.get("ok")),
                       sum(1 for r in rows if r.get("reused")), report["failed"], rec, meta["wall_s"], describe, rows)


def _rec_text(r: dict) -> str:
    cos = "-" if r.get("cosine") is None else f"{r['cosine']:.5f}"
    return (f"{r['variant']} batch {r['batch']} sequence {r['sequence']} threads {r.get('threads') or '-'} "
            f"{r['provider']}: p50 {r['p50_ms']:.3f} ms, {r['throughput_per_s']:.1f} items/s, cosine {cos}")


def _split(cells, artifact_of, metas, cache, rows_dir, tick) -> tuple[list, list]:
    """(rows already known: finished earlier or failed builds, cells still to time)."""
    from workbench.core.sweep.artifacts import model_path

    rows, todo = [], []
    for cell, key in cells:
        akey = artifact_of[(cell.model, cell.variant)]
        meta = metas.get(akey) or {}
        old = C.load_row(rows_dir, key)
        if old is not None:
            old["reused"] = True
            rows.append(old)
            tick(f"{cell.label()}: finished earlier")
        elif not meta.get("ok"):
            row = C.failed_row(cell, f"build failed: {meta.get('error')}", key, akey)
            C.save_row(rows_dir, row)
            rows.append(row)
            tick(f"{cell.label()}: FAILED (its build failed)")
        else:
            try:
                todo.append(Todo(cell, key, str(model_path(cache, akey)), meta))
            except WorkbenchError as err:  # e.g. its folder was removed since it was built: this cell fails
                row = C.failed_row(cell, err.one_line(), key, akey)
                C.save_row(rows_dir, row)
                rows.append(row)
    return rows, todo
