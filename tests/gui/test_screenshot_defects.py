"""Defects seen in the Xvfb screenshots (tools/screenshots.py), each fixed and kept fixed here."""

from gui_helpers import wait_job

from workbench.gui import workers


def test_status_bar_shows_no_empty_boxes(qtbot, window, tmp_path):
    """Empty permanent labels painted blank boxes at the status bar's right end: shown only with a text, and
    "No model loaded" comes back when the model is gone (a failed load)."""
    for label in (window.onnx_status, window.jobs_status):
        assert label.isHidden(), label.text()
    path = str(tmp_path / "m.onnx")
    window.state.set_onnx(path)
    assert not window.onnx_status.isHidden() and window.onnx_status.text() == "ONNX: m.onnx"
    window.state.set_onnx("")
    assert window.onnx_status.isHidden()
    window.state.set_source(str(tmp_path / "model"))
    assert window.source_status.text() == "Model: model"
    window.state.set_source("")
    assert window.source_status.text() == "No model loaded"
    job = window.jobs.run_in_thread("wait", lambda progress=None, cancel=None: None)
    assert not window.jobs_status.isHidden() and "1 job(s) running" in window.jobs_status.text()
    assert wait_job(qtbot, job, 30) == workers.DONE
    assert window.jobs_status.isHidden()


def test_load_configuration_table_shows_its_values(qtbot, window, llama_dir):
    """The Configuration table's Key column was a fixed 150 px in a ~200 px pane: the Value column read "Va"."""
    window.resize(1440, 900)
    assert wait_job(qtbot, window.open_path(str(llama_dir)), 240) == workers.DONE
    view = window.load_panel.config_view
    qtbot.waitUntil(lambda: view.model().rowCount() > 0, timeout=5000)
    room = view.viewport().width()
    assert view.columnWidth(1) >= 0.45 * room and view.columnWidth(0) >= 0.45 * room, \
        (view.columnWidth(0), view.columnWidth(1), room)
    header = view.horizontalHeader()
    title = view.model().headerData(1, header.orientation())
    assert view.columnWidth(1) > header.fontMetrics().horizontalAdvance(title) + 8


def test_load_summary_is_not_squeezed_at_1280x720(qtbot, window, llama_dir):
    """At 1280x720 the Load panel was held to its minimumSizeHint, which ignores wrapped texts (the banner's notes
    take more lines when narrow): the Summary rows overlapped. The page's height now counts them; it scrolls."""
    window.resize(1280, 720)
    assert wait_job(qtbot, window.open_path(str(llama_dir)), 240) == workers.DONE
    panel = window.load_panel
    qtbot.waitUntil(lambda: panel.format_label.text() not in ("", "—"), timeout=5000)
    qtbot.wait(50)
    layout = panel.layout()
    assert panel.height() >= layout.totalMinimumHeightForWidth(panel.width())
    for label in (panel.format_label, panel.params_label, panel.size_label, panel.dtype_label, panel.count_label):
        assert label.height() >= label.heightForWidth(label.width()), (label.text(), label.size().toTuple())


def test_an_open_message_box_is_repainted_on_a_theme_switch(qtbot, window):
    """Under Xvfb a message box left open through dark -> light (the language switched too, as the screenshot tool
    does) kept the dark background on screen though its palette was light (tools/screenshots.py's
    03-failed-load-export.png; offscreen rendering re-renders and never shows it). set_theme re-polishes and
    repaints open dialogs at once: each switch paints the box while set_theme runs."""
    from PySide6.QtCore import QEvent, QObject

    from workbench.gui.panels.base import show_error

    class Paints(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Paint:
                Paints.count += 1
            return False

    box = show_error(window.load_panel, "Inspect", "some/file.onnx: not a valid ONNX file (truncated); re-export it")
    qtbot.waitExposed(box)
    paints = Paints(box)
    box.installEventFilter(paints)
    try:
        for language, name in (("zh_CN", "light"), ("en", "dark"), ("zh_CN", "dark"), ("en", "light")):
            window.set_language(language)
            qtbot.wait(20)
            Paints.count = 0
            window.set_theme(name)  # no event loop in between: only a repaint() inside set_theme paints
            assert Paints.count >= 1, f"the open box was not repainted by set_theme({name!r})"
        assert box.grab().toImage().pixelColor(3, 3).name() == box.palette().window().color().name() == "#f7f8fa"
    finally:
        window.set_language("en")
        window.set_theme("light")
        box.close()
