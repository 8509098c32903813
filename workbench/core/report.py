"""report.json and a self-contained report.html (tables, and latency and memory plots as embedded PNGs).

Size: just over 300 lines: each step's HTML section shares the table, escape and plot helpers; the summary and the
"Every artifact" table are report_summary.py and report_artifacts.py."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from workbench.core.fsutil import staged_output
from workbench.core.recipe_schema import VARIANT_TARGETS
from workbench.core.report_summary import dynamic_axes_words, environment, summary

CSS = """body{font:14px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;
margin:2em auto;max-width:1100px;color:#1f2430;padding:0 1em}h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #dde;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}
td,th{border:1px solid #d8dce6;padding:.3em .7em;text-align:right}th{background:#f2f4f8}
td:first-child,th:first-child{text-align:left}.ok{color:#17803d;font-weight:600}.fail{color:#c62828;font-weight:600}
.muted{color:#667}.summary{background:#f5f8fd;border:1px solid #d6e2f5;border-radius:6px;padding:.6em 1.2em}
.warn{color:#9a5b00;font-weight:600}img{max-width:100%;border:1px solid #e4e6ee;border-radius:4px;margin:.4em 0}"""


def _esc(value) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape("" if value is None else str(value))


def _shapes(shapes) -> str:
    """``[[2, 8], [3, 13]]`` -> ``2×8, 3×13``."""
    return ", ".join("×".join(map(str, s)) if isinstance(s, (list, tuple)) else str(s) for s in shapes or [])


def _cosine(value, decimals: int) -> str:
    """A cosine with enough decimals to tell 0.9999999 from 1 (``.4g`` rounds both to 1)."""
    return f"{value:.{decimals}f}" if isinstance(value, (int, float)) else _esc(value)


def _table(headers, rows) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(c if isinstance(c, str) and c.startswith("<td") else f"<td>{_esc(c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _status(ok: bool) -> str:
    return '<td class="ok">pass</td>' if ok else '<td class="fail">FAIL</td>'


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def bench_plots(rows: list) -> str:
    """Latency per iteration and peak memory per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return ""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2, 1]})
    for row in rows:
        ax1.plot(row.get("samples") or [], label=row["name"], linewidth=1)
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("latency (ms)")
    ax1.set_yscale("log")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    names = [r["name"] for r in rows]
    ax2.barh(names, [r["peak_rss_mb"] for r in rows], color="#5b8def")
    ax2.set_xlabel("peak RSS (MB)")
    ax2.invert_yaxis()
    fig.tight_layout()
    img = _png(fig)
    plt.close(fig)
    return img


def _step_html(step: dict) -> str:
    name, res = step["name"], step.get("result") or {}
    if not step["ok"] and not res:
        return f"<h2>{_esc(name)}</h2><p class='fail'>{_esc(step['error'])}</p>"
    seconds = step.get("seconds")
    timing = f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "done in the workbench window"
    out = f"<h2>{_esc(name)}</h2><p class='muted'>{_esc(timing)}</p>"
    if "prompts" in res:  # a .gguf validated in llama.cpp on real prompts (the main export's or a [[gguf]]'s)
        return out + _gguf_validate_html(res)
    variant = name.split(" ", 1)[0] in VARIANT_TARGETS  # a [[gguf]] / [[openvino]] / [[mnn]] export
    if name == "export" or variant:
        out += _table(["file"], [[p] for p in res["outputs"]])
        fb = f" (fell back: {res['fallback_reason']})" if res.get("fallback_reason") else ""
        out += f"<p>exporter <b>{_esc(res['exporter'])}</b>{_esc(fb)}, opset {_esc(res.get('opset'))}, " \
               f"dtype {_esc(res['dtype'])}</p>"
        shapes = [[kind, n, " x ".join(map(str, dims))] for kind, key in (("input", "input_shapes"),
                  ("output", "output_shapes")) for n, dims in (res.get(key) or {}).items()]
        if shapes:
            out += _table(["", "name", "shape in the file"], shapes)
        if variant:
            return out + "".join(f"<p class='muted'>{_esc(n)}</p>" for n in res.get("notes") or [])
        out += _dynamic_axes_html(res)
        if res.get("family_settings"):
            out += f"<p class='muted'>family settings applied: {_esc(res['family_settings'].get('load_kwargs'))}" \
                   f" — {_esc(res['family_settings'].get('why', ''))}</p>"
    elif name == "validate" or (name == "optimize" and res.get("validation")):
        val = res if name == "validate" else res["validation"]
        if name == "optimize":
            out += _optimize_html(res)
        out += f"<p>{'<span class=ok>PASSED</span>' if val['passed'] else '<span class=fail>FAILED</span>'} " \
               f"at shapes {_esc(_shapes(val['shapes_tried']))} (rtol {_esc(val['rtol'])})</p>"
        out += _table(["output", "shape", "max abs diff", "max rel diff", "cosine", ""],
                      [[o["name"], _shapes([o["shape"]]), o["max_abs_diff"], o["max_rel_diff"],
                        _cosine(o["cosine"], 7), _status(o["passed"])] for o in val["outputs"]])
    elif name == "optimize":
        out += _optimize_html(res)
    elif name.startswith("quantize"):
        f = res["fidelity"]
        out += _table(["mode", "size before (MB)", "size after (MB)", "ratio", "cosine", "max abs diff"],
                      [[res["mode"], res["size_bytes"]["before"] / 1e6, res["size_bytes"]["after"] / 1e6,
                        res["size_bytes"]["after"] / max(res["size_bytes"]["before"], 1), _cosine(f["cosine"], 4),
                        f["max_abs_diff"]]])
    elif name == "bench":
        rows = res.get("rows", [])
        out += _table(["variant", "provider", "p50 ms", "p95 ms", "p99 ms", "mean ms", "per s", "peak RSS MB",
                       "GPU MB"], [[r["name"], r["provider"], r["latency_ms"]["p50"], r["latency_ms"]["p95"],
                                    r["latency_ms"]["p99"], r["latency_ms"]["mean"], r["throughput_per_s"],
                                    r["peak_rss_mb"], r.get("gpu_peak_mb")] for r in rows])
        out += "".join(f"<p class='fail'>{_esc(f['name'])}: {_esc(f['error'])}</p>" for f in res.get("failed", []))
        whose: dict = {}  # note -> the rows that have it: a note of some rows only names them
        for r in rows:
            for n in r.get("notes", []):
                whose.setdefault(n, []).append(r["name"])
        out += "".join(f"<p class='muted'>note{'' if len(names) == len(rows) else ' (' + ', '.join(names) + ')'}: "
                       f"{_esc(n)}</p>" for n, names in sorted(whose.items()))
        out += bench_plots(rows)
    return out


def _gguf_validate_html(res: dict) -> str:
    verdict = '<span class=ok>PASSED</span>' if res["passed"] else '<span class=fail>FAILED</span>'
    out = f"<p>{verdict} in {_esc(res.get('runtime'))} ({_esc(res.get('precision'))}, {_esc(res.get('kind'))}) " \
          f"against PyTorch on {len(res['prompts'])} prompts, tolerance {_esc(res.get('tolerance'))}</p>"
    decoder = res.get("kind") == "decoder"
    head = ["prompt", "tokens", "cosine min", "max abs diff"] + (["top-1 agreement"] if decoder else []) + [""]
    return out + _table(head, [[r["prompt"][:40], r.get("tokens"), _cosine(r["cosine_min"], 6), r.get("max_abs")]
                               + ([r.get("top1_agreement")] if decoder else []) + [_status(r["passed"])]
                               for r in res["prompts"]])


def _artifacts_html(report: dict) -> str:
    """The one table of every artifact (report_artifacts): size, fidelity against PyTorch, speed, memory."""
    from workbench.core.report_artifacts import artifacts

    rows = report.get("artifacts")
    rows = artifacts(report) if rows is None else rows
    if not rows:
        return ""
    cells = []
    for r in rows:
        f = r["fidelity"]
        check = "<td class='muted'>-</td>" if f["passed"] is None else _status(bool(f["passed"]))
        against = f" ({_esc(f['against'])})" if f.get("against") and f["against"] != "PyTorch" else ""
        cos = _cosine(f["cosine"], 6) + against if f["cosine"] is not None else _esc(f["words"])
        speed = [r["p50_ms"], r["p95_ms"], r["throughput_per_s"], r["peak_rss_mb"]]
        if r.get("bench_error") and r["p50_ms"] is None:
            speed = [f"<td class='fail' colspan=4>{_esc(r['bench_error'])}</td>"]
        cells.append([r["name"], r["runtime"], r["size_mb"], f"<td>{cos}</td>",
                      "-" if f["top1"] is None else f"{f['top1']:.3f}", check, *speed])
    # how a row's batch ran where it was not one batched run (llama.cpp: the sequences one after another)
    how = "".join(f"<p class='muted'>{_esc(r['name'])}: {_esc(r['speed_note'])}</p>" for r in rows
                  if r.get("speed_note"))
    return "<h2>Every artifact</h2>" + _table(["artifact", "runtime", "size MB", "cosine vs PyTorch",
                                               "top-1 agreement", "fidelity", "p50 ms", "p95 ms", "per s",
                                               "peak RSS MB"], cells) + how


def dynamic_axes_rows(res: dict) -> list:
    """``[(tensor, axis, requested name, read back)]`` of an export's dynamic axes: what was asked for, against the
    dimension the written file has there (a name: dynamic; a number: the exporter fixed it; None: not read)."""
    shapes = {**(res.get("output_shapes") or {}), **(res.get("input_shapes") or {})}
    rows = []
    for tensor, axes in (res.get("dynamic_axes") or {}).items():
        dims = shapes.get(tensor)
        for axis, wanted in sorted((axes or {}).items(), key=lambda kv: int(kv[0])):
            i = int(axis)
            got = dims[i] if isinstance(dims, list) and -len(dims) <= i < len(dims) else None
            rows.append((tensor, i, wanted, got))
    return rows


def _dynamic_axes_html(res: dict) -> str:
    rows = dynamic_axes_rows(res)
    if not rows:
        return "<p>dynamic axes: none (every dimension is fixed)</p>"
    cells = []
    for tensor, axis, wanted, got in rows:
        if got is None:
            read = "<td class='muted'>not read back</td>"
        elif isinstance(got, int):
            read = f"<td class='fail'>fixed at {_esc(got)}</td>"
        else:
            read = f"<td class='ok'>{_esc(got)}</td>"
        cells.append([tensor, axis, wanted, read])
    words = "".join(f"<li>{_esc(line)}</li>" for line in dynamic_axes_words(rows))
    return "<h3>Dynamic axes</h3>" + f"<ul>{words}</ul>" + _table(["input", "axis", "requested", "in the file"],
                                                                    cells)


def _summary_html(report: dict) -> str:
    """The recommendation, speed-up, size and fidelity verdict, and the noise warnings (report_summary)."""
    s = summary(report)
    items = []
    if s["recommended"]:
        items.append(f"<li><b>Recommended: {_esc(s['recommended'])}</b> — {_esc(s['why'])}</li>")
    else:
        items.append(f"<li>No recommendation: {_esc(s['why'])}</li>")
    if s["speedup"] is not None:
        noisy = any(w.lower().startswith("pytorch") for w in s["noise"])
        caveat = " <span class='warn'>(PyTorch's own runs were noisy: see below)</span>" if noisy else ""
        items.append(f"<li>Speed-up against PyTorch (p50): <b>{s['speedup']:.2f}x</b>{caveat}</li>")
    if s["size"]:
        z = s["size"]
        items.append(f"<li>Size: {z['before_mb']:.1f} MB → {z['after_mb']:.1f} MB "
                     f"(<b>{100 * z['reduction']:.0f}% smaller</b>)</li>")
    elif s["recommended"]:
        items.append("<li>Size: that of the fp32 export (the recommended variant is not quantized)</li>")
    verdict = s["fidelity"]
    cls = "ok" if verdict == "PASSED" else "fail" if verdict == "FAILED" else "muted"
    items.append(f"<li>Fidelity against PyTorch: <span class='{cls}'>{_esc(verdict)}</span></li>")
    items += [f"<li class='warn'>Noisy measurement: {_esc(w)}</li>" for w in s["noise"]]
    return f"<div class='summary'><h2>Summary</h2><ul>{''.join(items)}</ul></div>"


def _environment_html(env: dict) -> str:
    if not env:
        return ""
    memory = f"{env['memory_gb']:.1f} GB" if isinstance(env.get("memory_gb"), (int, float)) else "?"
    rows = [["system", env.get("system")], ["processor", f"{env.get('processor')} ({env.get('cpus')} logical CPUs)"],
            ["memory", memory], ["python", env.get("python")]]
    rows += [[name, version] for name, version in (env.get("libraries") or {}).items()]
    return "<h2>Machine and libraries</h2>" + _table(["", "version"], rows)


def step_entry(name: str, result, seconds=None) -> dict:
    """One step of a report from a finished job's result (what ``workbench run`` records per step): ok and the
    reason when the result says it failed (e.g. a FAILED validation), its ``to_dict()``, and the time it took."""
    ok, reason = result.outcome() if hasattr(result, "outcome") else (True, None)
    if seconds is None:
        seconds = getattr(result, "seconds", None)
    entry = {"name": name, "ok": ok, "seconds": seconds,
             "result": result.to_dict() if hasattr(result, "to_dict") else result}
    if not ok:
        entry["error"] = reason
    return entry


def session_report(name: str, source: str, steps: list, started=None) -> dict:
    """A report of steps run one by one (the GUI's panels, each a finished job), laid out like the one
    ``run_pipeline`` writes, so that :func:`write_report` renders both the same way. ``steps`` is
    ``[step_entry(...)]`` in pipeline order; nothing is run again."""
    import time

    failed = [f"{s['name']}: {s.get('error')}" for s in steps if not s["ok"]]
    return {"recipe": None, "name": name, "source": source, "steps": list(steps), "failed": failed,
            "started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "built_from": "session"}


def _optimize_html(res: dict) -> str:
    return f"<p>{res['nodes_before']} → {res['nodes_after']} nodes</p>" + _table(
        ["step", "applied", "nodes before", "nodes after", "detail"],
        [[s["name"], "yes" if s["applied"] else "no", s.get("nodes_before"), s.get("nodes_after"),
          s.get("detail", "")] for s in res["steps"]])


def render_html(report: dict) -> str:
    failed = "".join(f"<li class='fail'>{_esc(f)}</li>" for f in report.get("failed", []))
    body = "".join(_step_html(s) for s in report["steps"])
    if report.get("built_from") == "session":
        when = _esc(f"built {report.get('finished')} from the steps finished in the workbench window")
    else:
        when = f"{_esc(report.get('started'))} → {_esc(report.get('finished'))}"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(report['name'])} — Model Workbench"
            f"</title><style>{CSS}</style></head><body><h1>{_esc(report['name'])}</h1>"
            f"<p class='muted'>source {_esc(report['source'])} · {when}</p>" +
            (f"<ul>{failed}</ul>" if failed else "") + _summary_html(report) + _artifacts_html(report) + body +
            _environment_html(report.get("environment") or {}) + "</body></html>")


def write_report(report: dict, out_dir: Path, force: bool = False, inputs=()) -> tuple[Path, Path]:
    """Write report.json and report.html into ``out_dir`` (replacing files of the user's only with ``force``)."""
    out_dir = Path(out_dir)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    report.setdefault("environment", environment())  # the machine that measured (or that built the report)
    with staged_output(json_path, force=force, inputs=inputs) as p:
        p.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    with staged_output(html_path, force=force, inputs=inputs) as p:
        p.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path


def write_session_report(report: dict, out_dir, force: bool = False, inputs=(), progress=None, cancel=None):
    """Write a :func:`session_report` into ``out_dir`` (made when missing; refused inside the source folder, like a
    recipe's output folder): report.json and report.html, nothing half-written on failure. Returns a RunResult
    naming them."""
    from workbench.core.fsutil import output_folder
    from workbench.core.results import RunResult

    if progress is not None:
        progress(0.0, "writing the report")
    with output_folder(out_dir, inputs=inputs) as out:
        json_path, html_path = write_report(report, out, force=force, inputs=inputs)
    if progress is not None:
        progress(1.0, "done")
    return RunResult(output_dir=str(out), report_json=str(json_path), report_html=str(html_path),
                     steps=[s["name"] for s in report["steps"]], failed=list(report.get("failed") or []))
