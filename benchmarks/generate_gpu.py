"""On the GPU machine: a ~100M-parameter random Llama exported as a decoder there, then generation benchmarked:
PyTorch eager (CUDA), ORT CUDA (IOBinding, cache on the device), ORT CPU; batch 1 and 8.

Run on the device with onnxruntime-gpu installed as shared/docs/gpu-device.md says:
    export PYTHONPATH=/tmp/ortgpu:$PWD && python3 benchmarks/generate_gpu.py
Results: benchmarks/results/generate_gpu_h100.{json,md}.
"""
import json, os, sys, time
import onnxruntime as ort
ort.preload_dlls()
import torch, transformers as tf
from workbench import api
from workbench.core.specs import ModelSource


def main():
    OUT = os.environ.get("OUT", "/tmp/o")
    src, dst = "/tmp/mid", "/tmp/mid_out"
    torch.manual_seed(0)
    cfg = tf.LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=8,
                         num_attention_heads=12, num_key_value_heads=4, max_position_embeddings=1024)
    model = tf.LlamaForCausalLM(cfg).eval()
    model.config.architectures = ["LlamaForCausalLM"]
    model.save_pretrained(src)
    params = sum(p.numel() for p in model.parameters())
    t = time.time()
    exp = api.export(ModelSource(src, task="text-generation-with-past"), dst)
    export_s = time.time() - t
    cmp = api.compare_generation(dst, src, [[1, 2, 3, 4, 5], list(range(10, 60))], 32, provider="cuda")
    res = {"params": params, "export_s": export_s, "torch": torch.__version__, "transformers": tf.__version__,
           "ort": ort.__version__, "agreement_cuda": {"rate": cmp["rate"],
           "first_divergence": [p["first_divergence"] for p in cmp["prompts"]]}}
    for provider in ("cuda", "cpu"):
        b = api.bench_generate([dst], src if provider == "cuda" else None, prompt_tokens=128, max_new_tokens=64,
                               batch=8, provider=provider, repeats=3)
        res[provider] = b.to_dict()
        from workbench.core.render import render_text
        print(render_text(b), flush=True)
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, "gpu_bench.json"), "w").write(json.dumps(res, indent=1))
    print(json.dumps({k: v for k, v in res.items() if k not in ("cuda", "cpu")}))


if __name__ == "__main__":
    main()
