"""Benchmark panel and a .gguf: llama.cpp's KV cache type is a setting of the panel (shown only while a .gguf is
among the variants), read from and written to a recipe's [bench] kv_cache, handed to the .gguf variants only, and in
the CLI line that reproduces the run; at batch 2 the .gguf row runs its 2 sequences one after another and says so,
as `workbench bench` does (tests/runtimes/test_llama_batch.py)."""

import shlex
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyqtgraph")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtimes"))


@pytest.fixture
def panel(qtbot, state):
    from workbench.gui.panels.bench_panel import BenchPanel

    p = BenchPanel(state)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    yield p
    p.shutdown()


def test_the_kv_cache_setting_follows_the_variants_and_the_recipe(panel, state, tmp_path, monkeypatch):
    from dataclasses import replace

    from workbench.core.registry import build_registry
    from workbench.core.runtimes.base import Availability

    reg = build_registry(include_plugins=False)  # llama.cpp runnable here whether or not it is installed
    reg.runtimes["llama.cpp"] = replace(reg.runtimes["llama.cpp"],
                                        availability=lambda: Availability(True, "0.test", ("cpu",)))
    monkeypatch.setattr("workbench.core.registry.default_registry", lambda: reg)
    onnx, gguf = tmp_path / "model.onnx", tmp_path / "model.q8_0.gguf"
    onnx.write_bytes(b"")
    gguf.write_bytes(b"GGUF")
    state.set_onnx(str(onnx))
    assert not panel.settings_form.isRowVisible(panel.kv_cache)  # no .gguf: nothing it would apply to
    state.add_variant("gguf q8_0", str(gguf))
    assert panel.settings_form.isRowVisible(panel.kv_cache)
    assert panel.spec_fields()["kv_cache"] == "f16"  # llama.cpp's default, written as such into a recipe
    for given, shown in (("f32", "f32"), ("f16", "f16"), (None, "f16")):
        panel.apply_recipe({"bench": {"kv_cache": given} if given else {}})
        assert panel.kv_cache.currentData() == shown and panel.spec_fields()["kv_cache"] == shown
    panel.apply_recipe({"bench": {"kv_cache": "f32", "batch": 2}})
    panel.grab().save("/tmp/bench_gguf_kv_cache.png")
    lines = panel.cli_command().splitlines()
    ort_line = next(shlex.split(line) for line in lines if str(onnx) in line)
    gguf_line = next(shlex.split(line) for line in lines if str(gguf) in line)
    assert "--kv-cache" not in ort_line
    # the panel times forward passes: --runtime keeps the CLI from benching the decoder's generation instead
    assert gguf_line[gguf_line.index("--runtime") + 1] == "llama.cpp"
    assert gguf_line[gguf_line.index("--kv-cache") + 1] == "f32"


def test_a_gguf_at_batch_2_runs_2_sequences_with_the_chosen_cache(qtbot, panel, state, tiny_models, tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    from gguf_fixtures import tiny_gguf

    _, path = tiny_gguf(tiny_models, "llama", tmp_path, "f16")
    state.add_variant("gguf f16", str(path))
    panel.batch.setValue(2)
    panel.sequence.setValue(8)
    panel.iterations.setValue(3)
    panel.warmup.setValue(0)
    panel.threads.setValue(1)
    panel.kv_cache.setCurrentIndex(panel.kv_cache.findData("f32"))
    assert [v.name for v in panel.selected_variants()] == ["gguf f16"]
    panel.run()
    qtbot.waitUntil(lambda: not panel.running, timeout=180_000)
    assert not panel.failures, panel.failures
    (result,) = panel.results
    assert result.batch == 2 and "llama.cpp KV cache: f32" in result.notes
    assert any(n.startswith("batch 2 run as 2 sequences one after another") for n in result.notes)
    assert panel.table.item(0, 2).text() == "llama.cpp (2 sequences one after another)"
    panel.grab().save("/tmp/bench_gguf_batch2.png")
