"""The CUDA path on a machine without CUDA: provider checks and fallback notes, `optimize --target cuda` (fusion and
fp16 run on the CPU too), the Gemm repair after onnxscript's attention fusion, the recipe key and the CLI flag."""

import json
import subprocess
import sys

import numpy as np
import pytest

from workbench import api
from workbench.core import ort as wort
from workbench.core.bench.latency import iter_samples, run_bench, torch_samples
from workbench.core.errors import WorkbenchError
from workbench.core.recipe import parse_recipe
from workbench.core.specs import BenchSpec

pytestmark = pytest.mark.filterwarnings("ignore:Specified provider 'CUDAExecutionProvider':UserWarning")
no_cuda = pytest.mark.skipif(wort.cuda_available(), reason="checks the fallback of a machine without CUDA")
FAST = dict(iterations=3, warmup=1, batch=1, sequence=8)


def _fake_cuda(monkeypatch):
    """ONNX Runtime "has" CUDA, but this CPU build cannot start it: the session really runs on the CPU."""
    monkeypatch.setattr(wort, "providers_for",
                        lambda provider: ((["CUDAExecutionProvider", "CPUExecutionProvider"], [])
                                          if provider == "cuda" else (["CPUExecutionProvider"], [])))


@pytest.fixture(scope="module")
def biased_gpt2(tmp_path_factory):
    """A tiny GPT-2 whose biases are not zero (zero biases are folded away by the exporter, unlike real ones)."""
    import torch
    import transformers as tf

    torch.manual_seed(0)
    # 301 words: an LM head wider than ALIGN_MIN_WIDTH and not a multiple of 8, like GPT-2's 50257
    model = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=301, n_embd=32, n_layer=2, n_head=4, n_positions=64))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                p.add_(torch.randn_like(p) * 0.05)
    folder = tmp_path_factory.mktemp("gpt2-biased") / "gpt2"
    model.save_pretrained(str(folder))
    exp = api.export(str(folder), str(folder.parent / "onnx" / "model.onnx"))
    return folder, exp.path


# ------------------------------------------------------------------------------------------- make_session

def test_make_session_on_cpu_says_cpu(exported):
    notes = []
    session = wort.make_session(exported("bert").path, "cpu", notes=notes)
    assert session.workbench_provider == "cpu" and wort.active_provider(session) == "cpu"
    assert notes == []


@no_cuda
def test_cuda_asked_without_cuda_is_noted_or_refused(exported):
    notes = []
    session = wort.make_session(exported("bert").path, "cuda", notes=notes)
    assert session.workbench_provider == "cpu"
    assert any("CUDA is not available" in n for n in notes)
    with pytest.raises(WorkbenchError, match="CUDA is not available"):
        wort.make_session(exported("bert").path, "cuda", strict=True)


def test_cuda_that_does_not_start_is_detected_after_creation(exported, monkeypatch):
    _fake_cuda(monkeypatch)
    notes = []
    session = wort.make_session(exported("bert").path, "cuda", notes=notes,
                                provider_options={"enable_cuda_graph": True})
    assert session.workbench_provider == "cpu"
    assert notes == [wort.NOT_ACTIVE]
    with pytest.raises(WorkbenchError, match="could not start"):
        wort.make_session(exported("bert").path, "cuda", strict=True)


def test_provider_options_merge_over_the_defaults(monkeypatch):
    _fake_cuda(monkeypatch)
    providers, notes = wort.provider_list("cuda", {"enable_cuda_graph": True, "device_id": 1, "gpu_mem_limit": 2**30})
    name, options = providers[0]
    assert name == "CUDAExecutionProvider" and notes == []
    assert options == {"device_id": "1", "arena_extend_strategy": "kSameAsRequested", "enable_cuda_graph": "1",
                       "gpu_mem_limit": str(2**30)}
    assert wort.provider_list("cpu", {"enable_cuda_graph": True})[0] == ["CPUExecutionProvider"]


def test_decoder_sessions_on_cuda_leave_out_cudnn_attention(monkeypatch, tmp_path):
    """Decoder sessions pin ORT's attention kernels to flash / memory-efficient / unfused (no cuDNN SDPA);
    WORKBENCH_CUDA_SDPA_KERNEL overrides, 0 gives ORT's own choice; the GQA decoder asks for the same."""
    _fake_cuda(monkeypatch)
    monkeypatch.delenv("WORKBENCH_CUDA_SDPA_KERNEL", raising=False)
    assert wort.decoder_cuda_options() == {"sdpa_kernel": "19"}
    options = wort.provider_list("cuda", wort.decoder_cuda_options())[0][0][1]
    assert options["sdpa_kernel"] == "19" and options["arena_extend_strategy"] == "kSameAsRequested"
    monkeypatch.setenv("WORKBENCH_CUDA_SDPA_KERNEL", "0")
    assert wort.decoder_cuda_options() == {}
    monkeypatch.setenv("WORKBENCH_CUDA_SDPA_KERNEL", "8")
    assert wort.decoder_cuda_options() == {"sdpa_kernel": "8"}
    monkeypatch.setenv("WORKBENCH_CUDA_SDPA_KERNEL", "cudnn")
    with pytest.raises(WorkbenchError, match="must be ONNX Runtime's sdpa_kernel bitmask, not 'cudnn'"):
        wort.decoder_cuda_options()
    monkeypatch.delenv("WORKBENCH_CUDA_SDPA_KERNEL")
    import onnxruntime as ort

    from workbench.core.runtimes import ort_gqa

    seen = {}

    class Session:  # records the providers the GQA decoder asks for, then stops it
        def __init__(self, path, so, providers):
            seen["providers"] = providers
            raise RuntimeError("recorded")

    monkeypatch.setattr(ort, "InferenceSession", Session)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with pytest.raises(RuntimeError, match="recorded"):
        ort_gqa.GQADecoder(tmp_path / "m.onnx", "cuda")
    assert seen["providers"] == [("CUDAExecutionProvider", {"enable_cuda_graph": "1", "sdpa_kernel": "19"})]


# ------------------------------------------------------------------------------------------------- bench

@no_cuda
def test_bench_reports_cpu_when_cuda_is_missing(exported):
    res = run_bench(BenchSpec(model=exported("bert").path, provider="cuda", cuda_graph=True, **FAST))
    assert res.provider == "cpu"
    assert any("CUDA is not available" in n for n in res.notes)
    assert any("CUDA graphs need the CUDA provider" in n for n in res.notes)


def test_bench_reports_cpu_when_cuda_does_not_start(exported, monkeypatch):
    _fake_cuda(monkeypatch)
    sampler = iter_samples(BenchSpec(model=exported("bert").path, provider="cuda", cuda_graph=True, **FAST))
    samples = list(sampler)
    assert len(samples) == FAST["iterations"]
    assert sampler.provider == "cpu" and not sampler.cuda_graph
    assert wort.NOT_ACTIVE in sampler.notes


def test_samplers_keep_the_last_outputs(exported, tiny_models):
    from workbench.core.loading import load_model
    from workbench.core.specs import ModelSource

    loaded = load_model(ModelSource(path=str(tiny_models("bert"))), "fp32")
    inputs = loaded.make_inputs(1, 8)
    ort_sampler = iter_samples(BenchSpec(model=exported("bert").path, io_binding=True, **FAST), inputs=inputs)
    ort_sampler.keep_outputs = True
    list(ort_sampler)
    torch_sampler = torch_samples(str(tiny_models("bert")), BenchSpec(model=str(tiny_models("bert")), **FAST),
                                  inputs=inputs, loaded=loaded)
    torch_sampler.keep_outputs = True
    list(torch_sampler)
    a, b = ort_sampler.outputs[0], torch_sampler.outputs[0]
    assert a.shape == b.shape and np.abs(a - b).max() < 1e-4


# ------------------------------------------------------------------------------------- optimize --target cuda

def _attention(op_counts) -> int:
    # packed Attention where the q/k/v biases fuse too; MultiHeadAttention where the exporter folded zero biases
    return op_counts.get("Attention", 0) + op_counts.get("MultiHeadAttention", 0)


def _io_types(path):
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {v.type.tensor_type.elem_type for v in list(model.graph.input) + list(model.graph.output)}


def test_optimize_for_cuda_fuses_gpt2_and_keeps_fp32_io(biased_gpt2, tmp_path):
    import onnx

    folder, path = biased_gpt2
    res = api.optimize(path, str(tmp_path / "cuda.onnx"), target="cuda", simplify=False, against=str(folder))
    steps = {s["name"]: s for s in res.steps}
    assert list(steps) == ["onnxslim", "transformer fusion", "attention fusion", "alignment", "fp16", "ort"]
    assert steps["transformer fusion"]["applied"] and "SkipLayerNormalization" in steps["transformer fusion"]["detail"]
    assert steps["attention fusion"]["applied"] and "reshaped back to 2-D" in steps["attention fusion"]["detail"]
    assert steps["fp16"]["applied"]
    assert steps["alignment"]["applied"] and "301 -> 304 columns" in steps["alignment"]["detail"]
    # the packed c_attn projection and its Split are one Attention per layer; c_proj's bias is SkipLayerNorm's
    assert "2 packed QKV projection(s) + MultiHeadAttention made Attention" in steps["attention fusion"]["detail"]
    assert "2 Gemm bias(es) moved into SkipLayerNormalization" in steps["attention fusion"]["detail"]
    assert res.op_counts_after.get("Attention") == 2 and "MultiHeadAttention" not in res.op_counts_after
    assert "Split" not in res.op_counts_after and "Gemm" not in res.op_counts_after
    assert res.op_counts_after.get("FastGelu") == 2
    assert res.nodes_after < res.nodes_before / 2
    assert wort.model_float_dtype(res.output) == "fp16"
    assert _io_types(res.output) <= {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64}
    assert res.validation is not None and res.validation.passed
    assert max(d.max_rel_diff for d in res.validation.outputs) <= 1e-2  # fp16 against eager fp32


def test_optimize_for_cuda_fuses_bert_attention(exported, tiny_models, tmp_path):
    res = api.optimize(exported("bert").path, str(tmp_path / "cuda.onnx"), target="cuda",
                       against=str(tiny_models("bert")))
    assert _attention(res.op_counts_after) == 2
    assert res.op_counts_after.get("SkipLayerNormalization", 0) >= 2
    assert res.validation.passed


def test_optimize_for_cuda_without_fusion_is_plain_fp16(exported, tmp_path):
    res = api.optimize(exported("bert").path, str(tmp_path / "fp16.onnx"), target="cuda", fusion=False)
    assert [s["applied"] for s in res.steps] == [True, False, False, False, True, False]
    assert res.steps[3]["detail"].startswith("no wide matrix product")
    assert wort.model_float_dtype(res.output) == "fp16"
    assert res.validation is None


def test_zero_bias_gpt2_is_fused_too(exported, tiny_models, tmp_path):
    # A fresh GPT-2's zero biases are folded away by the exporter; ORT's GPT-2 fusion then read gemm.input[2] and
    # stopped with "list index out of range" (seen on the GPU machine). Each bare Gemm gets a zero bias first.
    res = api.optimize(exported("gpt2").path, str(tmp_path / "cuda.onnx"), target="cuda",
                       against=str(tiny_models("gpt2")))
    fusion = next(s for s in res.steps if s["name"] == "transformer fusion")
    assert fusion["applied"], fusion["detail"]
    assert "bias-less Gemm(s) given a zero bias first" in fusion["detail"]
    assert res.op_counts_after.get("SkipLayerNormalization", 0) >= 2
    assert _attention(res.op_counts_after) == 2
    assert res.validation.passed


def test_bias_bare_gemms_adds_zero_biases_that_change_nothing():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from workbench.core.optimize.rewrites import bias_bare_gemms

    rng = np.random.default_rng(0)
    w, wt = rng.standard_normal((4, 3), np.float32), rng.standard_normal((5, 3), np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w"], ["y"]), helper.make_node("Gemm", ["y", "wt"], ["z"], transB=1),
         helper.make_node("Gemm", ["z", "x2"], ["u"])],  # weight not an initializer: left alone
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4]),
              helper.make_tensor_value_info("x2", TensorProto.FLOAT, [5, 2])],
        [helper.make_tensor_value_info("u", TensorProto.FLOAT, [2, 2])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(wt, "wt")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"x": rng.standard_normal((2, 4), np.float32), "x2": rng.standard_normal((5, 2), np.float32)}
    before = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    assert bias_bare_gemms(model) == 2
    assert [len(n.input) for n in model.graph.node] == [3, 3, 2]
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    assert shapes[model.graph.node[0].input[2]] == (3,) and shapes[model.graph.node[1].input[2]] == (5,)
    onnx.checker.check_model(model)
    after = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    np.testing.assert_array_equal(before[0], after[0])
    assert bias_bare_gemms(model) == 0  # biased now: nothing more to do


def test_fp16_that_misses_the_tolerance_is_reverted(exported, tiny_models, tmp_path, monkeypatch):
    from workbench.core import validate

    monkeypatch.setitem(validate.TOLERANCES, "fp16", (1e-12, 1e-15, 1.0))
    res = api.optimize(exported("bert").path, str(tmp_path / "cuda.onnx"), target="cuda",
                       against=str(tiny_models("bert")))
    fp16 = next(s for s in res.steps if s["name"] == "fp16")
    assert not fp16["applied"] and fp16["detail"].startswith("reverted")
    assert wort.model_float_dtype(res.output) == "fp32"
    assert res.validation.passed
    assert _attention(res.op_counts_after) == 2  # the fusion stays


def test_unknown_target_is_refused(exported, tmp_path):
    with pytest.raises(WorkbenchError, match="unknown optimization target"):
        api.optimize(exported("bert").path, str(tmp_path / "x.onnx"), target="tpu")
    assert not (tmp_path / "x.onnx").exists()


def test_repair_gemm_inputs_makes_a_rank3_gemm_input_loadable(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from workbench.core.optimize.rewrites import repair_gemm_inputs

    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    nodes = [helper.make_node("FastGelu", ["x"], ["g"], domain="com.microsoft"),
             helper.make_node("Gemm", ["g", "w"], ["y2"]),
             helper.make_node("Reshape", ["y2", "shape"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 5])],
                              [numpy_helper.from_array(w, "w"),
                               numpy_helper.from_array(np.array([2, 3, 5], np.int64), "shape")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.microsoft", 1)])
    broken = tmp_path / "broken.onnx"
    onnx.save(model, str(broken))
    with pytest.raises(WorkbenchError):
        wort.make_session(broken)
    assert repair_gemm_inputs(model) == 1
    fixed = tmp_path / "fixed.onnx"
    onnx.save(model, str(fixed))
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = wort.make_session(fixed).run(None, {"x": x})[0]
    gelu = 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))
    assert np.allclose(y, gelu @ w, atol=1e-4)


# -------------------------------------------------------------------------------------------- recipe and CLI

def test_recipe_accepts_the_optimize_target(tmp_path):
    text = '[source]\npath = "m"\n[optimize]\nlevel = "basic"\ntarget = "cuda"\n'
    recipe = parse_recipe(text, tmp_path / "r.toml", ".toml")
    assert recipe.optimize == {"level": "basic", "target": "cuda"}
    with pytest.raises(WorkbenchError, match="'target' should be str"):
        parse_recipe('[source]\npath = "m"\n[optimize]\ntarget = 1\n', tmp_path / "r.toml", ".toml")


def test_cli_optimize_target_cuda(exported, tmp_path):
    out = tmp_path / "cuda.onnx"
    proc = subprocess.run([sys.executable, "-m", "workbench", "optimize", exported("bert").path, "-o", str(out),
                           "--target", "cuda", "--json"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [s["name"] for s in data["steps"]][-2:] == ["fp16", "ort"]
    assert _attention(data["op_counts_after"]) == 2
    bad = subprocess.run([sys.executable, "-m", "workbench", "optimize", exported("bert").path, "-o", str(out),
                          "--target", "tpu"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2


def test_cuda_graph_output_layout_comes_from_the_named_dims(exported, tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from workbench.core.bench.latency import OrtSampler

    sampler = OrtSampler(BenchSpec(model=exported("bert").path, **FAST))
    session = wort.make_session(exported("bert").path)
    feeds = sampler._feeds(session)
    expected = [list(np.shape(r)) for r in session.run(None, feeds)]
    assert [shape for shape, _ in sampler._output_layout(session, feeds)] == expected
    # an output dimension the inputs do not name: one run of a plain session tells the shape
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "flat"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["a", "b"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["weird"])],
                              [numpy_helper.from_array(np.array([-1], np.int64), "flat")])
    path = tmp_path / "flat.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    sampler = OrtSampler(BenchSpec(model=str(path), **FAST))
    session = wort.make_session(path)
    layout = sampler._output_layout(session, {"x": np.zeros((3, 5), np.float32)})
    assert layout == [([15], np.float32)]


def test_pad_matmul_outputs_keeps_results_and_a_tied_embedding(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from workbench.core.optimize.rewrites import pad_matmul_outputs

    rng = np.random.default_rng(1)
    table = rng.standard_normal((300, 16)).astype(np.float32)
    nodes = [helper.make_node("Gather", ["table", "ids"], ["emb"]),
             helper.make_node("FusedMatMul", ["emb", "table"], ["logits"], domain="com.microsoft", transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [4])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [4, 300])],
                              [numpy_helper.from_array(table, "table")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.microsoft", 1)])
    assert pad_matmul_outputs(model, 8, min_width=256) == [("", 300, 304)]
    path = tmp_path / "padded.onnx"
    onnx.save(model, str(path))
    ids = np.array([0, 5, 299, 7], np.int64)
    out = wort.make_session(path).run(None, {"ids": ids})[0]
    assert out.shape == (4, 300)
    assert np.allclose(out, table[ids] @ table.T, atol=1e-4)
    assert pad_matmul_outputs(model, 8, min_width=256) == []  # aligned now: nothing more to pad


def test_fp16_outputs_end_the_graph_without_a_cast(biased_gpt2, tmp_path):
    import onnx

    folder, path = biased_gpt2
    res = api.optimize(path, str(tmp_path / "cuda16.onnx"), target="cuda", simplify=False, against=str(folder),
                       fp16_outputs=True)
    fp16 = next(s for s in res.steps if s["name"] == "fp16")
    assert fp16["applied"] and fp16["detail"].endswith("float32 inputs, float16 outputs")
    model = onnx.load(res.output, load_external_data=False)
    assert [o.type.tensor_type.elem_type for o in model.graph.output] == [onnx.TensorProto.FLOAT16]
    assert {i.type.tensor_type.elem_type for i in model.graph.input} == {onnx.TensorProto.INT64}
    assert model.graph.node[-1].op_type != "Cast"
    assert res.validation is not None and res.validation.passed  # compared with PyTorch fp32 all the same
    sampler = iter_samples(BenchSpec(model=res.output, provider="cpu", io_binding=True, **FAST))
    sampler.keep_outputs = True
    list(sampler)  # the benchmark's IOBinding path runs a float16 output as it does a float32 one
    assert sampler.outputs[0].shape == (1, 8, 301) and np.isfinite(sampler.outputs[0]).all()


def test_fp16_outputs_are_refused_where_they_do_not_apply(exported, tmp_path):
    out = tmp_path / "x.onnx"
    with pytest.raises(WorkbenchError, match="CUDA preset only"):
        api.optimize(exported("bert").path, str(out), fp16_outputs=True)
    assert not out.exists()
    cli = subprocess.run([sys.executable, "-m", "workbench", "optimize", exported("bert").path, "-o", str(out),
                          "--fp16-outputs"], capture_output=True, text=True)
    assert cli.returncode != 0 and "CUDA preset only" in cli.stderr and not out.exists()
