"""Recent files (issue 14): only a model that loaded enters the list (File > Recent files and the Start here page); a
failed load does not; the Start here page offers only files that still exist, checked each time it is shown."""

import shutil

from gui_helpers import StubGraphPanel, delete_now, wait_job


def test_only_loaded_models_enter_recent_files_and_gone_ones_are_not_offered(qtbot, tmp_path):
    from workbench.core.demo import build_demo_model
    from workbench.gui.main_window import MainWindow

    win = MainWindow(graph_factory=StubGraphPanel)
    win.show()
    try:
        win.clear_recent_files()  # what File > Recent files > Clear the list does: the page's list goes too
        load, card = win.load_panel, win.load_panel.welcome
        bad = tmp_path / "broken.onnx"
        bad.write_text("not a model")
        job = load.open_path(str(bad))
        wait_job(qtbot, job, 60)
        qtbot.waitUntil(lambda: load.problems.isVisible(), timeout=10000)
        assert win.settings.recent_files == []  # the failed load is not a recent file
        win._fill_recent_menu()
        assert str(bad) not in [a.text() for a in win.recent_menu.actions()]
        assert card.recent_buttons == [] and card.no_recent.isVisibleTo(card)

        model = build_demo_model(tmp_path / "demo-model")
        job = load.open_path(str(model))
        wait_job(qtbot, job, 120)
        qtbot.waitUntil(lambda: win.settings.recent_files == [str(model)], timeout=10000)
        job = load.open_path(str(bad))  # failing again after a good one: the list keeps only the good one
        wait_job(qtbot, job, 60)
        qtbot.waitUntil(lambda: card.isVisible(), timeout=10000)
        assert win.settings.recent_files == [str(model)]
        assert [b.toolTip() for b, _label in card.recent_buttons] == [str(model)]

        shutil.rmtree(model)  # deleted while the app runs: the page offers it no more the next time it shows
        card.hide()
        card.show()
        assert card.recent_buttons == [] and card.no_recent.isVisibleTo(card)
        assert win.settings.recent_files == [str(model)]  # the list itself is kept (File > Recent files)
    finally:
        win.clear_recent_files()
        win.close()
        delete_now(win)
