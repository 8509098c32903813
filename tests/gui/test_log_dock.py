"""The Log dock follows a live language switch: lines written before it are written again in the new language
(GUI messages and the engine's), a log record's "LEVEL logger:" prefix stays, and switching back gives the exact
English lines again."""

import logging

from workbench.gui.i18n import translators


def _lines(window) -> list:
    return [line[10:] for line in window.log_widget.toPlainText().splitlines()]  # without "HH:MM:SS  "


def test_log_lines_written_before_a_switch_follow_the_language(qtbot, window, tmp_path):
    translators.install_translator("en")
    window.log_widget.clear()
    missing = f"{tmp_path}/gone.safetensors: no such file; check the path"
    window.state.log("Started: Export model.onnx")
    window.state.log("Finished: Export model.onnx (3.2 s)")
    window.state.log("Failed: Load gone.safetensors: " + missing)
    logging.getLogger("workbench.test_log").warning("Started: Export model.onnx")
    qtbot.waitUntil(lambda: len(window.log_widget.entries) == 4, timeout=5000)
    english = window.log_widget.toPlainText()
    assert _lines(window) == ["Started: Export model.onnx", "Finished: Export model.onnx (3.2 s)",
                              "Failed: Load gone.safetensors: " + missing,
                              "WARNING workbench.test_log: Started: Export model.onnx"]
    try:
        window.set_language("zh_CN")
        lines = _lines(window)
        assert lines[0] == "已开始：导出 model.onnx", lines  # nested messages too ("Export {0}")
        assert lines[1] == "已完成：导出 model.onnx（3.2 秒）", lines
        assert "不存在" in lines[2] and "no such" not in lines[2] and "gone.safetensors" in lines[2], lines
        assert lines[3] == "WARNING workbench.test_log: 已开始：导出 model.onnx", lines
        window.state.log("Started: Validate model.onnx")  # written after the switch: as given, then kept
        assert _lines(window)[-1] == "Started: Validate model.onnx"
    finally:
        window.set_language("en")
    assert window.log_widget.toPlainText().splitlines()[:4] == english.splitlines()
    assert _lines(window)[-1] == "Started: Validate model.onnx"


def test_log_keeps_multi_line_messages_indented_and_its_last_entries(qtbot, window):
    log = window.log_widget
    log.clear()
    log.append_message("Started: one\nsecond line")
    assert log.toPlainText().splitlines()[1] == " " * 10 + "second line"
    log.MAX_ENTRIES = 3
    for i in range(5):
        log.append_message(f"entry {i}")
    assert [m for _t, _p, m in log.entries] == ["entry 2", "entry 3", "entry 4"]
    log.retranslate()
    assert [line[10:] for line in log.toPlainText().splitlines()] == ["entry 2", "entry 3", "entry 4"]
