"""A real .gguf (tiny random Llama, f16) in the Benchmark and Chat panels, run by the real llama.cpp: skipped where
llama-cpp-python is not installed (CI); test_chat_runtimes.py covers the panels' side with a fake runtime."""

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
pytest.importorskip("pyqtgraph")

from gui_helpers import wait_job  # noqa: E402


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    import torch
    import transformers

    sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
    from gguf_fixtures import add_tiny_tokenizer

    from workbench.core.gguf.convert import convert

    root = tmp_path_factory.mktemp("gui-gguf")
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                      initializer_range=0.1, eos_token_id=2, bos_token_id=1)
    folder = root / "llama"
    transformers.LlamaForCausalLM(config).eval().save_pretrained(str(folder))
    add_tiny_tokenizer(folder)
    out = root / "out" / "llama.f16.gguf"
    out.parent.mkdir()
    convert(folder, out, "f16")
    return str(folder), str(out)


def test_bench_panel_runs_a_gguf_in_llama_cpp(qtbot, state, tiny_gguf):
    from workbench.gui.panels.bench_panel import COLUMNS, BenchPanel

    _, gguf = tiny_gguf
    panel = BenchPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    state.add_variant("gguf f16", gguf)
    assert panel.rows["gguf f16"].runtime.currentData() == "llama.cpp"
    panel.sequence.setValue(16)
    panel.warmup.setValue(1)
    panel.iterations.setValue(8)
    panel.threads.setValue(1)
    with qtbot.waitSignal(panel.runFinished, timeout=180_000) as blocker:
        panel.run()
    results = {r.name: r for r in blocker.args[0]}
    assert "gguf f16" in results and not panel.failures, panel.failures
    assert results["gguf f16"].iterations == 8 and len(panel.charts.latency.series["gguf f16"].buffer) == 8
    rows = {panel.table.item(r, 0).text(): r for r in range(panel.table.rowCount())}
    assert panel.table.item(rows["gguf f16"], COLUMNS.index("Runtime")).text() == "llama.cpp"
    panel.grab().save("/tmp/bench_real_gguf.png")
    panel.shutdown()


def test_chat_streams_a_real_gguf_beside_pytorch(qtbot, state, tiny_gguf):
    from workbench.gui import workers
    from workbench.gui.panels.chat_panel import TORCH, ChatPanel

    folder, gguf = tiny_gguf
    state.set_source(folder)
    state.add_variant("gguf f16", gguf)
    panel = ChatPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    item = next(panel.variant_list.item(i) for i in range(panel.variant_list.count())
                if panel.variant_list.item(i).data(Qt.UserRole) == gguf)
    assert item.flags() & Qt.ItemIsEnabled and item.checkState() == Qt.Checked
    panel.max_tokens_spin.setValue(8)
    panel.prompt_edit.setPlainText("abc")
    job = panel.send()
    assert wait_job(qtbot, job, 120) == workers.DONE, job.error
    torch, llama = panel.columns[TORCH], panel.columns[gguf]
    assert not llama.error and llama.finished, llama.status.text()
    assert llama.tokens == torch.tokens and len(llama.tokens) >= 1  # f16 greedy: PyTorch's tokens
    assert llama.agree.objectName() == "chatAgreeOk"
    panel.grab().save("/tmp/chat_real_gguf.png")
