"""LLMs end to end: export a decoder with past key values, generate over it, compare with PyTorch token for token,
refuse frozen MoE routing, quantized decoders, the CLI's generate and bench --generate.

Every family is a tiny random model built here (hidden 32, 2 layers, vocab 128); DeepSeek-V3 is the demo model
(conftest's tiny_models: MoE + MLA, hidden 64, vocab 512, with a tokenizer for text prompts). Exports are shared
per module. An export costs 15-75 s on a loaded 2-core machine, so Llama, GPT-2 and DeepSeek-V3 run by default and
the other families (Qwen2, Qwen3, Mistral with a sliding window shorter than the text, Phi3, Gemma) with --runslow.
"""

import json
import subprocess
import sys

import onnx
import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.specs import ModelSource

TASK = "text-generation-with-past"
PROMPTS = [[1, 5, 9, 22, 7], [3, 4], [100, 50, 25, 12, 6, 3, 1, 0]]
FAST = ("llama", "gpt2", "deepseek_v3")  # GQA + rope; absolute positions; MoE + MLA (latent keys, rope values)


def _config(kind: str):
    import transformers as tf

    common = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64)
    return {
        "llama": lambda: tf.LlamaConfig(**common),
        "qwen2": lambda: tf.Qwen2Config(**common),
        "qwen3": lambda: tf.Qwen3Config(head_dim=8, **common),
        # a window shorter than prompt + new tokens: the sliding-window mask is exercised
        "mistral": lambda: tf.MistralConfig(sliding_window=6, **common),
        "phi3": lambda: tf.Phi3Config(pad_token_id=0, bos_token_id=1, eos_token_id=2, **common),
        "gemma": lambda: tf.GemmaConfig(head_dim=8, **common),
        "gpt2": lambda: tf.GPT2Config(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                                      bos_token_id=0, eos_token_id=1),
    }[kind]()


FAMILIES = ("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma", "gpt2", "deepseek_v3")


def _build(kind: str, folder, tiny_models):
    if kind == "deepseek_v3":
        return tiny_models("deepseek_v3")
    import torch
    import transformers as tf

    torch.manual_seed(0)
    model = tf.AutoModelForCausalLM.from_config(_config(kind)).eval()
    model.config.architectures = [type(model).__name__]
    model.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def decoders(tmp_path_factory, tiny_models):
    """decoders(kind) -> (source folder, exported folder, ExportResult), built once per module."""
    cache: dict = {}
    root = tmp_path_factory.mktemp("decoders")

    def get(kind: str):
        if kind not in cache:
            src = _build(kind, root / "src" / kind, tiny_models)
            result = api.export(ModelSource(str(src), task=TASK), str(root / "out" / kind))
            cache[kind] = (src, root / "out" / kind, result)
        return cache[kind]

    return get


def _dims(path):
    model = onnx.load(str(path), load_external_data=False)
    return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in [*model.graph.input, *model.graph.output]}


@pytest.mark.parametrize("kind", [k if k in FAST else pytest.param(k, marks=pytest.mark.slow) for k in FAMILIES])
def test_family_exports_a_decoder_that_agrees_token_for_token(kind, decoders):
    src, out, result = decoders(kind)
    layers = 2
    assert result.input_names == ["input_ids", "attention_mask", "position_ids",
                                  *[f"past_key_values.{i}.{t}" for i in range(layers) for t in ("key", "value")]]
    assert result.output_names == ["logits", *[f"present.{i}.{t}" for i in range(layers) for t in ("key", "value")]]
    assert {"config.json", "generation_config.json"} <= {p.name for p in out.iterdir()}
    report = api.compare_generation(str(out), str(src), PROMPTS, max_new_tokens=12)
    assert report["rate"] == 1.0, report
    assert [p["first_divergence"] for p in report["prompts"]] == [None] * len(PROMPTS)
    assert all(len(p["onnx"]) == 12 for p in report["prompts"])


def test_dynamic_batch_sequence_and_past_against_pytorch(decoders):
    from workbench.core.export.decoder_model import cache_layout, decoder_module
    from workbench.core.export.decoder_check import check_decoder
    from workbench.core.loading.hf_folder import load_hf_model

    src, out, result = decoders("llama")
    dims = _dims(out / "model.onnx")
    assert dims["input_ids"] == ["batch", "sequence"] and dims["position_ids"] == ["batch", "sequence"]
    assert dims["attention_mask"] == ["batch", "total_sequence"]
    assert dims["past_key_values.0.key"] == ["batch", 2, "past_sequence", 8]
    assert dims["present.1.value"][0] == "batch" and dims["logits"][:2] == ["batch", "sequence"]
    # the example had distinct sizes on every dynamic axis (none specialised), past and sequence at least 2
    shapes = result.example_shapes
    assert len({shapes["input_ids"][0], shapes["input_ids"][1], shapes["past_key_values.0.key"][2]}) == 3
    assert min(shapes["input_ids"][1], shapes["past_key_values.0.key"][2]) >= 2
    model = load_hf_model(src, task="text-generation").module.model
    layout = cache_layout(model)
    report = check_decoder(out / "model.onnx", decoder_module(model, len(layout)), layout, 128,
                           shapes=((1, 1, 0, 1), (4, 2, 6, 2), (1, 7, 3, 3), (5, 1, 17, 4)))
    assert report["max_rel_diff"] < 1e-5


def test_left_padded_batch_matches_pytorch_and_hf_generate(decoders):
    import torch
    import transformers

    from workbench.core.generate_decoders import OrtDecoder, TorchDecoder, folder_settings
    from workbench.core.generate import Sampling, run_steps

    src, out, _ = decoders("llama")
    settings = folder_settings(out)
    onnx_rows = run_steps(OrtDecoder(out / "model.onnx"), PROMPTS, 8, Sampling(), settings, stop_at_eos=False)
    torch_rows = run_steps(TorchDecoder(src), PROMPTS, 8, Sampling(), settings, stop_at_eos=False)
    assert onnx_rows["rows"] == torch_rows["rows"]
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(src)).eval()
    expected = hf.generate(torch.tensor([PROMPTS[0]]), max_new_tokens=8, do_sample=False, min_new_tokens=8)
    assert onnx_rows["rows"][0] == expected[0, len(PROMPTS[0]):].tolist()


def test_mla_cache_layout_is_read_from_the_model(decoders):
    _, out, result = decoders("deepseek_v3")
    dims = _dims(out / "model.onnx")
    key, value = dims["past_key_values.0.key"], dims["past_key_values.0.value"]
    assert key[1:] == [1, "past_sequence", 16] and value[1:] == [1, "past_sequence", 8]  # latent + rope parts
    assert result.family_settings["load_kwargs"] == {"experts_implementation": "batched_mm"}
    assert {"tokenizer.json", "tokenizer_config.json"} <= {p.name for p in out.iterdir()}
    meta = {p.key: p.value for p in onnx.load(str(out / "model.onnx"), load_external_data=False).metadata_props}
    assert meta["workbench.task"] == TASK and json.loads(meta["workbench.decoder_check"])["moe"] is True


def test_eager_experts_with_the_legacy_exporter_are_refused(tiny_models, tmp_path):
    source = ModelSource(str(tiny_models("deepseek_v3")), task=TASK,
                         family_options={"experts_implementation": "eager"})
    with pytest.raises(WorkbenchError, match="froze the MoE routing") as err:
        api.export(source, str(tmp_path / "out"), exporter="legacy", fallback=False)
    assert "\n" not in str(err.value) and "batched_mm" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_the_check_refuses_a_graph_that_computes_something_else(decoders):
    """A graph frozen to other values than PyTorch computes (here: PyTorch with changed weights) is refused; MoE
    models are told it is the routing."""
    import torch

    from workbench.core.export.decoder_model import cache_layout, decoder_module
    from workbench.core.export.decoder_check import check_decoder
    from workbench.core.loading.hf_folder import load_hf_model

    src, out, _ = decoders("llama")
    model = load_hf_model(src, task="text-generation").module.model
    with torch.no_grad():
        model.model.layers[1].mlp.down_proj.weight.mul_(1.5)
    layout = cache_layout(model)
    module = decoder_module(model, len(layout))
    with pytest.raises(WorkbenchError, match="froze the MoE routing.*differs from PyTorch"):
        check_decoder(out / "model.onnx", module, layout, 128, moe=True, exporter="legacy")
    with pytest.raises(WorkbenchError, match="exported decoder differs from PyTorch"):
        check_decoder(out / "model.onnx", module, layout, 128, moe=False)


def test_text_prompt_streaming_and_seeded_sampling(decoders):
    src, out, _ = decoders("deepseek_v3")
    steps = list(api.generate_stream(str(out), "The workbench exports", 5))
    assert [s.index for s in steps] == list(range(len(steps))) and 1 <= len(steps) <= 5
    assert all(s.latency_ms > 0 and len(s.tokens) == 1 for s in steps)
    result = api.generate(str(out), "The workbench exports", 5, compare_torch=str(src))
    assert result.tokens == [s.tokens[0] for s in steps] and result.text == "".join(s.text for s in steps)
    assert result.agreement["rate"] == 1.0 and result.agreement["first_divergence"] is None
    first = api.generate(str(out), [5, 6, 7], 6, temperature=0.9, top_k=20, seed=3, stop_at_eos=False)
    again = api.generate(str(out), [5, 6, 7], 6, temperature=0.9, top_k=20, seed=3, stop_at_eos=False)
    assert first.tokens == again.tokens and len(first.tokens) == 6


def test_quantized_decoders_report_agreement(decoders, tmp_path):
    src, out, _ = decoders("llama")
    for mode, extra in (("int8-dynamic", {}), ("int4", {"block_size": 32}), ("fp16", {})):
        q = api.quantize(str(out / "model.onnx"), str(out / f"model.{mode}.onnx"), mode=mode, **extra)
        assert q.fidelity.cosine > 0.9
        report = api.compare_generation(q.output, str(src), PROMPTS, max_new_tokens=8)
        assert 0.0 <= report["rate"] <= 1.0
        for row in report["prompts"]:
            assert row["first_divergence"] is None or 0 <= row["first_divergence"] < 8
            assert row["first_divergence"] is not None or row["rate"] == 1.0


def test_bench_generate_in_process_rows(decoders):
    src, out, _ = decoders("llama")
    result = api.bench_generate([str(out)], str(src), prompt_tokens=6, max_new_tokens=4, batch=3, repeats=1,
                                isolated=False)
    assert [(r.name, r.batch) for r in result.rows] == [("PyTorch eager", 1), ("PyTorch eager", 3),
                                                       ("ORT model.onnx", 1), ("ORT model.onnx", 3)]
    for row in result.rows:
        assert row.ttft_ms > 0 and row.decode_ms["p50"] > 0 and row.tokens_per_s > 0 and row.new_tokens == 4
    assert result.rows[0].agreement is None
    assert result.rows[2].agreement == {"rate": 1.0, "first_divergence": None}


def wb(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_cli_generate_and_bench_generate_json(decoders):
    src, out, _ = decoders("deepseek_v3")
    proc = wb("generate", out, "--prompt", "The workbench", "--max-new-tokens", "4", "--compare-torch", src,
              "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"text", "tokens", "ttft_ms", "decode_ms", "tokens_per_s", "agreement"} <= set(data)
    assert set(data["decode_ms"]) == {"p50", "p95"} and data["agreement"]["rate"] == 1.0
    # ONNX only here (a PyTorch child process costs ~20 s; test_bench_generate_in_process_rows has PyTorch rows)
    proc = wb("bench", out, "--generate", "--seq", "6", "--max-new-tokens", "3", "--batch", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [(r["name"], r["batch"]) for r in data["rows"]] == [("ORT model.onnx", 1), ("ORT model.onnx", 2)]
    for row in data["rows"]:
        assert {"ttft_ms", "decode_ms", "tokens_per_s", "peak_rss_mb", "agreement"} <= set(row)
        assert set(row["decode_ms"]) == {"p50", "p95"} and row["peak_rss_mb"] > 0 and row["tokens_per_s"] > 0


@pytest.mark.parametrize("args, message", [
    (["--prompt-ids", "1,2,99999"], "outside the vocabulary"),
    (["--prompt", ""], "the prompt is empty"),
    (["--prompt-ids", "1,x"], "bad --prompt-ids"),
])
def test_cli_bad_prompt_is_one_line(decoders, args, message):
    _, out, _ = decoders("deepseek_v3")
    proc = wb("generate", out, *args)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("[")]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert message in lines[0] and "Traceback" not in proc.stderr


def test_cli_bad_model_is_one_line(tmp_path, decoders):
    src, _, _ = decoders("llama")
    for model, message in ((tmp_path / "nope", "no such file"), (src, "no tokenizer"),
                           (tmp_path, "neither an ONNX decoder")):
        proc = wb("generate", model, "--prompt", "hello")
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("[")]
        assert proc.returncode == 1 and len(lines) == 1 and message in lines[0], proc.stderr


def test_export_refuses_names_and_axes_it_sets_itself(tmp_path):
    with pytest.raises(WorkbenchError, match="names its inputs"):
        api.export(ModelSource(str(tmp_path), task=TASK), str(tmp_path / "o"), input_names=("a",))


def test_validate_on_a_decoder_runs_the_decoder_check(decoders):
    src, _, export = decoders("llama")
    result = api.validate(export.path, against=str(src))
    assert result.passed and len(result.shapes_tried) >= 2
    # judged by the float32 limits every validation uses (README), not the export check's looser 1e-3
    assert (result.rtol, result.atol) == (1e-4, 1e-5)
    assert all(o.max_rel_diff <= 1e-4 and o.cosine >= 0.99999 for o in result.outputs)
