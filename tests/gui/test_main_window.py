"""The main window: opens and closes cleanly, navigates, copies CLI commands, writes recipes, themes, menus."""

import shlex
import time

import tomllib
from gui_helpers import delete_now
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from workbench.core.recipe import dumps_toml, save_recipe
from workbench.gui import commands


def test_window_opens_and_closes_cleanly(qtbot):
    """With the real Graph and Benchmark panels (whatever is installed)."""
    from workbench.gui.main_window import MainWindow

    win = MainWindow()
    win.show()
    qtbot.waitExposed(win)
    assert win.navigator.count() == 9
    assert win.tabs.count() == 2
    assert win.close()
    assert not win.jobs.running()
    delete_now(win)


def test_navigator_switches_panels(qtbot, window):
    expected = {"load": window.load_panel, "export": window.export_panel, "validate": window.validate_panel,
                "optimize": window.optimize_panel, "quantize": window.quantize_panel,
                "bench": window.bench_panel, "report": window.report_panel, "deploy": window.deploy_panel,
                "chat": window.chat_panel}
    for row, step in enumerate(window.navigator.steps):
        window.navigator.setCurrentRow(row)
        assert window.stack.currentWidget() is expected[step]
        assert window.tabs.currentIndex() == 0
    window.show_panel("graph")
    assert window.tabs.currentWidget() is window.graph_panel
    window.show_panel("export")
    assert window.current_panel() is window.export_panel


def test_keyboard_shortcuts(qtbot, window):
    shortcuts = {a.shortcut().toString() for a in window.findChildren(type(window.export_action))}
    for key in ("Ctrl+O", "Ctrl+Shift+O", "Ctrl+E", "Ctrl+B", "Ctrl+Q"):
        assert key in shortcuts
    qtbot.keyClick(window, Qt.Key_3, Qt.ControlModifier)
    assert window.stack.currentWidget() is window.validate_panel


def test_step_state_marks_navigator(qtbot, window):
    window.export_panel.set_step_state("done")
    assert window.navigator.state_of("export") == "done"


def test_graph_opens_lazily_when_onnx_changes(qtbot, window, tmp_path):
    path = str(tmp_path / "m.onnx")
    window.state.set_onnx(path)
    assert window.graph_panel.opened == []  # not while the Pipeline tab is shown
    window.show_panel("graph")
    assert window.graph_panel.opened == [path]
    assert window.bench_panel.model == path


def test_copy_as_cli_export(qtbot, window, tmp_path):
    src = str(tmp_path / "my model")
    window.state.set_source(src)
    panel = window.export_panel
    panel.output_edit.setText(str(tmp_path / "out" / "model.onnx"))
    panel.opset_spin.setValue(18)
    panel.dtype_combo.setCurrentText("fp16")
    panel.exporter_combo.setCurrentText("legacy")
    panel.folding_check.setChecked(False)
    panel.batch_spin.setValue(4)
    panel.seq_spin.setValue(16)
    panel.set_dynamic_axes({"input_ids": {0: "batch", 1: "sequence"}})
    command = panel.copy_cli()
    assert QGuiApplication.clipboard().text() == command
    assert shlex.split(command) == [
        "workbench", "export", src, "-o", str(tmp_path / "out" / "model.onnx"), "--opset", "18", "--dtype",
        "fp16", "--exporter", "legacy", "--no-constant-folding", "--batch", "4", "--seq", "16", "--dynamic",
        "input_ids:0=batch", "input_ids:1=sequence"]


def test_copy_as_cli_other_panels(qtbot, window, tmp_path):
    src, onnx = str(tmp_path / "src"), str(tmp_path / "m.onnx")
    window.state.set_source(src)
    window.state.set_onnx(onnx)
    window.validate_panel.rtol_edit.setText("0.001")
    assert window.validate_panel.cli_command() == shlex.join(
        ["workbench", "validate", onnx, "--against", src, "--rtol", "0.001"])
    window.optimize_panel.level_combo.setCurrentText("all")
    window.optimize_panel.fusion_check.setChecked(False)
    assert window.optimize_panel.cli_command() == shlex.join(
        ["workbench", "optimize", onnx, "-o", str(tmp_path / "m.opt.onnx"), "--level", "all", "--simplify",
         "--no-fusion"])
    q = window.quantize_panel
    q.mode_checks["int4"].setChecked(True)
    q.exclude_edit.setPlainText("/lm_head/MatMul, /a/b")  # int8-dynamic's options (each variant has its own)
    q.options["int4"].block_size_spin.setValue(32)
    q.options["int4"].exclude_edit.setPlainText("/a/b")
    lines = q.cli_command().splitlines()
    assert lines == [
        shlex.join(["workbench", "quantize", onnx, "-o", str(tmp_path / "m.int8-dynamic.onnx"), "--mode",
                    "int8-dynamic", "--per-channel", "--exclude", "/lm_head/MatMul", "/a/b"]),
        shlex.join(["workbench", "quantize", onnx, "-o", str(tmp_path / "m.int4.onnx"), "--mode", "int4",
                    "--block-size", "32", "--exclude", "/a/b"])]
    assert window.load_panel.cli_command() == shlex.join(["workbench", "inspect", src])


def test_command_builders_follow_the_cli_contract():
    from workbench.core.specs import BenchSpec, ModelSource

    spec = BenchSpec(model="m.onnx", provider="cuda", batch=8, sequence=64, iterations=50,
                     compare_torch=ModelSource("src"))
    assert commands.bench_command(spec) == ("workbench bench m.onnx --provider cuda --batch 8 --seq 64 "
                                            "--iterations 50 --compare-torch src")
    assert commands.run_command("r.toml", "out") == "workbench run r.toml -o out"
    assert commands.parse_dynamic_items(["a:0=b", "a:1=s"]) == {"a": {0: "b", 1: "s"}}


def test_save_as_recipe_writes_toml_that_parses(qtbot, window, tmp_path):
    src = tmp_path / "model"
    src.mkdir()
    window.state.set_source(str(src))
    window.export_panel.opset_spin.setValue(18)
    window.export_panel.suggest_axes()
    window.quantize_panel.mode_checks["fp16"].setChecked(True)
    path = window.export_panel.save_recipe(str(tmp_path / "export.toml"))
    data = tomllib.loads(path.read_text())
    assert data["source"]["path"] == str(src)
    assert data["export"]["opset"] == 18
    assert "input_ids:1=sequence" in data["export"]["dynamic"]
    assert "quantize" not in data  # a panel's recipe: the source, the export and its own step
    full = window.report_panel.save_recipe(str(tmp_path / "full.toml"))
    data = tomllib.loads(full.read_text())
    assert [q["mode"] for q in data["quantize"]] == ["int8-dynamic", "fp16"]
    for section in ("export", "validate", "optimize", "bench"):
        assert section in data
    # the engine's strict recipe parser accepts what the GUI writes
    from workbench.core.recipe import load_recipe

    recipe = load_recipe(str(full))
    assert recipe.source["path"] == str(src)
    assert len(recipe.quantize) == 2


def test_recipe_round_trip_into_panels(qtbot, window, tmp_path):
    recipe = {"name": "r", "output_dir": str(tmp_path / "out"), "source": {"path": str(tmp_path / "nothing")},
              "export": {"opset": 17, "dtype": "bf16", "exporter": "legacy", "dynamic": ["input_ids:0=b"],
                         "batch": 3, "sequence": 9},
              "validate": {"rtol": 0.01}, "optimize": {"level": "basic", "simplify": False, "fusion": True},
              "quantize": [{"mode": "fp16"}, {"mode": "int4", "exclude": ["n1"]}]}
    path = save_recipe(recipe, tmp_path / "r.toml")
    window.report_panel.load_recipe(str(path))
    e = window.export_panel
    assert (e.opset_spin.value(), e.dtype_combo.currentText(), e.exporter_combo.currentText()) == (17, "bf16",
                                                                                                    "legacy")
    assert e.dynamic_axes() == {"input_ids": {0: "b"}}
    assert window.validate_panel.rtol_edit.text() == "0.01"
    assert window.optimize_panel.level_combo.currentText() == "basic"
    assert window.quantize_panel.selected_modes() == ["fp16", "int4"]
    assert window.quantize_panel.options["int4"].exclude_edit.toPlainText() == "n1"


def test_tiny_toml_writer_without_tomli_w(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tomli_w", None)
    text = dumps_toml({"name": "x", "source": {"path": 'a "b"'}, "quantize": [{"mode": "fp16"}],
                          "export": {"dynamic": ["a:0=b"], "opset": None}})
    data = tomllib.loads(text)
    assert data == {"name": "x", "source": {"path": 'a "b"'}, "export": {"dynamic": ["a:0=b"]},
                    "quantize": [{"mode": "fp16"}]}
    assert "[[quantize]]" in text


def test_drop_folder_opens_in_load(qtbot, window, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.navigator.setCurrentRow(3)
    window.dropEvent(event)
    assert window.stack.currentWidget() is window.load_panel
    assert window.state.source_path == str(tmp_path)
    job = window.load_panel.current_job
    qtbot.waitUntil(lambda: not job.is_running, timeout=30000)
    assert job.state in ("done", "failed")  # an empty folder: the inspect says what is wrong
    window.findChild(type(window), "errorBox")


def test_settings_theme_and_recent_files(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QApplication

    window.set_theme("dark")
    assert window.settings.theme == "dark"
    assert "#1e222a" in QApplication.instance().styleSheet()
    window.set_theme("light")
    import onnx
    from onnx import TensorProto, helper

    model = tmp_path / "relu.onnx"  # a model that loads: only those enter Recent files (test_recent_files.py)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(model))
    job = window.open_path(str(model))
    qtbot.waitUntil(lambda: not job.is_running, timeout=30000)
    qtbot.waitUntil(lambda: window.settings.recent_files[:1] == [str(model)], timeout=10000)
    window._fill_recent_menu()
    assert str(model) in [a.text() for a in window.recent_menu.actions()]


def test_about_lists_versions_without_importing_torch(qtbot, window):
    import sys

    had_torch = "torch" in sys.modules
    text = window.about_text()
    for name in ("PyTorch", "ONNX", "ONNX Runtime", "Qt"):
        assert name in text
    assert had_torch or "torch" not in sys.modules


def test_translations_load_and_translate(qtbot):
    from gui_helpers import StubBenchPanel, StubGraphPanel
    from PySide6.QtCore import QCoreApplication

    from workbench.gui.i18n import translators
    from workbench.gui.main_window import MainWindow

    translator = translators.install_translator("zh_CN")
    try:
        assert translator is not None
        import gc

        gc.collect()  # the translator's data must outlive any temporary
        assert QCoreApplication.translate("MainWindow", "Export") == "导出"
        assert QCoreApplication.translate("PanelBase", "Copy as CLI command") == "复制为命令行"
        win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
        assert win.windowTitle() == "模型工作台"
        assert win.load_panel.title_label.text() == "加载模型"
        assert win.export_panel.copy_button.text() == "复制为命令行"
        assert win.navigator.item(1).text().endswith("导出")
        win.close()
        delete_now(win)
    finally:
        translators.install_translator("en")


def test_tensor_table_handles_100k_rows(qtbot):
    from PySide6.QtWidgets import QTableView

    from workbench.gui.models import FastFilterProxy, TensorTableModel, tensor_rows

    tensors = [{"name": f"model.layers.{i // 10}.mlp.w{i % 10}.weight", "dtype": "float16",
                "shape": [64, i % 97 + 1]} for i in range(100_000)]
    rows = tensor_rows(tensors)  # built in the worker thread in the app
    model, proxy, view = TensorTableModel(), FastFilterProxy(), QTableView()
    proxy.setSourceModel(model)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    qtbot.addWidget(view)
    view.show()
    t0 = time.perf_counter()
    model.set_rows(rows)
    proxy.set_filter_text("w3")
    assert proxy.rowCount() == 10_000
    view.sortByColumn(3, Qt.DescendingOrder)
    proxy.set_filter_text("")
    view.sortByColumn(0, Qt.AscendingOrder)
    elapsed = time.perf_counter() - t0
    assert proxy.rowCount() == 100_000
    assert proxy.index(0, 0).data() == "model.layers.0.mlp.w0.weight"
    assert elapsed < 3.0, f"100k rows: set, filter and sort took {elapsed:.2f} s"


def test_copied_commands_parse_with_the_real_cli(qtbot, window, tmp_path):
    """Every panel's command line is accepted by workbench.cli's parser, with the panel's values."""
    cli = __import__("pytest").importorskip("workbench.cli")
    src, onnx = str(tmp_path / "src dir"), str(tmp_path / "m.onnx")
    window.state.set_source(src)
    window.state.set_onnx(onnx)
    e = window.export_panel
    e.output_edit.setText(str(tmp_path / "o.onnx"))
    e.set_dynamic_axes({"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch"}})
    e.input_names_edit.setText("input_ids, attention_mask")
    e.opset_spin.setValue(18)
    window.quantize_panel.exclude_edit.setPlainText("a b")
    parser = cli.build_parser()

    def parse(command):
        return parser.parse_args(shlex.split(command)[1:])

    args = parse(e.cli_command())
    assert (args.opset, args.output, args.input_names) == (18, str(tmp_path / "o.onnx"),
                                                           ["input_ids", "attention_mask"])
    assert sorted(args.dynamic) == ["attention_mask:0=batch", "input_ids:0=batch", "input_ids:1=sequence"]
    args = parse(window.validate_panel.cli_command())
    assert (args.model, args.against) == (onnx, src)
    window.optimize_panel.revalidate_check.setChecked(True)
    args = parse(window.optimize_panel.cli_command())
    assert (args.model, args.simplify, args.no_fusion, args.against) == (onnx, True, False, src)
    args = parse(window.quantize_panel.cli_command())
    assert (args.mode, args.per_channel, args.exclude) == ("int8-dynamic", True, ["a", "b"])
    args = parse(window.load_panel.cli_command())
    assert args.path == src if hasattr(args, "path") else True


def test_export_axes_defaults_come_from_the_engine(qtbot, window):
    """The axes table's defaults are the engine's (every input the model is fed, token_type_ids included)."""
    from workbench.core.results import InspectResult

    axes = {n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids")}
    panel = window.export_panel
    panel.axes_table.setRowCount(0)
    window.state.inspectChanged.emit(InspectResult(path="m", format="hf-folder", config={"vocab_size": 8},
                                                   default_dynamic_axes=axes))
    assert panel.dynamic_axes() == axes
    panel.axes_table.setRowCount(0)
    panel.suggest_axes()
    assert panel.dynamic_axes() == axes
