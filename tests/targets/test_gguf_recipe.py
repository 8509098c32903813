"""[[gguf]] variants in a recipe: `workbench run` on a tiny Llama exports ONNX and two GGUFs, validates each
against PyTorch (the GGUFs in llama.cpp on real prompts: logits cosine, top-1 agreement), benchmarks PyTorch, ONNX
Runtime and llama.cpp side by side, and the report holds one table of every artifact (size, fidelity, speed,
memory) in report.json and report.html. A bad quant type, a bad [bench] kv_cache or two entries writing one file fail
in one line before anything is written; at batch N llama.cpp runs N sequences one after another and says so."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("gguf")
pytest.importorskip("llama_cpp", exc_type=ImportError)  # missing, or unimportable

from workbench.core.errors import WorkbenchError  # noqa: E402
from workbench.core.recipe import load_recipe, recipe_to_dict, run_recipe, save_recipe  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "runtimes"))
from gguf_fixtures import add_tiny_tokenizer  # noqa: E402

RECIPE = """
name = "tiny-llama-gguf"
output_dir = "out"
[source]
path = "llama"
[validate]
[[gguf]]
quant = "f16"
[[gguf]]
quant = "q8_0"
name = "q8"
[bench]
iterations = 5
warmup = 1
sequence = 16
threads = 1
"""


@pytest.fixture(scope="module")
def folder(tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("gguf-recipe")
    shutil.copytree(tiny_models("llama"), root / "llama")
    add_tiny_tokenizer(root / "llama", 128)  # llama.cpp loads no GGUF without a vocab; the prompts need one too
    return root


@pytest.fixture(scope="module")
def run(folder):
    (folder / "r.toml").write_text(RECIPE, encoding="utf-8")
    result = run_recipe(str(folder / "r.toml"))
    report = json.loads(Path(result.report_json).read_text("utf-8"))
    return result, report, Path(result.report_html).read_text("utf-8")


def test_the_recipe_reads_and_writes_back_its_gguf_entries(folder, tmp_path):
    (tmp_path / "llama").mkdir()
    (tmp_path / "r.toml").write_text(RECIPE, encoding="utf-8")
    recipe = load_recipe(str(tmp_path / "r.toml"))
    assert recipe.gguf == [{"quant": "f16"}, {"quant": "q8_0", "name": "q8"}]
    save_recipe(recipe_to_dict(recipe), tmp_path / "again.toml")
    assert load_recipe(str(tmp_path / "again.toml")).gguf == recipe.gguf


def test_two_gguf_variants_are_built_validated_and_benchmarked(run):
    result, report, _ = run
    assert result.failed == []
    out = Path(result.output_dir)
    assert (out / "gguf" / "model.f16.gguf").is_file() and (out / "gguf" / "model.q8.gguf").is_file()
    names = [s["name"] for s in report["steps"]]
    assert names == ["export", "validate", "gguf f16", "validate gguf f16", "gguf q8", "validate gguf q8", "bench"]
    for label, precision in (("f16", "fp16"), ("q8", "int8")):
        v = next(s for s in report["steps"] if s["name"] == f"validate gguf {label}")["result"]
        assert v["passed"] and v["runtime"] == "llama.cpp" and v["precision"] == precision and v["kind"] == "decoder"
        assert len(v["prompts"]) == 5 and all(0.9 < p["cosine_min"] <= 1.0 + 1e-9 for p in v["prompts"])
    bench = next(s for s in report["steps"] if s["name"] == "bench")["result"]
    assert [r["name"] for r in bench["rows"]] == ["PyTorch eager", "ORT fp32", "llama.cpp f16", "llama.cpp q8"]
    assert bench["failed"] == []


def test_the_report_has_one_table_of_every_artifact(run):
    result, report, html = run
    rows = {r["name"]: r for r in report["artifacts"]}
    assert list(rows) == ["PyTorch eager", "ORT fp32", "llama.cpp f16", "llama.cpp q8"]
    assert [rows[n]["runtime"] for n in rows] == ["torch", "onnxruntime", "llama.cpp", "llama.cpp"]
    for name in ("ORT fp32", "llama.cpp f16", "llama.cpp q8"):
        row = rows[name]
        assert row["size_mb"] > 0 and row["p50_ms"] > 0 and row["p95_ms"] >= row["p50_ms"]
        assert row["throughput_per_s"] > 0 and row["peak_rss_mb"] > 0
        assert row["fidelity"]["passed"] is True and row["fidelity"]["against"] == "PyTorch"
    f16, q8 = rows["llama.cpp f16"], rows["llama.cpp q8"]
    assert q8["size_mb"] < f16["size_mb"]  # q8_0 is ~8.5 bits a weight, f16 16
    assert f16["fidelity"]["cosine"] >= q8["fidelity"]["cosine"] - 1e-6
    assert f16["fidelity"]["top1"] == pytest.approx(1.0) and 0.5 < q8["fidelity"]["top1"] <= 1.0
    assert rows["ORT fp32"]["fidelity"]["cosine"] > 0.9999
    size = Path(result.output_dir, "gguf", "model.q8.gguf").stat().st_size / 1e6
    assert q8["size_mb"] == pytest.approx(size)
    table = html.split("<h2>Every artifact</h2>", 1)[1].split("</table>", 1)[0]
    for name in rows:
        assert f"<td>{name}</td>" in table
    assert table.count("<td>llama.cpp</td>") == 2 and "<td>onnxruntime</td>" in table
    assert "validate gguf q8" in html and "top-1 agreement" in html


@pytest.mark.parametrize("entry, message", [
    ('quant = "q9_x"', "\\[\\[gguf\\]\\] quant 'q9_x' is not a GGUF type"),
    ('quant = "q8_0"\n[[gguf]]\nquant = "Q8_0"', "two \\[\\[gguf\\]\\] entries would both write gguf/model.q8_0"),
    ('quant = "q8_0"\nname = "../up"', "name"),
    ("quant = 8", "\\[gguf\\] 'quant' should be str"),
    ('quant = "q8_0"\n[[mnn]]\noptimize_level = 5', "\\[\\[mnn\\]\\] optimize_level '5' is not a value the mnn target offers"),
    ('quant = "q8_0"\n[[openvino]]\nquant = "int3"', "\\[\\[openvino\\]\\] quant 'int3' is not a value the openvino target offers"),
    ('quant = "q8_0"\nopset = 17', "unknown key \\[gguf\\] 'opset'"),
])
def test_a_bad_gguf_entry_is_one_line_before_anything_is_written(tmp_path, entry, message):
    (tmp_path / "llama").mkdir()
    (tmp_path / "r.toml").write_text(f'output_dir = "out"\n[source]\npath = "llama"\n[[gguf]]\n{entry}\n',
                                     encoding="utf-8")
    with pytest.raises(WorkbenchError, match=message) as err:
        run_recipe(str(tmp_path / "r.toml"))
    assert "\n" not in err.value.one_line()
    assert not (tmp_path / "out").exists()


def test_gguf_variants_of_a_source_that_is_no_hf_folder_stop_before_anything_is_written(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not read")
    (tmp_path / "r.toml").write_text('output_dir = "out"\n[source]\npath = "model.onnx"\n[[gguf]]\nquant = "f16"\n',
                                     encoding="utf-8")
    with pytest.raises(WorkbenchError, match="converts a Hugging Face model folder;.*model.onnx is not one"):
        run_recipe(str(tmp_path / "r.toml"))
    assert not (tmp_path / "out").exists()


def test_batch_2_runs_each_gguf_as_2_sequences_with_the_recipes_kv_cache(folder, tmp_path):
    """At batch 2 llama.cpp (one sequence at a time) runs the batch's 2 rows one after another, on PyTorch's own
    input values: each GGUF row is measured, its throughput counts 2, and the row (and the report's table) says how
    it ran, with per-sequence numbers; [bench] kv_cache goes to the llama.cpp rows only. The GGUF export as the
    recipe's main target (export/model.gguf: the target's suffix) is a variant too."""
    (tmp_path / "r.toml").write_text(f"""
output_dir = "out"
[source]
path = "{folder / 'llama'}"
[export]
target = "gguf"
quant = "q8_0"
[[gguf]]
quant = "q4_0"
[bench]
iterations = 3
warmup = 0
batch = 2
sequence = 8
threads = 1
kv_cache = "f32"
""", encoding="utf-8")
    result = run_recipe(str(tmp_path / "r.toml"))
    assert result.failed == []
    assert (tmp_path / "out" / "export" / "model.gguf").is_file()
    report = json.loads(Path(result.report_json).read_text("utf-8"))
    bench = {r["name"]: r for r in next(s for s in report["steps"] if s["name"] == "bench")["result"]["rows"]}
    assert list(bench) == ["PyTorch eager", "llama.cpp q8_0 (export)", "llama.cpp q4_0"]
    for name in ("llama.cpp q8_0 (export)", "llama.cpp q4_0"):
        row = bench[name]
        assert row["batch"] == 2 and row["latency_ms"]["p50"] > 0
        assert row["throughput_per_s"] == pytest.approx(2000.0 / row["latency_ms"]["mean"])
        how = next(n for n in row["notes"] if n.startswith("batch 2 run as 2 sequences one after another"))
        assert f"per sequence p50 {row['latency_ms']['p50'] / 2:.3f} ms" in how
        assert "llama.cpp KV cache: f32" in row["notes"]
    assert not any("KV cache" in n or "sequences" in n for n in bench["PyTorch eager"]["notes"])
    rows = {r["name"]: r for r in report["artifacts"]}
    assert rows["llama.cpp q4_0"]["speed_note"].startswith("batch 2 run as 2 sequences")
    assert rows["PyTorch eager"]["speed_note"] is None
    html = Path(result.report_html).read_text("utf-8").split("<h2>Every artifact</h2>", 1)[1]
    assert "llama.cpp q4_0: batch 2 run as 2 sequences one after another" in html


def test_a_bad_kv_cache_in_bench_is_one_line_before_anything_is_written(tmp_path):
    (tmp_path / "llama").mkdir()
    (tmp_path / "r.toml").write_text('output_dir = "out"\n[source]\npath = "llama"\n[[gguf]]\nquant = "f16"\n'
                                     '[bench]\nkv_cache = "q4"\n', encoding="utf-8")
    with pytest.raises(WorkbenchError, match="r.toml: \\[bench\\] kv_cache: unknown llama.cpp KV cache type 'q4'") \
            as err:
        run_recipe(str(tmp_path / "r.toml"))
    assert "\n" not in err.value.one_line() and "f16, f32" in err.value.hint
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_onnx_gguf_openvino_and_mnn_rows_in_one_table(folder, tmp_path):
    """One recipe, every runtime: the ONNX export, a [[gguf]], an [[openvino]] and an [[mnn]] variant, each
    validated against PyTorch and benchmarked in its own runtime, one row each in the report's table. Slow (~2 min
    on 2 shared cores: the OpenVINO and MNN conversions)."""
    pytest.importorskip("openvino")
    pytest.importorskip("MNN")
    (tmp_path / "r.toml").write_text(f"""
output_dir = "out"
[source]
path = "{folder / 'llama'}"
[validate]
[[gguf]]
quant = "q8_0"
[[openvino]]
[[mnn]]
optimize_level = 2
[bench]
iterations = 3
warmup = 1
sequence = 16
threads = 1
""", encoding="utf-8")
    result = run_recipe(str(tmp_path / "r.toml"))
    assert result.failed == []
    out = tmp_path / "out"
    assert (out / "gguf" / "model.q8_0.gguf").is_file() and (out / "openvino" / "model.fp32.xml").is_file()
    assert (out / "mnn" / "model.2.mnn").is_file()
    report = json.loads(Path(result.report_json).read_text("utf-8"))
    assert [s["name"] for s in report["steps"]] == ["export", "validate", "gguf q8_0", "validate gguf q8_0",
                                                    "openvino fp32", "validate openvino fp32", "mnn 2",
                                                    "validate mnn 2", "bench"]
    rows = {r["name"]: r for r in report["artifacts"]}
    assert [(n, r["runtime"]) for n, r in rows.items()] == [
        ("PyTorch eager", "torch"), ("ORT fp32", "onnxruntime"), ("llama.cpp q8_0", "llama.cpp"),
        ("openvino fp32", "openvino"), ("mnn 2", "mnn")]
    for name in ("ORT fp32", "llama.cpp q8_0", "openvino fp32", "mnn 2"):
        row = rows[name]
        assert row["fidelity"]["passed"] is True and row["fidelity"]["against"] == "PyTorch", name
        assert row["size_mb"] > 0 and row["p50_ms"] > 0 and row["peak_rss_mb"] > 0, name
    assert rows["openvino fp32"]["fidelity"]["cosine"] > 0.9999 and rows["mnn 2"]["fidelity"]["cosine"] > 0.999
    table = Path(result.report_html).read_text("utf-8").split("<h2>Every artifact</h2>", 1)[1].split("</table>")[0]
    assert all(f"<td>{name}</td>" in table for name in rows)
