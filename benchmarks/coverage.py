"""Export coverage: 49 tiny architectures from the families transformers builds (encoders, decoder-only LMs with
their KV cache, MoE, state-space, vision, multi-tower, audio, encoder-decoder), each built with random weights from
its config, exported and validated through the API the CLI uses (workbench.api.export / validate), one child
process per architecture (a crash or a hang is that row's failure, not the run's).

    nice python benchmarks/coverage.py [--jobs 2]       # writes benchmarks/results/coverage.json and .md
    python benchmarks/coverage.py --only clip,wav2vec2  # a few rows (results printed, files not written)
    python benchmarks/coverage.py --update t5,bart      # re-run rows, merged into the existing results

Per architecture: exported? validated? the dynamic dimensions asked for against those read back from the file,
the shapes validated, the time, and the one-line error of a failure. Decoder-only families whose cache is keys
and values export with ``--task text-generation-with-past``; the others export their model class as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PER_ARCH_TIMEOUT = 600  # seconds for one architecture's build + export + validate
WITH_PAST = "text-generation-with-past"

TEXT = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=64)
GQA = dict(TEXT, num_key_value_heads=2)
VIT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, image_size=32,
           patch_size=8)
AUDIO = dict(vocab_size=32, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             conv_dim=(16, 16, 16), conv_stride=(4, 4, 4), conv_kernel=(8, 8, 8), num_conv_pos_embeddings=16,
             num_conv_pos_embedding_groups=2)
SEQ2SEQ = dict(vocab_size=128, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
               decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
               pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)

# (name, family, model_type, model class, config kwargs, task). Task None: the class exported as it is.
ARCHS = [
    ("bert", "encoder", "bert", "BertModel", TEXT, None),
    ("roberta", "encoder", "roberta", "RobertaModel", dict(TEXT, max_position_embeddings=66), None),
    ("distilbert", "encoder", "distilbert", "DistilBertModel",
     dict(vocab_size=128, dim=32, hidden_dim=64, n_layers=2, n_heads=4, max_position_embeddings=64), None),
    ("albert", "encoder", "albert", "AlbertModel", dict(TEXT, embedding_size=16), None),
    ("electra", "encoder", "electra", "ElectraModel", dict(TEXT, embedding_size=16), None),
    ("deberta-v2", "encoder", "deberta-v2", "DebertaV2Model", TEXT, None),
    ("xlm-roberta", "encoder", "xlm-roberta", "XLMRobertaModel", dict(TEXT, max_position_embeddings=66), None),
    ("mpnet", "encoder", "mpnet", "MPNetModel", dict(TEXT, max_position_embeddings=66), None),
    ("gpt2", "decoder", "gpt2", "GPT2LMHeadModel",
     dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64), WITH_PAST),
    ("gpt_neo", "decoder", "gpt_neo", "GPTNeoForCausalLM",
     dict(vocab_size=128, hidden_size=32, num_layers=2, num_heads=4, attention_types=[[["global", "local"], 1]],
          max_position_embeddings=64, window_size=16, intermediate_size=64), WITH_PAST),
    ("gptj", "decoder", "gptj", "GPTJForCausalLM",
     dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64, rotary_dim=4), WITH_PAST),
    ("opt", "decoder", "opt", "OPTForCausalLM",
     dict(vocab_size=128, hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=4,
          max_position_embeddings=64, word_embed_proj_dim=32), WITH_PAST),
    ("bloom", "decoder", "bloom", "BloomForCausalLM", dict(vocab_size=128, hidden_size=32, n_layer=2, n_head=4),
     WITH_PAST),
    ("llama", "decoder", "llama", "LlamaForCausalLM", GQA, WITH_PAST),
    ("mistral", "decoder", "mistral", "MistralForCausalLM", GQA, WITH_PAST),
    ("mixtral", "decoder (MoE)", "mixtral", "MixtralForCausalLM",
     dict(GQA, num_local_experts=4, num_experts_per_tok=2), WITH_PAST),
    ("qwen2", "decoder", "qwen2", "Qwen2ForCausalLM", GQA, WITH_PAST),
    ("qwen2_moe", "decoder (MoE)", "qwen2_moe", "Qwen2MoeForCausalLM",
     dict(GQA, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32, shared_expert_intermediate_size=32),
     WITH_PAST),
    ("qwen3", "decoder", "qwen3", "Qwen3ForCausalLM", dict(GQA, head_dim=8), WITH_PAST),
    ("qwen3_moe", "decoder (MoE)", "qwen3_moe", "Qwen3MoeForCausalLM",
     dict(GQA, head_dim=8, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32), WITH_PAST),
    ("gemma", "decoder", "gemma", "GemmaForCausalLM", dict(GQA, head_dim=8), WITH_PAST),
    ("gemma2", "decoder", "gemma2", "Gemma2ForCausalLM", dict(GQA, head_dim=8, sliding_window=16), WITH_PAST),
    ("phi", "decoder", "phi", "PhiForCausalLM", TEXT, WITH_PAST),
    ("phi3", "decoder", "phi3", "Phi3ForCausalLM",
     dict(GQA, pad_token_id=0, bos_token_id=1, eos_token_id=2), WITH_PAST),
    ("stablelm", "decoder", "stablelm", "StableLmForCausalLM", GQA, WITH_PAST),
    ("falcon", "decoder", "falcon", "FalconForCausalLM",
     dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=4), WITH_PAST),
    ("starcoder2", "decoder", "starcoder2", "Starcoder2ForCausalLM", GQA, WITH_PAST),
    ("gpt_bigcode", "decoder", "gpt_bigcode", "GPTBigCodeForCausalLM",
     dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64), WITH_PAST),
    ("olmo", "decoder", "olmo", "OlmoForCausalLM", GQA, WITH_PAST),
    ("mamba", "state-space", "mamba", "MambaForCausalLM",
     dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, state_size=8, expand=2, conv_kernel=4), None),
    ("deepseek_v3", "decoder (MoE, MLA)", "deepseek_v3", "DeepseekV3ForCausalLM", None, WITH_PAST),
    ("vit", "vision", "vit", "ViTModel", VIT, None),
    ("deit", "vision", "deit", "DeiTModel", VIT, None),
    ("beit", "vision", "beit", "BeitModel", dict(VIT, vocab_size=64), None),
    ("convnext", "vision", "convnext", "ConvNextModel",
     dict(num_channels=3, num_stages=2, hidden_sizes=[8, 16], depths=[1, 1], image_size=32), None),
    ("resnet", "vision", "resnet", "ResNetModel",
     dict(num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
          image_size=32), None),
    ("swin", "vision", "swin", "SwinModel",
     dict(image_size=32, patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[2, 2], window_size=4), None),
    ("dinov2", "vision", "dinov2", "Dinov2Model",
     dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2, image_size=32, patch_size=8),
     None),
    ("segformer", "vision", "segformer", "SegformerModel",
     dict(num_channels=3, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
          patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2], image_size=32), None),
    ("mobilevit", "vision", "mobilevit", "MobileViTModel",
     # initializer_range 0.5: at the default 0.02 every BatchNorm scales by ~0.02, the activations vanish (1e-44 by
     # the last stage) and both outputs are exactly zero, so no export could be told from a broken one
     dict(image_size=64, patch_size=2, hidden_sizes=[16, 24, 32], neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64],
          num_attention_heads=4, initializer_range=0.5), None),
    ("clip", "multi-tower", "clip", "CLIPModel",
     dict(text_config=dict(vocab_size=99, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=4, max_position_embeddings=64),
          vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                             image_size=30, patch_size=2, num_channels=3), projection_dim=16), None),
    ("wav2vec2", "audio", "wav2vec2", "Wav2Vec2Model", AUDIO, None),
    ("hubert", "audio", "hubert", "HubertModel", AUDIO, None),
    ("whisper", "encoder-decoder (audio)", "whisper", "WhisperForConditionalGeneration",
     dict(vocab_size=128, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
          decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=16,
          max_source_positions=32, max_target_positions=32, pad_token_id=1, bos_token_id=0, eos_token_id=2,
          decoder_start_token_id=0, suppress_tokens=[], begin_suppress_tokens=[]), None),
    ("t5", "encoder-decoder", "t5", "T5ForConditionalGeneration",
     dict(vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, decoder_start_token_id=0),
     None),
    ("bart", "encoder-decoder", "bart", "BartForConditionalGeneration", SEQ2SEQ, None),
    ("marian", "encoder-decoder", "marian", "MarianMTModel", dict(SEQ2SEQ, decoder_vocab_size=128), None),
    ("mbart", "encoder-decoder", "mbart", "MBartForConditionalGeneration", SEQ2SEQ, None),
    ("pegasus", "encoder-decoder", "pegasus", "PegasusForConditionalGeneration", SEQ2SEQ, None),
]


def build(name: str, folder: Path) -> Path:
    """The architecture ``name`` with random weights, saved as a Hugging Face folder."""
    import torch
    import transformers

    transformers.utils.logging.set_verbosity_error()
    _, _, model_type, cls, kwargs, _ = next(a for a in ARCHS if a[0] == name)
    if kwargs is None:  # the demo's tiny DeepSeek-V3 (MoE experts, MLA attention)
        from workbench.core.demo import build_demo_model

        return build_demo_model(folder)
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(model_type, **kwargs)
    model = getattr(transformers, cls)(config).eval()
    model.config.architectures = [cls]
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def _error(err: BaseException) -> tuple[str, bool]:
    """(one line, whether the engine classified it as a WorkbenchError)."""
    from workbench.core.errors import WorkbenchError

    if isinstance(err, WorkbenchError):
        return err.one_line(), True
    first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {first}"[:400], False


def _dynamic(shapes: dict) -> dict:
    """{input: {axis: name}} of the dimensions a file's read-back shapes leave dynamic."""
    return {k: {str(a): d for a, d in enumerate(v) if isinstance(d, str)} for k, v in shapes.items()
            if any(isinstance(d, str) for d in v)}


def run_one(name: str) -> dict:
    """Build, export and validate one architecture in this process; never raises."""
    from workbench import api
    from workbench.core.specs import ExportSpec, ModelSource

    arch = next(a for a in ARCHS if a[0] == name)
    row = {"name": name, "family": arch[1], "model_type": arch[2], "class": arch[3], "task": arch[5],
           "exported": False, "validated": False, "error": None, "classified": None}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"coverage-{name}-") as tmp:
        stage = "build"
        try:
            src = build(name, Path(tmp) / "src")
            stage = "export"
            t = time.perf_counter()
            # an encoder-decoder model exports as a folder (encoder + decoder with past), anything else as one file
            seq2seq = json.loads((src / "config.json").read_text()).get("is_encoder_decoder", False)
            out = Path(tmp) / "onnx" if seq2seq else Path(tmp) / "onnx" / "model.onnx"
            res = api.export(ExportSpec(source=ModelSource(str(src), task=arch[5]), output=str(out)))
            row.update(exported=True, exporter=res.exporter, export_s=round(time.perf_counter() - t, 2),
                       fallback_reason=res.fallback_reason, inputs=res.input_names,
                       outputs=res.output_names, dynamic_requested=res.dynamic_axes,
                       dynamic_read_back=_dynamic(res.input_shapes), input_shapes=res.input_shapes,
                       output_shapes=res.output_shapes, notes=res.notes)
            row["dynamic_match"] = ({k: sorted(v) for k, v in row["dynamic_requested"].items() if v}
                                    == {k: sorted(v) for k, v in row["dynamic_read_back"].items()})
            stage = "validate"
            t = time.perf_counter()
            val = api.validate(str(out) if seq2seq else res.path, against=str(src))
            row.update(validated=bool(val.passed), validate_s=round(time.perf_counter() - t, 2),
                       shapes_validated=val.shapes_tried, static=val.static, reason=val.reason,
                       worst_max_rel_diff=max((o.max_rel_diff for o in val.outputs), default=None),
                       worst_cosine=min((o.cosine for o in val.outputs), default=None))
            if not val.passed:
                row["error"], row["classified"] = f"validation failed: {val.reason}", True
        except BaseException as err:  # noqa: BLE001 - every failure is this row's result
            row["error"], row["classified"] = _error(err)
            row["failed_stage"] = stage
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def _child(name: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PER_ARCH_TIMEOUT, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        return {"name": name, "exported": False, "validated": False, "classified": False,
                "error": f"timed out after {PER_ARCH_TIMEOUT} s", "seconds": PER_ARCH_TIMEOUT}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"name": name, "exported": False, "validated": False, "classified": False,
            "error": f"the child process ended with code {proc.returncode}: {tail[:300]}"}


def _markdown(rows: list, meta: dict) -> str:
    ok = sum(r["validated"] for r in rows)
    lines = [f"# Export coverage: {ok}/{len(rows)} architectures exported and validated", "",
             f"`{meta['command']}` on {meta['machine']} ({meta['date']}); torch {meta['torch']}, transformers "
             f"{meta['transformers']}, onnxruntime {meta['onnxruntime']}; optimum: {meta['optimum']}. "
             "Tiny random-weight models built from each config; exported and validated through "
             "`workbench.api` (what the CLI runs), one child process each. Decoder-only families with a "
             f"key/value cache export with `--task {WITH_PAST}`; encoder-decoder models export to a folder "
             "(encoder + decoder with past). Times (s: build + export + validate) are wall times on a machine "
             "shared with other jobs, two rows at once: compare them with each other, not with other runs.", "",
             *[f"Re-run later and merged: {', '.join(u['rows'])} ({u['date']}, `{u['command']}`)." for u in
               meta.get("updated", [])], "",
             f"Exported: {sum(r['exported'] for r in rows)}/{len(rows)}; validated: {ok}/{len(rows)}; "
             f"failures with an engine message (WorkbenchError): "
             f"{sum(1 for r in rows if r.get('error') and r.get('classified'))}/"
             f"{sum(1 for r in rows if r.get('error'))}.", "",
             "| architecture | family | exported | validated | dynamic asked → read back | shapes validated | s "
             "| error |", "|---|---|---|---|---|---|---|---|"]

    def dims(d):
        return "; ".join(f"{k}:{','.join(f'{a}={n}' for a, n in v.items())}" for k, v in (d or {}).items() if v)

    for r in rows:
        asked, back = dims(r.get("dynamic_requested")), dims(r.get("dynamic_read_back"))
        dyn = "" if not r["exported"] else (asked if r.get("dynamic_match") else f"{asked} → **{back}**")
        shapes = " ".join("x".join(map(str, s)) for s in r.get("shapes_validated") or [])
        err = (r.get("error") or "").replace("|", "\\|")
        lines.append(f"| {r['name']} | {r.get('family', '')} | {'yes' if r['exported'] else 'no'} | "
                     f"{'yes' if r['validated'] else 'no'} | {dyn} | {shapes} | {r.get('seconds', '')} | {err} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated architecture names (results printed, not written)")
    parser.add_argument("--jobs", type=int, default=1, help="architectures run at once (child processes)")
    parser.add_argument("--update", help="comma-separated architectures re-run and merged into the existing "
                                         "coverage.json (the others kept; meta records which and when)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(run_one(args.child), default=str))
        return
    names = (args.only or args.update).split(",") if (args.only or args.update) else [a[0] for a in ARCHS]
    unknown = sorted(set(names) - {a[0] for a in ARCHS})
    if unknown:
        raise SystemExit(f"unknown architectures: {', '.join(unknown)}")
    def one(name: str) -> dict:
        row = _child(name)
        mark = "ok" if row["validated"] else ("exported" if row["exported"] else "FAILED")
        print(f"{name:14} {mark:9} {row.get('seconds', '')!s:>7}  {row.get('error') or ''}"[:300], flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:  # each row is its own child process
        rows = list(pool.map(one, names))
    if args.only:
        return
    import onnxruntime
    import torch
    import transformers

    try:
        import optimum  # noqa: F401

        has_optimum = "installed"
    except ImportError:
        has_optimum = "not installed (not used)"
    meta = {"command": f"nice python benchmarks/coverage.py --jobs {args.jobs}",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d %H:%M"),
            "torch": torch.__version__,
            "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__,
            "optimum": has_optimum}
    if args.update:  # merge into the last full run, in the list's order
        previous = json.loads((RESULTS / "coverage.json").read_text())
        fresh = {r["name"]: r for r in rows}
        rows = [fresh.get(r["name"], r) for r in previous["rows"]]
        meta = {**previous["meta"], "updated": previous["meta"].get("updated", []) + [
            {"rows": sorted(fresh), "date": time.strftime("%Y-%m-%d %H:%M"), "command":
             f"nice python benchmarks/coverage.py --update {args.update} --jobs {args.jobs}"}]}
    summary = {"architectures": len(rows), "exported": sum(r["exported"] for r in rows),
               "validated": sum(r["validated"] for r in rows)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coverage.json").write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows},
                                                      indent=1, default=str) + "\n")
    (RESULTS / "coverage.md").write_text(_markdown(rows, meta))
    print(f"{summary['validated']}/{summary['architectures']} validated; wrote {RESULTS / 'coverage.md'}")


if __name__ == "__main__":
    main()
