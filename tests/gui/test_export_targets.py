"""Export panel: the target picker and each target's options come from the registry's declarations
(workbench.core.target_options); the spec, the copied CLI line and the saved recipe carry the same values."""

import shlex
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from workbench.core.registry import Target, build_registry
from workbench.core.runtimes.base import Availability
from workbench.core.target_options import Choice, TargetForm, TargetOption


def _panel(qtbot, state, monkeypatch, registry=None):
    from workbench.gui.panels.export_panel import ExportPanel

    if registry is not None:
        monkeypatch.setattr("workbench.core.registry.default_registry", lambda: registry)
    panel = ExportPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    state.set_source("/models/tiny-llama")
    return panel


def _items(combo) -> dict:
    model = combo.model()
    return {combo.itemText(i): (model.item(i).isEnabled(), combo.itemData(i, 3) or "") for i in range(combo.count())}


@pytest.fixture
def panel(qtbot, state, monkeypatch):
    return _panel(qtbot, state, monkeypatch)


def test_targets_come_from_the_registry_and_a_new_one_appears_with_its_options(qtbot, state, monkeypatch):
    reg = build_registry(include_plugins=False)
    option = TargetOption("quant", "Precision", (Choice("p8", "eight bits, half the size"),
                                                  Choice("p4", "four bits, a quarter of the size")), "p8",
                          flag="--quant")
    reg.add_target(Target(name="tiny-rt", description="a target added later", export=lambda *a, **k: None,
                          suffix=".tiny", form=TargetForm(options=(option,), unused=("opset",))))
    panel = _panel(qtbot, state, monkeypatch, reg)
    names = [panel.target_combo.itemText(i) for i in range(panel.target_combo.count())]
    assert names == list(reg.targets) and "tiny-rt" in names and {"onnx", "gguf", "openvino"} <= set(names)
    panel.target_combo.setCurrentText("tiny-rt")
    [control] = panel.target_options.controls["tiny-rt"]
    assert panel.target_options.isVisible() and control.combo.isVisible()
    assert panel.output_edit.text().endswith("model.tiny") and not panel.opset_spin.isEnabled()
    assert control.summary.text() == "p8: eight bits, half the size"
    control.combo.setCurrentIndex(1)
    control.combo.activated.emit(1)  # what a user's pick sends
    assert panel.spec().quant == "p4"
    assert panel.recipe_sections()["export"]["quant"] == "p4"
    assert "--quant p4" in panel.cli_command()
    panel.grab().save("/tmp/export_plugin_target.png")


def _without_llama_cpp():
    """The registry as on a machine without llama-cpp-python (the runtime's own install hint), installed or not."""
    from workbench.core.runtimes.llama_cpp import INSTALL

    reg = build_registry(include_plugins=False)
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"], availability=lambda: Availability(
        False, hint=f"{INSTALL}: No module named 'llama_cpp'"))
    return reg


def test_gguf_quant_types_explained_k_quants_disabled_without_llama_cpp(qtbot, state, monkeypatch):
    pytest.importorskip("workbench.cli")
    panel = _panel(qtbot, state, monkeypatch, _without_llama_cpp())
    panel.target_combo.setCurrentText("gguf")
    [control] = panel.target_options.controls["gguf"]
    items = _items(control.combo)
    assert list(items) == ["auto", "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k"]
    for k in ("q4_k_m", "q5_k_m", "q6_k"):
        enabled, tip = items[k]
        assert not enabled and "llama.cpp" in tip and "pip install" in tip
    assert items["q8_0"][0] and "53% of f16" in items["q8_0"][1]
    assert "30% of f16" in control.option.choice("q4_k_m").summary
    # the controls gguf does not use are disabled, saying so; the output is a .gguf
    assert not panel.exporter_combo.isEnabled() and not panel.axes_group.isEnabled()
    assert "does not use" in panel.opset_spin.toolTip() and panel.output_edit.text().endswith("model.gguf")
    # untouched: the target's own default (following --dtype), left out of spec, CLI and recipe
    assert control.value() == "auto" and panel.spec().quant is None
    assert "quant" not in panel.recipe_sections()["export"] and "--quant" not in panel.cli_command()
    panel.grab().save("/tmp/export_gguf.png")
    # a K-quant set (e.g. by a recipe) is refused at Export with the install hint, in one line
    control.set_value("q4_k_m", explicit=True)
    assert "needs the llama.cpp runtime" in control.summary.text()
    with pytest.raises(ValueError, match="q4_k_m needs the llama.cpp runtime: pip install"):
        panel.spec()
    panel.grab().save("/tmp/export_gguf_kquant.png")
    # a pick: spec, CLI line and recipe all say q8_0
    index = control.combo.findData("q8_0")
    control.combo.setCurrentIndex(index)
    control.combo.activated.emit(index)
    spec = panel.spec()
    from workbench import cli

    args = cli.build_parser().parse_args(shlex.split(panel.cli_command())[1:])
    assert (spec.target, spec.quant, args.target, args.quant) == ("gguf", "q8_0", "gguf", "q8_0")
    assert panel.recipe_sections()["export"]["quant"] == "q8_0"


def test_k_quants_enabled_where_the_llama_cpp_runtime_is_available(qtbot, state, monkeypatch):
    reg = build_registry(include_plugins=False)
    real = reg.runtimes["llama.cpp"]
    reg.runtimes["llama.cpp"] = replace(real, availability=lambda: Availability(True, "0.test", ("cpu",)))
    panel = _panel(qtbot, state, monkeypatch, reg)
    panel.target_combo.setCurrentText("gguf")
    [control] = panel.target_options.controls["gguf"]
    items = _items(control.combo)
    assert all(enabled for enabled, _tip in items.values())
    control.set_value("q4_k_m", explicit=True)
    assert panel.spec().quant == "q4_k_m" and control.summary.text().startswith("q4_k_m: ~4.8 bits/weight")


def test_openvino_offers_its_dtypes_only_and_onnx_gets_them_all_back(qtbot, panel):
    panel.target_combo.setCurrentText("openvino")
    items = _items(panel.dtype_combo)
    assert items["fp32"][0] and items["fp16"][0] and not items["bf16"][0]
    assert "half the file" in items["fp16"][1]
    assert panel.output_edit.text().endswith("model.xml") and panel.target_options.isVisible()
    panel.dtype_combo.setCurrentText("fp16")
    dtype_row = next(c for c in panel.target_options.controls["openvino"] if c.option.field == "dtype")
    assert dtype_row.summary.text().startswith("fp16: 16-bit weights")
    assert panel.spec().dtype == "fp16" and "--dtype fp16" in panel.cli_command()
    panel.grab().save("/tmp/export_openvino.png")
    panel.target_combo.setCurrentText("onnx")
    assert all(enabled for enabled, _tip in _items(panel.dtype_combo).values())
    assert not panel.target_options.isVisible() and panel.output_edit.text().endswith("model.onnx")
    assert panel.exporter_combo.isEnabled() and panel.axes_group.isEnabled()
    panel.grab().save("/tmp/export_onnx.png")
    panel.target_combo.setCurrentText("torchscript")
    assert panel.output_edit.text().endswith("model.pt") and not panel.opset_spin.isEnabled()
    assert panel.dtype_combo.isEnabled()
    panel.grab().save("/tmp/export_torchscript.png")


def test_a_recipe_sets_the_options_and_saves_back_unchanged(qtbot, panel):
    section = {"target": "gguf", "quant": "q5_0", "dtype": "fp16"}
    panel.apply_recipe({"export": section, "source": {"path": "/models/tiny-llama"}})
    [control] = panel.target_options.controls["gguf"]
    assert panel.target_combo.currentText() == "gguf" and control.value() == "q5_0"
    saved = panel.recipe_sections()["export"]
    assert (saved["target"], saved["quant"], saved["dtype"]) == ("gguf", "q5_0", "fp16")
    # a recipe without quant: the default follows its dtype (fp16 -> f16) and is not written back
    panel.apply_recipe({"export": {"target": "gguf", "dtype": "bf16"}, "source": {"path": "/models/tiny-llama"}})
    assert control.value() == "bf16" and "quant" not in panel.recipe_sections()["export"]


def test_an_exported_gguf_becomes_a_variant_for_bench_and_chat(qtbot, panel, state, tmp_path):
    from workbench.core.results import ExportResult

    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    panel.show_result(ExportResult(outputs=[str(path)], exporter="gguf-py (llama)", target="gguf", dtype="q8_0"))
    assert state.variants == {"gguf q8_0": str(path)} and state.onnx_path == ""


def test_export_to_gguf_from_the_panel_writes_the_chosen_quant(qtbot, state, monkeypatch, tmp_path):
    """The whole path: the panel's job (a child process) writes a q8_0 GGUF of a tiny Llama, which becomes a
    variant; the Benchmark and Chat panels list it (disabled, with the reason, where llama.cpp is missing)."""
    gguf = pytest.importorskip("gguf")
    import torch
    import transformers

    from gui_helpers import wait_job
    from workbench.gui import workers

    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    folder = tmp_path / "tiny-llama"
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
    from gguf_fixtures import add_tiny_tokenizer

    add_tiny_tokenizer(folder, 64)  # the gguf target refuses a folder whose GGUF would hold no vocab
    panel = _panel(qtbot, state, monkeypatch)
    state.set_source(str(folder))
    panel.target_combo.setCurrentText("gguf")
    [control] = panel.target_options.controls["gguf"]
    control.set_value("q8_0", explicit=True)
    out = tmp_path / "out" / "tiny.gguf"
    panel.output_edit.setText(str(out))
    job = panel.export()
    assert job is not None and job.kind == "process"
    assert wait_job(qtbot, job, 240) == workers.DONE, job.error
    types = {t.name: t.tensor_type for t in gguf.GGUFReader(str(out)).tensors}
    assert types["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert state.variants == {"gguf q8_0": str(out.resolve())}
    from workbench.gui.panels.bench_panel import BenchPanel
    from workbench.gui.panels.chat_panel import ChatPanel

    bench, chat = BenchPanel(state), ChatPanel(state)
    qtbot.addWidget(bench)
    qtbot.addWidget(chat)
    row = bench.rows["gguf q8_0"]
    assert row.runtime.currentData() == "llama.cpp"
    assert chat.variant_list.count() == 1
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        assert not row.runnable() and "pip install" in row.check.toolTip()
        assert not chat.variant_list.item(0).flags() & Qt.ItemIsEnabled
    bench.shutdown()
