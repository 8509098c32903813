"""The CLI contract: commands, --json keys, exit codes (0 ok, 1 failed with one line on stderr, 2 usage)."""

import json
import subprocess
import sys

import pytest


def wb(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_full_cli_flow_with_json(tiny_models, tmp_path):
    src = tiny_models("bert")
    info = _json(wb("inspect", src, "--json"))
    assert info["format"] == "hf-folder" and info["parameters"] > 0
    assert {"name", "dtype", "shape"} <= set(info["tensors"][0])

    out = tmp_path / "m.onnx"
    exp = _json(wb("export", src, "-o", out, "--opset", "18", "--dynamic", "input_ids:0=batch",
                   "input_ids:1=seq", "attention_mask:0=batch", "attention_mask:1=seq", "token_type_ids:0=batch",
                   "token_type_ids:1=seq", "--json"))
    assert exp["exporter"] == "dynamo" and exp["outputs"][0] == str(out)
    plain = wb("export", src, "-o", tmp_path / "plain.onnx")  # the exporter's own prints go to the log only
    assert plain.returncode == 0 and "[torch.onnx]" not in plain.stdout + plain.stderr, plain.stderr

    onnx_info = _json(wb("inspect", out, "--json"))
    assert onnx_info["format"] == "onnx" and onnx_info["op_counts"]
    assert [i["name"] for i in onnx_info["inputs"]] == ["input_ids", "attention_mask", "token_type_ids"]
    assert onnx_info["opset"]

    val = _json(wb("validate", out, "--against", src, "--json"))
    assert val["passed"] is True
    assert {"name", "max_abs_diff", "max_rel_diff", "cosine"} <= set(val["outputs"][0])

    opt = _json(wb("optimize", out, "-o", tmp_path / "opt.onnx", "--level", "basic", "--simplify", "--json"))
    assert opt["nodes_after"] <= opt["nodes_before"]

    q = _json(wb("quantize", out, "-o", tmp_path / "q.onnx", "--mode", "int8-dynamic", "--per-channel", "--json"))
    assert q["size_bytes"]["after"] < q["size_bytes"]["before"]
    assert 0.9 < q["fidelity"]["cosine"] <= 1.0 + 1e-9

    bench = _json(wb("bench", out, "--batch", "1", "--seq", "16", "--iterations", "5", "--warmup", "1",
                     "--compare-torch", src, "--json"))
    assert bench["provider"] == "cpu"
    assert {"p50", "p95", "p99", "mean"} <= set(bench["latency_ms"])
    assert bench["throughput_per_s"] > 0 and bench["peak_rss_mb"] > 0
    assert bench["torch"] and bench["torch"][0]["latency_ms"]["p50"] > 0

    text = wb("bench", out, "--seq", "16", "--iterations", "3", "--provider", "cuda")
    assert text.returncode == 0, text.stderr
    assert "CUDA is not available" in text.stdout + text.stderr


@pytest.mark.parametrize("args, message", [
    (["inspect", "/definitely/not/here"], "no such file"),
    (["export", "/definitely/not/here", "-o", "x.onnx"], "no such file"),
    (["validate", "/nope.onnx", "--against", "/nope"], "no such"),
    (["quantize", "/nope.onnx", "-o", "q.onnx", "--mode", "fp16"], "nope.onnx"),
    (["bench", "/nope.onnx"], "nope.onnx"),
    (["run", "/nope.toml"], "no such recipe"),
])
def test_failures_are_one_line_exit_1_no_traceback(args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(lines) == 1, proc.stderr
    assert message in lines[0] and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback(tmp_path):
    proc = wb("inspect", tmp_path / "missing", "--debug")
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_usage_errors_exit_2():
    assert wb("export").returncode == 2
    assert wb("quantize", "a.onnx", "-o", "b.onnx", "--mode", "int2").returncode == 2
    assert wb("frobnicate").returncode == 2


def test_plugins_command_lists_targets():
    data = _json(wb("plugins", "--json"))
    assert {"onnx", "torchscript", "safetensors"} <= set(data["targets"])
    assert data["broken"] == []


# -- exit codes that mean something: a failed validation, run step or pre-flight exits 1 and the JSON says why --

def test_run_with_a_failing_validate_step_exits_1_and_still_writes_the_report(tiny_models, tmp_path):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(f'name = "strict"\noutput_dir = "out"\n[source]\npath = "{tiny_models("bert")}"\n'
                      f'[export]\nopset = 18\n[validate]\nrtol = 1e-12\natol = 0.0\n')
    proc = wb("run", recipe, "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False and "validate" in data["reason"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    step = next(s for s in report["steps"] if s["name"] == "validate")
    assert step["ok"] is False and step["result"]["passed"] is False
    assert report["failed"] and (tmp_path / "out" / "report.html").exists()
    assert "workbench run:" in proc.stderr and "validate" in proc.stderr


def _mismatched_folder(tiny_models, tmp_path):
    import shutil

    folder = tmp_path / "mismatch"
    shutil.copytree(tiny_models("bert"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["hidden_size"] = 64  # the weights are 32 wide
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_inspect_exits_1_when_config_does_not_fit_the_weights(tiny_models, tmp_path):
    proc = wb("inspect", _mismatched_folder(tiny_models, tmp_path), "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert "embeddings.word_embeddings.weight" in data["reason"] and "[128, 32]" in data["reason"]
    assert "[128, 64]" in data["reason"]
    assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("workbench inspect:")]) == 1


def test_inspect_of_a_good_folder_exits_0_with_ok(tiny_models):
    data = _json(wb("inspect", tiny_models("llama"), "--json"))
    assert data["ok"] is True and data["reason"] is None and data["problems"] == []
    assert data["default_dynamic_axes"]["attention_mask"] == {"0": "batch", "1": "sequence"}
