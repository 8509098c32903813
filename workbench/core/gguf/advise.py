"""`workbench advise SRC [--device cpu|cuda] [--memory GB]`: which route and quant type fit this model on this
machine, with the reason in two lines.

Grounded in what the workbench measured itself (workbench/core/gguf/measured.py, written from
benchmarks/results/gguf_validate.json and gguf_cpu_table.json by benchmarks/gguf_advise_data.py), never a table of
opinions: bits per weight per GGUF type (file sizes of the ~100M Llama), the runtime's own memory over the file
(peak RSS minus file size there), fidelity per type (the real MiniLM's min cosine for encoders, tiny decoders'
teacher-forced top-1 for decoders) and decode tokens/s per variant on CPU. From the model: its parameter count
(safetensors headers only) and the KV cache its config implies. From the machine: available memory (or --memory).

The pick: among the types whose estimated footprint fits the budget, the fastest measured one that is practically
lossless (fidelity at least LOSSLESS); where none is, the highest-fidelity type that fits; where nothing fits, the
smallest type's footprint is named with what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError

LOSSLESS = {"encoder": 0.999, "decoder": 0.97}  # min cosine (encoders) / teacher-forced top-1 (decoders)
KV_CONTEXT = 4096  # tokens of KV cache counted for a decoder (capped by its max_position_embeddings)


def model_facts(folder: Path) -> dict:
    """{'parameters', 'kind', 'model_type', 'kv_bytes_per_token', 'context'} from config.json and the headers."""
    from safetensors import safe_open

    from workbench.core.gguf import plan, tensor_map

    folder = Path(str(folder)).expanduser()
    if not (folder / "config.json").is_file():
        raise WorkbenchError(f"'{folder}' is not a Hugging Face model folder",
                             "point at a folder with config.json and *.safetensors")
    config = json.loads((folder / "config.json").read_text())
    arch = tensor_map.architecture(config)  # a model llama.cpp cannot take is one line here already
    parameters = 0
    for path in dict.fromkeys(plan.weight_files(folder).values()):
        with safe_open(str(path), "np") as f:
            for name in f.keys():
                size = 1
                for d in f.get_slice(name).get_shape():
                    size *= int(d)
                parameters += size
    kind = "encoder" if arch["model_type"] == "bert" else "decoder"
    facts = {"parameters": parameters, "kind": kind, "model_type": arch["model_type"], "kv_bytes_per_token": 0,
             "context": 0}
    if kind == "decoder":
        layers = int(config.get("num_hidden_layers") or config.get("n_layer") or 0)
        heads = int(config.get("num_attention_heads") or config.get("n_head") or 1)
        kv_heads = int(config.get("num_key_value_heads") or heads)
        hidden = int(config.get("hidden_size") or config.get("n_embd") or 0)
        head_dim = int(config.get("head_dim") or hidden // max(heads, 1))
        if config.get("kv_lora_rank"):  # MLA: llama.cpp caches the compressed latent plus the rope part
            per_layer = int(config["kv_lora_rank"]) + int(config.get("qk_rope_head_dim") or 0)
        else:
            per_layer = 2 * kv_heads * head_dim
        facts["kv_bytes_per_token"] = layers * per_layer * 2  # f16 cache, llama.cpp's default
        facts["context"] = min(KV_CONTEXT, int(config.get("max_position_embeddings") or KV_CONTEXT))
    return facts


def machine_memory(device: str) -> tuple:
    """(bytes available, where the number came from)."""
    if device == "cuda":
        try:
            import torch

            if torch.cuda.is_available():
                free, _total = torch.cuda.mem_get_info()
                return int(free), "free GPU memory"
        except Exception:  # noqa: BLE001 - no CUDA is an answer
            pass
        raise WorkbenchError("no CUDA device here to measure its memory", "give the budget: --memory GB")
    import psutil

    return int(psutil.virtual_memory().available), "available RAM"


def advise(source, device: str = "cpu", memory_gb: Optional[float] = None) -> "Advice":
    from workbench.core.gguf import measured

    if device not in ("cpu", "cuda"):
        raise WorkbenchError(f"unknown device '{device}'", "use --device cpu or --device cuda")
    if memory_gb is not None and memory_gb <= 0:
        raise WorkbenchError(f"--memory {memory_gb}: the budget must be positive", "give it in GB, e.g. --memory 8")
    facts = model_facts(Path(str(getattr(source, "path", source))))
    budget, where = (int(memory_gb * 1e9), "--memory") if memory_gb is not None else machine_memory(device)
    kv = facts["kv_bytes_per_token"] * facts["context"]
    rows = []
    for quant, m in measured.GGUF.items():
        fidelity = m["fidelity"][facts["kind"]]
        if fidelity is None:
            continue
        weights = facts["parameters"] * m["bits_per_weight"] / 8
        need = weights + kv + measured.RUNTIME_OVERHEAD_BYTES
        rows.append({"quant": quant, "fidelity": fidelity, "tokens_per_s": m.get("tokens_per_s"),
                     "file_bytes": int(weights), "need_bytes": int(need), "fits": need <= budget})
    fitting = [r for r in rows if r["fits"]]
    lossless = [r for r in fitting if r["fidelity"] >= LOSSLESS[facts["kind"]]]
    route = _route(device)
    if lossless and facts["kind"] == "encoder":  # no encoder speed measured: the smallest lossless file
        pick = min(lossless, key=lambda r: r["file_bytes"])
        why = "the smallest type that is practically lossless (no encoder speeds measured per type)"
    elif lossless:
        pick = max(lossless, key=lambda r: (r["tokens_per_s"] or 0, r["fidelity"]))
        why = "the fastest measured type that is practically lossless"
    elif fitting:
        pick = max(fitting, key=lambda r: r["fidelity"])
        why = "no practically lossless type fits; the highest measured fidelity that does"
    else:
        pick, why = None, ""
    return Advice({"source": str(getattr(source, "path", source)), "device": device, **facts, "budget_bytes": budget,
                   "budget_from": where, "kv_bytes": kv, "route": route, "pick": pick, "why": why, "types": rows,
                   "measured": measured.SOURCES})


def _route(device: str) -> str:
    """GGUF in llama.cpp on CPU (measured fastest there: see measured.CPU_ROUTE); on CUDA where this llama.cpp build
    offloads to the GPU, else ONNX Runtime CUDA."""
    from workbench.core.gguf import measured

    if device == "cpu":
        return measured.CPU_ROUTE
    try:
        import llama_cpp

        if llama_cpp.llama_supports_gpu_offload():
            return "gguf"
    except Exception:  # noqa: BLE001
        pass
    return "onnx"


def _gb(n) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


class Advice:
    """advise()'s answer: ``to_dict`` for --json, ``outcome`` for the exit code, str for the two-line advice (not a
    dict subclass: the CLI prints dicts as JSON)."""

    def __init__(self, data: dict):
        self.data = data

    def __getitem__(self, key):
        return self.data[key]

    def to_dict(self) -> dict:
        return dict(self.data)

    def outcome(self):
        return (True, None) if self["pick"] else (False, "no GGUF type fits the memory budget")

    def __str__(self) -> str:
        p, n = self["pick"], self["parameters"]
        head = (f"{Path(self['source']).name}: {self['model_type']} {self['kind']}, {n / 1e6:.1f}M parameters; "
                f"budget {_gb(self['budget_bytes'])} ({self['budget_from']}), device {self['device']}")
        if p is None:
            smallest = min(self["types"], key=lambda r: r["need_bytes"])
            return (head + f"\nnothing fits: the smallest, {smallest['quant']}, needs {_gb(smallest['need_bytes'])} "
                    f"(weights {_gb(smallest['file_bytes'])}, KV cache {_gb(self['kv_bytes'])}, runtime)\n"
                    "give more memory (--memory GB), or a smaller model")
        metric = "min cosine vs PyTorch (real MiniLM)" if self["kind"] == "encoder" else \
            "teacher-forced top-1 vs PyTorch (tiny decoders)"
        speed = f", {p['tokens_per_s']:.1f} tokens/s on the ~100M Llama" if self["kind"] == "decoder" else ""
        export = (f"`workbench export {self['source']} -o model.{p['quant']}.gguf --target gguf "
                  f"--quant {p['quant']}`")
        if self["route"] == "gguf":
            advice = f"advice: GGUF in llama.cpp, --quant {p['quant']}: {export}"
        elif self["device"] == "cuda":
            advice = (f"advice: ONNX Runtime CUDA (this llama.cpp build cannot offload to the GPU); for llama.cpp "
                      f"on CPU: {export}")
        else:
            advice = (f"advice: ONNX Runtime measured faster on CPU here ({self['measured']['cpu_table']}); for "
                      f"llama.cpp / Ollama: {export}")
        lines = [head, advice,
                 f"why: {self['why']}; measured {metric} {p['fidelity']:.4f}{speed}",
                 f"     it needs ~{_gb(p['need_bytes'])}: weights {_gb(p['file_bytes'])} + KV cache "
                 f"{_gb(self['kv_bytes'])} ({self['context']} tokens) + llama.cpp's own memory",
                 "types (needs, fits, fidelity): " + ", ".join(
                     f"{r['quant']} {_gb(r['need_bytes'])} {'yes' if r['fits'] else 'no'} {r['fidelity']:.3f}"
                     for r in self["types"])]
        return "\n".join(lines)
