"""Batch N of a .gguf, the same everywhere: llama.cpp holds one sequence, so a batch's rows run one after another
(each from an empty cache) and every entry point says so with per-sequence numbers: `workbench bench X.gguf
--batch N` (and api.bench, the GUI's and the sweep's cells, which share its sampler), and `bench --generate`, whose
batch-N row is N sequences one after another (ttft and decode per sequence, tokens/s the batch's, agreement row by
row with PyTorch's batch N). The recipe's table is tests/targets/test_gguf_recipe.py's, the sweep's
tests/sweep/test_sweep_targets.py's."""

import json

import numpy as np
import pytest

from workbench.core.registry import default_registry
from workbench.core.runtimes.base import RuntimeOptions

from gguf_fixtures import tiny_gguf

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llama]')",
                    exc_type=ImportError)


@pytest.fixture(scope="module")
def llama_f32(tiny_models, tmp_path_factory):
    return tiny_gguf(tiny_models, "llama", tmp_path_factory.mktemp("batch"), "f32")


def test_a_batch_is_its_rows_one_after_another(llama_f32):
    _, path = llama_f32
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 128, size=(3, 10)).astype(np.int64)
    session = default_registry().runtime("llama.cpp").open(path, RuntimeOptions(threads=1,
                                                                                extra={"kv_cache": "f32"}))
    try:
        assert session.inputs()[0].shape == ["batch", "sequence"]
        batched = session.run({"input_ids": ids})["logits"]
        alone = [session.run({"input_ids": ids[i:i + 1]})["logits"][0] for i in range(3)]
    finally:
        session.close()
    assert batched.shape == (3, 10, alone[0].shape[-1])
    for i in range(3):  # each row from an empty cache: the same numbers as the row on its own
        np.testing.assert_array_equal(batched[i], alone[i])


def test_cli_bench_at_batch_3_says_how_it_ran(llama_f32, capsys):
    from workbench.cli import main

    _, path = llama_f32
    # --runtime: the latency benchmark of forward passes (a decoder .gguf alone benches its generation)
    assert main(["bench", str(path), "--runtime", "llama.cpp", "--batch", "3", "--seq", "8", "--iterations", "3",
                 "--warmup", "0", "--threads", "1", "--kv-cache", "f32", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["batch"] == 3 and out["latency_ms"]["p50"] > 0
    assert out["throughput_per_s"] == pytest.approx(3000.0 / out["latency_ms"]["mean"])
    how = next(n for n in out["notes"] if n.startswith("batch 3 run as 3 sequences one after another"))
    assert f"per sequence p50 {out['latency_ms']['p50'] / 3:.3f} ms" in how
    assert "llama.cpp KV cache: f32" in out["notes"]
    assert not any("not 3" in n for n in out["notes"])  # the old "inputs have a batch of 1" note is gone


def test_bench_at_batch_1_has_no_sequence_note(llama_f32):
    from workbench import api
    from workbench.core.specs import BenchSpec

    _, path = llama_f32
    result = api.bench(BenchSpec(model=str(path), batch=1, sequence=8, iterations=2, warmup=0, threads=1))
    assert result.batch == 1 and not any("sequences" in n for n in result.notes)
    assert "llama.cpp KV cache: f16" in result.notes  # llama.cpp's default, named


def test_bench_generate_runs_batch_2_as_2_sequences(llama_f32):
    from workbench import api

    folder, path = llama_f32
    result = api.bench_generate([str(path)], str(folder), prompt_tokens=8, max_new_tokens=4, batch=2, threads=1,
                                repeats=1, isolated=False, kv_cache="f32")
    rows = {(r.name, r.batch): r for r in result.rows}
    gguf = next(name for name, _ in rows if name.startswith("llama.cpp"))
    assert set(rows) == {("PyTorch eager", 1), ("PyTorch eager", 2), (gguf, 1), (gguf, 2)}
    two = rows[(gguf, 2)]
    assert two.new_tokens == 4 and two.tokens_per_s > 0 and two.ttft_ms > 0
    assert two.notes == ["batch 2 run as 2 sequences one after another: ttft and decode ms per sequence, tokens/s "
                         "the batch's"]
    assert rows[(gguf, 1)].notes == [] and rows[("PyTorch eager", 2)].notes == []
    # an f32 file with an f32 cache: greedy tokens of both rows are PyTorch's batch-2 rows'
    assert two.agreement["rate"] == 1.0 and two.agreement["first_divergence"] is None
    assert any("batch 2 run as 2 sequences one after another" in n and "per sequence" in n for n in result.notes)
    assert not any("no batch-2 row" in n for n in result.notes)
