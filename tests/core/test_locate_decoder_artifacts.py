"""`validate X.xml|X.mnn --against SRC --locate` on a decoder with past key values (a --task
text-generation-with-past export converted by the openvino / mnn targets): the first diverging node is found in the
artifact's own runtime, as for an encoder's IR or .mnn. A tiny Llama decoder whose layer-1 MLP weight is scaled by
1.5 before conversion is located at that node; the intact decoder passes with no divergence; a runtime that cannot
expose intermediates says so in one line and keeps the output comparison."""

import dataclasses

import pytest

from workbench import api
from workbench.core.export import torch_onnx
from workbench.core.specs import ExportSpec, ModelSource
from tests.core.test_locate import _located, _scale_layer1_weight

pytest.importorskip("openvino")
pytest.importorskip("MNN")
TARGETS = (("openvino", "model.xml"), ("mnn", "model.mnn"))


def _convert(folder, onnx_result, target: str, out):
    """The target on the decoder, its ONNX step answered by ``onnx_result`` (the perturbed or the intact export)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch_onnx, "export_onnx", lambda spec, **kw: onnx_result)
        api.export(ExportSpec(source=ModelSource(str(folder), task="text-generation-with-past"), output=str(out),
                              target=target))
    return out


@pytest.fixture(scope="module")
def decoders(tiny_models, tmp_path_factory):
    """(the scaled node's name, {(target, "intact"|"broken"): artifact})."""
    root = tmp_path_factory.mktemp("locate-decoder-artifacts")
    folder = tiny_models("llama")
    intact = api.export(ExportSpec(source=ModelSource(str(folder), task="text-generation-with-past"),
                                   output=str(root / "onnx" / "model.onnx")))
    broken_path = root / "broken.onnx"
    broken = _scale_layer1_weight(intact.path, broken_path, "layers.1", factor=1.5)
    # onnx.save wrote the scaled copy with its weights inline; the export's other files (config.json, ...) stay
    others = [o for o in intact.outputs[1:] if not o.endswith(".data")]
    versions = {"intact": intact, "broken": dataclasses.replace(intact, outputs=[str(broken_path), *others])}
    return broken, {(t, v): _convert(folder, res, t, root / v / t / name)
                    for t, name in TARGETS for v, res in versions.items()}


@pytest.mark.parametrize("target", [t for t, _ in TARGETS])
def test_a_scaled_decoder_weight_is_located_in_the_artifacts_own_runtime(target, decoders, tiny_models):
    broken, artifacts = decoders
    res = api.validate(str(artifacts[(target, "broken")]), against=str(tiny_models("llama")), locate=True)
    assert not res.passed and any(n.startswith("decoder with past key values in") for n in res.notes)
    _located(res, broken, "layers.1")
    assert not any(n.startswith("locate:") for n in res.notes), res.notes


@pytest.mark.parametrize("target", [t for t, _ in TARGETS])
def test_an_intact_decoder_locates_no_divergence(target, decoders, tiny_models):
    res = api.validate(str(decoders[1][(target, "intact")]), against=str(tiny_models("llama")), locate=True)
    assert res.passed and res.divergence is None and res.locate_checked > 10, res.notes


def test_a_runtime_without_intermediates_says_so_in_one_line(decoders, tiny_models, monkeypatch):
    from workbench.core.runtimes.mnn import MnnSession

    monkeypatch.delattr(MnnSession, "run_exposed")
    res = api.validate(str(decoders[1][("mnn", "broken")]), against=str(tiny_models("llama")), locate=True)
    assert not res.passed and res.divergence is None and res.outputs
    said = [n for n in res.notes if n.startswith("locate:")]
    assert said == ["locate: the mnn runtime cannot expose intermediate values, so this decoder was compared "
                    "output by output"]
