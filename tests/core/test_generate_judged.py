"""Decoder-only `workbench generate MODEL --compare-torch SRC` judges greedy tokens: an intact KV-cache export of a
tiny Llama exits 0; the same export compared with a PyTorch source whose lm_head is negated (argmax becomes argmin,
so step 0 must differ) exits 1, the JSON and the one-line reason naming the step and both tokens. Sampled
generation is reported, not judged: it exits 0 on the same disagreement."""

import json
import subprocess
import sys

import pytest

from workbench import api
from workbench.core.specs import ModelSource


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    """(source, export, perturbed source), the export built once."""
    import torch
    import transformers as tf

    root = tmp_path_factory.mktemp("judged")
    torch.manual_seed(0)
    config = tf.LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                            tie_word_embeddings=False)
    model = tf.AutoModelForCausalLM.from_config(config).eval()
    model.config.architectures = [type(model).__name__]
    model.save_pretrained(str(root / "src"))
    with torch.no_grad():
        model.lm_head.weight.neg_()
    model.save_pretrained(str(root / "bad"))
    api.export(ModelSource(str(root / "src"), task="text-generation-with-past"), str(root / "out"))
    return root / "src", root / "out", root / "bad"


def wb(*args):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_intact_export_agrees_and_passes(llama):
    src, out, _ = llama
    result = api.generate(str(out), [1, 5, 9, 22], 6, compare_torch=str(src), stop_at_eos=False)
    assert result.agreement["passed"] is True and result.agreement["rate"] == 1.0
    assert result.outcome() == (True, None)


def test_greedy_disagreement_exits_1_naming_step_and_tokens(llama):
    src, out, bad = llama
    result = api.generate(str(out), [1, 5, 9, 22], 6, compare_torch=str(bad), stop_at_eos=False)
    agree = result.agreement
    assert agree["passed"] is False and agree["first_divergence"] == 0
    assert agree["diverging"] == {"step": 0, "model": result.tokens[0], "torch": agree["torch_tokens"][0]}
    assert agree["diverging"]["model"] != agree["diverging"]["torch"]
    ok, reason = result.outcome()
    assert not ok and "step 0" in reason and f"token {result.tokens[0]}" in reason
    proc = wb("generate", out, "--prompt-ids", "1,5,9,22", "--max-new-tokens", "3", "--compare-torch", bad,
              "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["agreement"]["passed"] is False and data["agreement"]["diverging"]["step"] == 0
    assert "at step 0" in data["agreement"]["reason"]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("workbench generate:")]
    assert len(lines) == 1 and "at step 0" in lines[0] and "PyTorch gave" not in lines[0], proc.stderr


def test_intact_export_cli_exits_0(llama):
    src, out, _ = llama
    proc = wb("generate", out, "--prompt-ids", "1,5,9,22", "--max-new-tokens", "3", "--compare-torch", src,
              "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["agreement"]["passed"] is True


def test_sampled_generation_is_not_judged_by_identity(llama):
    src, out, bad = llama
    result = api.generate(str(out), [1, 5, 9, 22], 6, temperature=0.8, seed=1, compare_torch=str(bad),
                          stop_at_eos=False)
    assert result.agreement["expect_identical"] is False and result.agreement["passed"] is True
    assert result.agreement["rate"] < 1.0  # they did disagree; the draw is just not held to identity
    assert result.outcome() == (True, None) and any("not judged" in n for n in result.notes)
