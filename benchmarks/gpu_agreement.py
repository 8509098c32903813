"""Issue 15's agreement checks on the GPU machine, through the product path (no benchmark-only decoding code).

Part A, the 8 tiny decoder families of benchmarks/gguf_validate.py (Llama, Qwen2, Qwen3, Mistral, Gemma, Phi-3,
GPT-2, DeepSeek-V3 with MLA + MoE): ``api.export(task="text-generation-with-past")`` -> ``api.optimize(target=
"cuda", against=folder)`` (the GroupQueryAttention decoder for Llama/Mistral/Qwen2/Phi-3/Gemma, the fused fp16 graph
otherwise)
-> ``api.compare_generation(provider=...)``: greedy tokens of the optimized file against PyTorch fp32 on the same
device, 4 prompts x 16 new tokens; then ``api.bench_generate`` of the optimized file (decode ms/token at batch 1
and 8), which measures the DeepSeek-V3-shaped MoE decoder the same way as the others.

Part B, why batch 8/32 agreed 86.5%/89.3% on the random 99.5M Llama (generate_gqa_gpu.py): the fp16 GQA decoder's
greedy tokens against PyTorch fp32's, and at each row's first divergence PyTorch fp32's own logit margin between
its token and the decoder's (teacher-forced on the common prefix), beside the decoder's logit error there.

    export PYTHONPATH=/tmp/site:$PWD && python3 benchmarks/gpu_agreement.py --out $OUT      # GPU machine
    python benchmarks/gpu_agreement.py --provider cpu --families llama,gpt2 --no-part-b --out /tmp/x  # CPU check
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gguf_validate import FAMILIES, SEEDS, build_decoder  # noqa: E402

RESULT = {"rows": [], "part_b": {}, "errors": {}}


def save(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_agreement.json").write_text(json.dumps(RESULT, indent=1, default=str) + "\n", encoding="utf-8")


def family(kind: str, work: Path, provider: str, out: Path) -> None:
    import numpy as np

    from workbench import api
    from workbench.core.specs import ModelSource

    started = time.perf_counter()
    folder = build_decoder(kind, work / kind / "src", SEEDS.get(kind, 0))
    exp = api.export(ModelSource(str(folder), task="text-generation-with-past"), str(work / kind / "onnx"))
    opt = api.optimize(exp.path, str(work / kind / "cuda" / "model.onnx"), target="cuda", against=str(folder))
    vocab = json.loads((folder / "config.json").read_text())["vocab_size"]
    prompts = [list(map(int, r)) for r in np.random.RandomState(7).randint(3, vocab, (4, 12))]
    cmp = api.compare_generation(str(Path(opt.output).parent), str(folder), prompts, 16, provider=provider)
    row = {"family": kind, "provider": provider, "agreement": cmp["rate"],
           "first_divergence": [p["first_divergence"] for p in cmp["prompts"]],
           "optimize_steps": [f"{s['name']}: {s.get('detail', '')}" for s in opt.steps if s.get("applied")],
           "gqa_decoder": any(s["name"].startswith("GroupQueryAttention")
                              for s in opt.steps),
           "seconds_to_agreement": round(time.perf_counter() - started, 1)}
    try:
        bench = api.bench_generate([opt.output], None, prompt_tokens=32, max_new_tokens=32, batch=8,
                                   provider=provider, repeats=2)
        row["decode_ms"] = {f"b{r.batch}": round(r.decode_ms["p50"], 4) for r in bench.rows
                            if r.name != "PyTorch" and not getattr(r, "error", None)}
    except Exception as err:  # noqa: BLE001 - the agreement row stands without its timing
        row["decode_error"] = str(err).splitlines()[0]
    RESULT["rows"].append(row)
    print(json.dumps(row), flush=True)
    save(out)


def part_b(provider: str, out: Path, batches=(8, 32), prompt=128, new=64) -> None:
    """The 99.5M random Llama's fp16 GQA decoder against PyTorch fp32: margins at each first divergence."""
    import numpy as np
    import onnx
    import torch
    import transformers as tf

    from workbench.core.export.decoder_gqa import build
    from workbench.core.runtimes.ort_gqa import GQADecoder

    torch.manual_seed(0)
    cfg = tf.LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=8,
                         num_attention_heads=12, num_key_value_heads=4, max_position_embeddings=1024)
    model = tf.LlamaForCausalLM(cfg).eval()
    model.generation_config.eos_token_id = None
    path = Path(tempfile.mkdtemp()) / "gqa.onnx"
    onnx.save(build(model, prompt + new, "float16"), str(path))
    device = "cuda" if provider == "cuda" else "cpu"
    model = model.to(device)
    decoder = GQADecoder(path, provider)
    probe = GQADecoder(path, provider, cuda_graph=False)  # batch-1 prefills of a prefix: no graph to re-capture
    for batch in batches:
        ids = np.random.RandomState(batch).randint(3, 32000, (batch, prompt))
        got = np.asarray(decoder.generate(ids, new))
        with torch.no_grad():
            t = torch.tensor(ids, device=device)
            want = model.generate(t, attention_mask=torch.ones_like(t), max_new_tokens=new, min_new_tokens=new,
                                  do_sample=False, pad_token_id=0)[:, prompt:].cpu().numpy()
        rows = []
        for r in range(batch):
            diff = np.nonzero(got[r] != want[r])[0]
            if not len(diff):
                rows.append({"row": r, "first_divergence": None})
                continue
            k = int(diff[0])
            prefix = torch.tensor(np.concatenate([ids[r], want[r, :k]])[None], device=device)
            with torch.no_grad():
                logits = model(prefix).logits[0, -1].float().cpu().numpy()
            probe.prefill(np.concatenate([ids[r], want[r, :k]])[None])
            ours = probe.logits.numpy().astype(np.float32).reshape(-1)
            rows.append({"row": r, "first_divergence": k, "torch_token": int(want[r, k]), "ours": int(got[r, k]),
                         "torch_margin": float(logits[want[r, k]] - logits[got[r, k]]),
                         "decoder_max_abs_logit_error": float(np.abs(ours - logits).max()),
                         "decoder_pick_on_torch_prefix": int(ours.argmax())})
        RESULT["part_b"][f"b{batch}"] = {"agreement": float((got == want).mean()), "rows": rows}
        print(json.dumps({f"b{batch}": RESULT["part_b"][f"b{batch}"]["agreement"]}), flush=True)
        save(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", default="cuda")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--no-part-b", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    if args.provider == "cuda":
        import onnxruntime

        onnxruntime.preload_dlls()
        import torch

        RESULT["device"] = torch.cuda.get_device_name(0)
    from importlib.metadata import version

    RESULT["libraries"] = {n: version(n) for n in ("torch", "transformers", "onnxruntime-gpu"
                           if args.provider == "cuda" else "onnxruntime", "onnx")}
    with tempfile.TemporaryDirectory(prefix="wb-agree-") as tmp:
        for kind in args.families.split(","):
            try:
                family(kind, Path(tmp), args.provider, args.out)
            except Exception:  # noqa: BLE001 - one family's failure is a row, the others still run
                RESULT["errors"][kind] = traceback.format_exc()[-1500:]
                print("FAILED", kind, RESULT["errors"][kind], flush=True)
                save(args.out)
    if not args.no_part_b:
        try:
            part_b(args.provider, args.out)
        except Exception:  # noqa: BLE001
            RESULT["errors"]["part_b"] = traceback.format_exc()[-1500:]
            print("FAILED part B", RESULT["errors"]["part_b"], flush=True)
    save(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
