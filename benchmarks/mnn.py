"""MNN on this CPU: all-MiniLM-L6-v2 (real weights) and a small ResNet-style CNN, batch 1 and 8, PyTorch eager and
ONNX Runtime fp32 against MNN fp32 / fp16 weights / int8 weights.

    python benchmarks/mnn.py            # 50 timed runs after 5 warm-up runs, 2 threads
    python benchmarks/mnn.py --quick    # 10 runs, a smoke test

Each model is exported once with ``workbench.api.export`` (ONNX, dynamo); the MNN files come from that export
through the mnn target's own steps (``targets.mnn.prepare_onnx`` + ``convert_onnx``: MNNConvert, ``--fp16``,
``--weightQuantBits 8``). Every row runs in a process of its own (``compare_table``, so each peak RSS is that
runtime's whole footprint), all on the same input values; MNN at precision mode "high" (float32 compute: this CPU
has no fp16 arithmetic, so "low" would not be faster). Cosine vs PyTorch is ``workbench validate``'s (worst output,
padded positions masked) at the row's batch. Writes ``benchmarks/results/mnn.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from minilm_cpu import machine_info, minilm_folder  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
MNN_VARIANTS = (("MNN fp32", "fp32", None), ("MNN fp16 weights", "fp16", None), ("MNN int8 weights", "fp32", "int8"))


def build_cnn(folder: Path) -> Path:
    """A ResNet-style CNN (transformers ResNet, basic blocks, 4 stages, 128x128 images), random weights."""
    import torch
    import transformers as tf

    if (folder / "config.json").is_file():
        return folder
    torch.manual_seed(0)
    model = tf.ResNetForImageClassification(tf.ResNetConfig(
        num_channels=3, embedding_size=32, hidden_sizes=[32, 64, 128, 256], depths=[1, 1, 2, 1],
        layer_type="basic", num_labels=100, image_size=128))
    model.config.architectures = [type(model).__name__]
    model.eval().save_pretrained(str(folder), safe_serialization=True)
    return folder


def _mb(path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*")) / 2**20, 2)


def build(name: str, src: Path, work: Path) -> tuple[dict, dict]:
    """({row: artifact}, {row: details}) for one model."""
    from workbench import api
    from workbench.core.targets.mnn import convert_onnx, prepare_onnx

    started = time.perf_counter()
    exp = api.export(str(src), str(work / name / "model.onnx"))
    print(f"{name}: exported with {exp.exporter} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    paths = {"ORT fp32": exp.path}
    details = {"ORT fp32": {"size_mb": _mb(exp.path), "exporter": exp.exporter}}
    for row, dtype, quant in MNN_VARIANTS:
        weights = quant or dtype
        prepared = work / name / f"{weights}.prepared.onnx"
        prepare_onnx(exp.path, str(prepared), exp.dynamic_axes, weights)
        out = work / name / f"{weights}.mnn"
        started = time.perf_counter()
        try:
            convert_onnx(str(prepared), str(out), dtype, quant)
        except Exception as err:  # noqa: BLE001 - one failed variant must not lose the table
            details[row] = {"error": str(err)}
            print(f"{name} {row}: {err}", file=sys.stderr)
            continue
        paths[row] = str(out)
        details[row] = {"size_mb": _mb(out), "convert_s": round(time.perf_counter() - started, 1)}
    return paths, details


def decoder_case(work: Path, new_tokens: int = 32, threads: int = 2) -> dict:
    """A random Llama (4 layers, hidden 256, GQA) exported with --task text-generation-with-past, converted by the
    mnn target, and generated greedily in MNN, ONNX Runtime and PyTorch from the same prompt: agreement with
    PyTorch, time to first token, decode ms/token."""
    import numpy as np
    import torch
    import transformers as tf

    from workbench import api
    from workbench.core.generate_decoders import OrtDecoder, TorchDecoder, folder_settings
    from workbench.core.generate import Sampling, run_steps
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.mnn_decoder import MnnDecoder
    from workbench.core.specs import ExportSpec, ModelSource

    folder = work / "llama-src"
    if not (folder / "config.json").is_file():
        torch.manual_seed(0)
        model = tf.LlamaForCausalLM(tf.LlamaConfig(vocab_size=1000, hidden_size=256, intermediate_size=512,
                                                   num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2,
                                                   max_position_embeddings=256))
        model.config.architectures = ["LlamaForCausalLM"]
        model.eval().save_pretrained(str(folder), safe_serialization=True)
    source = ModelSource(str(folder), task="text-generation-with-past")
    onnx = api.export(ExportSpec(source=source, output=str(work / "llama" / "model.onnx")))
    started = time.perf_counter()
    mnn_path = work / "llama" / "model.mnn"
    api.export(ExportSpec(source=source, output=str(mnn_path), target="mnn", force=True))
    out = {"model": "random Llama, 4 layers, hidden 256, 8 heads / 2 KV heads, vocab 1000",
           "mnn_export_s": round(time.perf_counter() - started, 1), "new_tokens": new_tokens,
           "mnn_mb": _mb(mnn_path), "onnx_mb": _mb(onnx.path)}
    prompt = [[int(t) for t in np.random.default_rng(0).integers(3, 1000, 24)]]
    settings = folder_settings(folder)
    session = default_registry().runtime("mnn").open(mnn_path, RuntimeOptions(threads=threads))
    decoders = {"PyTorch eager": TorchDecoder(str(folder), threads=threads), "ORT fp32": OrtDecoder(onnx.path,
                threads=threads), "MNN fp32": MnnDecoder(session)}
    runs = {name: run_steps(d, prompt, new_tokens, Sampling(), settings, None, False, None)
            for name, d in decoders.items()}
    reference = runs["PyTorch eager"]["rows"][0]
    for name, run in runs.items():
        tokens = run["rows"][0]
        same = sum(a == b for a, b in zip(tokens, reference))
        out[name] = {"agreement_vs_pytorch": same / len(reference), "ttft_ms": round(run["ttft_ms"], 2),
                     "decode_ms_per_token": round(float(np.median(run["decode_ms"])), 2),
                     "tokens_per_s": round(len(tokens) / ((run["ttft_ms"] + sum(run["decode_ms"])) / 1000), 1)}
    return out


def cosines(paths: dict, src: Path, batch: int, sequence: int) -> dict:
    from workbench import api
    from workbench.core.specs import ModelSource, ValidateSpec

    out = {}
    for row, path in paths.items():
        try:
            check = api.validate(ValidateSpec(model=path, against=ModelSource(str(src)), shapes=((batch, sequence),)))
            out[row] = {"cosine": min(o.cosine for o in check.outputs), "passed": check.passed,
                        "max_rel_diff": max(o.max_rel_diff for o in check.outputs)}
        except Exception as err:  # noqa: BLE001
            out[row] = {"error": str(err)}
    return out


def markdown(report: dict) -> str:
    s, m = report["settings"], report["machine"]
    lines = ["# MNN on the CPU: MiniLM and a small CNN, PyTorch eager and ONNX Runtime fp32 vs MNN", "",
             f"{s['iterations']} timed runs after {s['warmup']} warm-up runs, {s['threads']} threads, MiniLM at "
             f"sequence {s['sequence']}, the CNN at 3x128x128; each row in a process of its own on the same input "
             "values. Peak RSS is that whole process. Cosine: `workbench validate`'s worst output vs PyTorch at "
             "the row's batch (MNN int8/fp16 are judged by their own floors there).", "",
             "| model | batch | variant | p50 ms | p95 ms | throughput/s | peak RSS MB | file MB | cosine vs PyTorch |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in report["rows"]:
        lat = row.get("latency_ms") or {}
        cos = row.get("cosine")
        lines.append(f"| {row['model']} | {row['batch']} | {row['name']} | {lat.get('p50', 0):.2f} | "
                     f"{lat.get('p95', 0):.2f} | {row.get('throughput_per_s', 0):.1f} | "
                     f"{row.get('peak_rss_mb', 0):.0f} | {row.get('size_mb', '-')} | "
                     f"{'-' if cos is None else f'{cos:.6f}'} |")
    d = report.get("decoder")
    if d:
        lines += ["", f"## The decoder case: {d['model']}", "",
                  f"Exported with `--task text-generation-with-past`, converted by `--target mnn` "
                  f"({d['mnn_mb']} MB .mnn, {d['onnx_mb']} MB .onnx), {d['new_tokens']} greedy tokens from a "
                  "24-token prompt, the KV cache fed back each step. MNN runs the decoder graph as exported "
                  "(empty past for the prefill included): no operator blocks it.", "",
                  "| runtime | agreement vs PyTorch | TTFT ms | decode ms/token (median) | tokens/s |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for name in ("PyTorch eager", "ORT fp32", "MNN fp32"):
            r = d[name]
            lines.append(f"| {name} | {r['agreement_vs_pytorch']:.0%} | {r['ttft_ms']:.2f} | "
                         f"{r['decode_ms_per_token']:.2f} | {r['tokens_per_s']:.1f} |")
    if report.get("findings"):
        lines += ["", "## Findings", ""] + [f"- {f}" for f in report["findings"]]
    failed = [f"- {k}: {v}" for k, v in report.get("failures", {}).items()]
    if failed:
        lines += ["", "Failures:", ""] + failed
    return "\n".join(lines + machine_lines(report, {"mnn": report["mnn"]}))


def machine_lines(report: dict, libraries: dict) -> list:
    """The tables' footer (the MNN and OpenVINO ones): a busy-machine warning where the load says so, the machine,
    library versions (``libraries`` beside the common ones), load and date."""
    m, lines = report["machine"], []
    load = (m.get("load_average_at_start") or [0])[0]
    if load > (m.get("usable_cores") or m["logical_cores"] or 1) * 0.75:
        lines += ["", f"**Busy machine**: the 1-minute load average was {load} on {m['usable_cores']} usable cores "
                  "when this ran (other work shares it), so every latency is inflated; compare rows, not machines."]
    lines += ["", "## Machine", "", f"- CPU: {m['cpu']} ({m['logical_cores']} logical cores, {m.get('usable_cores')} "
              f"usable), {m['memory_gb']} GB memory", f"- OS: {m['os']}, Python {m['python']}",
              "- " + ", ".join(f"{k} {v}" for k, v in {**m["versions"], **libraries}.items()),
              f"- load average at start {m['load_average_at_start']}, at end {m.get('load_average_at_end')}",
              f"- date: {report['date']}; total time {report['seconds']:.0f} s", ""]
    return lines


def main(argv=None) -> int:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--decoder-only", action="store_true", help="rerun the decoder case into an existing mnn.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.warmup = 10, 2

    from workbench.core.bench.isolated import compare_table
    from workbench.core.specs import BenchSpec, ModelSource

    if args.decoder_only:
        report = json.loads((args.out / "mnn.json").read_text())
        with tempfile.TemporaryDirectory(prefix="mnn-bench-") as tmp:
            report["decoder"] = decoder_case(args.workdir or Path(tmp), threads=args.threads)
        report["failures"].pop("decoder", None)
        report["decoder_date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        (args.out / "mnn.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        (args.out / "mnn.md").write_text(markdown(report), encoding="utf-8")
        return 0

    started = time.perf_counter()
    info = machine_info()
    rows, failures, variants = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="mnn-bench-") as tmp:
        work = args.workdir or Path(tmp)
        models = {"all-MiniLM-L6-v2": minilm_folder(), "ResNet-style CNN": build_cnn(work / "cnn-src")}
        for model, src in models.items():
            paths, details = build(model.split()[0].lower(), src, work)
            variants[model] = details
            failures.update({f"{model} {k}": v["error"] for k, v in details.items() if "error" in v})
            for batch in args.batches:
                spec = BenchSpec(model=paths["ORT fp32"], provider="cpu", batch=batch, sequence=args.sequence,
                                 iterations=args.iterations, warmup=args.warmup, threads=args.threads)
                print(f"{model} b{batch}: timing {', '.join(['PyTorch eager', *paths])}", file=sys.stderr)
                results = compare_table(paths, ModelSource(path=str(src)), spec)
                fidelity = cosines(paths, src, batch, args.sequence)
                for result in results:
                    row = {"model": model, "batch": batch, **result.to_dict()}
                    key = next((k for k in paths if result.name.endswith(Path(paths[k]).name) or
                                result.name == k), None)
                    row["variant"] = key or result.name
                    if key:
                        row["name"] = key
                        row.update(size_mb=details[key]["size_mb"], **{k: v for k, v in fidelity[key].items()})
                    rows.append(row)
                    lat = row.get("latency_ms") or {}
                    print(f"  {row['name']}: p50 {lat.get('p50', 0):.2f} ms, cosine {row.get('cosine')}",
                          file=sys.stderr)
        try:
            decoder = decoder_case(work, threads=args.threads)
        except Exception as err:  # noqa: BLE001 - reported, not lost
            decoder, failures["decoder"] = None, str(err)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "mnn": version("mnn"),
              "seconds": time.perf_counter() - started, "machine": info, "variants": variants, "rows": rows,
              "decoder": decoder, "failures": failures,
              "settings": {"iterations": args.iterations, "warmup": args.warmup, "threads": args.threads,
                           "sequence": args.sequence, "batches": args.batches, "mnn_precision_mode": "high"}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mnn.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (args.out / "mnn.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {args.out / 'mnn.json'} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
