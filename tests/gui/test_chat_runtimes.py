"""Chat panel with runtime artifacts: a GGUF answers through its runtime's Session.generate beside PyTorch (a fake
llama.cpp runtime registered here, without its decoder, since llama-cpp-python may not be installed), and where the
runtime's library is missing, or the runtime does not generate (OpenVINO made so here), the variant is shown disabled
with the reason. OpenVINO and MNN answering for real: test_chat_edge_runtimes.py."""

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from workbench.core.registry import build_registry
from workbench.core.runtimes.base import Availability, GenerateStep, TensorInfo
from workbench.gui import workers
from workbench.gui.panels.chat_panel import TORCH, ChatPanel

from gui_helpers import wait_job

PROMPT = "The workbench exports"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    from workbench.core.demo import build_demo_model

    return str(build_demo_model(tmp_path_factory.mktemp("chat-rt") / "demo-model"))


@pytest.fixture
def gguf(tmp_path):
    path = tmp_path / "model.q8_0.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return str(path)


def _item(panel, path):
    return next(panel.variant_list.item(i) for i in range(panel.variant_list.count())
                if panel.variant_list.item(i).data(Qt.UserRole) == path)


def test_a_gguf_without_llama_cpp_and_an_ir_are_shown_disabled_with_the_reason(qtbot, state, gguf, tmp_path,
                                                                               monkeypatch):
    from workbench.core.runtimes.llama_cpp import INSTALL

    reg = build_registry(include_plugins=False)  # as where llama-cpp-python is missing (here it is; in CI maybe not)
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"], availability=lambda: Availability(
        False, hint=f"{INSTALL}: No module named 'llama_cpp'"))
    reg.runtimes["openvino"] = replace(reg.runtimes["openvino"], generates=False, decoder=None)
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    xml = tmp_path / "model.xml"
    xml.write_text("<net/>")
    state.add_variant("gguf q8_0", gguf)
    state.add_variant("openvino fp32", str(xml))
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    item = _item(panel, gguf)
    assert not item.flags() & Qt.ItemIsEnabled and item.checkState() == Qt.Unchecked
    assert "llama.cpp" in item.toolTip() and "pip install" in item.toolTip()
    assert item.text() == "model.q8_0.gguf (cannot answer here: llama.cpp is not installed here)"
    ir = _item(panel, str(xml))
    assert not ir.flags() & Qt.ItemIsEnabled and "does not generate text" in ir.toolTip()
    assert ir.text() == "model.xml (cannot answer here: openvino does not generate text)"
    assert [c[2] for c in panel.wanted_columns()] == []  # neither gets a column
    assert panel.kv_cache_combo.isHidden()  # no .gguf can answer: llama.cpp's KV cache type is not offered
    panel.resize(1100, 600)
    panel.show()
    panel.grab().save("/tmp/chat_gguf_disabled.png")


class FakeLlamaSession:
    """Generates a fixed token list (PyTorch's own greedy answer), remembering the prompt ids it was given."""

    runtime, device, notes = "llama.cpp", "cpu", []
    seen: list = []
    extras: list = []  # the runtime options each session was opened with (the KV cache type)
    answer: list = []
    pieces: dict = {}

    def __init__(self, path, options):
        self.path = path
        FakeLlamaSession.extras.append(dict(options.extra))

    def inputs(self):
        return [TensorInfo("input_ids", [1, "sequence"], "int64")]

    def outputs(self):
        return []

    def run(self, feeds):
        raise AssertionError("chat generates; it never calls run")

    def generate(self, prompt_ids, max_new_tokens, *, temperature=0.0, top_k=0, seed=0):
        FakeLlamaSession.seen.append(list(prompt_ids))
        for token in self.answer[:max_new_tokens]:
            yield GenerateStep(token, self.pieces.get(token, ""), 0.002)

    def close(self):
        pass


def test_a_gguf_answers_through_its_runtime_beside_pytorch(qtbot, state, demo_source, gguf, monkeypatch):
    from workbench import api
    from workbench.core.generate_decoders import TextCodec

    reference = api.generate(demo_source, PROMPT, 8)  # PyTorch's greedy answer
    codec = TextCodec.load(demo_source)
    FakeLlamaSession.answer = list(reference.tokens)
    FakeLlamaSession.pieces = {t: codec.decode([t]) for t in reference.tokens}
    FakeLlamaSession.seen, FakeLlamaSession.extras = [], []
    reg = build_registry(include_plugins=False)
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"], open=FakeLlamaSession, decoder=None,
                                        availability=lambda: Availability(True, "0.test", ("cpu",)))
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    state.set_source(demo_source)
    state.add_variant("gguf q8_0", gguf)
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    item = _item(panel, gguf)
    assert item.flags() & Qt.ItemIsEnabled and item.checkState() == Qt.Checked
    assert [(key, title) for key, title, _m in panel.wanted_columns()] == [(TORCH, "PyTorch"),
                                                                            (gguf, "llama.cpp q8_0")]
    panel.max_tokens_spin.setValue(8)
    panel.prompt_edit.setPlainText(PROMPT)
    assert panel.kv_cache_combo.isVisible() and panel.kv_cache_combo.currentData() is None  # llama.cpp's f16
    panel.kv_cache_combo.setCurrentIndex(panel.kv_cache_combo.findData("f32"))
    job = panel.send()
    assert wait_job(qtbot, job, 120) == workers.DONE, job.error
    torch, llama = panel.columns[TORCH], panel.columns[gguf]
    assert not llama.error and llama.finished, llama.status.text()
    # the same prompt ids as PyTorch's (the source's tokenizer), and its answer streamed into the column
    assert FakeLlamaSession.seen == [codec.encode(PROMPT)]
    assert FakeLlamaSession.extras == [{"kv_cache": "f32"}]  # the .gguf column ran the chosen cache type
    assert llama.tokens == torch.tokens == list(reference.tokens)
    assert llama.text.toPlainText() == "".join(FakeLlamaSession.pieces[t] for t in reference.tokens)
    assert llama.agree.objectName() == "chatAgreeOk" and "same tokens as PyTorch" in llama.agree.text()
    assert "tokens/s: " in llama.stats.text() and llama.tokens_per_s() > 0
    panel.grab().save("/tmp/chat_gguf.png")


def test_runtime_generation_refuses_what_it_cannot_do_in_one_line(gguf, tmp_path):
    from workbench.core.errors import WorkbenchError
    from workbench.core.runtimes import stream

    reg = build_registry(include_plugins=False)
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"], open=FakeLlamaSession, decoder=None,
                                        availability=lambda: Availability(True, "0.test", ("cpu",)))
    assert stream.handles(gguf, reg) and not stream.handles(str(tmp_path), reg)
    assert not stream.handles(str(tmp_path / "model.onnx"), reg)
    with pytest.raises(WorkbenchError, match="no tokenizer in") as info:  # a text prompt and no tokenizer
        next(stream.stream_text(gguf, PROMPT, 4, registry=reg))
    assert "\n" not in str(info.value)
    with pytest.raises(WorkbenchError, match="top-p"):
        next(stream.stream_text(gguf, [1, 2], 4, top_p=0.9, registry=reg))
    FakeLlamaSession.answer, FakeLlamaSession.seen = [5, 6, 7], []
    steps = list(stream.stream_text(gguf, [1, 2, 3], 2, registry=reg))  # token ids need no tokenizer
    assert [s.tokens for s in steps] == [[5], [6]] and FakeLlamaSession.seen == [[1, 2, 3]]
    assert steps[0].latency_ms == pytest.approx(2.0)


def test_the_add_variant_dialog_offers_every_generating_runtimes_files(qtbot, state, gguf, monkeypatch):
    """The file filter comes from the registry: a new generating runtime's suffix is offered, one that does not
    generate is not, and a cancelled dialog adds nothing."""
    reg = build_registry(include_plugins=False)
    reg.runtimes["newrt"] = replace(reg.runtimes["openvino"], name="newrt", suffixes=(".newrt",))
    reg.runtimes["mnn"] = replace(reg.runtimes["mnn"], generates=False, decoder=None)
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    asked = []
    answers = iter([("", ""), (gguf, "")])
    monkeypatch.setattr("workbench.gui.panels.chat_panel.QFileDialog.getOpenFileName",
                        lambda parent, title, folder, pattern: asked.append(pattern) or next(answers))
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.add_variant()  # cancelled
    assert panel.extra_variants == []
    panel.add_variant()
    assert panel.extra_variants == [gguf]
    patterns = asked[0][asked[0].index("(") + 1:-1].split()
    assert {"*.onnx", "*.xml", "*.gguf", "*.newrt"} <= set(patterns) and "*.mnn" not in patterns
    assert all(p.startswith("*.") for p in patterns) and len(patterns) == len(set(patterns))
