"""Benchmarks: ORT and PyTorch eager samples, summaries, time budget, cancel, CUDA fallback, isolation, tables.

Behaviour only: no test depends on how fast this machine is.
"""

import dataclasses
import os
import signal

import numpy as np
import pytest

from workbench import api
from workbench.core.bench import memory
from workbench.core.bench.inputs import describe_inputs, onnx_example_inputs
from workbench.core.bench.isolated import _exit_reason, compare_table, format_table, run_child, run_isolated
from workbench.core.bench.latency import iter_samples, run_bench, summarize, torch_samples
from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.jobs import CancelToken
from workbench.core.ort import cuda_available
from workbench.core.results import BenchResult, BenchSample
from workbench.core.specs import BenchSpec, ModelSource

FAST = dict(batch=2, sequence=16, iterations=5, warmup=1, threads=1)


@pytest.fixture(scope="module")
def bert_onnx(exported):
    return exported("bert").path


@pytest.fixture(scope="module")
def llama_onnx(exported):
    return exported("llama").path


def _ordered(result: BenchResult) -> None:
    lat = result.latency_ms
    assert set(lat) == {"p50", "p95", "p99", "mean", "min", "max"}
    assert 0 < lat["min"] <= lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"]
    assert result.throughput_per_s == pytest.approx(result.batch * 1000.0 / lat["mean"])
    assert len(result.samples) == result.iterations


# --------------------------------------------------------------------------------------------------- samples

@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_samples_count_and_fields(exported, kind):
    spec = BenchSpec(model=exported(kind).path, **FAST)
    samples = list(api.bench_samples(spec))
    assert len(samples) == spec.iterations
    assert [s.iteration for s in samples] == list(range(spec.iterations))
    assert all(isinstance(s, BenchSample) and s.latency_ms > 0 and s.rss_mb > 0 for s in samples)
    assert all(s.gpu_mb is None for s in samples)  # CPU run: no GPU reading
    elapsed = [s.elapsed_s for s in samples]
    assert elapsed == sorted(elapsed) and elapsed[0] > 0


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_run_bench_summary(exported, kind):
    progress = []
    result = api.bench(exported(kind).path, progress=lambda f, m: progress.append(f), **FAST)
    assert result.iterations == 5 and result.batch == 2 and result.sequence == 16
    assert result.provider == "cpu"
    _ordered(result)
    assert result.peak_rss_mb >= max(0.0, 1.0)
    assert result.gpu_peak_mb is None
    assert progress and progress[-1] == 1.0 and progress == sorted(progress)
    assert result.to_dict()["latency_ms"]["p50"] == result.latency_ms["p50"]


def test_io_binding_on_cpu(bert_onnx):
    sampler = iter_samples(BenchSpec(model=bert_onnx, io_binding=True, **FAST))
    samples = list(sampler)
    assert len(samples) == 5 and sampler.io_binding and sampler.provider == "cpu"


def test_example_inputs_from_onnx_metadata(bert_onnx, tiny_models):
    import json

    vocab = json.loads((tiny_models("bert") / "config.json").read_text())["vocab_size"]
    descs = {d.name: d for d in describe_inputs(bert_onnx)}
    assert descs["input_ids"].high == vocab  # from the word-embedding Gather
    inputs = onnx_example_inputs(bert_onnx, batch=3, sequence=7)
    assert inputs["input_ids"].shape == (3, 7) and inputs["input_ids"].dtype == np.int64
    assert 0 <= inputs["input_ids"].min() and inputs["input_ids"].max() < vocab
    assert (inputs["attention_mask"] == 1).all()
    if "token_type_ids" in inputs:
        assert inputs["token_type_ids"].max() < 2
    again = onnx_example_inputs(bert_onnx, batch=3, sequence=7)
    assert all(np.array_equal(inputs[k], again[k]) for k in inputs)  # deterministic


# ------------------------------------------------------------------------------------ budget, cancel, errors

def test_time_budget_stops_early(bert_onnx):
    spec = BenchSpec(model=bert_onnx, batch=1, sequence=8, iterations=100_000, warmup=0, threads=1,
                     time_budget_s=0.05)
    result = run_bench(spec)
    assert 1 <= result.iterations < spec.iterations
    assert any("time budget" in n for n in result.notes)
    _ordered(result)


def test_cancel_stops_the_generator(bert_onnx):
    token = CancelToken()
    sampler = api.bench_samples(BenchSpec(model=bert_onnx, batch=1, sequence=8, iterations=1000, warmup=0),
                                cancel=token)
    got = []
    for sample in sampler:
        got.append(sample)
        if len(got) == 3:
            token.cancel()
    assert len(got) == 3 and sampler.cancelled  # stopped cleanly, no exception


def test_cancelled_run_bench_raises(bert_onnx):
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        run_bench(BenchSpec(model=bert_onnx, **FAST), cancel=token)


def test_bad_model_paths(tmp_path):
    with pytest.raises(WorkbenchError, match="no such"):
        api.bench_samples(str(tmp_path / "missing.onnx"))
    with pytest.raises(WorkbenchError, match="no such"):
        api.bench(str(tmp_path / "missing-folder"))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx file")
    with pytest.raises(WorkbenchError, match="cannot load|not a valid ONNX file"):
        api.bench(str(broken), **FAST)
    with pytest.raises(WorkbenchError, match="cannot load|not a valid ONNX file"):  # the child's error comes back as WorkbenchError
        run_isolated(BenchSpec(model=str(broken), **FAST))


@pytest.mark.parametrize("change", [dict(iterations=0), dict(warmup=-1), dict(batch=0), dict(threads=0),
                                    dict(time_budget_s=0), dict(provider="tpu")])
def test_bad_spec_values(bert_onnx, change):
    with pytest.raises(WorkbenchError):
        api.bench(BenchSpec(model=bert_onnx, **{**FAST, **change}))


# ------------------------------------------------------------------------------------------------- CUDA asked

@pytest.mark.skipif(cuda_available(), reason="this machine has CUDA")
def test_cuda_request_falls_back_to_cpu_with_a_note(bert_onnx):
    spec = BenchSpec(model=bert_onnx, provider="cuda", cuda_graph=True, **FAST)
    sampler = api.bench_samples(spec)
    assert sampler.notes and "CUDA" in sampler.notes[0]  # known before the first run
    assert len(list(sampler)) == 5
    result = api.bench(spec)
    assert result.provider == "cpu" and result.iterations == 5
    assert "CUDA is not available" in result.notes[0]
    assert any("CUDA graphs" in n for n in result.notes)
    assert result.gpu_peak_mb is None


# ------------------------------------------------------------------------------------------------ PyTorch eager

def test_compare_torch_same_inputs(bert_onnx, tiny_models):
    source = ModelSource(path=str(tiny_models("bert")))
    result = api.bench(BenchSpec(model=bert_onnx, compare_torch=source, **FAST))
    assert len(result.torch) == 1
    row = result.torch[0]
    assert row.name == "PyTorch eager" and row.provider == "cpu" and row.iterations == 5
    _ordered(result)
    _ordered(row)
    assert any("one process" in n for n in row.notes)


def test_torch_samples_use_the_given_values(tiny_models):
    source = ModelSource(path=str(tiny_models("llama")))
    spec = BenchSpec(model=str(source.path), **FAST)
    given = {"input_ids": np.arange(32, dtype=np.int64).reshape(2, 16) % 50,
             "attention_mask": np.ones((2, 16), dtype=np.int64)}
    sampler = torch_samples(source, spec, inputs=given)
    assert len(list(sampler)) == 5
    assert set(sampler.inputs_used) == set(given)
    assert all(np.array_equal(sampler.inputs_used[k], given[k]) for k in given)


def test_torch_source_as_model(tiny_models):
    result = api.bench(str(tiny_models("llama")), **FAST)
    assert result.name == "PyTorch eager" and result.iterations == 5
    _ordered(result)


# ----------------------------------------------------------------------------------------- isolated processes

def test_isolated_run_returns_a_result(llama_onnx):
    result = run_isolated(BenchSpec(model=llama_onnx, **FAST), name="ORT llama")
    assert isinstance(result, BenchResult) and result.name == "ORT llama" and result.iterations == 5
    _ordered(result)
    assert result.peak_rss_mb > 0
    assert any("whole benchmark process" in n for n in result.notes)


def test_ort_runs_never_import_torch(bert_onnx):
    """An ORT benchmark process must not carry torch: its peak RSS is compared with PyTorch's."""
    import subprocess
    import sys

    code = ("import sys\nfrom workbench.core.bench.latency import iter_samples\n"
            "from workbench.core.specs import BenchSpec\n"
            f"n = len(list(iter_samples(BenchSpec(model={bert_onnx!r}, batch=1, sequence=8, iterations=2, "
            "warmup=0))))\nprint(n, 'torch' in sys.modules, 'transformers' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["2", "False", "False"]


def test_compare_table_and_format(tmp_path, exported, tiny_models):
    source = ModelSource(path=str(tiny_models("llama")))
    spec = BenchSpec(model=exported("llama").path, **FAST)
    progress = []
    results = compare_table({"ORT fp32": exported("llama").path}, source, spec,
                            progress=lambda f, m: progress.append(f))
    assert [r.name for r in results] == ["PyTorch eager", "ORT fp32"]
    assert all(r.iterations == 5 and r.peak_rss_mb > 0 for r in results)
    assert progress[-1] == 1.0
    text = format_table(results)
    lines = text.splitlines()
    assert len(lines) == 2 + len(results)
    for word in ("name", "provider", "p50 ms", "p95 ms", "mean ms", "throughput/s", "peak RSS MB", "GPU MB"):
        assert word in lines[0]
    for r in results:
        assert any(line.startswith(r.name) for line in lines[2:])


def test_format_table_lists_nested_torch_rows():
    def fake(name, mean, gpu=None):
        return BenchResult(name=name, provider="cpu", latency_ms={"p50": mean, "p95": mean, "p99": mean,
                                                                  "mean": mean, "min": mean, "max": mean},
                           throughput_per_s=1000 / mean, peak_rss_mb=123.4, gpu_peak_mb=gpu)

    outer = fake("ORT int8", 2.0, gpu=55.5)
    outer.torch.append(fake("PyTorch eager", 4.0))
    text = format_table([outer, fake("ORT fp16", 3.0)])
    for name in ("ORT int8", "PyTorch eager", "ORT fp16", "55.5", "123.4"):
        assert name in text
    assert text.splitlines()[-1].rstrip().endswith("-")  # no GPU reading


def _segfault(payload, progress=None, cancel=None):  # a job run in the spawned child
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_dying_child_is_a_workbench_error(bert_onnx):
    payload = {"spec": BenchSpec(model=bert_onnx, **FAST), "name": "crashy"}
    with pytest.raises(WorkbenchError, match="SIGSEGV"):
        run_child(payload, target=_segfault)
    assert "SIGKILL" in _exit_reason(-9) and "code 3" in _exit_reason(3)


# ------------------------------------------------------------------------------------------ summary and memory

def test_summarize_numbers():
    samples = [BenchSample(iteration=i, latency_ms=float(v), rss_mb=100.0 + i) for i, v in enumerate(range(1, 101))]
    result = summarize("x", "cpu", samples, batch=4, seq=8, notes=["n"], peak_rss_mb=500.0)
    assert result.latency_ms["p50"] == pytest.approx(50.5)
    assert result.latency_ms["min"] == 1 and result.latency_ms["max"] == 100
    assert result.throughput_per_s == pytest.approx(4 * 1000 / 50.5)
    assert result.peak_rss_mb == 500.0 and result.notes == ["n"] and result.samples[0] == 1.0
    assert summarize("x", "cpu", samples[:3], 1, 8).peak_rss_mb == 102.0
    with pytest.raises(WorkbenchError):
        summarize("x", "cpu", [], 1, 8)


def test_memory_readings():
    assert memory.rss_mb() > 0
    assert memory.peak_rss_mb() >= memory.rss_mb() * 0.5
    with memory.PeakTracker(interval_s=0.005) as tracker:
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MiB, touched
        tracker.sample()
        del block
    assert tracker.peak_mb >= 60


def test_gpu_readings_are_none_without_nvml(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails as on a machine without nvidia-ml-py
    monkeypatch.setattr(memory, "_nvml_state", {})
    assert memory.gpu_used_mb() is None
    assert memory.gpu_process_mb() is None and memory.gpu_device_used_mb() is None
    assert memory.gpu_info() is None and memory.gpu_memory_source() is None
    assert not memory.nvml_available()


def test_spec_replace_keeps_working(bert_onnx):
    spec = dataclasses.replace(BenchSpec(model=bert_onnx, **FAST), iterations=2)
    assert len(list(iter_samples(spec))) == 2
