"""Recipe variants from the GUI: Export's "Add to recipe" turns the current target and its form's options into a
[[gguf]] / [[openvino]] / [[mnn]] entry (through core's recipe reader), the Report panel lists them with Remove, the
window's recipe (save, run) carries exactly the listed ones, and a loaded recipe's entries replace them; an entry
the reader refuses (two writing one file) is one message and leaves the list as it was."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from workbench.core.recipe import load_recipe, recipe_to_dict, save_recipe


def _pick(panel, target: str, field: str, value: str) -> None:
    panel.target_combo.setCurrentText(target)
    control = next(c for c in panel.target_options.controls[target] if c.option.field == field)
    index = control.combo.findData(value) if control.combo.findData(value) >= 0 else control.combo.findText(value)
    assert index >= 0, (target, field, value)
    control.combo.setCurrentIndex(index)
    control.combo.activated.emit(index)  # what a user's pick sends


def _errors(win) -> list:
    return [b.text() for b in win.findChildren(QMessageBox) if b.objectName() == "errorBox" and b.isVisible()]


def test_add_to_recipe_lists_saves_removes_and_loads(qtbot, window, llama_dir, tmp_path):
    win = window
    win.state.set_source(str(llama_dir))
    export, report = win.export_panel, win.report_panel
    export.target_combo.setCurrentText("onnx")
    assert not export.add_variant_button.isVisibleTo(export)  # ONNX variants are Optimize's and Quantize's
    _pick(export, "gguf", "quant", "q8_0")
    assert export.add_variant_button.isVisibleTo(export)
    assert export.add_to_recipe() == {"quant": "q8_0"}
    export.target_combo.setCurrentText("openvino")
    export.dtype_combo.setCurrentText("fp16")
    assert export.add_to_recipe() == {"dtype": "fp16"}
    box = report.variants_box
    assert [box.list.item(i).text() for i in range(box.list.count())] == [
        "[[gguf]] q8_0: quant = q8_0", "[[openvino]] fp16: dtype = fp16"]

    # the same file twice: the recipe reader refuses it, in one message, and nothing is added
    _pick(export, "gguf", "quant", "q8_0")
    assert export.add_to_recipe() is None
    [message] = _errors(win)
    assert "gguf/model.q8_0" in message and "\n" not in message.strip()
    assert win.state.recipe_variants["gguf"] == [{"quant": "q8_0"}]

    recipe = win.collect_recipe()
    assert recipe["gguf"] == [{"quant": "q8_0"}] and recipe["openvino"] == [{"dtype": "fp16"}]
    saved = save_recipe(recipe, tmp_path / "r.toml")
    read = recipe_to_dict(load_recipe(str(saved)))
    assert read["gguf"] == [{"quant": "q8_0"}] and read["openvino"] == [{"dtype": "fp16"}]

    win.show_panel("export")
    export.grab().save("/tmp/export_add_to_recipe.png")
    win.show_panel("report")
    box.list.setCurrentRow(0)
    report.grab().save("/tmp/report_recipe_variants.png")
    assert box.remove_button.isEnabled()
    qtbot.mouseClick(box.remove_button, Qt.MouseButton.LeftButton)
    assert box.list.count() == 1 and "gguf" not in win.collect_recipe()
    assert win.collect_recipe()["openvino"] == [{"dtype": "fp16"}]

    # a loaded recipe's entries replace the list; saved back, they are what it had
    other = tmp_path / "other.toml"
    other.write_text(f'name = "o"\noutput_dir = "out"\n[source]\npath = "{llama_dir}"\n[[mnn]]\nname = "lean"\n'
                     'optimize_level = 2\n', encoding="utf-8")
    report.load_recipe(str(other))
    assert [box.list.item(i).text() for i in range(box.list.count())] == ["[[mnn]] lean: optimize_level = 2"]
    again = win.collect_recipe()
    assert again["mnn"] == [{"name": "lean", "optimize_level": 2}] and "openvino" not in again


def test_the_variant_controls_switch_to_zh_cn(qtbot, window):
    win = window
    win.state.add_recipe_variant("gguf", {"quant": "q4_0"})
    win.set_language("zh_CN")
    try:
        box = win.report_panel.variants_box
        assert box.title() == "配方中的其他目标" and box.remove_button.text() == "删除"
        assert win.export_panel.add_variant_button.text() == "添加到配方"
        assert box.list.item(0).text() == "[[gguf]] q4_0: quant = q4_0"  # the recipe's own words stay
        win.show_panel("report")
        win.report_panel.grab().save("/tmp/report_recipe_variants_zh.png")
    finally:
        win.set_language("en")
    assert win.export_panel.add_variant_button.text() == "Add to recipe"
