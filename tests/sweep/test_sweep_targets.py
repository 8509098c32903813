"""A sweep takes [[gguf]] / [[openvino]] / [[mnn]] entries (its own, and its base recipe's) as variants: each is
its target's export of the model, validated against PyTorch and benched in its own runtime at every axis value (a
tiny Llama with a tokenizer -> GGUF f16 and q8_0 in llama.cpp, CPU; its batch-2 cells run 2 sequences one after
another and say so, as `workbench bench` and a recipe do; [bench] kv_cache is llama.cpp's KV cache type for those
cells); a value the target does not offer, a bad kv_cache, and a [[variant]] that asks ONNX steps of another
target's file, are one line before anything runs."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.sweep import parse_sweep

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtimes"))
from gguf_fixtures import add_tiny_tokenizer  # noqa: E402

SWEEP = """name = "llama-gguf"
[[model]]
name = "llama"
path = "{path}"
[[gguf]]
quant = "f16"
[[gguf]]
quant = "q8_0"
name = "q8"
[axes]
batch = [1, 2]
sequence = [8]
threads = [1]
[bench]
iterations = 3
warmup = 1
kv_cache = "f32"
"""


@pytest.fixture(scope="module")
def llama_folder(tiny_models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep-gguf") / "llama-hf"
    shutil.copytree(tiny_models("llama"), folder)
    add_tiny_tokenizer(folder)
    return folder


def test_recipe_and_sweep_target_sections_are_variants(tmp_path, llama_folder):
    recipe = tmp_path / "base.toml"
    recipe.write_text(f'name = "base"\n[source]\npath = "{llama_folder}"\n[export]\nsequence = 8\n'
                      '[[quantize]]\nmode = "int8-dynamic"\n[[gguf]]\nquant = "q4_0"\n'
                      '[[openvino]]\ndtype = "fp16"\n[[mnn]]\nname = "lean"\n', encoding="utf-8")
    sweep = parse_sweep('recipe = "base.toml"\n[[gguf]]\nquant = "q8_0"\n[axes]\nbatch = [1]', tmp_path / "s.toml")
    assert [v.name for v in sweep.variants] == ["fp32", "int8", "gguf-q4_0", "openvino-fp16", "mnn-lean",
                                                "gguf-q8_0"]
    gguf = sweep.variant("gguf-q4_0")
    assert gguf.target == "gguf" and gguf.export == {"quant": "q4_0", "target": "gguf"}
    assert sweep.variant("mnn-lean").export == {"target": "mnn"} and sweep.variant("fp32").target is None
    assert len(sweep.cells()) == 6
    from workbench.core.sweep.artifacts import plan_builds

    builds, artifact_of = plan_builds(sweep)  # the target's own export, not the recipe's ONNX [export] on top
    assert builds[artifact_of[("base", "gguf-q4_0")]].payload["export"] == {"quant": "q4_0", "target": "gguf"}
    assert builds[artifact_of[("base", "fp32")]].payload["export"] == {"sequence": 8}


@pytest.mark.parametrize("text, message", [
    ('[[gguf]]\nquant = "q9"', "quant 'q9' is not a GGUF type"),
    ('[[gguf]]\nquant = "f16"\n[[gguf]]\nquant = "f16"', r"two \[\[gguf\]\] entries"),
    ('[[openvino]]\nstreams = 4', "unknown key"),
    ('[bench]\nkv_cache = "bf16"', r"s.toml: \[bench\] kv_cache: unknown llama.cpp KV cache type 'bf16'"),
    ('[[variant]]\nname = "x"\nexport = {target = "gguf"}\nquantize = {mode = "int4"}',
     "optimize and quantize work on ONNX files"),
])
def test_bad_target_sections_are_one_line(tmp_path, llama_folder, text, message):
    path = tmp_path / "s.toml"
    with pytest.raises(WorkbenchError, match=message) as err:
        parse_sweep(f'[[model]]\nname = "m"\npath = "{llama_folder}"\n{text}', path)
    assert "\n" not in str(err.value)


def test_the_kv_cache_goes_to_gguf_cells_only():
    from types import SimpleNamespace

    from workbench.core.sweep.cells import bench_spec

    cell = SimpleNamespace(provider="cpu", batch=2, sequence=8, threads=1, cuda_graph=False, runtime=None)
    assert bench_spec("a/model.gguf", cell, {"kv_cache": "f32"}).runtime_options == {"kv_cache": "f32"}
    assert bench_spec("a/model.onnx", cell, {"kv_cache": "f32"}).runtime_options == {}
    assert bench_spec("a/model.gguf", cell, {}).runtime_options == {}


def test_gguf_variants_are_built_validated_and_benched_in_llama_cpp(tmp_path, llama_folder):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                        exc_type=ImportError)
    sweep_file = tmp_path / "gguf.toml"
    sweep_file.write_text(SWEEP.format(path=llama_folder), encoding="utf-8")
    out = tmp_path / "out"
    main(["sweep", str(sweep_file), "-o", str(out), "--json"])
    report = json.loads((out / "sweep.json").read_text("utf-8"))
    rows = {(r["variant"], r["batch"]): r for r in report["rows"]}
    assert set(rows) == {("gguf-f16", 1), ("gguf-f16", 2), ("gguf-q8", 1), ("gguf-q8", 2)}
    for variant in ("gguf-f16", "gguf-q8"):
        one = rows[(variant, 1)]
        assert one["ok"] and one["p50_ms"] > 0 and one["validate_passed"], one
        assert one["cosine"] > 0.99 and one["size_mb"] > 0
        two = rows[(variant, 2)]  # llama.cpp runs one sequence at a time: the row says how batch 2 ran
        assert two["ok"] and any(n.startswith("batch 2 run as 2 sequences one after another") and "per sequence"
                                 in n for n in two["notes"]), two
        assert two["throughput_per_s"] == pytest.approx(2000.0 / two["mean_ms"])
        assert "llama.cpp KV cache: f32" in one["notes"] and "llama.cpp KV cache: f32" in two["notes"]
    assert rows[("gguf-q8", 1)]["size_mb"] < rows[("gguf-f16", 1)]["size_mb"]
    files = {p.name for p in (out / "artifacts").rglob("model.gguf")} if (out / "artifacts").exists() else set()
    assert files == {"model.gguf"}
