"""The Optimize panel's steps table shows the engine's step names and details in the GUI's language (issue 17:
under zh_CN they stayed English), values such as fused operator counts carried over unchanged."""

from workbench.core.results import OptimizeResult
from workbench.gui.i18n import translators
from workbench.gui.panels.optimize_panel import OptimizePanel

# The details as workbench.core.optimize writes them (cpu.py, common.py, cuda.py).
DETAILS = ["no fusion for this model type", "off", "skipped: onnxslim failed on node X",
           "ONNX Runtime all optimization (layout specific to this CPU)", "ONNX Runtime basic optimization",
           "bert fusion: Attention 2, LayerNormalization 5", "gpt2 fusion: nothing fused",
           "fp16 weights and compute, float32 inputs and outputs",
           "fp16 weights and compute, float32 inputs, float16 outputs"]


def _result():
    steps = [{"name": "transformer fusion", "applied": False, "detail": d} for d in DETAILS]
    return OptimizeResult(output="m.opt.onnx", steps=steps, nodes_before=10, nodes_after=8)


def _cells(panel):
    model = panel.steps_model
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_steps_table_is_in_chinese_under_zh_cn(qtbot, state):
    panel = OptimizePanel(state)
    qtbot.addWidget(panel)
    try:
        translators.install_translator("zh_CN")
        panel.show_result(_result())
        rows = _cells(panel)
    finally:
        translators.install_translator("en")
    assert len(rows) == len(DETAILS)
    for row, english in zip(rows, DETAILS):
        assert row[0] == "Transformer 融合"
        detail = str(row[-1])
        assert detail != english and any("\u4e00" <= ch <= "\u9fff" for ch in detail), (english, detail)
    assert "Attention 2, LayerNormalization 5" in str(rows[5][-1])  # the counts are carried over
    assert "onnxslim failed on node X" in str(rows[2][-1])


def test_steps_table_stays_english_under_en(qtbot, state):
    panel = OptimizePanel(state)
    qtbot.addWidget(panel)
    panel.show_result(_result())
    assert [str(r[-1]) for r in _cells(panel)] == DETAILS


def test_steps_table_follows_a_later_live_language_switch(qtbot, state):
    """Shown in English, then switched live to zh_CN and back: the table re-renders each time (issue 17)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    panel = OptimizePanel(state)
    qtbot.addWidget(panel)
    panel.show_result(_result())
    assert str(_cells(panel)[5][-1]) == DETAILS[5]
    try:
        translators.install_translator("zh_CN")
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)
        rows = _cells(panel)
        assert rows[0][0] == "Transformer 融合"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(rows[5][-1])), rows[5]
        assert "Attention 2, LayerNormalization 5" in str(rows[5][-1])
    finally:
        translators.install_translator("en")
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)
    assert [str(r[-1]) for r in _cells(panel)] == DETAILS
