"""Language and theme switch live (issue 17, point 5): every visible string translated after a live switch to
zh_CN, the session kept, engine messages translated through the GUI's catalog, charts following the theme, and the
dark stylesheet's indicators and texts readable (WCAG contrast)."""

import re
from pathlib import Path

import pytest
from gui_helpers import StubGraphPanel, delete_now, wait_job
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from workbench.gui import i18n, theme
from workbench.gui.i18n import translators
from workbench.gui import workers as gui_workers

# Visible ASCII words that are not English to translate: product, library and provider names, units, dtypes and
# quantization modes, CLI values and flags, file names and formats, shortcuts.
ALLOWED = re.compile(r"""
    [\w.-]*\.(?:html|onnx|json|toml|txt|png|safetensors|pt|bin|npy|npz|data|qss|xml|gguf|enc)\b|
    PyTorch|ONNX(?:\s+Runtime)?|ORT|Netron|Hugging\s+Face|TorchScript|Transformers?|PySide6|Qt|TOML|GGUF|OpenVINO(?:\s+IR)?|MNN|
    CPU|CUDA|GPU|NVIDIA|RSS|MB|GB|kB|KB|QDQ|MatMulNBits|MatMul|Gemm|onnxslim|dynamo|legacy|torchscript|onnx|
    int8-dynamic|int8-static|int8-weight|int4|int8|fp16|fp32|bf16|float32|float16|minmax|entropy|percentile|rtn|hqq|
    gptq|basic|extended|all|p50|p95|p99|cosine|rtol|atol|Opset|opset|logits|input_ids|attention_mask|token_type_ids|
    text-generation-with-past|model\.onnx|model\.NAME\.onnx|quantized|NAME|\.safetensors|\.pt|\.bin|\.onnx|\.txt|
    \.npy|\.npz|\.toml|\.png|PNG|workbench(?:\s+run|\s+advise|\s+encrypt|\s+deploy)?|--[a-z-]+|Ctrl\+\w+|Shift|English|e\.g|Model\s+Workbench|ms|
    pip\s+install(?:\s+-c\s+\S+)?\s+[^\s（）()]+|README|NNCF|\bwheel\b|Python|CMake|Java|Maven|\.NET
    """, re.X)
# registered targets and runtimes, and the values their options declare, are names (the CLI's values), never
# translated: "gguf", "openvino", "q4_k_m", "none" (and llama.cpp's Python module, named in its install hint)
_REG = __import__("workbench.core.registry", fromlist=["build_registry"]).build_registry()
NAMES = sorted({"llama_cpp", *_REG.targets, *_REG.runtimes, *(c.value for t in _REG.targets.values() for o in t.form.options
                                                for c in o.choices)}, key=len, reverse=True)
WORD = re.compile(r"[A-Za-z]{2,}")


DIMENSIONS = re.compile(r"\w+(?=\s×)|(?<=×\s)\w+")  # a file's dimension names: batch × sequence


def _english_words(text: str, extra=()) -> list:
    text = re.sub(r"<[^>]+>|&\w+;", " ", text)  # rich text: tags and entities are not visible
    text = re.sub(r"(?:/|[A-Za-z]:\\)[\w./\\-]+", " ", text)  # paths
    text = re.sub(r"(?<![\w.-])(?:" + "|".join(map(re.escape, NAMES)) + r")(?![\w.-])", " ", text)
    for word in extra:  # the names of this test's model and its format
        text = text.replace(word, " ")
    return WORD.findall(ALLOWED.sub(" ", DIMENSIONS.sub(" ", text)))


def _texts(widget: QWidget):
    """(where, text) of everything a user can read on ``widget`` (not its children)."""
    name = f"{type(widget).__name__}({widget.objectName() or ''})"
    out = [(name + ".toolTip", widget.toolTip()), (name + ".statusTip", widget.statusTip())]
    if widget.isWindow() or widget.parent() is None or hasattr(widget, "toggleViewAction"):
        out.append((name + ".windowTitle", widget.windowTitle()))
    if isinstance(widget, (QLabel, QAbstractButton)) and not widget.property("userText"):  # not a file's name
        out.append((name + ".text", widget.text()))
    if isinstance(widget, QLineEdit):
        out.append((name + ".placeholder", widget.placeholderText()))
    if isinstance(widget, QGroupBox):
        out.append((name + ".title", widget.title()))
    if isinstance(widget, QMenu):
        out.append((name + ".title", widget.title()))
    if isinstance(widget, QAbstractSpinBox) and hasattr(widget, "specialValueText"):
        out += [(name + ".special", widget.specialValueText()), (name + ".suffix", widget.suffix())]
    if isinstance(widget, QComboBox):
        out += [(f"{name}.item{i}", widget.itemText(i)) for i in range(widget.count())]
        out += [(f"{name}.itemTip{i}", widget.itemData(i, Qt.ToolTipRole) or "") for i in range(widget.count())]
    if isinstance(widget, QTabWidget):
        out += [(f"{name}.tab{i}", widget.tabText(i)) for i in range(widget.count())]
    if isinstance(widget, QListWidget):
        for row in range(widget.count()):
            out += [(f"{name}.row{row}", widget.item(row).text()), (f"{name}.rowTip{row}", widget.item(row).toolTip())]
    if isinstance(widget, QTableWidget):
        out += [(f"{name}.header{c}", widget.horizontalHeaderItem(c).text()) for c in range(widget.columnCount())
                if widget.horizontalHeaderItem(c) is not None]
    elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        try:
            columns = model.columnCount(QModelIndex())
        except TypeError:
            columns = 1
        out += [(f"{name}.header{c}", str(model.headerData(c, Qt.Horizontal, Qt.DisplayRole) or ""))
                for c in range(columns)]
    for action in widget.actions():
        out += [(f"{name}.action", action.text()), (f"{name}.actionTip", action.toolTip()),
                (f"{name}.actionStatus", action.statusTip())]
        if action.menu() is not None:
            out.append((f"{name}.submenu", action.menu().title()))
    return out


def untranslated(window: QWidget, extra=()) -> list:
    """Every visible string of the window, its menus, docks and tooltips that still holds English words."""
    found = []
    widgets = [window, *window.findChildren(QWidget)]
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    while menus:  # menus and their submenus (menus are widgets of the menu bar, but walk them explicitly)
        menu = menus.pop()
        widgets.append(menu)
        menus += [a.menu() for a in menu.actions() if a.menu() is not None]
    for widget in widgets:
        for where, text in _texts(widget):
            words = _english_words(str(text or ""), extra)
            if words:
                found.append(f"{where}: {text!r} ({', '.join(words)})")
    return sorted(set(found))


@pytest.fixture
def full_window(qtbot):
    """The window with the real Benchmark panel (its charts) and the real Graph panel (its web view starts only
    when a graph is shown)."""
    from workbench.gui.main_window import MainWindow

    translators.install_translator("en")
    win = MainWindow()
    win.load_panel.welcome.set_recent([])  # file names other tests opened are data, not texts to translate
    win.show()
    qtbot.wait(50)
    yield win
    translators.install_translator("en")
    win.shutdown()
    win.close()
    delete_now(win)


def test_live_switch_to_zh_cn_translates_every_visible_string(qtbot, full_window):
    win = full_window
    english = untranslated(win)
    assert any("Export" in line for line in english), "the walk must see English texts before the switch"
    win.set_language("zh_CN")
    assert i18n.current_language() == "zh_CN" and win.settings.language == "zh_CN"
    left = untranslated(win)
    assert not left, "English left after the switch to zh_CN:\n" + "\n".join(left)
    # the same widgets, translated in place: navigator, menus, Benchmark and Graph panels, chart titles
    assert win.navigator.item(1).text() == "2  导出"
    assert win.menuBar().actions()[0].text() == "文件(&F)"
    assert win.bench_panel.run_button.text() == "运行"
    from workbench.gui.panels.bench_panel import COLUMNS

    assert win.bench_panel.table.horizontalHeaderItem(COLUMNS.index("p50 ms")).text() == "p50（毫秒）"
    assert win.graph_panel.filter.placeholderText() == "按名称或算子类型筛选节点"
    assert "每次迭代的延迟" in win.bench_panel.charts.latency.title_label.text()
    # Qt's own texts come from qtbase's translation
    assert QApplication.translate("QPlatformTheme", "Cancel") == "取消"
    # and back to English, live too
    win.set_language("en")
    assert win.navigator.item(1).text() == "2  Export"
    assert win.bench_panel.run_button.text() == "Run"
    assert "Latency per iteration" in win.bench_panel.charts.latency.title_label.text()


def _fake_export(path: str):
    def run(progress=None, cancel=None):
        from workbench.core.results import ExportResult

        Path(path).write_bytes(b"an exported model")
        return ExportResult(outputs=[path], exporter="dynamo", input_names=["input_ids"],
                            input_shapes={"input_ids": ["batch", "sequence"]}, output_names=["logits"],
                            output_shapes={"logits": ["batch", "sequence", 128]})
    return run


def test_switch_keeps_the_loaded_model_and_a_finished_step(qtbot, llama_dir, tmp_path):
    from gui_helpers import StubBenchPanel

    from workbench.gui.main_window import MainWindow

    translators.install_translator("en")
    win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
    try:
        job = win.open_path(str(llama_dir))
        assert wait_job(qtbot, job, 240) == gui_workers.DONE
        rows = win.load_panel.tensor_model.rowCount()
        assert rows > 0
        panel = win.export_panel
        out = str(tmp_path / "model.onnx")
        job = panel.start_job("Export model.onnx", _fake_export(out), process=False, on_success=panel.show_result)
        assert wait_job(qtbot, job, 30) == gui_workers.DONE
        assert win.navigator.state_of("export") == "done"
        panel.opset.setValue(15) if hasattr(panel, "opset") else None
        opset = panel.opset.value() if hasattr(panel, "opset") else None
        summary = panel.summary.text()
        assert "Outputs in the file: logits" in summary

        win.set_language("zh_CN")
        assert win.state.source_path == str(llama_dir)
        assert win.navigator.state_of("export") == "done" and win.navigator.state_of("load") == "done"
        assert win.load_panel.tensor_model.rowCount() == rows
        assert panel.last_outputs == [out] and panel.artifact_exists()
        assert opset is None or panel.opset.value() == opset
        assert panel.summary.text() != summary  # the banner itself is translated
        assert win.load_panel.tensor_model.headerData(0, Qt.Horizontal) == "名称"
        assert win.navigator.item(1).text() == "2  导出"
        left = untranslated(win, (llama_dir.name, "hf-folder"))  # with a model's results on the panels, too
        assert not left, "English left after the switch with a loaded model:\n" + "\n".join(left)
        win.grab().save(str(tmp_path / "zh.png"))
    finally:
        translators.install_translator("en")
        win.shutdown()
        win.close()
        delete_now(win)


def test_engine_errors_translate_with_english_fallback(tmp_path):
    from workbench import api
    from workbench.core.errors import WorkbenchError
    from workbench.core.loading.program_ops import require_trust
    from workbench.gui.i18n import engine

    messages = []
    for call in (lambda: api.inspect(str(tmp_path / "missing.safetensors")),
                 lambda: require_trust(tmp_path / "model.pt", "TorchScript", False)):
        with pytest.raises(WorkbenchError) as info:
            call()
        messages.append(str(info.value))
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00not json")
    try:
        result = api.inspect(str(corrupt))
        messages.append("; ".join(getattr(result, "problems", []) or []))
    except WorkbenchError as err:
        messages.append(str(err))
    missing, trust, broken = (engine.translate(m, "zh_CN") for m in messages)
    assert str(tmp_path / "missing.safetensors") in missing and "不存在" in missing, missing
    assert "--trust-code" in trust and "程序" in trust and "you trust" not in trust, trust
    assert "safetensors" in broken and "不是有效的" in broken, (messages[2], broken)
    # verdicts and output conflicts
    from workbench.core.fsutil import FORCE_HINT

    overwrite = engine.translate(f"would overwrite model.onnx in {tmp_path}; {FORCE_HINT}", "zh_CN")
    assert overwrite.startswith(f"将覆盖 {tmp_path} 中的 model.onnx；传入 --force"), overwrite
    reason = ("output 'logits' differs from PyTorch: max rel diff 0.31 (rtol 0.0001), cosine 0.912345 "
              "(floor 0.999)")
    assert engine.translate(reason, "zh_CN") == ("输出“logits”与 PyTorch 不一致：最大相对误差 0.31（rtol 0.0001），"
                                                  "余弦相似度 0.912345（下限 0.999）")
    # a message the catalog does not know stays English; a translation maps back to the English exactly
    assert engine.translate("the flux capacitor is empty", "zh_CN") == "the flux capacitor is empty"
    assert engine.translate(engine.translate(messages[0], "zh_CN"), "en") == messages[0]


def test_charts_follow_the_theme_at_start_and_on_switch(qtbot):
    from gui_helpers import StubBenchPanel

    from workbench.gui.charts import THEMES, LiveChart
    from workbench.gui.main_window import MainWindow

    app = QApplication.instance()
    theme.apply_theme("dark", app)
    win = MainWindow(graph_factory=StubGraphPanel, bench_factory=StubBenchPanel)
    try:
        from workbench.gui.panels.bench_panel import BenchPanel

        bench = BenchPanel(win.state, win)  # built in the dark theme, as after a restart in dark
        charts = win.findChildren(LiveChart)
        assert charts
        assert {c.plot_widget.backgroundBrush().color().name() for c in charts} == {THEMES["dark"]["bg"]}
        win.set_theme("light")
        assert {c.plot_widget.backgroundBrush().color().name() for c in charts} == {THEMES["light"]["bg"]}
        assert {c.plot.getAxis("left").textPen().color().name() for c in charts} == {THEMES["light"]["fg"]}
        win.set_theme("dark")
        assert {c.plot_widget.backgroundBrush().color().name() for c in charts} == {THEMES["dark"]["bg"]}
        bench.deleteLater()
    finally:
        theme.apply_theme("light", app)
        win.shutdown()
        win.close()
        delete_now(win)


# -- contrast of the dark stylesheet ---------------------------------------------------------------------------

def _rules(qss: str) -> dict:
    """selector -> {property: value} of a style sheet (comments dropped; later rules win, as in Qt)."""
    qss = re.sub(r"/\*.*?\*/", "", qss, flags=re.S)
    rules: dict = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", qss):
        props = dict((k.strip(), v.strip()) for k, v in (p.split(":", 1) for p in body.split(";") if ":" in p))
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(props)
    return rules


def _luminance(color: str) -> float:
    color = color.lstrip("#")
    channels = [int(color[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _colour(rules: dict, selector: str, prop: str) -> str:
    props = rules[selector]
    value = props.get(prop + "-color") or props[prop]  # border-color wins over the border shorthand's colour
    match = re.search(r"#[0-9a-fA-F]{6}", value)
    assert match, f"{selector} {prop}: {value}"
    return match.group(0)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_dark_theme_indicators_and_texts_are_readable():
    rules = _rules(theme.stylesheet("dark"))
    panel = _colour(rules, "QWidget", "background")
    text = _colour(rules, "QWidget", "color")
    checks = {
        "text": (text, panel, 4.5),
        "disabled text": (_colour(rules, "QWidget:disabled", "color"), panel, 4.5),
        "hint text": (_colour(rules, "QLabel#panelHint", "color"), panel, 4.5),
        "disabled button text": (_colour(rules, "QPushButton:disabled", "color"),
                                 _colour(rules, "QPushButton:disabled", "background"), 4.5),
        "disabled primary button text": (_colour(rules, "QPushButton#primary:disabled", "color"),
                                         _colour(rules, "QPushButton#primary:disabled", "background"), 4.5),
        "unticked check box": (_colour(rules, "QCheckBox::indicator", "border"), panel, 3.0),
        "unticked check box on its fill": (_colour(rules, "QCheckBox::indicator", "border"),
                                           _colour(rules, "QCheckBox::indicator", "background"), 3.0),
        "ticked check box": (_colour(rules, "QCheckBox::indicator:checked", "background"), panel, 3.0),
        "ticked check box edge": (_colour(rules, "QCheckBox::indicator:checked", "border"), panel, 3.0),
        "disabled check box": (_colour(rules, "QCheckBox::indicator:disabled", "border"), panel, 3.0),
        "table check box": (_colour(rules, "QAbstractItemView::indicator", "border"),
                            _colour(rules, "QTableView", "background"), 3.0),
        "radio button": (_colour(rules, "QRadioButton::indicator", "border"), panel, 3.0),
    }
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg, need) in checks.items() if contrast(fg, bg) < need}
    assert not low, f"below WCAG contrast in dark.qss: {low}"
    assert "check-light.svg" in rules["QCheckBox::indicator:checked"]["image"]


def test_light_theme_texts_are_readable():
    """The light stylesheet's texts (4.5:1) and check box / radio indicator edges (3:1) against their
    backgrounds; the test below measures the drawn indicator too."""
    rules = _rules(theme.stylesheet("light"))
    panel = _colour(rules, "QWidget", "background")
    checks = {
        "text": (_colour(rules, "QWidget", "color"), panel),
        "hint text": (_colour(rules, "QLabel#panelHint", "color"), panel),
        "disabled button text": (_colour(rules, "QPushButton:disabled", "color"),
                                 _colour(rules, "QPushButton:disabled", "background")),
        "primary button text": (_colour(rules, "QPushButton#primary", "color"),
                                _colour(rules, "QPushButton#primary", "background")),
        "hovered primary button text": (_colour(rules, "QPushButton#primary", "color"),
                                        _colour(rules, "QPushButton#primary:hover", "background")),
        "disabled primary button text": (_colour(rules, "QPushButton#primary:disabled", "color"),
                                         _colour(rules, "QPushButton#primary:disabled", "background")),
    }
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in checks.items() if contrast(fg, bg) < 4.5}
    assert not low, f"below WCAG AA 4.5:1 in light.qss: {low}"
    borders = {
        "unticked check box": (_colour(rules, "QCheckBox::indicator", "border"), panel),
        "unticked check box on its fill": (_colour(rules, "QCheckBox::indicator", "border"),
                                           _colour(rules, "QCheckBox::indicator", "background")),
        "ticked check box": (_colour(rules, "QCheckBox::indicator:checked", "background"), panel),
        "disabled check box": (_colour(rules, "QCheckBox::indicator:disabled", "border"), panel),
        "table check box": (_colour(rules, "QAbstractItemView::indicator", "border"),
                            _colour(rules, "QTableView", "background")),
        "radio button": (_colour(rules, "QRadioButton::indicator", "border"), panel),
    }
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in borders.items() if contrast(fg, bg) < 3.0}
    assert not low, f"indicators below WCAG 3:1 in light.qss: {low}"


def _indicator_contrast(qtbot, tmp_path, name: str) -> float:
    """The best contrast an unticked check box's indicator reaches against the panel in theme ``name``."""
    from PySide6.QtWidgets import QCheckBox, QVBoxLayout

    app = QApplication.instance()
    theme.apply_theme(name, app)
    try:
        host = QWidget()
        qtbot.addWidget(host)
        layout = QVBoxLayout(host)
        box = QCheckBox("off")
        layout.addWidget(box)
        host.resize(160, 60)
        host.show()
        qtbot.wait(20)
        image = host.grab().toImage()
        image.save(str(tmp_path / f"{name}_checkbox.png"))
        panel = _colour(_rules(theme.stylesheet(name)), "QWidget", "background")
        area = box.geometry()
        return max(contrast(image.pixelColor(x, y).name(), panel)
                   for x in range(area.left(), area.left() + 20) for y in range(area.top(), area.bottom()))
    finally:
        theme.apply_theme("light", app)


def test_light_check_box_indicator_is_visible(qtbot, tmp_path):
    best = _indicator_contrast(qtbot, tmp_path, "light")
    assert best >= 3.0, f"the light theme's unticked indicator reaches only {best:.2f}:1 against the panel"


def test_dark_check_boxes_render_visible(qtbot, tmp_path):
    """A grab of an unticked and a ticked check box in the dark theme: the indicator's edge is drawn in the
    stylesheet's colour, well apart from the panel."""
    from PySide6.QtWidgets import QCheckBox, QVBoxLayout

    app = QApplication.instance()
    theme.apply_theme("dark", app)
    try:
        host = QWidget()
        qtbot.addWidget(host)
        layout = QVBoxLayout(host)
        boxes = [QCheckBox("off"), QCheckBox("on")]
        boxes[1].setChecked(True)
        for box in boxes:
            layout.addWidget(box)
        host.resize(160, 80)
        host.show()
        qtbot.wait(20)
        image = host.grab().toImage()
        image.save(str(tmp_path / "dark_checkboxes.png"))
        rules = _rules(theme.stylesheet("dark"))
        panel = _colour(rules, "QWidget", "background")
        best = 0.0
        box = boxes[0].geometry()
        for x in range(box.left(), box.left() + 20):
            for y in range(box.top(), box.bottom()):
                best = max(best, contrast(image.pixelColor(x, y).name(), panel))
        assert best >= 3.0, f"the unticked indicator reaches only {best:.2f}:1 against the panel"
    finally:
        theme.apply_theme("light", app)


def test_a_failed_load_reads_in_the_language_switched_to(qtbot, window, tmp_path):
    """The engine's one-line error in the Load banner: Chinese after a live switch, English again after the
    switch back (the banner is written again from the same message, not left in the old language)."""
    translators.install_translator("en")
    missing = tmp_path / "gone.safetensors"
    job = window.open_path(str(missing))
    assert wait_job(qtbot, job, 60) == gui_workers.FAILED
    banner = window.load_panel.problems
    english = banner.text()
    assert "no such" in english
    try:
        window.set_language("zh_CN")
        assert "gone.safetensors" in banner.text() and "不存在" in banner.text() and "no such" not in banner.text()
        assert not _english_words(banner.text()), banner.text()
    finally:
        window.set_language("en")
    assert banner.text() == english


def test_catalog_converts_line_by_line_and_back():
    """A banner of several lines (one holding the engine's "; ") converts line by line and back exactly."""
    english = ("Exported with the dynamo exporter in 76.3 s: model.onnx\n"
               "Inputs in the file: input_ids: batch × sequence; attention_mask: batch × sequence\n"
               "Outputs in the file: logits: batch × sequence × 512")
    chinese = i18n.live_text(english, "zh_CN")
    assert chinese.splitlines() == ["已用 dynamo 导出器完成导出，耗时 76.3 秒：model.onnx",
                                    "文件中的输入：input_ids: batch × sequence；attention_mask: batch × sequence",
                                    "文件中的输出：logits: batch × sequence × 512"]
    assert i18n.live_text(chinese, "en") == english
    # a pre-flight note of two parts, its first starting with a count (not the navigator's "2  Export")
    note = ("2 tensors that config.json implies are not in the checkpoint (e.g. 'model.layers.1.mlp.gate'); "
            "transformers renames this model's checkpoint tensors on load, so this may be only a naming difference")
    assert i18n.live_text(note, "zh_CN") == ("config.json 推出的 2 个张量不在检查点中（例如“model.layers.1.mlp.gate”）；"
                                             "transformers 加载时会重命名此模型的检查点张量，因此这可能只是命名上的差异")
    assert i18n.live_text(i18n.live_text(note, "zh_CN"), "en") == note
    # nested messages read the same whichever pattern matches first
    assert i18n.live_text("Finished: 6 variant(s) done", "zh_CN") == "已完成：6 个版本"
    assert i18n.live_text("Finished: 5 variant(s) done, 1 failed", "zh_CN") == "已完成：5 个版本，1 个失败"
    assert i18n.live_text("<b>Export model.onnx</b>", "zh_CN") == "<b>Export model.onnx</b>"  # whole text only
    assert i18n._rich_text("<b>Export model.onnx</b>", "zh_CN") == "<b>导出 model.onnx</b>"
