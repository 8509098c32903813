"""Fidelity-targeted int8 (min_cosine): sensitive nodes kept in float32, the report, an unreachable floor, the
soft default, the recipe key and the CLI flag. Tiny generated models only (the MiniLM floor is in test_quantize.py).

On the tiny random-weight exports plain int8 reaches ~0.99994 (bert) and ~0.99991 (llama), so the floors here are
set just above that to make the search do work.
"""

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from workbench import api
from workbench.core.errors import WorkbenchError
from workbench.core.quantize import sensitivity

ROW_KEYS = {"node", "op_type", "cosine_alone", "drop", "max_abs_diff_alone", "weight_bytes", "kept_fp32"}


def files_in(folder) -> list:
    """What a job left in a folder (the output-folder marker of workbench.core.fsutil aside)."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name != ".workbench-output")


def unchanged(src, out, name) -> bool:
    """The node is in the output exactly as in the input (same op, inputs and outputs: float weights)."""
    def sig(path):
        return {n.name: (n.op_type, tuple(n.input), tuple(n.output)) for n in onnx.load(str(path)).graph.node}

    return sig(out).get(name) == sig(src)[name]


@pytest.fixture(scope="module")
def models(exported):
    return {"bert": exported("bert").path, "llama": exported("llama").path}


def test_min_cosine_keeps_the_most_sensitive_nodes_and_reports_them(models, tmp_path):
    src = models["llama"]
    seen = []
    out = tmp_path / "out" / "q.onnx"
    result = api.quantize(src, str(out), mode="int8-dynamic", min_cosine=0.99995,
                          progress=lambda f, m: seen.append(f))
    t = result.targeting
    assert t["target"] == "given" and t["min_cosine"] == 0.99995 and t["reached"] is True
    assert t["cosine_plain"] < 0.99995 <= t["cosine"]
    assert result.fidelity.cosine >= 0.99995  # the runner's own final measure agrees
    kept = t["kept_fp32"]
    assert 1 <= len(kept) <= t["max_excluded"]
    table = t["sensitivity"]
    assert len(table) == t["candidates"] and all(set(r) == ROW_KEYS for r in table)
    assert [r["drop"] for r in table] == sorted((r["drop"] for r in table), reverse=True)
    assert [r["node"] for r in table[:len(kept)]] == kept  # the most sensitive first
    assert {r["node"] for r in table if r["kept_fp32"]} == set(kept)
    assert {r["op_type"] for r in table} <= {"MatMul", "Gemm", "Gather"} and all(r["weight_bytes"] > 0 for r in table)
    for name in kept:
        assert unchanged(src, out, name), name
    quantized = [r["node"] for r in table if not r["kept_fp32"]]
    assert not unchanged(src, out, quantized[0])
    assert result.settings["kept_fp32"] == kept and result.settings["min_cosine"] == 0.99995
    assert t["size_bytes"]["plain"] < t["size_bytes"]["targeted"] == result.size_bytes["after"]
    lat = t["latency_ms"]
    assert lat["plain"] > 0 and lat["targeted"] > 0 and lat["ratio"] > 0 and lat["threads"] == 2
    assert files_in(out.parent) == ["q.onnx"]
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_floor_met_by_plain_int8_runs_no_search(models, tmp_path):
    result = api.quantize(models["bert"], str(tmp_path / "q.onnx"), mode="int8-dynamic", min_cosine=0.999)
    t = result.targeting
    assert t["reached"] and t["kept_fp32"] == [] and t["sensitivity"] == []
    assert t["cosine"] == t["cosine_plain"] >= 0.999


def test_unreachable_floor_fails_in_one_line_and_leaves_nothing(models, tmp_path):
    out = tmp_path / "out" / "q.onnx"
    with pytest.raises(WorkbenchError) as info:
        api.quantize(models["bert"], str(out), mode="int8-dynamic", min_cosine=0.999999, max_excluded=1)
    message = str(info.value)
    assert "could not reach min cosine 0.999999" in message and "best 0.9999" in message, message
    assert "1 of" in message and "\n" not in message and info.value.hint
    assert not out.parent.exists() or files_in(out.parent) == []


def test_default_target_is_soft_and_zero_turns_it_off(models, tmp_path, monkeypatch):
    plain = api.quantize(models["bert"], str(tmp_path / "plain.onnx"), mode="int8-dynamic", min_cosine=0)
    assert plain.targeting is None and "kept_fp32" not in plain.settings
    default = api.quantize(models["bert"], str(tmp_path / "d.onnx"), mode="int8-dynamic")
    assert default.targeting["target"] == "default" and default.targeting["min_cosine"] == 0.99
    assert default.targeting["reached"] and default.targeting["kept_fp32"] == []

    monkeypatch.setitem(sensitivity.DEFAULT_MIN_COSINE, "int8-dynamic", 0.999999)
    soft = api.quantize(models["bert"], str(tmp_path / "soft.onnx"), mode="int8-dynamic", max_excluded=1)
    t = soft.targeting
    assert t["reached"] is False and t["kept_fp32"] == [] and "kept plain int8" in t["note"]
    assert soft.fidelity.cosine == pytest.approx(t["cosine_plain"])
    assert len(t["sensitivity"]) == t["candidates"]  # the table is there for the user to pick from
    assert Path(soft.output).is_file()

    monkeypatch.setattr(sensitivity, "DEFAULT_SEARCH_LIMIT", 3)  # a big graph: the default does not search
    skipped = api.quantize(models["bert"], str(tmp_path / "skip.onnx"), mode="int8-dynamic").targeting
    assert skipped["reached"] is False and skipped["sensitivity"] == [] and "only when asked" in skipped["note"]


@pytest.mark.parametrize("kwargs,message", [
    (dict(mode="int8-dynamic", min_cosine=1.5), "out of range"),
    (dict(mode="fp16", min_cosine=0.99), "works with int8-dynamic"),
    (dict(mode="int8-dynamic", min_cosine=0.99, max_excluded=-1), "max_excluded"),
])
def test_bad_targets_are_refused(kwargs, message, models, tmp_path):
    with pytest.raises(WorkbenchError, match=message):
        api.quantize(models["bert"], str(tmp_path / "q.onnx"), **kwargs)
    assert files_in(tmp_path) == []


def test_recipe_min_cosine(tiny_models, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'''
name = "t"
output_dir = "out"
[source]
path = "{tiny_models('llama')}"
[[quantize]]
mode = "int8-dynamic"
min_cosine = 0.99995
max_excluded = 3
''', encoding="utf-8")
    run = api.run(str(recipe))
    assert not run.failed, run.failed
    report = json.loads(Path(run.report_json).read_text())
    step = next(s for s in report["steps"] if s["name"].startswith("quantize"))
    t = step["result"]["targeting"]
    assert t["target"] == "given" and t["min_cosine"] == 0.99995 and t["max_excluded"] == 3
    assert t["reached"] and t["kept_fp32"]

    recipe.write_text(recipe.read_text().replace("min_cosine = 0.99995", 'min_cosine = "high"'))
    with pytest.raises(WorkbenchError, match="'min_cosine' should be float"):
        api.run(str(recipe))


def wb(*args):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_cli_min_cosine_json_has_the_table_and_errors_are_one_line(models, tmp_path):
    proc = wb("quantize", models["llama"], "-o", tmp_path / "q.onnx", "--mode", "int8-dynamic",
              "--min-cosine", "0.99995", "--json")
    assert proc.returncode == 0, proc.stderr
    t = json.loads(proc.stdout)["targeting"]
    assert t["kept_fp32"] and set(t["sensitivity"][0]) == ROW_KEYS and "latency_ms" in t

    text = wb("quantize", models["llama"], "-o", tmp_path / "t.onnx", "--mode", "int8-dynamic",
              "--min-cosine", "0.99995")
    assert text.returncode == 0 and "kept in float32: " + t["kept_fp32"][0] in text.stdout, text.stdout

    bad = wb("quantize", models["bert"], "-o", tmp_path / "bad" / "q.onnx", "--mode", "int8-dynamic",
             "--min-cosine", "0.999999", "--max-excluded", "1")
    assert bad.returncode == 1
    lines = [ln for ln in bad.stderr.splitlines() if "could not reach" in ln]
    assert len(lines) == 1, bad.stderr
    assert not (tmp_path / "bad").exists() or files_in(tmp_path / "bad") == []

    per_tensor = json.loads(wb("quantize", models["bert"], "-o", tmp_path / "pt.onnx", "--mode", "int8-dynamic",
                               "--no-per-channel", "--min-cosine", "0", "--json").stdout)
    assert per_tensor["settings"]["per_channel"] is False and per_tensor["targeting"] is None
