"""The Load panel shows `workbench advise`'s pick for a Hugging Face folder (issue 12 point 5), in the GUI's
language; other formats show none, and an architecture with no GGUF conversion says so."""

import pytest

from workbench.core.gguf import measured


def _panel(qtbot):
    from workbench.gui.panels.load_panel import LoadPanel
    from workbench.gui.state import AppState

    panel = LoadPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(1000, 620)
    panel.show()
    return panel


def _show(panel, path):
    from workbench import api
    from workbench.gui.rows import tensor_rows

    result = api.inspect(str(path))
    panel.show_result((result, tensor_rows(result.tensors)))
    return result


def test_load_panel_shows_the_advice_of_the_cli(qtbot, llama_dir, monkeypatch, tmp_path):
    from workbench import api

    panel = _panel(qtbot)
    _show(panel, llama_dir)
    advice = api.advise(str(llama_dir))
    pick = advice["pick"]
    assert pick is not None and pick["quant"] in measured.GGUF
    from workbench.gui.models import human_bytes
    assert panel.advice_label.text() == f"{pick['quant']}, needs ~{human_bytes(pick['need_bytes'])}"
    tip = panel.advice_label.toolTip()
    assert f"{pick['quant']} in llama.cpp, of the " in tip and f"{pick['fidelity']:.4f}" in tip
    assert f"workbench advise {llama_dir}" in tip
    panel.grab().save("/tmp/load_gguf_advice.png")
    monkeypatch.setattr("psutil.virtual_memory", lambda: type("M", (), {"available": 1000})())
    _show(panel, llama_dir)
    assert panel.advice_label.text().startswith("none fits the ")
    import transformers
    bloom = tmp_path / "bloom"
    transformers.BloomForCausalLM(transformers.BloomConfig(hidden_size=32, n_layer=1, n_head=2,
                                                           vocab_size=32)).save_pretrained(str(bloom))
    _show(panel, bloom)
    assert panel.advice_label.text() == "none (no GGUF conversion for this model)"
    assert "bloom" in panel.advice_label.toolTip()
    panel.clear_results()
    assert panel.advice_label.text() == "—"


def test_advice_in_chinese(qtbot, llama_dir):
    from workbench.gui.i18n.translators import install_translator

    pytest.importorskip("PySide6")
    install_translator("zh_CN")
    try:
        panel = _panel(qtbot)
        _show(panel, llama_dir)
        assert "，约需 " in panel.advice_label.text() and "实测保真度" in panel.advice_label.toolTip()
        panel.grab().save("/tmp/load_gguf_advice_zh.png")
    finally:
        install_translator("en")
