"""`workbench bench A B ...`: one comparison table, each variant in a process of its own; `bench M
--compare-torch SRC`: the single-model result with PyTorch measured in another process (its own peak RSS)."""

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.cli_bench import ISOLATED_NOTE, labels


def wb(*args):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    paths = []
    rng = np.random.default_rng(0)
    for name, hidden in (("small.onnx", 8), ("large.onnx", 1024)):  # same input, 128x more arithmetic
        w1 = numpy_helper.from_array(rng.standard_normal((64, hidden)).astype("float32"), "w1")
        w2 = numpy_helper.from_array(rng.standard_normal((hidden, 64)).astype("float32"), "w2")
        nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("MatMul", ["h", "w2"], ["y"])]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 64])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 64])], [w1, w2])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        (folder / name.split(".")[0]).mkdir()
        path = folder / name.split(".")[0] / "model.onnx"  # two files of one name: the table tells them apart
        onnx.save(model, str(path))
        paths.append(path)
    return paths


def test_several_models_one_table(two_models):
    proc = wb("bench", *two_models, "--iterations", "20", "--warmup", "2", "--batch", "64", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["isolated"] is True and data["baseline"] == "small/model.onnx"
    rows = data["rows"]
    assert [r["name"] for r in rows] == ["small/model.onnx", "large/model.onnx"]
    assert rows[0]["speedup_vs_baseline"] == pytest.approx(1.0)
    assert rows[1]["speedup_vs_baseline"] < 1.0  # 256x256 twice at batch 64 is slower than 8x8
    assert all(r["peak_rss_mb"] > 0 for r in rows)
    text = wb("bench", *two_models, "--iterations", "5", "--warmup", "1", "--quiet")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "vs small/model.onnx" in lines[0] and lines[2].rstrip().endswith("1.00x, 1.00x mem")
    assert ISOLATED_NOTE in text.stdout


def test_a_missing_model_is_one_line(two_models, tmp_path):
    proc = wb("bench", two_models[0], tmp_path / "nope.onnx", "--iterations", "2")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.onnx" in lines[0] and "Traceback" not in proc.stderr


def test_compare_torch_measures_each_runtime_in_its_own_process(exported, tiny_models):
    model = exported("bert").path
    proc = wb("bench", model, "--compare-torch", tiny_models("bert"), "--seq", "16", "--iterations", "10",
              "--warmup", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert ISOLATED_NOTE in data["notes"] and not any("one process" in n for n in data["notes"])
    torch_row = data["torch"][0]
    assert torch_row["latency_ms"]["p50"] > 0
    # ONNX Runtime's child never imports torch: its whole-process peak is well below PyTorch's
    assert data["peak_rss_mb"] < 0.8 * torch_row["peak_rss_mb"], (data["peak_rss_mb"], torch_row["peak_rss_mb"])


def test_labels_are_unique():
    assert labels(["a/m.onnx", "b/m.onnx", "c/x.onnx"]) == ["a/m.onnx", "b/m.onnx", "x.onnx"]
    assert labels(["a/m.onnx", "a/m.onnx"]) == ["a/m.onnx #1", "a/m.onnx #2"]
