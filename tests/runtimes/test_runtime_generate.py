"""`workbench generate` on an OpenVINO IR and an .mnn decoder, through each runtime's registered decoder
(Runtime.decoder -> runtimes/openvino_decoder.py, mnn_decoder.py): a text prompt is encoded by the tokenizer the
target copied beside the file, greedy tokens agree with PyTorch's one for one, the streamed text is the decoded
answer; `validate` feeds each a past as it does the ONNX decoder (the same model passes, another one fails); an
encoder IR, an IR without its .bin and a text prompt without a tokenizer are each one line."""

import shutil
from pathlib import Path

import pytest

from workbench import api
from workbench.core.errors import WorkbenchError

from edge_decoders import PROMPT, build_chat_llama, built_pair

pytest.importorskip("openvino")
pytest.importorskip("MNN")


@pytest.fixture(scope="module")
def decoders(tmp_path_factory):
    return built_pair(tmp_path_factory, "edge-llama")


@pytest.mark.parametrize("target", ["openvino", "mnn"])
def test_generate_agrees_with_pytorch_token_for_token(decoders, target):
    source, paths = decoders
    path = paths[target]
    beside = {p.name for p in Path(path).parent.iterdir()}
    assert {"config.json", "generation_config.json", "tokenizer.json"} <= beside  # copied by the target
    result = api.generate(path, PROMPT, 10, compare_torch=str(source), stop_at_eos=False)
    reference = api.generate(str(source), PROMPT, 10, stop_at_eos=False)
    assert result.runtime == target and result.provider == "cpu"
    assert result.tokens == reference.tokens and len(result.tokens) == 10
    assert result.agreement["rate"] == 1.0 and result.agreement["first_divergence"] is None
    assert result.text == reference.text and result.text
    assert result.ttft_ms > 0 and result.tokens_per_s > 0


@pytest.mark.parametrize("target", ["openvino", "mnn"])
def test_the_stream_decodes_the_answer_as_it_comes(decoders, target):
    source, paths = decoders
    steps = list(api.generate_stream(paths[target], PROMPT, 8, tokenizer=str(source)))
    reference = api.generate(str(source), PROMPT, 8)
    assert reference.text
    assert [s.tokens[0] for s in steps] == reference.tokens
    assert "".join(s.text or "" for s in steps) == reference.text
    assert all(s.latency_ms > 0 for s in steps) and [s.index for s in steps] == list(range(len(steps)))


def test_what_cannot_generate_is_one_line(decoders, exported, tmp_path):
    from workbench.core.specs import ExportSpec, ModelSource

    _source, paths = decoders
    bert = api.export(ExportSpec(source=ModelSource(exported("bert").path), output=str(tmp_path / "bert" / "m.xml"),
                                 target="openvino"))
    with pytest.raises(WorkbenchError, match="not a decoder with past key values") as err:
        api.generate(bert.outputs[0], [1, 2, 3], 4)
    assert "\n" not in str(err.value) and "--target openvino" in err.value.hint

    alone = tmp_path / "alone"  # the IR pair without the tokenizer and configs
    alone.mkdir()
    for suffix in (".xml", ".bin"):
        shutil.copy(paths["openvino"][:-4] + suffix, alone / f"model{suffix}")
    with pytest.raises(WorkbenchError, match="no tokenizer") as err:
        api.generate(str(alone / "model.xml"), PROMPT, 4)
    assert "\n" not in str(err.value)
    assert len(api.generate(str(alone / "model.xml"), [5, 6, 7], 3, stop_at_eos=False).tokens) == 3  # ids need none

    (alone / "model.bin").unlink()
    with pytest.raises(WorkbenchError, match="model.bin is missing") as err:
        api.generate(str(alone / "model.xml"), [5, 6, 7], 3)
    assert "\n" not in str(err.value)
    with pytest.raises(WorkbenchError, match="no such file"):
        api.generate(str(alone / "nothing.mnn"), [5, 6, 7], 3)


@pytest.mark.parametrize("target", ["openvino", "mnn"])
def test_validate_compares_the_decoder_with_its_past_against_pytorch(decoders, target, tmp_path):
    source, paths = decoders
    result = api.validate(paths[target], against=str(source))
    assert result.passed, result.reason
    assert {o.name for o in result.outputs} == {"logits", "present.0.key", "present.0.value", "present.1.key",
                                                  "present.1.value"}
    assert [1, 6, 0] in result.shapes_tried and [1, 1, 9] in result.shapes_tried  # a prefill and a decode step
    assert all(o.cosine > 0.9999 for o in result.outputs)
    assert any(f"in {target}" in n for n in result.notes)
    other = build_chat_llama(tmp_path / "other", seed=1)  # same shapes, other weights
    wrong = api.validate(paths[target], against=str(other))
    assert not wrong.passed and "differs from PyTorch" in wrong.reason and "\n" not in wrong.reason


def test_bench_generate_times_both_beside_pytorch_and_they_agree(decoders):
    source, paths = decoders
    result = api.bench_generate([paths["openvino"], paths["mnn"]], str(source), prompt_tokens=8, max_new_tokens=6,
                                batch=2, repeats=1, isolated=False)
    rows = {(r.name, r.batch): r for r in result.rows}
    assert set(rows) == {(n, b) for n in ("PyTorch eager", "openvino model.xml", "mnn model.mnn") for b in (1, 2)}
    for name in ("openvino model.xml", "mnn model.mnn"):
        for batch in (1, 2):
            row = rows[(name, batch)]
            assert row.runtime == name.split()[0] and row.provider == "cpu"
            assert row.agreement["rate"] == 1.0 and row.agreement["first_divergence"] is None
            assert row.ttft_ms > 0 and row.tokens_per_s > 0 and row.new_tokens == 6  # per row
