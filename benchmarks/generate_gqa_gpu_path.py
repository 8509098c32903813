"""On the GPU machine, the product path of the GQA decoder (no benchmark-only code): tiny Llama / Mistral / Qwen2
(q/k/v bias) through GQADecoder on CUDA (fp16, CUDA graph) against PyTorch fp32 greedy; then the 99.5M Llama of
generate_gqa_gpu.py through ``api.export(--task text-generation-with-past)`` -> ``api.optimize(target="cuda")``
(writes the GQA decoder) -> ``api.bench_generate(provider="cuda")`` beside PyTorch eager and the plain export;
and the GPU memory (NVML) of a process that only runs the GQA decoder, against its fp16 weights.

    export PYTHONPATH=/tmp/ortgpu:$PWD && python3 benchmarks/generate_gqa_gpu_path.py
Writes $OUT/gqa_path.json (results: benchmarks/results/generate_gqa_path_h200.{json,md}).
"""
import json, os, subprocess, sys, time, traceback

import numpy as np
import onnxruntime as ort

ort.preload_dlls()
import onnx
import torch
import transformers as tf

from workbench import api
from workbench.core.export.decoder_gqa import build
from workbench.core.runtimes.ort_gqa import GQADecoder
from workbench.core.specs import ModelSource

OUT = os.environ.get("OUT", "/tmp/o")
res = {"families": {}, "errors": {}}


def save():
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, "gqa_path.json"), "w").write(json.dumps(res, indent=1, default=str))


def families():
    common = dict(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                  num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=128)
    for kind, (c, m) in {"llama": (tf.LlamaConfig, tf.LlamaForCausalLM),
                         "mistral": (tf.MistralConfig, tf.MistralForCausalLM),
                         "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM)}.items():
        torch.manual_seed(0)
        model = m(c(**common)).eval()
        with torch.no_grad():  # trained-like margins: a sharper LM head, real q/k/v biases
            model.lm_head.weight.mul_(20)
            for n, p in model.named_parameters():
                if n.endswith("proj.bias"):
                    p.normal_(0, 0.5)
        model.generation_config.eos_token_id = None
        onnx.save(build(model, 64, "float16"), f"/tmp/{kind}.onnx")
        prompts = np.random.RandomState(0).randint(0, 512, (3, 12))
        ids = torch.tensor(prompts)
        want = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=24, do_sample=False,
                              pad_token_id=0)[:, 12:].numpy()
        got = GQADecoder(f"/tmp/{kind}.onnx", "cuda").generate(prompts, 24)
        nograph = GQADecoder(f"/tmp/{kind}.onnx", "cuda", cuda_graph=False).generate(prompts, 24)
        res["families"][kind] = {"agreement_vs_torch_fp32": float((got == want).mean()),
                                 "graph_equals_no_graph": bool((got == nograph).all())}
        print(kind, res["families"][kind], flush=True)
        save()


MEM = """
import sys, numpy as np, onnxruntime as ort, pynvml, os
ort.preload_dlls()
from workbench.core.runtimes.ort_gqa import GQADecoder
d = GQADecoder(sys.argv[1], "cuda")
d.generate(np.zeros((1, 128), np.int64) + 5, 64)
pynvml.nvmlInit(); h = pynvml.nvmlDeviceGetHandleByIndex(0)
used = [p.usedGpuMemory for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h) if p.pid == os.getpid()]
print(used[0] / 2 ** 20 if used else -1)
"""


def product_path():
    torch.manual_seed(0)
    cfg = tf.LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=8,
                         num_attention_heads=12, num_key_value_heads=4, max_position_embeddings=1024)
    model = tf.LlamaForCausalLM(cfg).eval()
    model.config.architectures = ["LlamaForCausalLM"]
    model.generation_config.eos_token_id = None
    model.save_pretrained("/tmp/src")
    t = time.time()
    api.export(ModelSource("/tmp/src", task="text-generation-with-past"), "/tmp/dec")
    res["export_s"] = time.time() - t
    t = time.time()
    opt = api.optimize("/tmp/dec/model.onnx", "/tmp/cuda/model.onnx", target="cuda")
    res["optimize_s"] = time.time() - t
    res["optimize_steps"] = opt.steps
    res["optimized_ops"] = opt.op_counts_after
    save()
    out = subprocess.run([sys.executable, "-c", MEM, "/tmp/cuda/model.onnx"], capture_output=True, text=True)
    res["gqa_process_gpu_mb"] = out.stdout.strip() or out.stderr[-500:]
    res["fp16_weights_mb"] = os.path.getsize("/tmp/cuda/model.onnx") / 2 ** 20
    save()
    b = api.bench_generate(["/tmp/cuda/model.onnx", "/tmp/dec/model.onnx"], "/tmp/src", prompt_tokens=128,
                           max_new_tokens=64, batch=8, provider="cuda", repeats=3)
    res["bench_generate"] = b.to_dict()
    from workbench.core.render import render_text
    res["bench_text"] = render_text(b)
    print(res["bench_text"], flush=True)
    save()


if __name__ == "__main__":
    for name, fn in (("families", families), ("product_path", product_path)):
        try:
            fn()
        except Exception:
            res["errors"][name] = traceback.format_exc()[-2000:]
            print("FAILED", name, res["errors"][name], flush=True)
            save()
