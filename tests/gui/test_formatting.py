"""Numbers and long values fit where they are shown: 3 significant digits without wrapping, long values cut at their
end with the whole value in the tooltip, forms never squeezed shorter than their fields, the navigator's marks
clear of the step names. Each test saves a screenshot of what it checks (widget.grab())."""

import time

import pytest
from PySide6.QtCore import Qt

from workbench.core.results import ExportResult, OutputDiff, ValidateResult


@pytest.fixture
def shots(tmp_path):
    from workbench.gui import theme

    theme.apply_theme("light")  # the style sheet's paddings are what squeezed and clipped
    folder = tmp_path / "shots"
    folder.mkdir()
    return folder


def test_compact_numbers():
    from workbench.gui.formatting import compact
    from workbench.gui.models import format_value, full_value

    cases = {1.7881393e-07: "1.79e-07", 0.23388: "0.234", 3.663e-4: "3.66e-04", 12.345: "12.3", 1234.5: "1234",
             0.0: "0", 1e-12: "1e-12", 500000.0: "5e+05", -2.5e-9: "-2.5e-09", 0.02: "0.02", 1.0: "1"}
    for value, text in cases.items():
        assert compact(value) == text, value
        assert format_value(value) == text and " " not in text
        assert full_value(value) == repr(value)  # the tooltip keeps every digit
    assert compact(11720448) == "11,720,448"  # counts are never rounded
    assert compact(None) == "" and compact(float("nan")) == "nan"


def _fits(view, row: int, column: int) -> bool:
    """The cell's text is shown whole: its column is at least as wide as the text (plus the cell's margins)."""
    index = view.model().index(row, column)
    text = str(index.data())
    return view.columnWidth(column) >= view.fontMetrics().horizontalAdvance(text) + 6


def test_validate_numbers_fit_and_never_wrap(qtbot, shots):
    from workbench.gui.panels.validate_panel import ValidatePanel
    from workbench.gui.state import AppState

    panel = ValidatePanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(640, 560)
    panel.show()
    panel.show_result(ValidateResult(passed=True, shapes_tried=[[2, 8], [3, 13]], rtol=1e-4, atol=1e-5, outputs=[
        OutputDiff(name="last_hidden_state_of_a_model_with_a_long_output_name", shape=[30522, 384],
                   max_abs_diff=1.7881393e-07, max_rel_diff=3.0291e-07, cosine=0.99999994, passed=True)]))
    qtbot.wait(50)
    table = panel.table
    assert not table.wordWrap() and table.textElideMode() == Qt.TextElideMode.ElideRight
    assert [table.model().index(0, c).data() for c in (1, 2, 3)] == ["30522×384", "1.79e-07", "3.03e-07"]
    for column in range(1, 6):
        assert _fits(table, 0, column), (column, table.columnWidth(column), table.model().index(0, column).data())
    assert table.model().index(0, 2).data(Qt.ItemDataRole.ToolTipRole).startswith("1.7881393e-07")
    panel.grab().save(str(shots / "validate.png"))


def test_load_panel_shapes_and_counts_are_never_cut(qtbot, minilm_dir, shots):
    """The real MiniLM's word embeddings (30522×384, 11,720,448 elements) show whole; a name too long for its
    column ends in "…" with the whole name in its tooltip; the panel still takes 100k tensors quickly."""
    from workbench import api
    from workbench.gui.panels.load_panel import LoadPanel
    from workbench.gui.rows import tensor_rows
    from workbench.gui.state import AppState

    panel = LoadPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(1000, 620)
    panel.show()
    result = api.inspect(str(minilm_dir))
    panel.show_result((result, tensor_rows(result.tensors)))
    qtbot.wait(50)
    view, proxy = panel.tensor_view, panel.tensor_proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "embeddings.word_embeddings.weight")
    assert [proxy.index(row, c).data() for c in (2, 3)] == ["30522×384", "11,720,448"]
    for column in (1, 2, 3, 4):
        assert _fits(view, row, column), (column, view.columnWidth(column), proxy.index(row, column).data())
    assert view.textElideMode() == Qt.TextElideMode.ElideRight
    assert panel.config_view.textElideMode() == Qt.TextElideMode.ElideRight
    assert proxy.index(row, 2).data(Qt.ItemDataRole.ToolTipRole) == "30522×384"
    assert "\n" not in panel.dtype_label.text() and "float32:\u00a086.64\u00a0MB" in panel.dtype_label.text()
    panel.grab().save(str(shots / "load.png"))
    many = tensor_rows([{"name": f"model.layers.{i // 10}.w{i % 10}.weight", "dtype": "float16",
                         "shape": [64, i % 97 + 1]} for i in range(100_000)])
    started = time.perf_counter()
    panel.show_result((result, many))
    panel.filter_edit.setText("w3")
    panel._apply_filter()
    qtbot.wait(10)
    assert proxy.rowCount() == 10_000 and time.perf_counter() - started < 3.0


def test_export_form_is_not_squeezed_by_the_banner(qtbot, shots):
    """After a successful export the banner shows; the forms keep every field at its full height (the area
    scrolls when the window is short), and the long source path is one line, cut at its end, whole in its
    tooltip."""
    from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

    from workbench.gui.panels.export_panel import ExportPanel
    from workbench.gui.state import AppState

    state = AppState()
    panel = ExportPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1000, 560)
    panel.show()
    source = "/home/someone/models/" + "a-very-long-folder-name/" * 6 + "model"
    state.set_source(source)
    panel.show_result(ExportResult(outputs=["/tmp/out/model.onnx", "/tmp/out/model.onnx.data"], exporter="dynamo",
                                   target="onnx", input_names=["input_ids", "attention_mask"],
                                   output_names=["logits"], seconds=12.3,
                                   input_shapes={"input_ids": ["batch", "sequence"],
                                                 "attention_mask": ["batch", "sequence"]},
                                   output_shapes={"logits": ["batch", "sequence", 128]}))
    qtbot.wait(50)
    assert panel.summary.isVisible()
    fields = [w for kind in (QLineEdit, QComboBox, QSpinBox) for w in panel.findChildren(kind)
              if w.isVisible() and not panel.axes_table.isAncestorOf(w) and not isinstance(w.parent(), QSpinBox)
              and not isinstance(w.parent(), QComboBox)]
    assert len(fields) >= 8
    for field in fields:
        assert field.height() >= field.sizeHint().height(), (field.objectName() or type(field).__name__,
                                                             field.height(), field.sizeHint().height())
    label = panel.source_label
    assert label.text() == source and label.toolTip() == source and label.is_elided()
    assert label.height() <= label.fontMetrics().height() + 8  # one line
    panel.grab().save(str(shots / "export.png"))


def test_navigator_marks_do_not_overlap_the_step_names(qtbot, window, shots):
    """At its narrowest the navigator is wide enough for every step's icon, number, name and mark."""
    from PySide6.QtWidgets import QDockWidget, QStyle, QStyleOptionViewItem

    from workbench.gui.navigator import mark_rect

    nav = window.navigator
    for step in nav.steps:
        nav.set_state(step, "done")
    dock = next(d for d in window.findChildren(QDockWidget) if d.widget() is nav)
    window.resizeDocks([dock], [1], Qt.Orientation.Horizontal)  # as narrow as it goes
    qtbot.waitUntil(lambda: nav.width() <= nav.minimumWidth() + 2, timeout=2000)
    delegate = nav.itemDelegate()
    for row in range(nav.count()):
        item = nav.item(row)
        option = QStyleOptionViewItem()
        option.initFrom(nav)
        option.font, option.fontMetrics, option.decorationSize = nav.font(), nav.fontMetrics(), nav.iconSize()
        option.rect = nav.visualItemRect(item)
        delegate.initStyleOption(option, nav.indexFromItem(item))
        text = nav.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, nav)
        text_right = max(text.left(), option.rect.left() + nav.iconSize().width()) + \
            nav.fontMetrics().horizontalAdvance(item.text())
        visible = option.rect.intersected(nav.viewport().rect())  # where the mark is painted: inside the view
        assert visible.width() == option.rect.width(), (item.text(), option.rect, nav.viewport().rect())
        assert text_right < mark_rect(visible).left(), (item.text(), text_right, mark_rect(visible).left())
    nav.grab().save(str(shots / "navigator.png"))
