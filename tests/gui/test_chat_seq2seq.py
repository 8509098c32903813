"""The Chat panel on an encoder-decoder export (a tiny random BART with a word-level tokenizer.json, exported with
the legacy exporter): the folder loads as one model (its two files are not offered as variants), the single-turn
input -> output note shows, PyTorch and ONNX Runtime answer through the same engine call with the same tokens.
"""

from workbench import api
from workbench.core.specs import ModelSource
from workbench.gui import workers
from workbench.gui.panels.chat_panel import ORT, TORCH, ChatPanel, find_variants

from gui_helpers import wait_job
from tests.core.test_seq2seq_generate import _bart


def _bart_with_tokenizer(root):
    from tokenizers import Tokenizer, models, pre_tokenizers

    src = _bart(root / "bart")  # its greedy tokens depend on the source (the T5 one answers <pad> only)
    vocab = {w: i for i, w in enumerate(["<s>", "<pad>", "</s>", "<unk>"] + [f"w{i}" for i in range(95)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    tok.save(str(src / "tokenizer.json"))
    out = root / "bart-onnx"
    api.export(ModelSource(str(src)), str(out), exporter="legacy")
    assert (out / "tokenizer.json").is_file()  # the export copies the tokenizer: Chat reads it from the folder
    return src, out


def test_chat_with_an_encoder_decoder_export(qtbot, state, tmp_path):
    src, out = _bart_with_tokenizer(tmp_path)
    assert find_variants(str(out)) == []
    state.set_source(str(src))
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.decoder_edit.setText(str(out))
    panel._decoder_changed()
    assert panel.is_seq2seq() and not panel.mode_label.isHidden()
    assert [c.key for c in panel.columns.values()] == [TORCH, ORT]
    panel.prompt_edit.setPlainText("w5 w17 w42 w8")
    panel.max_tokens_spin.setValue(6)
    job = panel.send()
    assert wait_job(qtbot, job, 120) == workers.DONE, job.error
    torch, ort = panel.columns[TORCH], panel.columns[ORT]
    for column in (torch, ort):
        assert column.finished and not column.error, column.status.text()
        assert column.tokens and column.tokens_per_s() > 0
    assert ort.tokens == torch.tokens and ort.text.toPlainText() == torch.text.toPlainText()
    assert ort.agree.objectName() == "chatAgreeOk"
    assert ort.text.toPlainText().split()[0].startswith("w")  # words of the vocabulary, special tokens skipped
    assert panel.cli_command().startswith(f"workbench generate {out} --prompt ")
    panel.grab().save("/tmp/chat_seq2seq.png")
