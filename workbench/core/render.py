"""Plain-text rendering of results for the terminal (the --json output is the dataclasses' to_dict())."""

from __future__ import annotations

from workbench.core import results as r


def table(headers: list, rows: list) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}"
        return f"{value:.2e}"
    return "" if value is None else str(value)


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def render_inspect(res: r.InspectResult) -> str:
    out = [f"{res.path}  [{res.format}]"]
    if res.format in ("onnx", "mnn", "openvino"):  # graphs: inputs, outputs, operators
        out.append(f"opset {res.opset}  nodes {res.node_count}  initializers {_mb(res.initializer_bytes)}"
                   if res.format == "onnx" else f"operators {res.node_count}  file {_mb(res.total_bytes)}")
        out.append(table(["input", "dtype", "shape"], [[t["name"] if isinstance(t, dict) else t.name,
                                                         *_ts(t)] for t in res.inputs]))
        out.append(table(["output", "dtype", "shape"], [[t["name"] if isinstance(t, dict) else t.name,
                                                          *_ts(t)] for t in res.outputs]))
        top = sorted(res.op_counts.items(), key=lambda kv: -kv[1])[:15]
        out.append(table(["op type", "count"], top))
    else:
        if res.parameters is not None:
            out.append(f"{res.parameters:,} parameters, {_mb(res.total_bytes)} in {len(res.tensors)} tensors")
        out.append(table(["dtype", "bytes"], [[k, _mb(v)] for k, v in res.bytes_by_dtype.items()]))
        shown = res.tensors[:20]
        out.append(table(["tensor", "dtype", "shape"], [[t["name"] if isinstance(t, dict) else t.name,
                                                          *_ts(t)] for t in shown]))
        if len(res.tensors) > len(shown):
            out.append(f"... {len(res.tensors) - len(shown)} more (use --json for all)")
        if res.format == "paddle":  # a program and its weights: the graph too
            out += [table([head, "dtype", "shape"], [[t["name"] if isinstance(t, dict) else t.name, *_ts(t)]
                                                     for t in ts]) for head, ts in (("input", res.inputs),
                                                                                    ("output", res.outputs))]
            out.append(table(["op type", "count"], sorted(res.op_counts.items(), key=lambda kv: -kv[1])[:15]))
    for problem in res.problems:
        out.append(f"problem: {problem}")
    for note in res.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def _ts(t) -> list:
    if isinstance(t, dict):
        return [t["dtype"], "x".join(str(d) for d in t["shape"])]
    return [t.dtype, "x".join(str(d) for d in t.shape)]


def render_validate(res: r.ValidateResult) -> str:
    head = f"{'PASSED' if res.passed else 'FAILED'}  (rtol {res.rtol:g}, atol {res.atol:g}; shapes tried " \
           f"{', '.join('x'.join(map(str, s)) for s in res.shapes_tried)})"
    rows = [[o.name, "x".join(map(str, o.shape)), o.max_abs_diff, o.max_rel_diff, o.cosine,
             "ok" if o.passed else "FAIL"] for o in res.outputs]
    tail = [f"note: {n}" for n in getattr(res, "notes", [])]
    tail += [f"reason: {res.outcome()[1]}"] if not res.passed else []
    tail += render_divergence(res)
    return "\n".join([head, table(["output", "shape", "max abs diff", "max rel diff", "cosine", ""], rows), *tail])


def render_divergence(res) -> list:
    d = getattr(res, "divergence", None)
    if d is None:
        checked = getattr(res, "locate_checked", 0)
        return [f"locate: no module boundary diverges ({checked} compared)"] if checked else []
    ins = ", ".join(f"{i['name']} ({i['module']}) {i['max_rel_diff']:.3g}" for i in d["inputs"]) or "none"
    region = ", ".join(f"{n['node']} ({n['op_type']})" for n in d["region"][-8:])
    return [f"first divergence: node {d['node']} ({d['op_type']}) in {d['module']}: max rel diff "
            f"{d['max_rel_diff']:.3g}, cosine {d['cosine']:.6f} ({d['candidates_checked']} compared)",
            f"  its inputs' max rel diff: {ins}", f"  nodes since those inputs: {region}"]


def render_bench(res: r.BenchResult) -> str:
    rows = [bench_row(res)] + [bench_row(t) for t in res.torch]
    notes = "\n".join(f"note: {n}" for n in res.notes)
    return table(["variant", "provider", "p50 ms", "p95 ms", "p99 ms", "mean ms", "per s", "peak RSS MB",
                  "GPU MB"], rows) + ("\n" + notes if notes else "")


def bench_row(res) -> list:
    lat = res.latency_ms
    return [res.name, res.provider, lat["p50"], lat["p95"], lat["p99"], lat["mean"], res.throughput_per_s,
            res.peak_rss_mb, res.gpu_peak_mb]


def _agreement(agree) -> str:
    if not agree:
        return ""
    first = agree.get("first_divergence")
    return f"{agree['rate'] * 100:.1f}%" + ("" if first is None else f" (diverges at {first})")


def render_generate(res: r.GenerateResult) -> str:
    lines = [res.text if res.text else "tokens: " + " ".join(map(str, res.tokens))]
    dec = res.decode_ms
    lines.append(f"[{res.runtime} {res.provider}] {len(res.tokens)} tokens from a {res.prompt_tokens}-token prompt; "
                 f"first token {res.ttft_ms:.2f} ms, decode p50 {_fmt(dec.get('p50'))} ms p95 {_fmt(dec.get('p95'))} "
                 f"ms, {res.tokens_per_s:.1f} tokens/s")
    if res.agreement:
        lines.append(f"agreement with PyTorch: {_agreement(res.agreement)}")
    lines += [f"note: {n}" for n in res.notes]
    return "\n".join(lines)


def render_generate_bench(res: r.GenerateBenchResult) -> str:
    rows = [[row.name, row.provider, row.batch, row.ttft_ms, row.prompt_tokens_per_s, row.decode_ms.get("p50"),
             row.decode_ms.get("p95"), row.tokens_per_s, row.peak_rss_mb, _agreement(row.agreement)]
            for row in res.rows]
    head = f"generation: {res.prompt_tokens}-token prompt, {res.max_new_tokens} new tokens, greedy"
    notes = "".join(f"\nnote: {n}" for n in res.notes)
    header = ["variant", "provider", "batch", "TTFT ms", "prompt tok/s", "decode p50 ms", "decode p95 ms",
              "tokens/s", "peak RSS MB", "agreement"]
    if any(row.encoder_ms is not None for row in res.rows):  # encoder-decoder: the encoder run (inside TTFT)
        header.insert(3, "encoder ms")
        for line, row in zip(rows, res.rows):
            line.insert(3, row.encoder_ms)
    return head + "\n" + table(header, rows) + notes


def render_text(res) -> str:
    if isinstance(res, r.InspectResult):
        return render_inspect(res)
    if isinstance(res, r.ValidateResult):
        return render_validate(res)
    if isinstance(res, r.BenchResult):
        return render_bench(res)
    if isinstance(res, r.ExportResult):
        extra = f" (fell back: {res.fallback_reason})" if res.fallback_reason else ""
        shapes = [f"  {kind} {n}: {' x '.join(map(str, dims)) or 'scalar'}" for kind, table in
                  (("input", res.input_shapes), ("output", res.output_shapes)) for n, dims in table.items()]
        return f"exported with the {res.exporter} exporter{extra} in {res.seconds:.1f} s:\n" + \
            "\n".join([f"  {p}" for p in res.outputs] + (["shapes in the file:"] + shapes if shapes else [])
                      + [f"note: {n}" for n in res.notes])
    if isinstance(res, r.OptimizeResult):
        rows = [[s["name"], "yes" if s["applied"] else "no", s.get("nodes_before"), s.get("nodes_after"),
                 s.get("detail", "")] for s in res.steps]
        text = f"{res.output}: {res.nodes_before} -> {res.nodes_after} nodes\n" + \
            table(["step", "applied", "before", "after", "detail"], rows)
        return text + ("\n" + render_validate(res.validation) if res.validation else "")
    if isinstance(res, r.QuantizeResult):
        f = res.fidelity
        text = (f"{res.output} [{res.mode}]: {_mb(res.size_bytes['before'])} -> {_mb(res.size_bytes['after'])}"
                f"  fidelity vs input: cosine {f.cosine:.6f}, max abs diff {f.max_abs_diff:.4g}")
        return text + _render_targeting(res.targeting) + "".join(f"\nnote: {n}" for n in res.notes)
    if isinstance(res, r.GenerateResult):
        return render_generate(res)
    if isinstance(res, r.GenerateBenchResult):
        return render_generate_bench(res)
    if isinstance(res, r.RunResult):
        lines = [f"report: {res.report_html}", f"json:   {res.report_json}"]
        lines += [f"failed: {s}" for s in res.failed]
        return "\n".join(lines)
    if isinstance(res, dict):
        import json

        return json.dumps(res, indent=2)
    return str(res)


def _render_targeting(t) -> str:
    """int8 min_cosine: the floor, the nodes kept in float32 and the most sensitive nodes."""
    if not t:
        return ""
    lines = [f"\nmin cosine {t['min_cosine']} ({t['target']}): plain int8 {t['cosine_plain']:.6f} -> "
             f"{t['cosine']:.6f}; kept in float32: {', '.join(t['kept_fp32']) or 'none'}"]
    if t.get("note"):
        lines.append(t["note"])
    lat, size = t.get("latency_ms") or {}, t.get("size_bytes") or {}
    if lat.get("ratio") and size.get("plain"):
        lines.append(f"cost: size {_mb(size['plain'])} -> {_mb(size['targeted'])}, latency p50 {lat['plain']:.3f} -> "
                     f"{lat['targeted']:.3f} ms ({lat['ratio']:.2f}x, CPU, {lat['threads']} threads)")
    for row in (t.get("sensitivity") or [])[:8]:
        lines.append(f"  {'*' if row['kept_fp32'] else ' '} {row['node']:<32} {row['op_type']:<8} "
                     f"drop {row['drop']:.2e}  {_mb(row['weight_bytes'])}")
    return "\n".join(lines)
