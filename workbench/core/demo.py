"""The built-in demo: a tiny DeepSeek-V3-style causal LM (MoE + MLA) built from a config with random weights,
saved as a Hugging Face folder (safetensors, config, a tokenizer trained offline), and the whole pipeline run
on it through a recipe, ending with the report."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_TEXT = """The workbench exports a model to ONNX and checks that it computes what PyTorch computes.
Quantization makes the model smaller and faster; fidelity says how much it changed.
模型工作台把训练好的模型导出为 ONNX，并验证结果与 PyTorch 一致。
Benchmarks compare latency, throughput and memory on ONNX Runtime and PyTorch.
DeepSeek models use a mixture of experts and multi-head latent attention."""

DEMO_RECIPE = """# The demo pipeline: every step the workbench offers, on the built-in tiny model.
name = "demo"
output_dir = "."

[source]
path = "demo-model"

[export]
dtype = "fp32"
exporter = "dynamo"
batch = 2
sequence = 8

[validate]

[optimize]
level = "extended"
simplify = true

[[quantize]]
mode = "int8-dynamic"
per_channel = true

[[quantize]]
mode = "fp16"

[[quantize]]
mode = "int4"
block_size = 32

[bench]
provider = "cpu"
batch = 1
sequence = 32
iterations = {iterations}
compare_torch = true
"""


def build_tokenizer(folder: Path) -> None:
    """A byte-level BPE tokenizer trained offline on a few lines (no hub download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + 64, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(DEMO_TEXT.splitlines(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.save_pretrained(str(folder))
    (folder / "calibration.txt").write_text(DEMO_TEXT + "\n", encoding="utf-8")


def build_demo_model(folder: str | os.PathLike, seed: int = 0) -> Path:
    """Write the demo model folder (config.json, model.safetensors, tokenizer) and return its path."""
    import torch
    import transformers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = transformers.DeepseekV3Config(
        vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=2,
        first_k_dense_replace=1, num_attention_heads=4, num_key_value_heads=4, n_routed_experts=4,
        num_experts_per_tok=2, n_shared_experts=1, n_group=1, topk_group=1, q_lora_rank=32, kv_lora_rank=16,
        qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=16, max_position_embeddings=128,
        bos_token_id=0, eos_token_id=1, pad_token_id=2)
    config.architectures = ["DeepseekV3ForCausalLM"]
    model = transformers.DeepseekV3ForCausalLM(config).eval()
    model.save_pretrained(str(folder), safe_serialization=True)
    build_tokenizer(folder)
    return folder


def run_demo(output_dir: str = "workbench-demo", progress=None, cancel=None, quick: bool = False,
             force: bool = False):
    """Build the demo model in ``output_dir/demo-model`` (kept for the next run) and run the demo recipe there.

    Every write goes through workbench.core.fsutil: a second run into the same folder re-writes the workbench's
    own files, files of the user's are replaced only with ``force``, and a failed run removes what it added."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.fsutil import output_folder, staged_folder, staged_output
    from workbench.core.jobs import no_progress
    from workbench.core.recipe import run_recipe

    with output_folder(output_dir) as out:
        (progress or no_progress)(0.0, "building the demo model")
        model_dir = out / "demo-model"
        if not (model_dir / "config.json").is_file():
            if os.path.lexists(model_dir):
                raise WorkbenchError(f"{model_dir} exists and is not the demo model",
                                     "give the demo a new or empty folder (-o DIR)")
            with staged_folder(model_dir) as stage:
                build_demo_model(stage)
        recipe = out / "demo.toml"
        with staged_output(recipe, force=force) as path:
            path.write_text(DEMO_RECIPE.replace("{iterations}", "20" if quick else "100"), encoding="utf-8")
        return run_recipe(str(recipe), str(out), progress=progress, cancel=cancel, overwrite=force)
