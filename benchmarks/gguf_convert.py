"""Conversion peak RSS of the gguf target on a >= 1 GB random Llama checkpoint (fp32 safetensors), measured in a
child process with psutil, against the largest tensor. (The tensor-set comparison with llama.cpp's
convert_hf_to_gguf.py is not written yet.)  Usage: python benchmarks/gguf_convert.py [--layers 20] [--quant f16]"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CONFIG = dict(model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=32000, hidden_size=1024,
              intermediate_size=4096, num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=2048,
              rms_norm_eps=1e-5, rope_theta=10000.0)


def _write_checkpoint(folder: Path, layers: int) -> int:
    """Random fp32 weights written file by file (two shards + index), so this process never holds them all."""
    from safetensors.numpy import save_file

    h, f, v = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["vocab_size"]
    rng = np.random.default_rng(0)
    def r(*shape): return rng.standard_normal(shape, dtype=np.float32) * 0.02
    weight_map, total = {}, 0
    shards = [{"model.embed_tokens.weight": (v, h), "lm_head.weight": (v, h), "model.norm.weight": (h,)}]
    for i in range(layers):
        p = f"model.layers.{i}."
        shards.append({p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (h, h),
                       p + "self_attn.v_proj.weight": (h, h), p + "self_attn.o_proj.weight": (h, h),
                       p + "mlp.gate_proj.weight": (f, h), p + "mlp.up_proj.weight": (f, h),
                       p + "mlp.down_proj.weight": (h, f), p + "input_layernorm.weight": (h,),
                       p + "post_attention_layernorm.weight": (h,)})
    for n, shapes in enumerate(shards):
        name = f"model-{n:05d}.safetensors"
        save_file({k: r(*s) for k, s in shapes.items()}, str(folder / name))
        weight_map.update({k: name for k in shapes})
        total += sum(int(np.prod(s)) * 4 for s in shapes.values())
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(dict(CONFIG, num_hidden_layers=layers)))
    return total


def _child(folder: str, out: str, quant: str, queue) -> None:
    import psutil
    import torch  # noqa: F401 - imported before the baseline: the reader's safetensors "pt" path needs it

    from workbench.core.gguf.convert import convert

    proc, peak, done = psutil.Process(), [0], threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)
    baseline = proc.memory_info().rss
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    convert(Path(folder), Path(out), quant)
    done.set()
    thread.join()
    queue.put({"baseline_rss": baseline, "peak_rss": peak[0], "seconds": time.perf_counter() - started})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=20)
    ap.add_argument("--quant", default="f16")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gguf-bench-") as tmp:
        folder = Path(tmp) / "llama"
        folder.mkdir()
        total = _write_checkpoint(folder, args.layers)
        largest = CONFIG["vocab_size"] * CONFIG["hidden_size"] * 4
        queue = mp.get_context("spawn").Queue()
        child = mp.get_context("spawn").Process(target=_child, args=(str(folder), str(Path(tmp) / "m.gguf"),
                                                                      args.quant, queue))
        child.start()
        result = queue.get()
        child.join()
        growth = result["peak_rss"] - result["baseline_rss"]
        row = dict(result, checkpoint_bytes=total, largest_tensor_bytes=largest, quant=args.quant,
                   growth_over_largest=round(growth / largest, 2), gguf_bytes=(Path(tmp) / "m.gguf").stat().st_size)
    print(json.dumps(row, indent=1))
    out = Path(__file__).parent / "results" / "gguf_convert.json"
    out.write_text(json.dumps(row, indent=1) + "\n")


if __name__ == "__main__":
    main()
