"""`validate X.xml|X.mnn --against SRC --locate`: the first diverging node found in the artifact's own runtime
(OpenVINO: the IR's tensors added as outputs; MNN: its named intermediate tensors), on the module scopes and tensor
names of the source's ONNX export, compared with the same PyTorch run as an ONNX file's. A tiny BERT whose layer-1
MLP weight is scaled by 1.5 (beyond MNN's fp32 tolerance, rel 5e-3) before conversion is located at that node; a runtime that cannot expose intermediates,
or an artifact that keeps none of the names, says so in one line and keeps the output comparison."""

import pytest

from workbench import api
from tests.core.test_locate import _located, _scale_layer1_weight

pytest.importorskip("openvino")
pytest.importorskip("MNN")


def _convert(target: str, onnx_path, out):
    if target == "openvino":
        api.export(str(onnx_path), str(out), target="openvino")
    else:
        from workbench.core.targets.mnn import convert_onnx, prepare_onnx

        out.parent.mkdir(parents=True, exist_ok=True)
        prepared = out.with_suffix(".prepared.onnx")
        prepare_onnx(str(onnx_path), str(prepared), {"input_ids": [0, 1], "attention_mask": [0, 1],
                                                     "token_type_ids": [0, 1]})
        convert_onnx(str(prepared), str(out))
    return out


@pytest.fixture(scope="module")
def perturbed(exported, tmp_path_factory):
    """(the scaled node's name, {target: artifact converted from the perturbed ONNX})."""
    root = tmp_path_factory.mktemp("locate-artifacts")
    broken = _scale_layer1_weight(exported("bert").path, root / "w.onnx", "layer.1", factor=1.5)
    return broken, {t: _convert(t, root / "w.onnx", root / t / name)
                    for t, name in (("openvino", "model.xml"), ("mnn", "model.mnn"))}


@pytest.mark.parametrize("target", ["openvino", "mnn"])
def test_a_scaled_weight_is_located_in_the_artifacts_own_runtime(target, perturbed, tiny_models):
    broken, artifacts = perturbed
    res = api.validate(str(artifacts[target]), against=str(tiny_models("bert")), locate=True)
    assert not res.passed
    _located(res, broken, "layer.1")
    assert not any("cannot expose" in n for n in res.notes)


def test_a_runtime_without_intermediates_says_so_in_one_line(perturbed, tiny_models, monkeypatch):
    from workbench.core.runtimes.mnn import MnnSession

    monkeypatch.delattr(MnnSession, "run_exposed")
    res = api.validate(str(perturbed[1]["mnn"]), against=str(tiny_models("bert")), locate=True)
    assert not res.passed and res.divergence is None
    said = [n for n in res.notes if n.startswith("locate:")]
    assert said == ["locate: the mnn runtime cannot expose intermediate values, so this artifact was compared "
                    "output by output"]


def test_an_artifact_keeping_no_tensor_names_says_so_in_one_line(perturbed, tiny_models, monkeypatch):
    from workbench.core.runtimes.openvino import OpenVinoSession

    monkeypatch.setattr(OpenVinoSession, "run_exposed", lambda self, feeds, names: {})
    res = api.validate(str(perturbed[1]["openvino"]), against=str(tiny_models("bert")), locate=True)
    assert not res.passed and res.divergence is None and [o.name for o in res.outputs]
    said = [n for n in res.notes if n.startswith("locate: the artifact")]
    assert len(said) == 1 and "keeps none of the ONNX export's tensor names" in said[0] and "\n" not in said[0]
