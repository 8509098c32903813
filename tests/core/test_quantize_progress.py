"""Quantization reports each node as ORT's quantizer finishes it (workbench/core/quantize/node_progress.py): every
mode's events count 1..N of the right things and reach N/N and 100 %, on a tiny generated model of 6 MatMuls; the
CLI shows the count (and is silent with --quiet); the GUI's child-process job gets the same messages."""

import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.core.quantize import node_progress
from workbench.core.quantize.runner import quantize_model
from workbench.core.specs import QuantSpec

LAYERS = 6
WIDTH = 64  # x is [batch, 4, WIDTH]: 3-D, so ORT's pre-processing keeps MatMul + Add (2-D would become Gemm)
COUNT = re.compile(r"quantizing \((?P<mode>[\w-]+)\) (?P<done>\d+)/(?P<total>\d+) (?P<unit>[a-zA-Z ]+)$")


def _model():
    rng = np.random.default_rng(3)
    nodes, inits, prev = [], [], "x"
    for i in range(LAYERS):
        inits += [numpy_helper.from_array(rng.standard_normal((WIDTH, WIDTH)).astype(np.float32) / 8, f"W{i}"),
                  numpy_helper.from_array(rng.standard_normal(WIDTH).astype(np.float32) / 8, f"B{i}")]
        nodes += [helper.make_node("MatMul", [prev, f"W{i}"], [f"m{i}"], name=f"matmul{i}"),
                  helper.make_node("Add", [f"m{i}", f"B{i}"], [f"a{i}"], name=f"add{i}"),
                  helper.make_node("Relu", [f"a{i}"], [f"h{i}" if i < LAYERS - 1 else "y"], name=f"relu{i}")]
        prev = f"h{i}"
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 4, WIDTH])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 4, WIDTH])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("quant_progress")
    onnx.save(_model(), str(root / "chain.onnx"))
    calib = root / "calib"
    calib.mkdir()
    rng = np.random.default_rng(5)
    for i in range(5):
        np.savez(calib / f"s{i}.npz", x=rng.standard_normal((2, 4, WIDTH)).astype(np.float32))
    return root


def _run(chain, tmp_path, mode, **extra):
    events = []
    result = quantize_model(QuantSpec(model=str(chain / "chain.onnx"), output=str(tmp_path / f"{mode}.onnx"),
                                      mode=mode, **extra), progress=lambda f, m: events.append((f, m)))
    return result, events


def _counts(events, unit):
    return [(int(m["done"]), int(m["total"]), f) for f, m in ((f, COUNT.search(msg)) for f, msg in events)
            if m and m["unit"] == unit]


EXPECTED = [("int8-dynamic", {}, "nodes", 3 * LAYERS),  # every node of the graph passes its op quantizer
            ("int8-dynamic", {"min_cosine": 0}, "nodes", 3 * LAYERS),  # no fidelity target: the plain quantizer
            ("int4", {}, "nodes", LAYERS),  # the MatMuls
            ("int4", {"algorithm": "hqq"}, "nodes", LAYERS),
            ("int8-weight", {}, "nodes", LAYERS),
            ("fp16", {}, "initializers", 2 * LAYERS)]


IDS = [f"{m}-{e.get('algorithm', '')}{'-plain' if 'min_cosine' in e else ''}" for m, e, *_ in EXPECTED]


@pytest.mark.parametrize("mode,extra,unit,total", EXPECTED, ids=IDS)
def test_every_node_is_reported_and_the_count_reaches_its_total(chain, tmp_path, mode, extra, unit, total):
    result, events = _run(chain, tmp_path, mode, **extra)
    counts = _counts(events, unit)
    assert [(d, t) for d, t, _ in counts] == [(i, total) for i in range(1, total + 1)], events
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # never backwards, ends at 100 %
    assert 0 < counts[0][2] < counts[-1][2] < 1  # inside the quantizing stage, not its end
    assert result.passed


def test_static_reports_calibration_batches_then_nodes(chain, tmp_path):
    _, events = _run(chain, tmp_path, "int8-static", calibration=str(chain / "calib"))
    batches, nodes = _counts(events, "calibration batches"), _counts(events, "nodes")
    assert [(d, t) for d, t, _ in batches] == [(i, 5) for i in range(1, 6)]
    assert [(d, t) for d, t, _ in nodes] == [(i, LAYERS) for i in range(1, LAYERS + 1)]  # MatMul only
    assert batches[-1][2] < nodes[0][2]
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_gptq_reports_its_matmul_groups(chain, tmp_path, capfd):
    _, events = _run(chain, tmp_path, "int4", algorithm="gptq", block_size=32, calibration=str(chain / "calib"))
    groups = _counts(events, "MatMul groups")
    assert [(d, t) for d, t, _ in groups] == [(i, LAYERS) for i in range(1, LAYERS + 1)]  # one input per MatMul
    assert "Progress:" not in capfd.readouterr().out  # the port's own stdout bar is replaced


def test_the_hooks_are_taken_off_after_the_run_and_after_a_failure(chain, tmp_path):
    import onnxruntime.quantization.neural_compressor.weight_only as weight_only
    import onnxruntime.quantization.onnx_quantizer as onnx_quantizer
    import onnxruntime.quantization.qdq_quantizer as qdq_quantizer
    import onnxruntime.transformers.float16 as float16

    before = (onnx_quantizer.CreateOpQuantizer, qdq_quantizer.CreateQDQQuantizer, weight_only.simple_progress_bar,
              float16.convert_tensor_float_to_float16)
    _run(chain, tmp_path, "int8-dynamic")
    with pytest.raises(RuntimeError, match="boom"):
        with node_progress.tracked("fp16", "", lambda *a: None, fp16_names={"W0"}):
            raise RuntimeError("boom")
    after = (onnx_quantizer.CreateOpQuantizer, qdq_quantizer.CreateQDQQuantizer, weight_only.simple_progress_bar,
             float16.convert_tensor_float_to_float16)
    assert before == after


def test_many_nodes_report_about_every_step_limit_and_always_the_last():
    seen = []
    counter = node_progress.Counter(lambda d, t, u: seen.append((d, t)), "nodes", 1000)
    for _ in range(1000):
        counter.step()
    assert len(seen) == node_progress.EVERY_STEP and seen[-1] == (1000, 1000) and seen[0] == (5, 1000)
    more = node_progress.Counter(lambda d, t, u: seen.append((d, t)), "nodes", 2)  # a count that outgrows its total
    for _ in range(3):
        more.step()
    assert seen[-3:] == [(1, 2), (2, 2), (3, 3)]


def test_cli_prints_the_node_count_and_quiet_prints_nothing(chain, tmp_path):
    cmd = [sys.executable, "-m", "workbench", "quantize", str(chain / "chain.onnx"), "--mode", "int4"]
    shown = subprocess.run(cmd + ["-o", str(tmp_path / "a.onnx")], capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert re.search(rf"quantizing \(int4\) {LAYERS}/{LAYERS} nodes", shown.stderr), shown.stderr
    quiet = subprocess.run(cmd + ["-o", str(tmp_path / "b.onnx"), "--quiet"], capture_output=True, text=True,
                           timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr  # ORT's per-node INFO log lines included
    assert "[INFO]" not in shown.stderr and "start to quantize" not in shown.stderr


def test_the_terminal_bar_shows_the_count_its_rate_and_the_time_left(chain, tmp_path, monkeypatch):
    import io
    import types

    from workbench import cli_progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    _, events = _run(chain, tmp_path, "int4")
    clock = [0.0]
    monkeypatch.setattr(cli_progress, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    bar = cli_progress.printer(stream=Tty())
    try:
        for fraction, message in events:
            clock[0] += 1.0  # a second per report, so rate and time left are known numbers
            bar(fraction, message)
            if message.endswith(f"{LAYERS}/{LAYERS} nodes"):
                task = bar.bar.tasks[0]
                break
        assert task.description == f"quantizing (int4) {LAYERS}/{LAYERS} nodes"
        assert task.completed / task.total == 0.5  # the quantizing stage (the 2nd of 4) is done
        # 8 reports, a second each: half the work in 8 s leaves 8 s; the 6 node reports came one a second
        assert task.fields["rate"] == "1.0/s" and task.fields["eta"] == "0:08 left"
    finally:
        cli_progress.close()


def test_the_gui_job_gets_the_same_counts(chain, tmp_path):
    """The GUI runs quantize in a child process (core/jobs/child.py); its progress messages carry the counts."""
    from workbench.core.jobs.child import run
    from workbench.gui.tasks import run_quantize  # Qt-free: what the Quantize panel's job runs

    events = []
    spec = QuantSpec(model=str(chain / "chain.onnx"), output=str(tmp_path / "gui.onnx"), mode="int4")
    run(run_quantize, spec, progress=lambda f, m: events.append((f, m)), timeout_s=300)
    counts = _counts(events, "nodes")
    assert [(d, t) for d, t, _ in counts] == [(i, LAYERS) for i in range(1, LAYERS + 1)]
    assert events[-1][0] == 1.0
