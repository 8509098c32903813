"""Chat at 1280x720 (issue 17): its answer columns stack into rows when the view is narrower than they are side
by side, so the page never scrolls sideways, in English and Chinese, greedy and sampling; wide, they sit side by
side again."""

import pytest
from PySide6.QtCore import Qt
from gui_helpers import StubGraphPanel, delete_now

from workbench.gui import theme
from workbench.gui.panels.chat_panel import COLUMN_WIDTH


@pytest.fixture(scope="module")
def chat_window(qapp):
    from workbench.gui.main_window import MainWindow

    theme.apply_theme("light")
    win = MainWindow(graph_factory=StubGraphPanel)
    win.show()
    chat = win.panels["chat"]
    models = [("m%d" % i, "ONNX Runtime variant %d" % i, "/models/m%d.onnx" % i) for i in range(4)]
    chat.wanted_columns = lambda: models  # four answer columns, as with PyTorch, ORT fp32 and two variants
    chat._rebuild_columns()
    yield win
    win.set_language("en")
    win.close()
    delete_now(win)


def _rows(chat):
    return sorted({c.geometry().top() for c in chat.columns.values()})


@pytest.mark.parametrize("language,mode", [("en", "greedy"), ("zh_CN", "greedy"), ("zh_CN", "sample")])
def test_chat_never_scrolls_sideways_at_1280x720(qtbot, chat_window, language, mode, tmp_path):
    win, chat = chat_window, chat_window.panels["chat"]
    try:
        win.set_language(language)
        chat.mode_combo.setCurrentIndex(chat.mode_combo.findData(mode))
        win.show_panel("chat")
        win.resize(1280, 720)
        qtbot.waitUntil(lambda: win.size().toTuple() == (1280, 720), timeout=3000)
        bar = win.page_scroll.horizontalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=5000)  # the page: no sideways scrolling
        assert chat.minimumSizeHint().width() <= win.page_scroll.viewport().width()
        inner = chat.scroll.horizontalScrollBar()
        assert inner.maximum() == 0
        view = chat.scroll.viewport().width()
        for column in chat.columns.values():  # every column whole inside the view, at its least width or more
            assert column.width() >= COLUMN_WIDTH and column.geometry().right() < view, column.geometry()
        assert len(_rows(chat)) >= 2  # four columns do not fit side by side here: they stacked
        win.grab().save(str(tmp_path / f"chat-{language}-{mode}.png"))
    finally:
        win.set_language("en")


def test_chat_columns_sit_side_by_side_when_wide(qtbot, chat_window):
    win, chat = chat_window, chat_window.panels["chat"]
    win.show_panel("chat")
    win.resize(2200, 900)
    qtbot.waitUntil(lambda: win.size().toTuple() == (2200, 900), timeout=3000)
    qtbot.waitUntil(lambda: chat.scroll.viewport().width() >= 4 * COLUMN_WIDTH + 24, timeout=3000)
    qtbot.waitUntil(lambda: len(_rows(chat)) == 1, timeout=3000)
    win.resize(1280, 720)
    qtbot.waitUntil(lambda: len(_rows(chat)) >= 2, timeout=3000)
