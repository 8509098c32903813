"""On the GPU machine: the GroupQueryAttention decoder (core/export/decoder_gqa.py, run by core/runtimes/ort_gqa.py:
shared KV buffer, IOBinding, CUDA graph decode step, last-position logits) against PyTorch on the same random
~100M Llama as generate_gpu.py: eager fp16 and transformers' static cache + torch.compile fp16; batch 1, 8, 32;
prompt 128 tokens, 64 new, greedy. Also int4 weight-only (MatMulNBits) and the decoder without CUDA graphs.

    export PYTHONPATH=/tmp/ortgpu:$PWD && python3 benchmarks/generate_gqa_gpu.py
Writes $OUT/gqa_gpu.json after every row (results: benchmarks/results/generate_gqa_h200.{json,md}).
"""
import json, os, statistics as st, sys, time, traceback

import numpy as np
import onnxruntime as ort

ort.preload_dlls()
import onnx
import torch
import transformers as tf

from workbench.core.export.decoder_gqa import build
from workbench.core.runtimes.ort_gqa import GQADecoder

OUT = os.environ.get("OUT", "/tmp/o")
PROMPT, NEW, REPEATS = 128, 64, 5
BATCHES = [int(b) for b in os.environ.get("BATCHES", "1,8,32").split(",")]
res = {"torch": torch.__version__, "transformers": tf.__version__, "ort": ort.__version__,
       "prompt": PROMPT, "new_tokens": NEW, "repeats": REPEATS, "rows": [], "agreement": {}, "errors": {}}


def save():
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, "gqa_gpu.json"), "w").write(json.dumps(res, indent=1))


def row(name, batch, ttft, steps, extra=None):
    r = {"variant": name, "batch": batch, "ttft_ms": 1e3 * st.median(ttft),
         "decode_p50_ms": 1e3 * st.median(steps), "decode_p95_ms": 1e3 * float(np.percentile(steps, 95)),
         "tokens_per_s": batch / st.median(steps), **(extra or {})}
    res["rows"].append(r)
    print(json.dumps(r), flush=True)
    save()


def prompts(batch):
    return np.random.RandomState(batch).randint(3, 32000, (batch, PROMPT))


def bench_ort(name, path, batch, graph=True):
    d = GQADecoder(path, "cuda", cuda_graph=graph)
    p = prompts(batch)
    d.generate(p, NEW)  # warm-up (captures the graph)
    ttft, steps = [], []
    for _ in range(REPEATS):
        t = []
        toks = d.generate(p, NEW, t)
        ttft.append(t[0]), steps.extend(t[1:])
    row(name, batch, ttft, steps)
    return toks


def bench_torch(name, model, batch, static=False):
    p = torch.tensor(prompts(batch), device="cuda")
    kw = dict(do_sample=False, attention_mask=torch.ones_like(p), pad_token_id=0)
    if static:
        kw["cache_implementation"] = "static"

    def gen(n):
        torch.cuda.synchronize()
        t = time.perf_counter()
        out = model.generate(p, max_new_tokens=n, min_new_tokens=n, **kw)
        torch.cuda.synchronize()
        return time.perf_counter() - t, out

    for _ in range(2):  # warm-up (and compiles)
        gen(1), gen(NEW)
    t1 = [gen(1)[0] for _ in range(REPEATS)]
    tn = []
    for _ in range(REPEATS):
        t, out = gen(NEW)
        tn.append(t)
    step = (st.median(tn) - st.median(t1)) / (NEW - 1)
    row(name, batch, t1, [step], {"note": "decode = (t(64 new) - t(1 new)) / 63"})
    return out[:, PROMPT:].cpu().numpy()


def agree(a, b):
    same = (a == b)
    first = [int(np.argmin(r)) if not r.all() else None for r in same]
    return {"rate": float(same.mean()), "first_divergence": first}


def attempt(key, fn):
    try:
        return fn()
    except Exception as e:  # a failed variant is recorded, the others still run
        res["errors"][key] = traceback.format_exc()[-1500:]
        print("FAILED", key, e, flush=True)
        save()


def main():
    torch.manual_seed(0)
    cfg = tf.LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=8,
                         num_attention_heads=12, num_key_value_heads=4, max_position_embeddings=1024)
    model = tf.LlamaForCausalLM(cfg).eval()
    model.generation_config.eos_token_id = None
    res["params"] = sum(p.numel() for p in model.parameters())
    t = time.time()
    proto = build(model, PROMPT + NEW, "float16")
    onnx.save(proto, "/tmp/gqa.onnx")
    res["build_s"] = time.time() - t
    if os.environ.get("INT4", "1") == "1":
        def q4():
            from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
            q = MatMulNBitsQuantizer(onnx.load("/tmp/gqa.onnx"), block_size=32, is_symmetric=True)
            q.process()
            q.model.save_model_to_file("/tmp/gqa_int4.onnx", False)
        attempt("int4_build", q4)
    model = model.half().cuda()
    ort_tokens = {}
    for b in BATCHES:
        ort_tokens[b] = attempt(f"ort_gqa_b{b}", lambda: bench_ort("ORT GQA fp16 + CUDA graph", "/tmp/gqa.onnx", b))
    for b in BATCHES:
        eager = attempt(f"eager_b{b}", lambda: bench_torch("PyTorch eager fp16", model, b))
        if eager is not None and ort_tokens.get(b) is not None:
            res["agreement"][f"b{b}"] = agree(ort_tokens[b], eager)
            save()
    if os.path.exists("/tmp/gqa_int4.onnx"):
        for b in BATCHES:
            q = attempt(f"int4_b{b}", lambda: bench_ort("ORT GQA int4 MatMulNBits + CUDA graph",
                                                        "/tmp/gqa_int4.onnx", b))
            if q is not None and ort_tokens.get(b) is not None:
                res["agreement"][f"int4_vs_fp16_b{b}"] = agree(q, ort_tokens[b])
    for b in BATCHES:
        attempt(f"compile_b{b}", lambda: bench_torch("PyTorch static cache + torch.compile fp16", model, b, True))
    for b in BATCHES[:1]:
        attempt(f"nograph_b{b}", lambda: bench_ort("ORT GQA fp16, no CUDA graph", "/tmp/gqa.onnx", b, False))
    res["gpu_mem_peak_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
    save()


if __name__ == "__main__":
    main()
