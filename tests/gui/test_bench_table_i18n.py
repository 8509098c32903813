"""The Benchmark results table's columns widen to their titles after a live switch to zh_CN (seen in the Xvfb walk:
"执行提供程序" and "p50（毫秒）" were cut at the English widths)."""

from PySide6.QtCore import QCoreApplication, QEvent

from workbench.gui.i18n import translators
from workbench.gui.panels.bench_panel import BenchPanel


def test_headers_fit_after_a_live_switch(qtbot, state):
    panel = BenchPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    table = panel.table
    header = table.horizontalHeader()
    try:
        translators.install_translator("zh_CN")
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)
        titles = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(titles))
        for col in range(table.columnCount()):
            if not table.isColumnHidden(col):
                assert header.sectionSize(col) >= header.sectionSizeHint(col), (titles[col], header.sectionSize(col))
    finally:
        translators.install_translator("en")
        QCoreApplication.sendPostedEvents(None, QEvent.LanguageChange)
