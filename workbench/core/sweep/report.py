"""The sweep's report: sweep.json (every row, the Pareto front, the recommendation) and a self-contained
sweep.html (the table, latency-vs-throughput curves per model, the Pareto plot), written whole (staged)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from workbench.core.report import CSS, _png, _table
from workbench.core.sweep import summary as s


def build_report(meta: dict, rows: list, max_latency_ms=None, min_cosine=None) -> dict:
    rec = s.recommend(rows, max_latency_ms, min_cosine)
    return {**meta, "rows": rows, "failed": [f"{r['model']} {r['variant']} b{r['batch']} s{r['sequence']} "
                                             f"t{r.get('threads') or '-'}: {r.get('error')}"
                                             for r in rows if not r.get("ok")],
            "budget": {"max_latency_ms": max_latency_ms, "min_cosine": min_cosine},
            "pareto": [r["key"] for r in s.pareto(rows)],
            "recommendation": {m: {"key": v["row"]["key"] if v["row"] else None, "reason": v["reason"]}
                               for m, v in rec.items()}}


def _plots(rows: list) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in s.ok_rows(rows)))
    if not models:
        return ""
    fig, axes = plt.subplots(len(models), 2, figsize=(11, 4.2 * len(models)), squeeze=False)
    front = {r["key"] for r in s.pareto(rows)}
    for i, model in enumerate(models):
        ax = axes[i][0]
        for name, points in s.curves([r for r in rows if r["model"] == model]).items():
            ax.plot([p[1] for p in points], [p[2] for p in points], marker="o", label=name[len(model) + 1:])
            for b, x, y in points:
                ax.annotate(f"b{b}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set(title=f"{model}: latency vs throughput (batch along each curve)", xlabel="items/s",
               ylabel="p50 ms")
        ax.legend(fontsize=7)
        ax = axes[i][1]
        mine = [r for r in s.ok_rows(rows) if r["model"] == model and r.get("cosine") is not None]
        ax.scatter([r["throughput_per_s"] for r in mine], [r["cosine"] for r in mine], s=14, c="#8899bb")
        best = sorted((r for r in mine if r["key"] in front), key=lambda r: r["throughput_per_s"])
        ax.plot([r["throughput_per_s"] for r in best], [r["cosine"] for r in best], "o-", c="#c62828",
                label="Pareto front")
        for r in best:
            ax.annotate(f"{r['variant']} b{r['batch']}", (r["throughput_per_s"], r["cosine"]), fontsize=7,
                        xytext=(3, -9), textcoords="offset points")
        ax.set(title=f"{model}: speed vs fidelity", xlabel="items/s", ylabel="cosine vs PyTorch")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return f'<img alt="sweep curves" src="data:image/png;base64,{_png(fig)}">'


def render_html(report: dict) -> str:
    rows = report["rows"]
    by_key = {r["key"]: r for r in rows}
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{esc(report['name'])} sweep</title><style>{CSS}</style>",
             f"<h1>Sweep: {esc(report['name'])}</h1>",
             f"<p class='muted'>{len(rows)} cells, {sum(1 for r in rows if r.get('ok'))} finished, "
             f"{len(report['failed'])} failed; cluster {esc(report.get('cluster', 'local'))}; "
             f"wall {report.get('wall_s', 0):.1f} s (builds {report.get('build_s', 0):.1f} s, timed cells "
             f"{report.get('timed_s', 0):.1f} s); {esc(report.get('machine', ''))}</p>",
             "<h2>Recommendation</h2><ul>"]
    for model, rec in report["recommendation"].items():
        r = by_key.get(rec["key"])
        what = (f"<b>{esc(r['variant'])}</b>, batch {r['batch']}, sequence {r['sequence']}, threads "
                f"{r.get('threads') or '-'}, {esc(r['provider'])}: p50 {r['p50_ms']:.3f} ms, "
                f"{r['throughput_per_s']:.1f} items/s, cosine {r['cosine'] if r.get('cosine') is None else round(r['cosine'], 5)}"
                if r else "none")
        parts.append(f"<li>{esc(model)}: {what} <span class='muted'>({esc(rec['reason'])})</span></li>")
    parts.append("</ul><h2>Curves and Pareto front</h2>" + _plots(rows))
    parts.append("<h2>Pareto front (throughput against cosine)</h2>" +
                 _table(s.TABLE, s.table_rows([by_key[k] for k in report["pareto"]])))
    parts.append("<h2>Every cell</h2>" + _table(s.TABLE, s.table_rows(rows)))
    return "\n".join(parts)


def write_report(report: dict, out: Path) -> tuple[Path, Path]:
    from workbench.core.fsutil import staged_output

    paths = out / "sweep.json", out / "sweep.html"
    with staged_output(paths[0], force=True) as p:
        p.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    with staged_output(paths[1], force=True) as p:
        p.write_text(render_html(report), encoding="utf-8")
    return paths
