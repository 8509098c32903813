"""Every control group of every panel says in one plain line what it does (issue 14 point 2), as a label under its
title and as its tooltip, in English and, after a live switch, in Chinese."""

from PySide6.QtWidgets import QGroupBox, QLabel
from gui_helpers import StubGraphPanel, delete_now

from workbench.gui.panels.group_hints import HINTS, TOOLTIP_ONLY


def test_every_group_box_has_its_hint_in_both_languages(qtbot):
    from workbench.gui.main_window import MainWindow

    win = MainWindow(graph_factory=StubGraphPanel)
    win.show()
    try:
        seen = set()
        described = {cls for cls, _title in HINTS}  # a panel added later (Deploy) gets its hints with its own work
        panels = [(step, p) for step, p in win.panels.items() if type(p).__name__ in described]
        assert len(panels) >= 8
        for step, panel in panels:
            for box in panel.findChildren(QGroupBox):
                if type(box).__name__ == "TargetOptionsBox":
                    continue  # rebuilt per target; every option has its own tooltip
                key = (type(panel).__name__, box.title())
                seen.add(key)
                assert box.toolTip(), f"{step}: group '{box.title()}' has no tooltip"
                if key in TOOLTIP_ONLY:
                    continue
                hint = box.findChild(QLabel, "groupHint")
                assert hint is not None, f"{step}: group '{box.title()}' has no hint"
                assert hint.text() and box.toolTip() == hint.text()
        assert seen == set(HINTS), set(HINTS) ^ seen  # every hint is used, none is missing
        win.set_language("zh_CN")
        for _step, panel in panels:
            for box in panel.findChildren(QGroupBox):
                if type(box).__name__ == "TargetOptionsBox":
                    continue
                text = box.toolTip()
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    finally:
        win.set_language("en")
        win.close()
        delete_now(win)
