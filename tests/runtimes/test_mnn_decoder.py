"""Generation in MNN: a tiny Llama exported as a KV-cache decoder (--task text-generation-with-past) and converted
to .mnn by the mnn target runs greedy generation through the runtime contract's Session.generate, token for token
as PyTorch does (one prompt, and a left-padded batch of two); a perturbed decoder disagrees; a model without past
key values is one line."""

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions

pytest.importorskip("MNN")
try:  # decoders.py is becoming generate_decoders.py
    from workbench.core.generate_decoders import TorchDecoder, folder_settings
except ImportError:
    from workbench.core.decoders import TorchDecoder, folder_settings
PROMPTS = [[1, 5, 9, 20, 33, 7], [3, 4]]


@pytest.fixture(scope="module")
def decoder_onnx(tiny_models, tmp_path_factory):
    from workbench import api
    from workbench.core.specs import ExportSpec, ModelSource

    out = tmp_path_factory.mktemp("mnn-decoder-onnx") / "model.onnx"
    return api.export(ExportSpec(source=ModelSource(str(tiny_models("llama")), task="text-generation-with-past"),
                                 output=str(out)))


@pytest.fixture(scope="module")
def decoder_mnn(decoder_onnx, tiny_models, tmp_path_factory):
    """The mnn target on the decoder (its ONNX step answered by the export above, which it must ask for)."""
    from workbench import api
    from workbench.core.export import torch_onnx
    from workbench.core.specs import ExportSpec, ModelSource

    asked = []

    def onnx_step(spec, **kw):
        asked.append(spec.source.task)
        return decoder_onnx

    out = tmp_path_factory.mktemp("mnn-decoder") / "model.mnn"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch_onnx, "export_onnx", onnx_step)
        api.export(ExportSpec(source=ModelSource(str(tiny_models("llama")), task="text-generation-with-past"),
                              output=str(out), target="mnn"))
    assert asked == ["text-generation-with-past"]
    return out


def _torch_greedy(folder, prompts, n):
    from workbench.core.generate import Sampling, run_steps

    return run_steps(TorchDecoder(str(folder)), prompts, n, Sampling(), folder_settings(folder), None, False,
                     None)["rows"]


def test_greedy_generation_in_mnn_agrees_with_pytorch(decoder_mnn, tiny_models):
    session = default_registry().runtime("mnn").open(decoder_mnn, RuntimeOptions(threads=1))
    assert default_registry().runtime("mnn").generates
    steps = list(session.generate(PROMPTS[0], 12))
    reference = _torch_greedy(tiny_models("llama"), PROMPTS[:1], 12)[0]
    assert [s.token_id for s in steps] == reference and len(reference) == 12
    assert all(s.seconds > 0 for s in steps)


def test_a_left_padded_batch_agrees_row_by_row(decoder_mnn, tiny_models):
    from workbench.core.generate import Sampling, run_steps
    from workbench.core.runtimes.mnn_decoder import MnnDecoder

    session = default_registry().runtime("mnn").open(decoder_mnn, RuntimeOptions())
    folder = tiny_models("llama")
    rows = run_steps(MnnDecoder(session), PROMPTS, 8, Sampling(), folder_settings(folder), None, False, None)["rows"]
    assert rows == _torch_greedy(folder, PROMPTS, 8)


def test_a_perturbed_decoder_disagrees_and_an_encoder_does_not_generate(decoder_onnx, exported, tiny_models,
                                                                         tmp_path):
    import onnx
    from onnx import numpy_helper

    from workbench.core.targets.mnn import convert_onnx, prepare_onnx

    model = onnx.load(decoder_onnx.path)
    init = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * -1.0, init.name))
    onnx.save(model, str(tmp_path / "bad.onnx"))
    prepare_onnx(str(tmp_path / "bad.onnx"), str(tmp_path / "prepared.onnx"), decoder_onnx.dynamic_axes)
    convert_onnx(str(tmp_path / "prepared.onnx"), str(tmp_path / "bad.mnn"))
    runtime = default_registry().runtime("mnn")
    tokens = [s.token_id for s in runtime.open(tmp_path / "bad.mnn", RuntimeOptions()).generate(PROMPTS[0], 12)]
    assert tokens != _torch_greedy(tiny_models("llama"), PROMPTS[:1], 12)[0]

    bert = exported("bert")
    prepare_onnx(bert.path, str(tmp_path / "bert.onnx"), bert.dynamic_axes)
    convert_onnx(str(tmp_path / "bert.onnx"), str(tmp_path / "bert.mnn"))
    with pytest.raises(WorkbenchError, match="not a decoder with past key values") as err:
        next(iter(runtime.open(tmp_path / "bert.mnn", RuntimeOptions()).generate([1, 2], 4)))
    assert "\n" not in str(err.value) and "--task text-generation-with-past" in err.value.hint
