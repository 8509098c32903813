"""The Quantize panel's min-cosine control and per-node sensitivity table: a targeted int8 job (child process) fills
the sortable table, ticking a node and "Re-quantize" runs int8 with exactly the ticked nodes excluded."""

import shlex
from pathlib import Path

import onnx
from PySide6.QtCore import Qt

from gui_helpers import wait_job
from workbench.gui import workers
from workbench.gui.panels.sensitivity_view import KEPT, NODE, SENSITIVITY, SIZE

FLOOR = 0.99995  # just above what plain int8 reaches on the tiny Llama (0.99991), so the search has work to do


def signatures(path) -> dict:
    return {n.name: (n.op_type, tuple(n.input)) for n in onnx.load(str(path)).graph.node}


def column(view, col, role=Qt.UserRole) -> list:
    proxy = view.proxy
    return [proxy.data(proxy.index(r, col), role) for r in range(proxy.rowCount())]


def test_min_cosine_table_and_requantize(qtbot, state, exported, tmp_path):
    from workbench.gui.panels.quantize_panel import QuantizePanel

    src = exported("llama").path
    state.set_onnx(src)
    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    panel.resize(1280, 900)
    panel.show()
    panel.output_dir_edit.setText(str(tmp_path))
    assert panel.min_cosine() is None  # unticked: the int8 default (0.99, best effort)
    panel.min_cosine_check.setChecked(True)
    panel.min_cosine_spin.setValue(FLOOR)
    assert panel.specs()[0].min_cosine == FLOOR
    assert "--min-cosine 0.99995" in panel.cli_command()
    assert panel.recipe_sections()["quantize"][0]["min_cosine"] == FLOOR
    assert panel.sensitivity.isHidden()

    jobs = panel.quantize()
    assert wait_job(qtbot, jobs[0], 240) == workers.DONE, jobs[0].error
    targeting = jobs[0].result.targeting
    view = panel.sensitivity
    assert not view.isHidden()
    assert view.proxy.rowCount() == targeting["candidates"] > 0
    drops = column(view, SENSITIVITY)
    assert drops == sorted(drops, reverse=True)  # most sensitive first
    assert view.model.kept() == targeting["kept_fp32"] and targeting["kept_fp32"]
    assert column(view, KEPT, Qt.CheckStateRole)[:len(targeting["kept_fp32"])] == \
        [Qt.Checked] * len(targeting["kept_fp32"])
    assert "kept in fp32" in view.summary.text() and f"{targeting['cosine']:.6f}" in view.summary.text()

    view.table.sortByColumn(SIZE, Qt.AscendingOrder)  # sortable: sizes as numbers
    sizes = column(view, SIZE)
    assert sizes == sorted(sizes)
    view.table.sortByColumn(SENSITIVITY, Qt.DescendingOrder)
    panel.grab().save("/tmp/quant_panel.png")

    last = view.proxy.rowCount() - 1  # tick the least sensitive node as well
    extra = view.proxy.data(view.proxy.index(last, NODE))
    assert view.proxy.setData(view.proxy.index(last, KEPT), Qt.Checked, Qt.CheckStateRole)
    wanted = targeting["kept_fp32"] + [extra]
    assert view.model.kept() == wanted
    assert f"{len(wanted)} node(s) ticked" in view.count_label.text()

    qtbot.mouseClick(view.requantize_button, Qt.LeftButton)
    job = panel.jobs["int8-dynamic"]
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    result = job.result
    assert result.settings["exclude"] == wanted and result.targeting is None  # min_cosine 0: no second search
    before, after = signatures(src), signatures(result.output)
    assert all(after.get(n) == before[n] for n in wanted)  # exactly these stayed float32
    assert f"Re-quantized with {len(wanted)} node(s)" in view.summary.text()
    line = shlex.split(panel.cli_command())
    assert line[line.index("--exclude") + 1:] == wanted and line[line.index("--min-cosine") + 1] == "0"
    assert Path(result.output).is_file()
    panel.grab().save("/tmp/quant_panel_after.png")
