"""workbench/cli_progress.py: rich bar on a terminal (steps kept above it with their times, rate and ETA), plain
lines off one, nothing with --quiet, nothing with --json off a terminal; stdout never gets progress."""

import io
import json
import subprocess
import sys
import time

import pytest

from workbench import cli_progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_quiet_and_json_off_a_terminal_print_nothing():
    for kwargs in ({"quiet": True}, {"json_mode": True}, {"quiet": True, "json_mode": True}):
        stream = io.StringIO()
        progress = cli_progress.printer(stream=stream, **kwargs)
        progress(0.5, "export: tracing")
        progress(1.0, "done")
        assert stream.getvalue() == ""
    stream = Tty()
    cli_progress.printer(quiet=True, stream=stream)(0.5, "export: tracing")
    cli_progress.close()
    assert stream.getvalue() == ""


def test_plain_lines_one_per_step_with_rate_and_eta(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    progress = cli_progress.printer(stream=stream)
    progress(0.0, "loading the model")
    clock[0] += 3
    progress(0.25, "model.onnx: run 1/100")
    for i in range(2, 40):  # within a step: at most one line every two seconds
        clock[0] += 0.1
        progress(0.25 + i / 400, f"model.onnx: run {i}/100")
    clock[0] += 0.1
    progress(1.0, "done")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[  0.0%] loading the model (0:00")
    assert lines[1].startswith("[ 25.0%] model.onnx: run 1/100 (0:03") and "left" in lines[1]
    assert len(lines) <= 5, lines
    assert any("/s" in line for line in lines[2:]), lines  # runs per second once the step has counted some
    assert lines[-1].startswith("[100.0%] done")


def test_rich_bar_keeps_finished_steps_and_ends_before_the_result():
    stream = Tty()
    progress = cli_progress.printer(stream=stream)
    progress(0.0, "loading the model")
    time.sleep(0.05)
    progress(0.5, "exporting")
    time.sleep(0.05)
    progress(0.9, "sensitivity 3/40: /layer.0/MatMul")
    cli_progress.close()
    text = stream.getvalue()
    assert "done  loading the model (" in text and "done  exporting (" in text
    assert cli_progress._active == []
    progress(1.0, "after close")  # a late report starts no second live display that is never stopped
    cli_progress.close()


def test_stage_of_drops_counters_and_details():
    assert cli_progress.stage_of("model.onnx: run 12/100") == "model.onnx: run"
    assert cli_progress.stage_of("sensitivity 3/40: /x/MatMul") == "sensitivity"
    assert cli_progress.stage_of("exporting") == "exporting"


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder = tmp_path_factory.mktemp("tiny-onnx")
    paths = []
    for name, size in (("small.onnx", 8), ("large.onnx", 64)):
        w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((size, size)).astype("float32"), "w")
        graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", size])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", size])], [w])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.save(model, str(folder / name))
        paths.append(folder / name)
    return paths


def wb(*args):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_cli_json_stays_machine_readable_and_quiet_is_silent(tiny_onnx):
    small = tiny_onnx[0]
    proc = wb("bench", small, "--iterations", "30", "--warmup", "1")
    assert proc.returncode == 0, proc.stderr
    assert "[100.0%]" in proc.stderr and "p50" not in proc.stderr  # progress on stderr, the table on stdout
    assert "[" not in proc.stdout.split("\n")[0] or "%]" not in proc.stdout
    proc = wb("bench", small, "--iterations", "5", "--warmup", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["latency_ms"]["p50"] > 0 and proc.stderr.strip() == ""
    proc = wb("bench", small, "--iterations", "5", "--warmup", "1", "--quiet")
    assert proc.returncode == 0 and proc.stderr.strip() == "" and "p50" in proc.stdout
