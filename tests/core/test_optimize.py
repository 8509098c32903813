"""Optimize: onnxslim + ORT graph optimization + transformer fusion, node counts, re-validation."""

import hashlib

import pytest

from workbench import api
from workbench.core.errors import WorkbenchError


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.parametrize("level", ["basic", "extended", "all"])
def test_levels_shrink_the_graph_and_stay_correct(level, exported, tiny_models, tmp_path):
    src = exported("llama").path
    before = _digest(src)
    res = api.optimize(src, str(tmp_path / "opt.onnx"), level=level, simplify=True,
                       against=str(tiny_models("llama")))
    assert res.nodes_after <= res.nodes_before
    assert [s["name"] for s in res.steps] == ["onnxslim", "transformer fusion", "ort"]
    assert res.steps[0]["applied"] and res.steps[2]["applied"]
    assert res.validation is not None and res.validation.passed
    assert _digest(src) == before  # the input is never touched


def test_bert_fusion_applies_where_it_matches(exported, tiny_models, tmp_path):
    res = api.optimize(exported("bert").path, str(tmp_path / "opt.onnx"), against=str(tiny_models("bert")))
    fusion = res.steps[1]
    assert fusion["name"] == "transformer fusion"
    # ORT's BERT fusion matches this export: its fused operators are in the written graph and were not before
    assert fusion["applied"], fusion["detail"]
    assert "bert fusion" in fusion["detail"] and "SkipLayerNormalization" in fusion["detail"]
    assert fusion["nodes_after"] < fusion["nodes_before"]
    assert "SkipLayerNormalization" not in res.op_counts_before
    assert res.op_counts_after.get("SkipLayerNormalization", 0) >= 2  # one per residual + norm, 2 layers
    assert {"Gelu", "FastGelu", "BiasGelu"} & set(res.op_counts_after)
    assert res.validation.passed


def test_external_data_model_is_optimized_with_its_weights(tiny_models, tmp_path):
    exp = api.export(str(tiny_models("gpt2")), str(tmp_path / "src" / "model.onnx"), external_data=True)
    res = api.optimize(exp.path, str(tmp_path / "out" / "opt.onnx"), against=str(tiny_models("gpt2")))
    assert res.validation.passed


def test_bad_inputs(tmp_path, exported):
    with pytest.raises(WorkbenchError, match="no such ONNX file"):
        api.optimize(str(tmp_path / "nope.onnx"), str(tmp_path / "o.onnx"))
    with pytest.raises(WorkbenchError, match="overwrite the input"):
        api.optimize(exported("bert").path, exported("bert").path)
    with pytest.raises(WorkbenchError, match="unknown optimization level"):
        api.optimize(exported("bert").path, str(tmp_path / "o.onnx"), level="max")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00\x01not a model")
    with pytest.raises(WorkbenchError):
        api.optimize(str(garbage), str(tmp_path / "o.onnx"))
    assert not (tmp_path / "o.onnx").exists()
