"""CPU generation table on a ~100M-parameter random Llama (hidden 768, 12 layers, 12 heads, FFN 2048, vocab 16000,
untied: 110M parameters): PyTorch eager vs ONNX Runtime (fp32 export with past; int8 dynamic and int4 weight-only
quantized from it) vs llama.cpp GGUF f16 / q8_0 / q4_0 / q4_k_m. Prompt 128 tokens, 64 new greedy tokens, batch 1,
2 threads, each variant in its own process (peak RSS is its whole footprint), through `workbench bench --generate`'s
code (core/bench/generate_bench.py). Agreement is each variant's greedy tokens vs PyTorch's.

Usage: python benchmarks/gguf_cpu_table.py [--threads 2] [--repeats 2] [--skip-ort] [--tag NAME]
       (the committed table: nice -n -10 python benchmarks/gguf_cpu_table.py, for a quieter 2-thread run)
Writes benchmarks/results/gguf_cpu_table.json and .md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
CONFIG = dict(vocab_size=16000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=12,
              num_key_value_heads=12, max_position_embeddings=512, bos_token_id=0, eos_token_id=1,
              tie_word_embeddings=False)


def build(folder: Path) -> int:
    import torch
    import transformers as tf

    sys.path.insert(0, str(ROOT / "tests" / "runtimes"))
    from gguf_fixtures import add_tiny_tokenizer

    torch.manual_seed(0)
    model = tf.LlamaForCausalLM(tf.LlamaConfig(**CONFIG)).eval()
    model.config.architectures = ["LlamaForCausalLM"]
    model.save_pretrained(str(folder))
    add_tiny_tokenizer(folder, 256)  # llama.cpp loads no vocab-less GGUF; the rest of the rows are [PADn]
    return sum(p.numel() for p in model.parameters())


def variants(folder: Path, work: Path, skip_ort: bool, log) -> list:
    from workbench import api
    from workbench.core.specs import ExportSpec, ModelSource

    out = []
    for quant in ("f16", "q8_0", "q4_0", "q4_k_m"):
        path = work / f"llama100m-{quant}.gguf"
        started = time.perf_counter()
        api.export(ExportSpec(source=ModelSource(path=str(folder)), output=str(path), target="gguf", quant=quant))
        log(f"gguf {quant}: {time.perf_counter() - started:.1f} s, {path.stat().st_size / 1e6:.1f} MB")
        out.append(path)
    if skip_ort:
        return out
    onnx_dir = work / "onnx"
    started = time.perf_counter()
    try:
        api.export(ExportSpec(source=ModelSource(path=str(folder), task="text-generation-with-past"),
                              output=str(onnx_dir)))
    except Exception as err:  # noqa: BLE001 - a failed variant is a row of the results, not the end of the run
        log(f"ORT export failed: {err}")
        return out
    fp32 = onnx_dir / "model.onnx"
    log(f"onnx fp32: {time.perf_counter() - started:.1f} s")
    out.append(fp32)
    for mode, name in (("int8-dynamic", "model-int8.onnx"), ("int4", "model-int4.onnx")):
        started = time.perf_counter()
        try:
            api.quantize(str(fp32), str(onnx_dir / name), mode=mode, min_cosine=0)
            out.append(onnx_dir / name)
            log(f"onnx {mode}: {time.perf_counter() - started:.1f} s")
        except Exception as err:  # noqa: BLE001
            log(f"ORT {mode} failed: {str(err)[:200]}")
    return out


def size_mb(path: Path) -> float:
    if path.suffix == ".onnx":  # the graph plus its external data files
        return sum(p.stat().st_size for p in path.parent.iterdir()
                   if p == path or p.name.startswith(path.name + ".") or p.name == path.stem + ".onnx_data") / 1e6
    return path.stat().st_size / 1e6


def markdown(data: dict) -> str:
    lines = [f"# ~100M random Llama on CPU: PyTorch vs ONNX Runtime vs llama.cpp ({data['date']})", "",
             f"{data['parameters'] / 1e6:.1f}M parameters; prompt {data['prompt_tokens']} tokens, {data['new_tokens']} "
             f"new greedy tokens, batch 1, {data['threads']} threads. {data['machine']}", "",
             "| variant | file MB | TTFT ms | prompt tok/s | decode p50 ms | decode p95 ms | tokens/s | peak RSS MB "
             "| greedy agreement vs PyTorch |", "|---|---|---|---|---|---|---|---|---|"]
    for r in data["rows"]:
        agree = r.get("agreement") or {}
        agree_text = "" if not agree else (f"{agree['rate'] * 100:.1f}%" + (
            "" if agree.get("first_divergence") is None else f" (diverges at {agree['first_divergence']})"))
        size = "" if r.get("size_mb") is None else f"{r['size_mb']:.1f}"
        lines.append(f"| {r['name']} | {size} | {r['ttft_ms']:.1f} | {r['prompt_tokens_per_s']:.0f} | "
                     f"{r['decode_ms']['p50']:.2f} | {r['decode_ms']['p95']:.2f} | {r['tokens_per_s']:.1f} | "
                     f"{r['peak_rss_mb']:.0f} | {agree_text} |")
    return "\n".join(lines + [""] + [f"- {n}" for n in data["notes"]]) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-ort", action="store_true")
    ap.add_argument("--tag", default="", help="results file suffix, e.g. threads1 -> gguf_cpu_table_threads1.json")
    args = ap.parse_args()
    import llama_cpp
    import onnxruntime
    import torch

    from workbench.core.bench.generate_bench import bench_generate

    conversions = []  # "gguf q8_0: 1.3 s, 116.8 MB", "onnx fp32: 32.7 s": how long each file took to write

    def log(message):
        print(message, flush=True)
        if message.startswith(("gguf ", "onnx ")):
            conversions.append(message)

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gguf-cpu-table-") as tmp:
        work = Path(tmp)
        folder = work / "llama100m"
        parameters = build(folder)
        paths = variants(folder, work, args.skip_ort, log)
        started = time.perf_counter()
        result = bench_generate([str(p) for p in paths], str(folder), prompt_tokens=128, max_new_tokens=64, batch=1,
                                threads=args.threads, repeats=args.repeats, isolated=True,
                                progress=lambda f, m: log(f"[{f * 100:5.1f}%] {m}"))
        log(f"bench: {time.perf_counter() - started:.0f} s")
        sizes = {f"llama.cpp {p.name}" if p.suffix == ".gguf" else f"ORT {p.name}": size_mb(p) for p in paths}
        sizes["PyTorch eager"] = (folder / "model.safetensors").stat().st_size / 1e6
    rows = []
    for row in result.rows:
        d = row.to_dict()
        d.pop("notes", None)
        d["size_mb"] = sizes.get(row.name)
        rows.append(d)
    data = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "parameters": parameters,
            "prompt_tokens": result.prompt_tokens, "new_tokens": result.max_new_tokens, "threads": args.threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores SHARED with other jobs (load average "
                       f"{load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end): absolute numbers are "
                       f"noisy, compare rows of one run. torch {torch.__version__}, onnxruntime "
                       f"{onnxruntime.__version__}, llama-cpp-python {llama_cpp.__version__}",
            "niceness": os.nice(0), "load_average_start": list(load), "load_average_end": list(os.getloadavg()),
            "rows": rows, "notes": list(result.notes) + [
                f"ran at niceness {os.nice(0)} (`nice -n -10` raises its priority over the other jobs); load average "
                f"1/5/15 min {'/'.join(f'{x:.2f}' for x in load)} at the start, "
                f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())} at the end",
                "llama.cpp runs with its default f16 KV cache here (what a deployment runs; `bench --kv-cache f32` "
                "changes it): its agreement column is not the file's alone (gguf_validate.md measures that)",
                "PyTorch eager's file is its fp32 safetensors; ORT sizes include external data",
                "conversion times in this run: " + "; ".join(conversions) + " (GGUF K-quants: f16 first, then "
                "llama.cpp's quantizer; ONNX int8/int4 from the fp32 export with past)",
                "a random model's logits are flat (top-1 margins of a few hundredths): a quantized variant's "
                "greedy tokens drift from PyTorch's after a few steps without being wrong; see gguf_validate.md "
                "for teacher-forced agreement"]}
    RESULTS.mkdir(exist_ok=True)
    stem = "gguf_cpu_table" + (f"_{args.tag}" if args.tag else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(data))
    print(markdown(data))


if __name__ == "__main__":
    main()
