"""Issue 13's decoder measurement: a ~100M-parameter random Llama exported once as a KV-cache decoder
(``--task text-generation-with-past``), converted by the openvino and mnn targets (and gguf f16 / q8_0 / q4_k_m for
llama.cpp: the folder gets a 32000-token byte-level BPE, since llama.cpp loads no GGUF without a vocab), then
``workbench.api.bench_generate`` (what ``workbench bench --generate`` runs: each variant in its own process, so peak
RSS is its own) on PyTorch eager, ONNX Runtime, OpenVINO, MNN and llama.cpp from the same prompt ids: TTFT, decode
ms/token p50/p95, tokens/s, peak RSS, and greedy agreement with PyTorch, at batch 1 and N (llama.cpp: batch 1).

    nice -n -5 python benchmarks/edge_decoder_generate.py [--threads 2] [--new-tokens 32] [--batch 4] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from minilm_cpu import machine_info  # noqa: E402
from mnn import machine_lines  # noqa: E402

CONFIG = dict(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=8, num_attention_heads=12,
              num_key_value_heads=4, max_position_embeddings=1024, bos_token_id=1, eos_token_id=2)
GGUF_QUANTS = ("f16", "q8_0", "q4_k_m")  # q4_k_m through llama.cpp's own quantizer (llama-cpp-python)


def build(folder: Path) -> int:
    import torch
    import transformers as tf

    sys.path.insert(0, str(ROOT / "tests" / "runtimes"))
    from gguf_fixtures import add_tiny_tokenizer

    torch.manual_seed(0)
    model = tf.LlamaForCausalLM(tf.LlamaConfig(**CONFIG))
    model.config.architectures = ["LlamaForCausalLM"]
    model.eval().save_pretrained(str(folder), safe_serialization=True)
    # every id of the vocab a real token (the prompts are random ids): the gguf target refuses a folder without one
    add_tiny_tokenizer(folder, CONFIG["vocab_size"])
    return sum(p.numel() for p in model.parameters())


def artifacts(src: Path, work: Path) -> tuple[dict, dict, dict]:
    """({label: path}, {label: export seconds}, {label: failure line}) for the ONNX, IR, .mnn and .gguf files
    (label "gguf f16" etc.)."""
    import pytest

    from workbench import api
    from workbench.core.export import torch_onnx
    from workbench.core.specs import ExportSpec, ModelSource

    source = ModelSource(str(src), task="text-generation-with-past")
    paths, seconds, failed = {}, {}, {}
    t = time.perf_counter()
    onnx = api.export(ExportSpec(source=source, output=str(work / "onnx" / "model.onnx")))
    paths["onnx"], seconds["onnx"] = onnx.path, round(time.perf_counter() - t, 1)
    todo = [("openvino", "openvino", "model.xml", None), ("mnn", "mnn", "model.mnn", None)]
    todo += [(f"gguf {q}", "gguf", f"model.{q}.gguf", q) for q in GGUF_QUANTS]
    for label, target, name, quant in todo:
        t = time.perf_counter()
        try:
            with pytest.MonkeyPatch.context() as mp:  # the targets' ONNX step is the export above
                mp.setattr(torch_onnx, "export_onnx", lambda spec, **kw: onnx)
                extra = {"quant": quant} if quant else {}
                spec = ExportSpec(source=ModelSource(str(src), task=None if target == "gguf" else source.task),
                                  output=str(work / target / name), target=target, **extra)
                paths[label] = api.export(spec).outputs[0]
            seconds[label] = round(time.perf_counter() - t, 1)
        except Exception as err:  # noqa: BLE001 - a target that fails is a row saying so
            from workbench.core.errors import first_line

            failed[label] = first_line(err)[:300]
    return paths, seconds, failed


def markdown(report: dict) -> str:
    lines = [f"# A ~100M random Llama generating in PyTorch, ONNX Runtime, OpenVINO, MNN and llama.cpp", "",
             f"`{report['command']}`. {report['model']} ({report['parameters'] / 1e6:.1f}M parameters, fp32; "
             "llama.cpp runs its f16, q8_0 and q4_k_m GGUFs, the folder given a 32000-token byte-level BPE "
             "tokenizer: llama.cpp loads no GGUF without a vocab). Exported once with `--task text-generation-with-past`; the IR and the "
             ".mnn converted from that export by the workbench's targets; then `workbench.api.bench_generate` "
             f"(each variant in its own process): a {report['prompt_tokens']}-token prompt, "
             f"{report['new_tokens']} new tokens, greedy, {report['threads']} threads, batch 1 and "
             f"{report['batch']} (llama.cpp holds one sequence: its batch rows are the sequences one after "
             "another, see the notes). Agreement: the share of greedy tokens equal to "
             "PyTorch's at the same batch (mean over its sequences), and the first new token that differs.", "",
             "| variant | batch | TTFT ms | decode p50 ms | decode p95 ms | tokens/s | peak RSS MB | agreement |",
             "|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        a = r.get("agreement")
        agree = "" if a is None else f"{a['rate']:.0%}" + ("" if a.get("first_divergence") is None else
                                                          f" (differs from token {a['first_divergence']})")
        lines.append(f"| {r['name']} | {r['batch']} | {r['ttft_ms']:.1f} | {r['decode_ms']['p50']:.2f} | "
                     f"{r['decode_ms']['p95']:.2f} | {r['tokens_per_s']:.1f} | {r['peak_rss_mb']:.0f} | {agree} |")
    lines += ["", "Files: " + ", ".join(f"{k} {v} MB" for k, v in report["file_mb"].items()) + "; conversion s: "
              + ", ".join(f"{k} {v}" for k, v in report["export_s"].items())]
    lines += [f"- {k} failed: {v}" for k, v in report["failed"].items()]
    lines += [f"- note: {n}" for n in report["notes"]]
    return "\n".join(lines + machine_lines(report, report["libraries"])) + "\n"


def main() -> int:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--prompt-tokens", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--render", action="store_true", help="rewrite the .md from the existing .json")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the .json and .md (trial runs: not "
                                                                 "benchmarks/results)")
    args = parser.parse_args()
    out = args.out
    if args.render:
        report = json.loads((out / "edge_decoder_generate.json").read_text())
        (out / "edge_decoder_generate.md").write_text(markdown(report))
        return 0
    report = {"machine": machine_info(), "date": time.strftime("%Y-%m-%d %H:%M"), "threads": args.threads,
              "command": f"nice -n {os.nice(0)} python benchmarks/edge_decoder_generate.py --threads {args.threads} "
                         f"--new-tokens {args.new_tokens} --prompt-tokens {args.prompt_tokens} --batch {args.batch}",
              "new_tokens": args.new_tokens,
              "prompt_tokens": args.prompt_tokens, "batch": args.batch,
              "model": "random Llama: 8 layers, hidden 768, 12 heads / 4 KV heads, MLP 2048, vocab 32000"}
    started = time.perf_counter()
    from workbench import api

    with tempfile.TemporaryDirectory(prefix="edge-decoder-") as tmp:
        work = Path(tmp)
        report["parameters"] = build(work / "src")
        paths, report["export_s"], report["failed"] = artifacts(work / "src", work)
        report["file_mb"] = {k: round((Path(p).stat().st_size if k.startswith("gguf") else  # one file each
                                       sum(f.stat().st_size for f in Path(p).parent.iterdir()
                                           if f.suffix in (".onnx", ".data", ".xml", ".bin", ".mnn"))) / 1e6, 1)
                             for k, p in paths.items()}
        options = dict(prompt_tokens=args.prompt_tokens, max_new_tokens=args.new_tokens, batch=args.batch,
                       threads=args.threads, repeats=2, isolated=True)
        result = api.bench_generate([paths[k] for k in ("onnx", "openvino", "mnn") if k in paths],
                                    str(work / "src"), **options)
        report["rows"] = [r.to_dict() for r in result.rows]
        report["notes"] = list(result.notes)
        ggufs = [paths[k] for k in paths if k.startswith("gguf")]
        if ggufs:  # on their own: a GGUF llama.cpp refuses is these rows' failure, not the run's
            try:
                gguf = api.bench_generate(ggufs, str(work / "src"), **options)
                report["rows"] += [r.to_dict() for r in gguf.rows if r.name != "PyTorch eager"]
                report["notes"] += [n for n in gguf.notes if n not in report["notes"]]
            except Exception as err:  # noqa: BLE001
                from workbench.core.errors import first_line

                report["failed"]["gguf (llama.cpp)"] = first_line(err)[:300]
    report["seconds"] = time.perf_counter() - started
    report["machine"]["load_average_at_end"] = list(os.getloadavg())
    report["libraries"] = {n: version(n) for n in ("openvino", "mnn", "llama-cpp-python")}
    out.mkdir(parents=True, exist_ok=True)
    (out / "edge_decoder_generate.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    (out / "edge_decoder_generate.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
