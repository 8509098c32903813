"""Generation benchmark: time to first token, decode latency per token, tokens per second and peak memory, for
PyTorch and each ONNX decoder variant, at batch 1 and batch N, on the same random prompts.

Each variant runs in a process of its own (``isolated=True``, the default; as in ``bench.isolated``), so its peak
RSS is its whole footprint and not the previous variant's; ``isolated=False`` runs them here (faster; peaks then
include what this process held). Per variant and batch: one short warm-up generation, then ``repeats`` timed
generations of ``max_new_tokens`` greedy tokens (end-of-sequence does not stop them). ``ttft_ms`` is the median
prefill (prompt + first token), ``decode_ms`` the p50/p95 over all decode steps, ``tokens_per_s`` the new tokens of
every row over the whole generations' time. ``agreement`` compares each ONNX variant's greedy tokens with
PyTorch's, row by row (the mean rate and the earliest divergence).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.jobs import CancelToken, ProgressFn
from workbench.core.results import GenerateBenchResult, GenerateBenchRow

WARMUP_TOKENS = 2


def measure(kind: str, path: str, prompts: dict, max_new_tokens: int, provider: str = "cpu",
            threads: Optional[int] = None, repeats: int = 2, whole_process: bool = False,
            kv_cache: Optional[str] = None) -> dict:
    """Run one variant: {'name', 'runtime', 'provider', 'peak_rss_mb', 'rows': [{'batch', 'ttft_ms',
    'decode_ms', 'tokens_per_s', 'tokens', 'new_tokens'}]}; ``prompts`` is {batch: [[ids] per row]};
    ``kv_cache``: llama.cpp's KV cache type for a .gguf (None: its default, f16)."""
    from workbench.core.bench.memory import PeakTracker
    from workbench.core.generate_decoders import folder_settings, onnx_decoder, runtime_decoder, torch_decoder
    from workbench.core.generate import Sampling, _percentiles, run_steps

    tracker = PeakTracker(interval_s=0.01, reset=not whole_process, whole_process=whole_process).start()
    try:
        from workbench.core import seq2seq_generate as s2s

        if kind == "gguf":  # llama.cpp's decoder (the registry's), one sequence at a time
            decoder = runtime_decoder(path, provider, threads, **({} if kv_cache is None else {"kv_cache": kv_cache}))
            settings = decoder.settings()  # the GGUF header's
        elif kind == "runtime":  # an OpenVINO IR, an .mnn: its runtime's decoder (the registry's)
            decoder, folder = runtime_decoder(path, provider, threads), Path(path).parent
        elif kind == "seq2seq" or s2s.is_seq2seq(path):  # an encoder-decoder: encoder + decoder with past
            decoder, folder = s2s.open_decoder(path, provider, threads)
        else:
            decoder = (onnx_decoder if kind == "onnx" else torch_decoder)(path, provider, threads)
            folder = Path(path).parent if kind == "onnx" else path
        if kind != "gguf":
            settings = folder_settings(folder)
        encoder_ms: list = []  # per timed run, encoder-decoders only
        rows = []
        for batch, ids in prompts.items():
            run_steps(decoder, ids[:1] if kind == "gguf" else ids, WARMUP_TOKENS, Sampling(), settings,
                      stop_at_eos=False)
            ttfts, decodes, seconds, new = [], [], 0.0, 0
            for _ in range(max(1, int(repeats))):
                started = time.perf_counter()
                runs = _sequences(decoder, ids, max_new_tokens, settings, one_by_one=kind == "gguf")
                seconds += time.perf_counter() - started
                ttfts.extend(r["ttft_ms"] for r in runs)
                decodes.extend(ms for r in runs for ms in r["decode_ms"])
                run = {"rows": [row for r in runs for row in r["rows"]]}
                new += sum(len(r) for r in run["rows"])
                encoder_ms += [decoder.encoder_ms] if hasattr(decoder, "encoder_ms") else []
                tracker.sample()
            rows.append({"batch": int(batch), "ttft_ms": float(np.median(ttfts)), "decode_ms": _percentiles(decodes),
                         # the prompt tokens one prefill takes in: the batch's, or one sequence's (llama.cpp)
                         "prompt_tokens_per_s": sum(len(r) for r in ids) / len(runs)
                         / max(float(np.median(ttfts)) / 1000.0, 1e-9),
                         "tokens_per_s": new / seconds if seconds > 0 else 0.0, "tokens": run["rows"],
                         "new_tokens": len(run["rows"][0]),
                         "encoder_ms": float(np.median(encoder_ms)) if encoder_ms else None,
                         "notes": [f"batch {batch} run as {batch} sequences one after another: ttft and decode ms "
                                   "per sequence, tokens/s the batch's"] if len(runs) > 1 else []})
            encoder_ms = []
    finally:
        tracker.stop()
    return {"name": decoder.name, "runtime": decoder.runtime, "provider": decoder.provider,
            "peak_rss_mb": tracker.peak_mb, "rows": rows}


def _sequences(decoder, ids: list, max_new_tokens: int, settings: dict, one_by_one: bool) -> list:
    """The timed generation of one batch: one run of every row together, or (llama.cpp, which holds one sequence)
    one run per row, one after another: the ttft and decode steps are then each sequence's own, tokens/s the
    batch's whole (bench_generate's note says so)."""
    from workbench.core.generate import Sampling, run_steps

    batches = [[row] for row in ids] if one_by_one else [ids]
    return [run_steps(decoder, b, max_new_tokens, Sampling(), settings, stop_at_eos=False) for b in batches]


def _child(payload: dict, progress: Optional[ProgressFn] = None, cancel=None) -> tuple:
    """Child job (``bench.isolated.run_child`` target, through the job runner): one variant; returns (dict, {})."""
    if progress:
        progress(0.0, f"{payload['name']}: loading and warm-up")
    result = measure(payload["kind"], payload["path"], payload["prompts"], payload["max_new_tokens"],
                     payload["provider"], payload["threads"], payload["repeats"], whole_process=True,
                     kv_cache=payload.get("kv_cache"))
    return result, {}


def _variants(models, torch_source) -> list:
    """[(kind, path, label)]: PyTorch first (the agreement reference), then each ONNX decoder."""
    from workbench.core.generate_decoders import resolve
    from workbench.core.runtimes.select import choose

    out = []
    if torch_source is not None:
        kind, path, _ = resolve(getattr(torch_source, "path", torch_source))
        if kind != "torch":
            raise WorkbenchError(f"{torch_source}: --compare-torch needs a Hugging Face model folder",
                                 "give the folder the decoder was exported from")
        out.append(("torch", str(path), "PyTorch eager"))
    names = []
    for model in models or []:
        kind, path, _ = resolve(model)
        engine = "llama.cpp" if kind == "gguf" else choose(path).name if kind == "runtime" else "ORT"
        label = "PyTorch eager" if kind == "torch" else f"{engine} {path.name}"
        if kind == "torch" and any(k == "torch" for k, _, _ in out):
            continue
        if label in names:
            label = f"ORT {path.parent.name}/{path.name}"
        names.append(label)
        out.append((kind, str(path), label))
    if not out:
        raise WorkbenchError("nothing to benchmark", "give an exported decoder, and --compare-torch SRC for PyTorch")
    return out


def _prompts(variants: list, prompt_tokens: int, max_new_tokens: int, batches: tuple, notes: list) -> dict:
    from workbench.core.generate_decoders import read_json

    config: dict = {}
    for kind, path, _ in variants:
        folder = Path(path) if kind in ("torch", "seq2seq") else Path(path).parent
        config = read_json(folder / "config.json")
        if not config and kind == "gguf":  # a GGUF alone: its header says the vocab and context length
            from workbench.core.runtimes.llama_decoder import header_config

            config = header_config(path)
        if config:
            break
    text = config.get("text_config") or config
    vocab = int(text.get("vocab_size") or 100)
    limit = text.get("max_position_embeddings") or text.get("n_positions")
    length = int(prompt_tokens)
    if limit and length + max_new_tokens > int(limit):
        length = max(1, int(limit) - int(max_new_tokens))
        notes.append(f"prompt shortened to {length} tokens: the model has {limit} positions")
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, size=(max(batches), length)).tolist()
    return {int(b): ids[: int(b)] for b in batches}


def bench_generate(models, torch_source=None, *, prompt_tokens: int = 32, max_new_tokens: int = 32,
                   batch: int = 4, provider: str = "cpu", threads: Optional[int] = None, repeats: int = 2,
                   isolated: bool = True, timeout_s: Optional[float] = None, kv_cache: Optional[str] = None,
                   progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> GenerateBenchResult:
    """Benchmark generation for PyTorch (``torch_source``, or a Hugging Face folder among ``models``) and each
    ONNX decoder in ``models`` (.onnx files or exported folders), at batch 1 and ``batch``. ``kv_cache`` is
    llama.cpp's KV cache type for the .gguf variants (None: llama.cpp's default, f16)."""
    from workbench.core.bench.isolated import run_child

    if int(max_new_tokens) < 1 or int(prompt_tokens) < 1 or int(batch) < 1:
        raise WorkbenchError("prompt tokens, max new tokens and batch must be at least 1",
                             "give positive sizes")
    variants = _variants([models] if isinstance(models, (str, Path)) else models, torch_source)
    if kv_cache is not None:
        from workbench.core.runtimes.llama_cpp import kv_cache_type

        kv_cache = kv_cache_type(kv_cache)
        if not any(kind == "gguf" for kind, _, _ in variants):
            raise WorkbenchError(f"a KV cache type ({kv_cache}) is llama.cpp's setting and no variant is a .gguf",
                                 "leave kv_cache out, or bench a .gguf")
    notes: list = ["peak RSS is each variant's whole process (interpreter, runtime, model and runs)" if isolated
                   else "all variants ran in this process: each peak RSS includes what the process held before"]
    batches = tuple(sorted({1, int(batch)}))
    if int(batch) > 1 and any(kind == "gguf" for kind, _, _ in variants):
        notes.append(f"llama.cpp variants: batch {int(batch)} run as {int(batch)} sequences one after another "
                     "(llama.cpp holds one sequence): time to first token and decode ms are per sequence, "
                     "tokens/s is the whole batch's")
    notes += [f"{label}: file {Path(path).stat().st_size / 1e6:.1f} MB" for kind, path, label in variants
              if kind == "gguf"]
    if kv_cache is not None:
        notes.append(f"llama.cpp variants ran with an {kv_cache} KV cache")
    prompts = _prompts(variants, prompt_tokens, int(max_new_tokens), batches, notes)
    results = []
    for i, (kind, path, label) in enumerate(variants):
        if cancel is not None:
            cancel.check()

        def part(fraction: float, message: str, i=i) -> None:
            if progress:
                progress((i + fraction) / len(variants), message)

        part(0.0, f"{label}: loading and warm-up")
        args = dict(kind=kind, path=path, prompts=prompts, max_new_tokens=int(max_new_tokens), provider=provider,
                    threads=threads, repeats=repeats, kv_cache=kv_cache if kind == "gguf" else None)
        if isolated:
            result, _ = run_child({**args, "name": label}, part, cancel, timeout_s, target=_child)
        else:
            result = measure(**args)
        results.append((label, result))
    if progress:
        progress(1.0, "done")
    return GenerateBenchResult(rows=_rows(results), prompt_tokens=len(prompts[1][0]),
                               max_new_tokens=int(max_new_tokens), batches=list(batches), notes=notes)


def _agree(rows: list, reference: list) -> dict:
    from workbench.core.generate import agreement

    parts = [agreement(a, b) for a, b in zip(rows, reference)]
    firsts = [p["first_divergence"] for p in parts if p["first_divergence"] is not None]
    return {"rate": float(np.mean([p["rate"] for p in parts])), "first_divergence": min(firsts) if firsts else None}


def _rows(results: list) -> list:
    reference = next((r for _, r in results if r["runtime"] == "pytorch"), None)
    out = []
    for label, result in results:
        for row in result["rows"]:
            agree = None
            if reference is not None and result is not reference:
                ref_row = next(x for x in reference["rows"] if x["batch"] == row["batch"])
                agree = _agree(row["tokens"], ref_row["tokens"])
            out.append(GenerateBenchRow(name=label, runtime=result["runtime"], provider=result["provider"],
                                        batch=row["batch"], ttft_ms=row["ttft_ms"], decode_ms=row["decode_ms"],
                                        tokens_per_s=row["tokens_per_s"], peak_rss_mb=result["peak_rss_mb"],
                                        agreement=agree, new_tokens=row["new_tokens"],
                                        encoder_ms=row.get("encoder_ms"),
                                        prompt_tokens_per_s=row.get("prompt_tokens_per_s"),
                                        notes=list(row.get("notes") or [])))
    return out
