"""What a sweep's rows say: latency-vs-throughput curves per variant (batch as the parameter), the Pareto front of
speed against fidelity, and the configuration to recommend for a budget (max p50 latency, min cosine).

Plain functions over row dicts (cells.make_row), shared by the report writer, the CLI and the GUI's sweep view.
"""

from __future__ import annotations

from typing import Optional


def ok_rows(rows: list) -> list:
    return [r for r in rows if r.get("ok") and r.get("p50_ms") is not None]


def series_name(row: dict) -> str:
    """One curve: a model's variant at one threads / provider / runtime / sequence setting; batch varies along it."""
    parts = [row["model"], row["variant"]]
    if row.get("threads"):
        parts.append(f"{row['threads']} thr")
    if row.get("provider") != "cpu":
        parts.append(row["provider"])
    if row.get("runtime"):
        parts.append(row["runtime"])
    if row.get("cuda_graph"):
        parts.append("graph")
    if row.get("accelerator"):
        parts.append(row["accelerator"])
    parts.append(f"s{row['sequence']}")
    return " ".join(parts)


def curves(rows: list) -> dict:
    """{series: [(batch, throughput/s, p50 ms), ...] sorted by batch} over the finished cells."""
    out: dict = {}
    for r in ok_rows(rows):
        out.setdefault(series_name(r), []).append((r["batch"], r["throughput_per_s"], r["p50_ms"]))
    return {k: sorted(v) for k, v in out.items()}


def pareto(rows: list) -> list:
    """Cells no other cell beats on both throughput and fidelity (cosine vs PyTorch), per model, fastest first.
    A cell with no fidelity (validation could not run) is left out."""
    cand = [r for r in ok_rows(rows) if r.get("cosine") is not None]
    front = []
    for r in cand:
        beaten = any(o is not r and o["model"] == r["model"] and o["throughput_per_s"] >= r["throughput_per_s"]
                     and o["cosine"] >= r["cosine"] and (o["throughput_per_s"] > r["throughput_per_s"] or
                                                         o["cosine"] > r["cosine"]) for o in cand)
        if not beaten:
            front.append(r)
    return sorted(front, key=lambda r: (r["model"], -r["throughput_per_s"]))


def recommend(rows: list, max_latency_ms: Optional[float] = None, min_cosine: Optional[float] = None) -> dict:
    """{model: {"row": best row or None, "reason": why}}: the highest throughput among the cells with
    p50 <= max_latency_ms and cosine >= min_cosine (no budget given: no limit on that side)."""
    out = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in ok_rows(rows) if r["model"] == model]
        fits = [r for r in mine if (max_latency_ms is None or r["p50_ms"] <= max_latency_ms)
                and (min_cosine is None or (r.get("cosine") is not None and r["cosine"] >= min_cosine))]
        if fits:
            best = max(fits, key=lambda r: (r["throughput_per_s"], -r["p50_ms"]))
            out[model] = {"row": best, "reason": f"highest throughput of {len(fits)} of {len(mine)} finished cells "
                          f"within {budget_text(max_latency_ms, min_cosine)}"}
        else:
            out[model] = {"row": None, "reason": _why_none(mine, max_latency_ms, min_cosine)}
    return out


def budget_text(max_latency_ms, min_cosine) -> str:
    parts = []
    if max_latency_ms is not None:
        parts.append(f"p50 <= {max_latency_ms:g} ms")
    if min_cosine is not None:
        parts.append(f"cosine >= {min_cosine:g}")
    return " and ".join(parts) if parts else "no budget"


def _why_none(mine: list, max_latency_ms, min_cosine) -> str:
    if not mine:
        return "no cell of this model finished"
    fastest = min(r["p50_ms"] for r in mine)
    best_cos = max((r["cosine"] for r in mine if r.get("cosine") is not None), default=None)
    bits = []
    if max_latency_ms is not None and fastest > max_latency_ms:
        bits.append(f"the fastest p50 is {fastest:.3g} ms")
    if min_cosine is not None and (best_cos is None or best_cos < min_cosine):
        bits.append(f"the best cosine is {best_cos:.5f}" if best_cos is not None else "no cell has a fidelity")
    return (f"no cell meets {budget_text(max_latency_ms, min_cosine)}: " +
            ("; ".join(bits) if bits else "no single cell meets both") + "; relax the budget or add variants")


TABLE = ("model", "variant", "batch", "sequence", "threads", "provider", "p50 ms", "p95 ms", "p99 ms", "items/s",
         "peak MB", "cosine", "size MB", "status")


def table_rows(rows: list) -> list:
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    out = []
    for r in rows:
        status = "ok" + (" (reused)" if r.get("reused") else "") if r.get("ok") else f"FAILED: {r.get('error')}"
        out.append([r["model"], r["variant"], r["batch"], r["sequence"], r.get("threads") or "-", r["provider"],
                    num(r.get("p50_ms"), ".3f"), num(r.get("p95_ms"), ".3f"), num(r.get("p99_ms"), ".3f"),
                    num(r.get("throughput_per_s"), ".1f"), num(r.get("peak_rss_mb"), ".0f"),
                    num(r.get("cosine"), ".5f"), num(r.get("size_mb"), ".2f"), status])
    return out
