"""The tolerance model behind validate and --locate, on the families that fooled it: values below atol judged
relatively (a weight scaled x3 passed), subnormal values compared as zero (they read as a divergence of an intact
MobileViT), outputs that are zero in PyTorch failing validation instead of passing whatever the file computes, and
a module returning several tensors compared through the one its caller uses (DeepSeek-V3's router: the intact model
reported a divergence, the broken one named masked_fill, cosine 0.29)."""

import shutil

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.core.compare import compare, within
from workbench.core.locate import node_module

FP32 = (1e-4, 1e-5, 0.99999)  # validate.TOLERANCES["fp32"]


def _consumers(model) -> dict:
    out = {}
    for n in model.graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def _scale(path, out, module: str, factor: float) -> str:
    """The first float weight (>= 2-D) consumed by exactly one node of ``module`` times ``factor``; its node."""
    model = onnx.load(str(path))
    consumers = _consumers(model)
    t, node = next((t, consumers[t.name][0]) for t in model.graph.initializer
                   if len(t.dims) >= 2 and t.data_type == onnx.TensorProto.FLOAT
                   and len(consumers.get(t.name, [])) == 1 and node_module(consumers[t.name][0]) == module)
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return node.name


def test_a_tiny_value_scaled_x3_fails_and_its_rounding_passes():
    ref = np.random.default_rng(0).standard_normal(64).astype(np.float32) * 1e-7  # all below atol 1e-5
    assert not within(compare(ref * 3, ref), *FP32)  # max abs diff 4e-7 <= atol, cosine 1: passed before
    assert within(compare(ref * np.float32(1 + 1e-6), ref), *FP32)
    big = ref * 1e7  # where the values reach atol, the absolute bound still forgives near-zero cancellations
    assert within(compare(big + np.float32(5e-6), big), *FP32)


def test_subnormal_values_compare_as_zero():
    ref = np.array([1.4e-45, 8.4e-45, 0.0, 2e-44], np.float32)  # float32 subnormals (flushed by some kernels)
    stats = compare(np.array([0.0, 7e-45, 1.4e-45, 0.0], np.float32), ref)
    assert stats["max_abs_diff"] == 0.0 and stats["cosine"] == 1.0 and within(stats, *FP32)
    normal = np.array([1e-30, 2e-30], np.float32)  # tiny but normal: still compared
    assert not within(compare(normal * 2, normal), *FP32)


def test_outputs_that_are_zero_in_pytorch_fail_validation(exported, tiny_models, tmp_path):
    """A classifier with zero weights outputs zeros in PyTorch and in the file: no comparison can tell a broken
    export from a correct one (a conv scaled x3 upstream changes nothing), so validation fails and says why."""
    import torch
    import transformers as tf

    src = tmp_path / "src"
    shutil.copytree(tiny_models("resnet"), src)
    model = tf.AutoModelForImageClassification.from_pretrained(str(src)).eval()
    with torch.no_grad():
        model.classifier[-1].weight.zero_()
        model.classifier[-1].bias.zero_()
    model.save_pretrained(str(src), safe_serialization=True)
    onnx_model = onnx.load(exported("resnet").path)
    heads = [t for t in onnx_model.graph.initializer if t.name.startswith("classifier") or
             "classifier" in t.name]
    assert heads, [t.name for t in onnx_model.graph.initializer]
    for t in heads:
        t.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(t)), t.name))
    conv = next(t for t in onnx_model.graph.initializer if len(t.dims) == 4)
    conv.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(conv) * np.float32(3), conv.name))
    onnx.save(onnx_model, str(tmp_path / "zero.onnx"))
    res = api.validate(str(tmp_path / "zero.onnx"), against=str(src))
    assert not res.passed and "zero in PyTorch" in res.reason, res
    assert all(o.max_abs_diff == 0.0 for o in res.outputs)  # the outputs agree: only the signal check fails it
    intact = api.validate(exported("resnet").path, against=str(tiny_models("resnet")))
    assert intact.passed and intact.reason is None


def test_deepseek_v3_intact_is_clean_and_a_broken_router_is_named_by_its_used_output(exported, tiny_models,
                                                                                      tmp_path):
    src = str(tiny_models("deepseek_v3"))
    path = exported("deepseek_v3").path
    intact = api.validate(path, against=src, locate=True)
    assert intact.passed and intact.divergence is None, intact.divergence
    gate = "model.model.layers.1.mlp.gate"
    broken = _scale(path, tmp_path / "g.onnx", gate, 1.05)
    res = api.validate(str(tmp_path / "g.onnx"), against=src, locate=True)
    d = res.divergence
    assert not res.passed and d is not None and d["module"] == gate, d
    assert broken in [n["node"] for n in d["region"]]
    assert d["op_type"] != "Where" and "masked_fill" not in d["value"], d  # the top-k weights the MoE uses
    assert d["inputs"] and all(i["max_rel_diff"] < d["max_rel_diff"] for i in d["inputs"])


@pytest.fixture(scope="module")
def mobilevit(tmp_path_factory):
    """(source, export) of a tiny MobileViT whose activations do not vanish (initializer_range 0.5)."""
    import torch
    import transformers as tf

    root = tmp_path_factory.mktemp("mobilevit")
    torch.manual_seed(0)
    config = tf.MobileViTConfig(image_size=32, patch_size=2, hidden_sizes=[16, 24, 32],
                                neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64], num_attention_heads=4,
                                initializer_range=0.5)
    model = tf.MobileViTModel(config).eval()
    model.config.architectures = ["MobileViTModel"]
    model.save_pretrained(str(root / "src"), safe_serialization=True)
    return str(root / "src"), api.export(str(root / "src"), str(root / "m.onnx")).path


def test_mobilevit_intact_is_clean_and_a_weight_x1_05_is_located(mobilevit, tmp_path):
    src, path = mobilevit
    intact = api.validate(path, against=src, locate=True)
    assert intact.passed and intact.divergence is None, intact.divergence
    module = "model.encoder.layer.2.transformer.layer.1.intermediate.dense"
    broken = _scale(path, tmp_path / "w.onnx", module, 1.05)
    res = api.validate(str(tmp_path / "w.onnx"), against=src, locate=True)
    assert not res.passed and res.divergence["module"] == module, res.divergence
    assert broken in [n["node"] for n in res.divergence["region"]]
