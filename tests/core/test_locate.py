"""`validate --locate`: the first diverging node, found by comparing every module boundary of PyTorch (forward
hooks) with the matching ONNX value (exposed as a graph output in a temp copy). A model broken in layer 1 (a weight
scaled by 1.05, a residual Add turned into a Sub) is located in layer 1 at the broken node; an intact model reports
no divergence; a quantized model names the node where the error grows the most."""

import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.cli import main
from workbench.core.locate import node_module

LAYER = {"bert": "layer.1", "llama": "layers.1"}


def _consumers(model) -> dict:
    out = {}
    for n in model.graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def _scale_layer1_weight(path, out, layer, factor=1.05) -> str:
    """A 2-D weight used by exactly one node, in an MLP of layer 1, times ``factor``; returns that node's name."""
    model = onnx.load(str(path))
    consumers = _consumers(model)
    picks = [(t, consumers[t.name][0]) for t in model.graph.initializer
             if len(t.dims) == 2 and t.data_type == onnx.TensorProto.FLOAT and len(consumers.get(t.name, [])) == 1
             and layer in (node_module(consumers[t.name][0]) or "")]
    t, node = next(((t, n) for t, n in picks if "mlp" in node_module(n) or "intermediate" in node_module(n)),
                   picks[0])
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return node.name


def _residual_add_to_sub(path, out, layer) -> str:
    """The first Add in layer 1 of two computed values of the output's own shape (a residual) becomes a Sub."""
    model = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*inferred.graph.value_info, *inferred.graph.output]}
    consts = {i.name for i in model.graph.initializer} | {
        o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    node = next(n for n in model.graph.node if n.op_type == "Add" and layer in (node_module(n) or "")
                and not set(n.input) & consts and shapes.get(n.input[0]) == shapes.get(n.input[1])
                == shapes.get(n.output[0]) and shapes.get(n.output[0]))
    node.op_type = "Sub"
    onnx.save(model, str(out))
    return node.name


def _located(res, broken: str, layer: str):
    d = res.divergence
    assert d is not None, res
    names = [n["node"] for n in d["region"]]
    assert d["node"] == broken or broken in names, (broken, d["node"], names)
    assert layer in d["module"], d["module"]
    assert d["inputs"] and all(i["max_rel_diff"] < d["max_rel_diff"] for i in d["inputs"])
    assert d["candidates_checked"] > 10


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_intact_model_reports_no_divergence(kind, exported, tiny_models):
    res = api.validate(exported(kind).path, against=str(tiny_models(kind)), locate=True)
    assert res.passed and res.divergence is None and res.locate_checked > 10


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_scaled_weight_in_layer_1_is_located(kind, exported, tiny_models, tmp_path):
    broken = _scale_layer1_weight(exported(kind).path, tmp_path / "w.onnx", LAYER[kind])
    res = api.validate(str(tmp_path / "w.onnx"), against=str(tiny_models(kind)), locate=True)
    _located(res, broken, LAYER[kind])
    assert not res.passed


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_add_turned_into_sub_in_layer_1_is_located(kind, exported, tiny_models, tmp_path):
    broken = _residual_add_to_sub(exported(kind).path, tmp_path / "s.onnx", LAYER[kind])
    res = api.validate(str(tmp_path / "s.onnx"), against=str(tiny_models(kind)), locate=True)
    _located(res, broken, LAYER[kind])
    assert not res.passed


def test_cli_locate_json_and_text_exit_1(exported, tiny_models, tmp_path, capsys):
    broken = _scale_layer1_weight(exported("bert").path, tmp_path / "w.onnx", "layer.1")
    src = str(tiny_models("bert"))
    code = main(["validate", str(tmp_path / "w.onnx"), "--against", src, "--locate", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and not out["passed"]
    d = out["divergence"]
    assert {"node", "op_type", "module", "max_rel_diff", "cosine", "inputs", "candidates_checked"} <= set(d)
    assert broken in [n["node"] for n in d["region"]] and "layer.1" in d["module"]
    code = main(["validate", str(tmp_path / "w.onnx"), "--against", src, "--locate"])
    text = capsys.readouterr().out
    assert code == 1 and "first divergence: node " + d["node"] in text and d["module"] in text


def test_user_file_is_untouched(exported, tiny_models):
    path = exported("bert").path
    before = open(path, "rb").read()
    api.validate(path, against=str(tiny_models("bert")), locate=True)
    assert open(path, "rb").read() == before


def test_quantized_model_names_the_node_where_error_grows_most(exported, tiny_models, tmp_path):
    q = api.quantize(exported("bert").path, str(tmp_path / "q.onnx"), mode="int8-dynamic")
    res = api.validate(q.output, against=str(tiny_models("bert")), locate=True)
    d = res.divergence
    assert d is not None and d["node"] and d["module"].startswith("model")
    assert "largest growth" in d["how"]


def test_model_without_scopes_keeps_its_validation_and_says_why(exported, tiny_models, tmp_path):
    model = onnx.load(exported("bert").path)
    for i, n in enumerate(model.graph.node):
        del n.metadata_props[:]
        n.name = f"n{i}"
    onnx.save(model, str(tmp_path / "bare.onnx"))
    res = api.validate(str(tmp_path / "bare.onnx"), against=str(tiny_models("bert")), locate=True)
    assert res.passed and res.divergence is None
    assert any(n.startswith("locate: ") and "module scopes" in n for n in res.notes), res.notes


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A factory: built('mixtral') -> (HF folder, exported ONNX path) of a tiny random model, built once."""
    import torch
    import transformers

    from workbench.core.specs import ExportSpec, ModelSource

    configs = {"mixtral": ("MixtralForCausalLM", dict(vocab_size=128, hidden_size=32, intermediate_size=64,
                                                      num_hidden_layers=2, num_attention_heads=4,
                                                      num_key_value_heads=2, max_position_embeddings=64,
                                                      num_local_experts=4, num_experts_per_tok=2)),
               "albert": ("AlbertModel", dict(vocab_size=128, hidden_size=32, intermediate_size=64,
                                              num_hidden_layers=2, num_attention_heads=4, embedding_size=16,
                                              max_position_embeddings=64))}
    cache = {}

    def get(kind):
        if kind not in cache:
            cls, kwargs = configs[kind]
            folder = tmp_path_factory.mktemp(kind)
            torch.manual_seed(0)
            model = getattr(transformers, cls)(transformers.AutoConfig.for_model(kind, **kwargs)).eval()
            model.config.architectures = [cls]
            model.save_pretrained(str(folder / "src"), safe_serialization=True)
            res = api.export(ExportSpec(source=ModelSource(str(folder / "src")), output=str(folder / "m.onnx")))
            cache[kind] = (str(folder / "src"), res.path)
        return cache[kind]

    return get


def test_moe_router_of_layer_1_is_named_not_layer_0s(built, tmp_path):
    """A router returns (logits, top-k scores, indices), its softmax computed after the logits it returns first:
    layer 0's router output must be paired with its logits (else it mismatches, upstream of layer 1, and is named)
    and the broken layer 1 router named."""
    src, path = built("mixtral")
    model = onnx.load(path)
    consumers = _consumers(model)
    gate = next(t for t in model.graph.initializer if len(consumers.get(t.name, [])) == 1
                and node_module(consumers[t.name][0]) == "model.model.layers.1.mlp.gate")
    gate.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(gate) * np.float32(1.05), gate.name))
    onnx.save(model, str(tmp_path / "r.onnx"))
    res = api.validate(str(tmp_path / "r.onnx"), against=src, locate=True)
    assert not res.passed and res.divergence["module"] == "model.model.layers.1.mlp.gate", res.divergence


def test_shared_layer_weight_is_located_at_its_module(built, tmp_path):
    """ALBERT applies one layer's weights at every depth: each call of the shared module is its own boundary (its
    nodes' i-th run in the graph), so a broken shared weight is named at that module, on its first call."""
    src, path = built("albert")
    model = onnx.load(path)
    consumers = _consumers(model)
    ffn = "model.encoder.albert_layer_groups.0.albert_layers.0.ffn"
    weight = next(t for t in model.graph.initializer if len(t.dims) == 2 and consumers.get(t.name)
                  and {node_module(n) for n in consumers[t.name]} == {ffn})
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * np.float32(1.05), weight.name))
    onnx.save(model, str(tmp_path / "a.onnx"))
    res = api.validate(str(tmp_path / "a.onnx"), against=src, locate=True)
    d = res.divergence
    assert not res.passed and d is not None and d["module"] == ffn, d
    assert d["inputs"] and all(i["max_rel_diff"] < d["max_rel_diff"] for i in d["inputs"])
