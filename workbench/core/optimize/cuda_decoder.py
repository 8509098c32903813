"""``optimize --target cuda`` on a decoder (an export of task ``text-generation-with-past`` of a Llama, Mistral,
Qwen2, Phi-3 or Gemma model): the GroupQueryAttention decoder of core/export/decoder_gqa.py in fp16, written from the source's
PyTorch weights (the fast path measured in benchmarks/results/generate_gqa_h200.md), instead of fusing the
exported graph. ``--no-fusion`` keeps the generic CUDA preset.

Before anything is written, the same graph in fp32 runs on the CPU against PyTorch: the last position's logits and
8 greedy tokens for two prompts must match, else the optimization is refused in one line.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.export.decoder_gqa import FAMILIES, build, refusal, window_cap
from workbench.core.jobs import Stages
from workbench.core.optimize.common import model_metadata, op_counts, publish
from workbench.core.results import OptimizeResult

MAX_LENGTH = 4096  # the KV buffer's positions when the model allows more
CHECK_TOKENS = 8


def gqa_source(spec, src: Path) -> "tuple[Path | None, str | None]":
    """(the source folder, None) when ``src`` is a decoder export the GQA decoder can be written for; (None, why
    not) for a decoder of a covered family it cannot take (scaled rope, partial rotary...: the generic preset runs,
    saying so); (None, None) otherwise."""
    from workbench.core.export.decoder_model import TASK

    meta = model_metadata(src)
    if not spec.fusion or meta.get("workbench.task") != TASK:
        return None, None
    folders = [meta.get("workbench.source"), spec.against.path if spec.against is not None else None]
    for folder in filter(None, folders):
        config = Path(folder) / "config.json"
        if config.is_file() and json.loads(config.read_text("utf-8")).get("model_type") in FAMILIES:
            import transformers as tf

            from workbench.core.quiet import library_output

            with library_output():
                why = refusal(tf.AutoConfig.from_pretrained(str(folder)))
            return (Path(folder), None) if why is None else (None, why)
    return None, None


def _check(model, path: Path) -> str:
    """The fp32 graph on the CPU against PyTorch; a mismatch raises."""
    import torch

    from workbench.core.runtimes.ort_gqa import GQADecoder

    vocab = model.config.vocab_size
    prompts = np.random.RandomState(0).randint(0, vocab, (2, 6))
    decoder = GQADecoder(path, "cpu")
    got = decoder.generate(prompts, CHECK_TOKENS)
    decoder.prefill(prompts)
    with torch.no_grad():
        ids = torch.tensor(prompts)
        want_logits = model(ids).logits[:, -1].float().numpy()
        want = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=CHECK_TOKENS,
                              do_sample=False, eos_token_id=None, pad_token_id=0)[:, prompts.shape[1]:].numpy()
    diff = float(np.abs(decoder.logits.numpy()[:, 0] - want_logits).max())
    scale = float(np.abs(want_logits).max()) or 1.0
    if diff > 1e-3 * scale or got.shape != want.shape or (got != want).any():
        raise WorkbenchError(f"the GroupQueryAttention decoder does not match PyTorch (last logits differ by "
                             f"{diff:.2e}; greedy tokens {'agree' if np.array_equal(got, want) else 'differ'})",
                             "optimize with --target cuda --no-fusion for the generic CUDA preset")
    return f"fp32 on the CPU matches PyTorch: last logits max diff {diff:.1e}, {got.size} greedy tokens equal"


def optimize_cuda_decoder(spec, src: Path, folder: Path, progress=None, cancel=None) -> OptimizeResult:
    import onnx
    import transformers as tf

    from workbench.core.export.decoder import copy_generation_files
    from workbench.core.quiet import library_output

    stages = Stages(["loading the source", "checking against PyTorch", "writing the fp16 decoder"], progress, cancel)
    stages.next()
    with library_output():
        model = tf.AutoModelForCausalLM.from_pretrained(str(folder), dtype="float32").eval()
    max_length = min(int(getattr(model.config, "max_position_embeddings", MAX_LENGTH) or MAX_LENGTH), MAX_LENGTH)
    max_length = window_cap(model.config, max_length)
    before = op_counts(src)
    steps = []
    with tempfile.TemporaryDirectory(prefix="wb-opt-gqa-") as tmp:
        stages.next()
        check = Path(tmp) / "check" / "model.onnx"
        check.parent.mkdir()
        onnx.save(build(model, max_length, "float32"), str(check))
        steps.append({"name": "GroupQueryAttention decoder", "applied": True, "detail": _check(model, check)})
        stages.next()
        out = Path(tmp) / "fp16" / "model.onnx"
        out.parent.mkdir()
        onnx.save(build(model, max_length, "float16"), str(out))
        steps.append({"name": "fp16", "applied": True, "detail": f"fp16 weights, KV buffer of {max_length} "
                      "positions shared by past and present, last-position logits + next_token"})
        publish(out, spec.output, False, spec)
    final = Path(spec.output).expanduser().resolve()
    missing = [n for n in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                           "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt")
               if not (final.parent / n).exists()]
    copy_generation_files(folder, final.parent, model if "generation_config.json" in missing else None, names=missing)
    after = op_counts(final)
    stages.done("GroupQueryAttention decoder for CUDA")
    return OptimizeResult(output=str(final), steps=steps, nodes_before=sum(before.values()),
                          nodes_after=sum(after.values()), op_counts_before=dict(before),
                          op_counts_after=dict(after))
