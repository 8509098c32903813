"""The first-run page (issue 14 point 2): with no model loaded the Load panel shows Start here with Open a model,
Open a model folder, Run the demo and the recent files instead of empty tables; a loaded model replaces it, a failed
load brings it back; every button does what it says."""

from gui_helpers import StubGraphPanel, delete_now

from workbench.gui.i18n import translators


def _window(qtbot):
    from workbench.gui.main_window import MainWindow

    win = MainWindow(graph_factory=StubGraphPanel)
    win.show()
    return win


def test_empty_state_offers_open_demo_and_recent_files(qtbot, tmp_path, monkeypatch):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"")
    win = _window(qtbot)
    try:
        win.settings.clear_recent()
        win.settings.add_recent(str(tmp_path / "gone.safetensors"))  # no longer exists: not offered
        win.settings.add_recent(str(model))
        load = win.load_panel
        card = load.welcome
        card.set_recent(win.settings.recent_files)
        assert card.isVisible() and not load.results_splitter.isVisible()
        assert [b.toolTip() for b, _l in card.recent_buttons] == [str(model)]
        assert not card.no_recent.isVisible()
        opened, demos, files = [], [], []
        monkeypatch.setattr(load, "open_path", lambda p: opened.append(p))
        monkeypatch.setattr(win, "start_demo", lambda folder="": demos.append(folder))
        monkeypatch.setattr(load, "choose_file", lambda: files.append("file"))
        card.openRecent.disconnect()
        card.openRecent.connect(load.open_path)
        card.openFile.disconnect()
        card.openFile.connect(load.choose_file)
        card.recent_buttons[0][0].click()
        card.demo_button.click()
        card.open_button.click()
        assert opened == [str(model)] and demos == [""] and files == ["file"]
        assert card.open_button.toolTip() and card.demo_button.toolTip() and card.folder_button.toolTip()
    finally:
        win.close()
        delete_now(win)


def test_a_loaded_model_replaces_the_card_and_a_failed_load_brings_it_back(qtbot, tmp_path):
    from gui_helpers import wait_job

    from workbench.core.demo import build_demo_model

    win = _window(qtbot)
    try:
        load = win.load_panel
        src = build_demo_model(tmp_path / "demo-model")
        job = load.open_path(str(src))
        wait_job(qtbot, job, 120)
        qtbot.waitUntil(lambda: load.result is not None, timeout=10000)
        assert not load.welcome.isVisible() and load.results_splitter.isVisible()
        bad = tmp_path / "broken.onnx"
        bad.write_text("not a model")
        job = load.open_path(str(bad))
        wait_job(qtbot, job, 60)
        qtbot.waitUntil(lambda: load.welcome.isVisible(), timeout=10000)
        assert not load.results_splitter.isVisible() and load.problems.isVisible()
    finally:
        win.close()
        delete_now(win)


def test_the_card_is_in_chinese_under_zh_cn(qtbot):
    win = _window(qtbot)
    try:
        win.set_language("zh_CN")
        card = win.load_panel.welcome
        for text in (card.title.text(), card.hint.text(), card.open_button.text(), card.demo_button.text(),
                     card.folder_button.text(), card.recent_title.text(), card.demo_button.toolTip()):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    finally:
        win.set_language("en")
        translators.install_translator("en")
        win.close()
        delete_now(win)


def test_the_status_bar_message_follows_a_live_language_switch(qtbot):
    win = _window(qtbot)
    try:
        assert win.statusBar().currentMessage().startswith("Open a model (Ctrl+O)")
        win.set_language("zh_CN")
        message = win.statusBar().currentMessage()
        assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    finally:
        win.set_language("en")
        win.close()
        delete_now(win)
