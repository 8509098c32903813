"""Recipes round-trip through the GUI exactly: a recipe loaded into the panels (through the engine's reader) and
saved back (through the GUI's one writer) is the same recipe, key for key, for recipes generated from the engine's
schema (workbench.core.recipe.SCHEMA); and the Quantize panel has a control for every `workbench quantize` option."""

import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.recipe import SCHEMA, VARIANT_TARGETS, load_recipe, recipe_to_dict, save_recipe
from workbench.core.registry import build_registry
from workbench.core.specs import (
    CALIBRATION_METHODS,
    DTYPES,
    EXPORTERS,
    OPT_LEVELS,
    WEIGHT_ONLY_ALGOS,
    InputSpec,
)
from workbench.gui.panels.quantize_options import KEYS, normalise_entry

MODES = tuple(KEYS)  # the GUI holds one variant per mode

# -- strategies --------------------------------------------------------------------------------------------------
plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10).filter(
    lambda t: not t.startswith(("-", ".")))
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC0123456789-_.,é模型", min_size=1, max_size=30).map(str.strip) \
    .filter(bool)
node = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_/.:", min_size=1, max_size=16)
names = st.lists(node, unique=True, max_size=3)
op_types = st.lists(st.sampled_from(["MatMul", "Gemm", "Gather", "Conv", "Attention"]), unique=True, max_size=3)
tolerance = st.floats(min_value=1e-9, max_value=1.0, allow_nan=False, allow_infinity=False)


def maybe(**fields):
    """A dict with any subset of the given keys (each key present or left out)."""
    return st.fixed_dictionaries({}, optional=fields)


def quant_entry(mode: str):
    fields = {
        "name": plain, "per_channel": st.booleans(), "op_types": op_types, "exclude": names,
        "min_cosine": st.integers(0, 99999).map(lambda i: i / 100000),
        "max_excluded": st.integers(0, 1000), "calibration": st.sampled_from(["calib.txt", "samples", "/data/cal"]),
        "method": st.sampled_from(CALIBRATION_METHODS), "calibration_samples": st.integers(1, 5000),
        "block_size": st.sampled_from([16, 32, 64, 128, 256, 1024]), "algorithm": st.sampled_from(WEIGHT_ONLY_ALGOS),
        "symmetric": st.booleans()}
    return maybe(**{k: fields[k] for k in KEYS[mode]}).map(lambda e: {"mode": mode, **e})


@st.composite
def quantize_entries(draw):
    modes = draw(st.permutations(MODES))  # any order: the panel keeps a loaded recipe's order
    modes = [m for m in modes if draw(st.booleans())]
    entries = [draw(quant_entry(m)) for m in modes]
    labels = [e.get("name") or m for e, m in zip(entries, modes)]  # two entries may not write one file
    if len(set(labels)) < len(labels):
        for e, m in zip(entries, modes):
            e.pop("name", None)
    return entries


dynamic = st.lists(st.tuples(st.sampled_from(["input_ids", "attention_mask", "pixel_values"]), st.integers(0, 3),
                             plain), unique_by=lambda t: t[:2], max_size=4).map(
    lambda items: [f"{i}:{d}={n}" for i, d, n in items])
# every registered target, and every value a target declares for its options (plus one no target offers): the
# Export panel's per-target controls (workbench.gui.panels.target_options_box) must carry each one through
TARGET_NAMES = tuple(build_registry(include_plugins=False).targets)
QUANTS = tuple(dict.fromkeys(c.value for t in build_registry(include_plugins=False).targets.values()
                             for o in t.form.options if o.field == "quant" for c in o.choices)) + ("q9_x",)
export = maybe(target=st.sampled_from(TARGET_NAMES), exporter=st.sampled_from(EXPORTERS), opset=st.integers(7, 23),
               dtype=st.sampled_from(DTYPES), constant_folding=st.booleans(), dynamic=dynamic,
               batch=st.integers(1, 4096), sequence=st.integers(1, 1 << 16), input_names=names,
               output_names=names, fallback=st.booleans(), external_data=st.booleans(),
               quant=st.sampled_from(QUANTS), calibration=st.sampled_from(["calib.txt", "samples", "/data/cal"]),
               optimize_level=st.sampled_from([0, 1, 2]))
validate = maybe(rtol=tolerance, atol=tolerance, runtime=st.sampled_from(["onnxruntime", "openvino"]))
optimize = maybe(level=st.sampled_from(OPT_LEVELS), simplify=st.booleans(), fusion=st.booleans(),
                 target=st.sampled_from(["cpu", "cuda"]), fp16_outputs=st.booleans())
bench = maybe(provider=st.sampled_from(["cpu", "cuda"]), batch=st.integers(1, 4096), sequence=st.integers(1, 1 << 16),
              iterations=st.integers(1, 1_000_000), warmup=st.integers(0, 10_000), threads=st.integers(1, 1024),
              compare_torch=st.booleans(), time_budget_s=st.floats(0.5, 600, allow_nan=False),
              runtime=st.sampled_from(["onnxruntime", "openvino"]), kv_cache=st.sampled_from(["f16", "f32"]))


@st.composite
def recipe_dicts(draw):
    recipe = draw(maybe(name=words, output_dir=plain.map(lambda p: p + "-out"), description=words,
                        overwrite=st.booleans()))
    recipe["source"] = {"path": draw(st.sampled_from(["model", "model.onnx"])), **draw(maybe(task=st.sampled_from(["feature-extraction",
                                                                              "text-generation"]),
                                                      weights=st.just("w.safetensors"), trust_code=st.booleans()))}
    if draw(st.booleans()):
        recipe["export"] = draw(export)
    for key, strategy in (("validate", validate), ("optimize", optimize), ("bench", bench)):
        if draw(st.booleans()):
            recipe[key] = draw(strategy)
    recipe["quantize"] = draw(quantize_entries())
    for target in VARIANT_TARGETS:  # [[gguf]]/[[openvino]]/[[mnn]]: kept through the GUI as they were (no panel
        if draw(st.booleans()):     # edits them); a distinct name each, so no two write one file
            count = draw(st.integers(1, 3))
            recipe[target] = [{**draw(variant_entry(target)), "name": f"v{i}"} for i in range(count)]
    return recipe


def variant_entry(target: str):
    """Any subset of the keys a [[target]] table takes, each with a value its form offers."""
    options = {o.field: o for o in build_registry(include_plugins=False).targets[target].form.options}
    fields = {}
    for key in SCHEMA[target]:
        if key == "name":
            continue
        choices = [c.value for c in options[key].choices]
        kind = SCHEMA[target][key]
        fields[key] = (st.sampled_from([int(c) for c in choices]) if kind is int else st.sampled_from(choices)) \
            if choices else st.sampled_from(["calib.txt", "samples", "/data/cal"])
    return maybe(**fields)


def test_the_strategies_cover_the_schema():
    """A key added to the engine's schema must be added to the strategies above (and to a panel) too."""
    assert set(SCHEMA[""]) == {"name", "output_dir", "description", "overwrite"}
    assert set(SCHEMA["source"]) == {"path", "task", "weights", "trust_code"}
    assert set(SCHEMA["export"]) == {"target", "exporter", "opset", "dtype", "constant_folding", "dynamic", "batch",
                                     "sequence", "input_names", "output_names", "fallback", "external_data", "quant",
                                     "calibration", "optimize_level"}
    assert set(SCHEMA["validate"]) - {"enabled"} == {"rtol", "atol", "runtime"}
    assert set(SCHEMA["optimize"]) - {"enabled"} == {"level", "simplify", "fusion", "target", "fp16_outputs"}
    assert set(SCHEMA["quantize"]) == set().union(*map(set, KEYS.values())) | {"mode"}
    assert set(SCHEMA["gguf"]) == {"quant", "name"}
    assert set(SCHEMA["openvino"]) == {"dtype", "quant", "calibration", "name"}
    assert set(SCHEMA["mnn"]) == {"dtype", "quant", "optimize_level", "name"}
    assert set(SCHEMA["bench"]) - {"enabled"} == {"provider", "batch", "sequence", "iterations", "warmup",
                                                  "threads", "compare_torch", "time_budget_s", "runtime",
                                                  "kv_cache"}


# -- normalised comparison ---------------------------------------------------------------------------------------
EXPORT_DEFAULTS = {"target": "onnx", "exporter": "dynamo", "dtype": "fp32", "constant_folding": True,
                   "batch": InputSpec().batch, "sequence": InputSpec().sequence}
OPTIMIZE_DEFAULTS = {"level": "extended", "simplify": True, "fusion": True, "fp16_outputs": False}
BENCH_DEFAULTS = {"provider": "cpu", "batch": 1, "sequence": 128, "iterations": 100, "warmup": 10,
                  "compare_torch": True, "kv_cache": "f16"}  # BenchSpec's: a recipe's [bench] means what
# `workbench bench` means; kv_cache left out is llama.cpp's own f16 (the Benchmark panel writes it as f16)


def normalised(path) -> dict:
    """The engine's reading of a recipe, with every default filled in and empty values dropped."""
    data = recipe_to_dict(load_recipe(str(path)))
    data.setdefault("overwrite", False)

    def fill(section, defaults):
        out = {**defaults, **{k: v for k, v in (section or {}).items() if v not in (None, [])}}
        if "dynamic" in out:
            out["dynamic"] = sorted(out["dynamic"])
        return out

    data["export"] = fill(data.get("export"), EXPORT_DEFAULTS)
    for key, defaults in (("validate", {}), ("optimize", OPTIMIZE_DEFAULTS), ("bench", BENCH_DEFAULTS)):
        if key in data:
            data[key] = fill(data[key], defaults)
    data["quantize"] = [normalise_entry(e) for e in data.get("quantize", [])]
    for target in VARIANT_TARGETS:
        data.setdefault(target, [])
    return data


@pytest.fixture
def full_window(qtbot, monkeypatch):
    """The main window with the real panels (the stub graph view: no Chromium); loading a model only sets it."""
    from gui_helpers import StubGraphPanel

    from workbench.gui.main_window import MainWindow

    win = MainWindow(graph_factory=StubGraphPanel)
    qtbot.addWidget(win)
    monkeypatch.setattr(win, "open_path", lambda path: win.state.set_onnx(path) if path.endswith(".onnx")
                        else win.state.set_source(path))  # what LoadPanel.open_path sets, without the inspect job
    yield win
    win.close()


def round_trip(window, folder: Path, recipe: dict) -> tuple:
    original = folder / "original.toml"
    save_recipe(recipe, original)
    assert window.report_panel.load_recipe(str(original)) is not None
    saved = window.report_panel.save_recipe(str(folder / "saved.toml"))
    assert saved is not None
    return normalised(original), normalised(saved)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(recipe=recipe_dicts())
def test_any_recipe_survives_load_and_save_through_the_gui(full_window, tmp_path_factory, recipe):
    folder = tmp_path_factory.mktemp("rt")
    (folder / "model").mkdir()
    (folder / "model.onnx").write_bytes(b"")
    before, after = round_trip(full_window, folder, recipe)
    assert after == before
    # and no key of the file is dropped, even one the engine's reading would not show (overwrite = false is the
    # default, written only when true)
    import tomllib

    raw = tomllib.loads((folder / "original.toml").read_text("utf-8"))
    written = tomllib.loads((folder / "saved.toml").read_text("utf-8"))
    def keys(table):  # an empty list is no value (the engine reads it as the key left out)
        return {k for k, v in table.items() if v != []}

    assert keys(raw) - {"overwrite"} <= set(written)
    for key, value in raw.items():
        if isinstance(value, dict):
            assert keys(value) <= set(written[key]), key
    for entry, saved in zip(raw.get("quantize", []), written.get("quantize", [])):
        assert keys(entry) <= set(saved)
    for target in VARIANT_TARGETS:  # every entry and key (values compared above, paths resolved)
        assert len(written.get(target, [])) == len(raw.get(target, [])), target
        for entry, saved in zip(raw.get(target, []), written.get(target, [])):
            assert keys(entry) <= set(saved), target


def test_demo_recipe_keeps_int4_block_size_and_algorithm(full_window, tmp_path):
    from workbench.core.demo import DEMO_RECIPE

    text = DEMO_RECIPE.format(iterations=20).replace('mode = "int4"\nblock_size = 32',
                                                     'mode = "int4"\nblock_size = 32\nalgorithm = "hqq"')
    (tmp_path / "demo-model").mkdir()
    (tmp_path / "demo.toml").write_text(text, encoding="utf-8")
    before = normalised(tmp_path / "demo.toml")
    full_window.report_panel.load_recipe(str(tmp_path / "demo.toml"))
    page = full_window.quantize_panel.options["int4"]
    assert (page.block_size_spin.value(), page.algorithm_combo.currentText()) == (32, "hqq")
    saved = full_window.report_panel.save_recipe(str(tmp_path / "saved.toml"))
    int4 = next(q for q in load_recipe(str(saved)).quantize if q["mode"] == "int4")
    assert (int4["block_size"], int4["algorithm"]) == (32, "hqq")
    assert normalised(saved) == before
    # plain demo text too (its int4 entry has no algorithm: rtn, the default)
    (tmp_path / "plain.toml").write_text(DEMO_RECIPE.format(iterations=20), encoding="utf-8")
    full_window.report_panel.load_recipe(str(tmp_path / "plain.toml"))
    saved = full_window.report_panel.save_recipe(str(tmp_path / "plain-saved.toml"))
    assert normalised(saved) == normalised(tmp_path / "plain.toml")


def test_every_cli_quantize_option_has_a_control(qtbot, state, tmp_path):
    """Each `workbench quantize` option is set from the panel, and the copied command parses to those values."""
    cli = pytest.importorskip("workbench.cli")
    from workbench.gui.panels.quantize_panel import QuantizePanel

    state.set_onnx(str(tmp_path / "m.onnx"))
    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    for mode, check in panel.mode_checks.items():
        check.setChecked(mode in ("int8-dynamic", "int8-static", "int4"))
    d, s, q4 = panel.options["int8-dynamic"], panel.options["int8-static"], panel.options["int4"]
    d.per_channel_check.setChecked(False)
    d.op_types_edit.setText("MatMul, Gemm")
    d.min_cosine_check.setChecked(True)
    d.min_cosine_spin.setValue(0.995)
    d.max_excluded_check.setChecked(True)
    d.max_excluded_spin.setValue(3)
    d.exclude_edit.setPlainText("/a/MatMul")
    s.calibration_edit.setText(str(tmp_path / "cal.txt"))
    s.tokenizer_edit.setText(str(tmp_path / "tok"))
    s.method_combo.setCurrentText("entropy")
    q4.block_size_spin.setValue(32)
    q4.algorithm_combo.setCurrentText("gptq")
    q4.symmetric_check.setChecked(True)
    q4.calibration_edit.setText(str(tmp_path / "cal.txt"))
    parser = cli.build_parser()
    parsed = {a.mode: a for a in (parser.parse_args(shlex.split(line)[1:]) for line in panel.cli_command().splitlines())}
    a = parsed["int8-dynamic"]
    assert (a.per_channel, a.op_types, a.min_cosine, a.max_excluded, a.exclude) == (
        False, ["MatMul", "Gemm"], 0.995, 3, ["/a/MatMul"])
    a = parsed["int8-static"]
    assert (a.calibration, a.tokenizer, a.method, a.per_channel) == (str(tmp_path / "cal.txt"), str(tmp_path / "tok"),
                                                                       "entropy", True)
    a = parsed["int4"]
    assert (a.block_size, a.algorithm, a.symmetric, a.calibration) == (32, "gptq", True, str(tmp_path / "cal.txt"))
    specs = {spec.mode: spec for spec in panel.specs()}
    assert (specs["int4"].block_size, specs["int4"].algorithm, specs["int8-static"].method) == (32, "gptq", "entropy")


def test_options_shown_follow_the_mode(qtbot, state):
    from workbench.gui.panels.quantize_panel import QuantizePanel

    panel = QuantizePanel(state)
    qtbot.addWidget(panel)
    panel.resize(1100, 800)
    panel.show()
    panel.mode_checks["int4"].setChecked(True)
    assert panel.options_stack.currentWidget() is panel.options["int4"]
    q4 = panel.options["int4"]
    assert not q4.row_visible("calibration")  # rtn reads no calibration data
    panel.grab().save("/tmp/q_int4.png")
    q4.algorithm_combo.setCurrentText("gptq")
    assert q4.row_visible("calibration") and q4.row_visible("calibration_samples")
    assert not hasattr(q4, "method_combo") and not hasattr(q4, "per_channel_check")
    panel.grab().save("/tmp/q_int4_gptq.png")
    panel.mode_checks["int8-static"].setChecked(True)
    assert panel.options_stack.currentWidget() is panel.options["int8-static"]
    assert not hasattr(panel.options["int8-static"], "block_size_spin")
    panel.grab().save("/tmp/q_int8_static.png")


def test_a_recipe_without_dynamic_axes_stays_without_after_the_model_is_inspected(full_window, tmp_path):
    """Automatic axes (no `dynamic`) are not replaced by the panel's suggestion when the recipe's model loads."""
    from types import SimpleNamespace

    (tmp_path / "model").mkdir()
    save_recipe({"source": {"path": "model"}, "export": {"opset": 18}}, tmp_path / "r.toml")
    full_window.report_panel.load_recipe(str(tmp_path / "r.toml"))
    full_window.export_panel._inspected(SimpleNamespace(config={"vocab_size": 10}, default_dynamic_axes=None))
    saved = full_window.report_panel.save_recipe(str(tmp_path / "saved.toml"))
    assert "dynamic" not in load_recipe(str(saved)).export
    full_window.state.set_source(str(tmp_path / "other"))  # another model: the panel suggests its axes again
    full_window.export_panel._inspected(SimpleNamespace(config={"vocab_size": 10}, default_dynamic_axes=None))
    assert full_window.export_panel.dynamic_axes()
