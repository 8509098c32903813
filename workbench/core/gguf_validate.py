"""Validate a .gguf in llama.cpp against the Hugging Face folder it came from, on a fixed list of real prompts
tokenized by the folder's own tokenizer: logits for decoders (per token: max abs/rel diff, cosine, top-1
agreement), mean-pooled embeddings for encoders (cosine). Tolerances depend on the file's precision. llama.cpp runs
with an f32 KV cache (runtimes/llama_cpp.FILE_KV_CACHE), so what is measured is the file, not the f16 cache a
deployment adds by default (`workbench generate X.gguf --compare-torch SRC --kv-cache f16` measures that).

The comparison is numpy by hand (a few lines); the model runs are llama.cpp (the llama.cpp runtime) and PyTorch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError

PROMPTS = ("The quick brown fox jumps over the lazy dog.", "In 1905, Einstein published four papers that",
           "def fibonacci(n):\n    return", "Paris is the capital of", "Water boils at 100 degrees Celsius and")
# (min cosine, min top-1 agreement) per precision. Measured in llama.cpp 0.3.36 (wheel built here) on the real
# MiniLM over PROMPTS, mean-pooled: f16 min cosine 0.999999, q8_0 0.99957, q4_0 0.9684; the floors below leave
# that margin. Decoder top-1 floors are not yet measured on a real decoder (tiny f16 decoders agree 100%).
TOLERANCES = {"fp32": (0.9999, 0.99), "fp16": (0.999, 0.95), "bf16": (0.995, 0.9), "int8": (0.99, 0.85),
              "int4": (0.95, 0.6)}


def compare_logits(got: np.ndarray, want: np.ndarray) -> dict:
    """Per-token metrics of (tokens, vocab) logits: llama.cpp ``got`` vs PyTorch ``want``."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise WorkbenchError(f"llama.cpp logits have shape {got.shape}, PyTorch's {want.shape}",
                             "the GGUF's vocab differs from the folder's model: re-export it from this folder")
    diff = np.abs(got - want)
    cos = (got * want).sum(-1) / np.maximum(np.linalg.norm(got, axis=-1) * np.linalg.norm(want, axis=-1), 1e-30)
    return {"max_abs": float(diff.max()), "max_rel": float((diff / np.maximum(np.abs(want), 1e-6)).max()),
            "cosine_min": float(cos.min()), "top1_agreement": float((got.argmax(-1) == want.argmax(-1)).mean()),
            "tokens": int(got.shape[0])}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def _tokenize(folder: Path, prompts) -> list:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(folder))
    except Exception as err:  # noqa: BLE001 - a folder without a tokenizer is the user's to fix
        raise WorkbenchError(f"{folder}: no tokenizer to turn the prompts into ids ({type(err).__name__})",
                             "validate against the Hugging Face folder that has tokenizer.json") from None
    return [tok(p)["input_ids"] for p in prompts]


def validate_gguf(path, folder, prompts=PROMPTS, threads: int | None = None) -> dict:
    """{"passed", "precision", "kind", "prompts": [metrics...], "tolerance"}: run each prompt in both."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM

    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.llama_cpp import FILE_KV_CACHE, open_session
    from workbench.core.runtimes.torch_eager import run_module

    folder = Path(str(folder))
    session = open_session(path, RuntimeOptions(threads=threads, extra={"kv_cache": FILE_KV_CACHE}))
    try:
        ids_list = _tokenize(folder, prompts)
        model = (AutoModel if session.encoder else AutoModelForCausalLM).from_pretrained(str(folder)).eval()
        min_cos, min_top1 = TOLERANCES.get(session.precision, TOLERANCES["int4"])
        rows = []
        for prompt, ids in zip(prompts, ids_list):
            feed = np.asarray([ids], dtype=np.int64)
            out = run_module(model, {"input_ids": torch.from_numpy(feed)})[0]  # logits / last hidden state
            if session.encoder:  # sentence-transformers mean pooling over the tokens (one sequence, no padding)
                got = session.run({"input_ids": feed})["last_hidden_state"][0].mean(0)
                want = out[0].mean(0)
                row = {"cosine_min": cosine(got, want), "max_abs": float(np.abs(got - want).max()),
                       "tokens": len(ids)}
                row["passed"] = row["cosine_min"] >= min_cos
            else:
                row = compare_logits(session.run({"input_ids": feed})["logits"][0], out[0])
                row["passed"] = row["cosine_min"] >= min_cos and row["top1_agreement"] >= min_top1
            rows.append({"prompt": prompt, **row})
        return GgufValidateResult({"passed": all(r["passed"] for r in rows), "artifact": str(path), "against": str(folder),
                "runtime": "llama.cpp", "device": session.device, "precision": session.precision,
                "kind": "encoder" if session.encoder else "decoder", "kv_cache": session.kv_cache,
                "notes": list(session.notes) + [f"llama.cpp ran with an {session.kv_cache} KV cache: the numbers "
                                                "measure the file (llama.cpp's default cache is f16)"],
                "tolerance": {"cosine_min": min_cos, **({} if session.encoder else {"top1_agreement": min_top1})},
                "prompts": rows})
    finally:
        session.close()


def validate_spec(spec, progress=None, cancel=None) -> "GgufValidateResult":
    """The gguf target's validate (what `workbench run` calls for a .gguf): :func:`validate_gguf` of ``spec.model``
    against ``spec.against``'s folder, on PROMPTS, as `workbench validate X.gguf --against SRC` runs it."""
    if cancel is not None:
        cancel.check()
    if progress:
        progress(0.0, "llama.cpp and PyTorch on the prompts")
    result = validate_gguf(spec.model, getattr(spec.against, "path", spec.against))
    if progress:
        progress(1.0, "done")
    return result


class GgufValidateResult:
    """validate_gguf's answer, read like a dict (``result["passed"]``), shaped for the CLI: ``to_dict`` for --json,
    ``outcome`` for the exit code, str for the table (not a dict subclass: the CLI prints dicts as JSON)."""

    def __init__(self, data: dict):
        self.data = data

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    def to_dict(self) -> dict:
        return dict(self.data)

    def outcome(self):
        return (True, None) if self["passed"] else (False, f"llama.cpp differs from PyTorch beyond the {self['precision']}"
                                                           f" tolerance {self['tolerance']}")

    def __str__(self) -> str:
        key = "top1_agreement" if self["kind"] == "decoder" else "max_abs"
        rows = [f"  {'ok  ' if r['passed'] else 'FAIL'} cosine {r['cosine_min']:.6f} {key} {r[key]:.4g}  "
                f"{r['prompt'][:40]!r}" for r in self["prompts"]]
        return (f"{'PASSED' if self['passed'] else 'FAILED'}: {self['artifact']} in llama.cpp ({self['device']}, "
                f"{self['precision']}, {self['kind']}) vs PyTorch {self['against']}\n" + "\n".join(rows))
