"""Perturbed models fail validation and `validate --locate` names the perturbed node, for an encoder (tiny BERT)
and a decoder exported with its KV cache (tiny Llama, --task text-generation-with-past): a weight scaled by 1.05,
two inputs of a node swapped, and an int8 model with one weight scale doubled. test_validate_contract.py and
test_locate.py cover the plain exports; this adds what they leave out (the swap and the broken scale located, and
all three on the decoder with past)."""

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from workbench import api
from workbench.cli import main
from workbench.core.locate import _inherit, node_module
from workbench.core.specs import ExportSpec, ModelSource

LAYER = {"bert": "layer.1", "llama-kv": "layers.1"}
SCALE_SCOPE = {"bert": "pooler", "llama-kv": "layers.1.self_attn"}
SOURCE = {"bert": "bert", "llama-kv": "llama"}


@pytest.fixture(scope="module")
def models(tiny_models, exported, tmp_path_factory):
    """{kind: (source folder, exported .onnx, int8-dynamic .onnx)}, built once."""
    root = tmp_path_factory.mktemp("perturbation")
    kv = api.export(ExportSpec(source=ModelSource(str(tiny_models("llama")), task="text-generation-with-past"),
                               output=str(root / "llama-kv" / "model.onnx")))
    out = {}
    for kind, path in (("bert", exported("bert").path), ("llama-kv", kv.path)):
        q = api.quantize(path, str(root / f"{kind}-int8" / "model.onnx"), mode="int8-dynamic")
        out[kind] = (tiny_models(SOURCE[kind]), path, q.output)
    return out


def _copy_beside(src: str, folder: Path) -> Path:
    """A folder holding the files next to ``src`` (a decoder's config.json etc.), for a perturbed model.onnx."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in Path(src).parent.iterdir():
        if item.is_file() and not item.name.startswith("model.onnx"):
            shutil.copy(item, folder / item.name)
    return folder / "model.onnx"


def _scopes(model) -> list:
    nodes = list(model.graph.node)
    return _inherit([node_module(n) for n in nodes], nodes)


def _scale_layer_weight(path, out, layer, factor=1.05) -> str:
    """A 2-D float weight of layer ``layer``'s MLP read by one node, times ``factor``; returns that node's name."""
    model = onnx.load(str(path))
    scopes = _scopes(model)
    users: dict = {}
    for i, n in enumerate(model.graph.node):
        for v in n.input:
            users.setdefault(v, []).append(i)
    pick = next((t, users[t.name][0]) for t in model.graph.initializer
                if len(t.dims) == 2 and t.data_type == onnx.TensorProto.FLOAT and len(users.get(t.name, [])) == 1
                and layer in (scopes[users[t.name][0]] or "")
                and any(k in scopes[users[t.name][0]] for k in ("mlp", "intermediate", "output.dense")))
    t, node = pick
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return model.graph.node[node].name


def _swap_inputs(path, out) -> str:
    """The first Sub/Div of two different values gets its inputs swapped (a - b -> b - a), else the two branches
    of the first Where; returns the node's name."""
    model = onnx.load(str(path))
    nodes = [n for n in model.graph.node if n.op_type in ("Sub", "Div") and n.input[0] != n.input[1]]
    if nodes:
        nodes[0].input[0], nodes[0].input[1] = nodes[0].input[1], nodes[0].input[0]
    else:
        nodes = [n for n in model.graph.node if n.op_type == "Where" and n.input[1] != n.input[2]]
        nodes[0].input[1], nodes[0].input[2] = nodes[0].input[2], nodes[0].input[1]
    onnx.save(model, str(out))
    return nodes[0].name


def _break_scale(path, out, scope, factor=2.0) -> str:
    """The weight scale read last inside module ``scope`` times 2; returns the node that reads it. (A scale of
    a tiny random model's MLP barely moves the output, the residual stream dwarfs it: int8 tolerances could
    not tell; an attention output projection or a pooler reaches the outputs.)"""
    model = onnx.load(str(path))
    scopes = _scopes(model)
    scales = {t.name: t for t in model.graph.initializer
              if t.name.endswith("_scale") and t.data_type == onnx.TensorProto.FLOAT}
    name, node = [(v, n) for i, n in enumerate(model.graph.node) for v in n.input
                  if v in scales and scope in (scopes[i] or "")][-1]
    t = scales[name]
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, str(out))
    return node.name


def _cli_validate(model, src, capsys, *extra):
    code = main(["validate", str(model), "--against", str(src), "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def _fails_and_is_located(bad, src, broken: str, capsys):
    code, data, err = _cli_validate(bad, src, capsys)
    assert code == 1 and data["ok"] is False and data["passed"] is False, data
    assert "differs from PyTorch" in data["reason"] and data["reason"] in err
    code, data, _ = _cli_validate(bad, src, capsys, "--locate")
    assert code == 1, data
    d = data["divergence"]
    assert d is not None, data["notes"]
    assert d["node"] == broken or broken in [n["node"] for n in d["region"]], (broken, d["node"], d["region"])
    return d


@pytest.mark.parametrize("kind", ["bert", "llama-kv"])
def test_intact_exports_and_int8_pass(kind, models, capsys):
    src, path, int8 = models[kind]
    for model in (path, int8):
        code, data, err = _cli_validate(model, src, capsys)
        assert code == 0 and data["passed"] is True, (model, data.get("reason"), err)
    located = api.validate(path, against=str(src), locate=True)
    assert located.passed and located.divergence is None and located.locate_checked > 10, located.notes


def test_decoder_weight_scaled_by_1_05_fails_and_is_located(models, tmp_path, capsys):
    src, path, _ = models["llama-kv"]
    bad = _copy_beside(path, tmp_path / "scaled")
    broken = _scale_layer_weight(path, bad, LAYER["llama-kv"])
    d = _fails_and_is_located(bad, src, broken, capsys)
    assert LAYER["llama-kv"] in d["module"]


@pytest.mark.parametrize("kind", ["bert", "llama-kv"])
def test_swapped_inputs_fail_and_are_located(kind, models, tmp_path, capsys):
    src, path, _ = models[kind]
    bad = _copy_beside(path, tmp_path / "swapped")
    broken = _swap_inputs(path, bad)
    _fails_and_is_located(bad, src, broken, capsys)


@pytest.mark.parametrize("kind", ["bert", "llama-kv"])
def test_int8_model_with_a_broken_scale_fails_and_is_located(kind, models, tmp_path, capsys):
    src, _, int8 = models[kind]
    bad = _copy_beside(int8, tmp_path / "broken")
    broken = _break_scale(int8, bad, SCALE_SCOPE[kind])
    d = _fails_and_is_located(bad, src, broken, capsys)
    assert SCALE_SCOPE[kind].rsplit(".", 1)[0] in d["module"], d["module"]
    assert "largest growth" in d["how"]
