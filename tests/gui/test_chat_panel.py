"""The Chat panel: export a decoder with its button (a child process), stream PyTorch, ONNX Runtime fp32 and an
int8 variant side by side, Stop mid-stream, and a bad decoder folder shown as the engine's one line.

The demo model (DeepSeek-V3, tiny, with a tokenizer) is built and exported once per module (the first test that
needs it does it through the panel's Export for chat button; 20-60 s on a loaded 2-core machine).
"""

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from workbench.gui import workers
from workbench.gui.panels.chat_panel import ORT, TORCH, ChatPanel

from gui_helpers import wait_job

_cache: dict = {}


@pytest.fixture
def decoder(qtbot, state, tmp_path_factory):
    """(demo model folder, exported decoder folder, int8 variant) — exported through the panel once."""
    if "decoder" not in _cache:
        from workbench import api
        from workbench.core.demo import build_demo_model

        root = tmp_path_factory.mktemp("chat")
        src = build_demo_model(root / "demo-model")
        state.set_source(str(src))
        state.output_dir = str(root / "out")
        panel = ChatPanel(state)
        qtbot.addWidget(panel)
        assert panel.export_button.isEnabled()
        job = panel.export_decoder()
        assert job.kind == "process"
        assert wait_job(qtbot, job, 240) == workers.DONE, job.error
        folder = root / "out" / "chat-decoder"
        assert panel.decoder_edit.text() == str(folder) and (folder / "model.onnx").is_file()
        q = api.quantize(str(folder / "model.onnx"), str(folder / "model.int8-dynamic.onnx"), mode="int8-dynamic")
        _cache["decoder"] = (str(src), str(folder), q.output)
    return _cache["decoder"]


def _panel(qtbot, state, src, folder):
    state.set_source(src)
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.decoder_edit.setText(folder)
    panel.prompt_edit.setPlainText("The workbench exports")
    return panel


def test_streams_pytorch_onnx_and_variant_side_by_side(qtbot, state, decoder):
    src, folder, variant = decoder
    panel = _panel(qtbot, state, src, folder)
    assert [c.key for c in panel.columns.values()] == [TORCH, ORT, variant]  # the int8 file was found
    panel.max_tokens_spin.setValue(12)
    seen = []
    qtbot.keyClick(panel.prompt_edit, Qt.Key_Return, Qt.ControlModifier)  # Ctrl+Enter sends
    job = panel.current_job
    assert job is not None and job.kind == "thread"
    job.samples.connect(lambda items: seen.append(len(items)))
    assert not panel.send_button.isEnabled() and panel.stop_button.isEnabled()
    assert wait_job(qtbot, job, 120) == workers.DONE, job.error
    assert sum(seen) > 3  # tokens came in several batches, not all at the end
    for column in panel.columns.values():
        assert column.finished and not column.error, column.status.text()
        assert column.tokens and column.text.toPlainText().strip()
        assert "tokens/s: " in column.stats.text() and "first token: " in column.stats.text()
        assert column.tokens_per_s() > 0
    torch, ort = panel.columns[TORCH], panel.columns[ORT]
    assert ort.tokens == torch.tokens and ort.text.toPlainText() == torch.text.toPlainText()
    assert ort.agree.objectName() == "chatAgreeOk" and "same tokens as PyTorch" in ort.agree.text()
    assert panel.columns[variant].agree.text()  # agreement shown for the variant too (whatever it is)
    assert "reference" in torch.agree.text()
    assert panel.send_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.cli_command().startswith("workbench generate ")


def test_stop_cancels_mid_stream(qtbot, state, decoder, monkeypatch):
    from workbench import api

    src, folder, _variant = decoder
    real = api.generate_stream

    def slow(*args, **kwargs):  # 40 ms a token, so Stop lands mid-answer
        for step in real(*args, **kwargs):
            time.sleep(0.04)
            yield step

    monkeypatch.setattr(api, "generate_stream", slow)
    panel = _panel(qtbot, state, src, folder)
    panel.torch_check.setChecked(False)
    panel.max_tokens_spin.setValue(100)
    panel.mode_combo.setCurrentIndex(1)  # sampling: the answer does not end early at end-of-sequence... usually
    job = panel.send()
    ort = panel.columns[ORT]
    qtbot.waitUntil(lambda: len(ort.tokens) >= 3, timeout=60000)
    qtbot.mouseClick(panel.stop_button, Qt.LeftButton)
    assert wait_job(qtbot, job, 30) == workers.CANCELLED
    assert len(ort.tokens) < 100 and not ort.finished
    assert ort.status.text() == "stopped"
    assert "sampled" in ort.agree.text()
    assert panel.send_button.isEnabled()


@pytest.mark.parametrize("what", ["missing", "not-a-decoder"])
def test_bad_decoder_folder_shows_the_engines_line(qtbot, state, tmp_path, what):
    from workbench.core.generate_decoders import resolve
    from workbench.core.errors import WorkbenchError

    folder = tmp_path / what
    if what == "not-a-decoder":
        folder.mkdir()
        (folder / "notes.txt").write_text("no model here")
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.decoder_edit.setText(str(folder))
    panel.prompt_edit.setPlainText("hello")
    assert list(panel.columns) == [ORT]
    job = panel.send()
    assert wait_job(qtbot, job, 60) == workers.DONE
    with pytest.raises(WorkbenchError) as err:
        resolve(str(folder))
    column = panel.columns[ORT]
    assert column.error == str(err.value) and "\n" not in column.error
    assert column.status.text().endswith(str(err.value)) and column.status.objectName() == "chatError"
    assert panel.error_banner.isVisibleTo(panel) and str(err.value) in panel.error_banner.text()
    assert panel.step_state == "failed"
    assert not panel.findChildren(QMessageBox)  # no message box: the column says it
