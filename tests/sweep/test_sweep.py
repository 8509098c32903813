"""`workbench sweep` (issue 16): a tiny BERT x {fp32, int8, a broken int4} x batch {1, 2}, locally, restarted
(everything reused), and through ray:local on the same artifact cache; the failed variant is failed rows with
its one-line reason and the sweep goes on; the report has the curves, the Pareto front and the recommendation."""

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.sweep import load_sweep, parse_sweep, run_sweep
from workbench.core.sweep.spec import Cell

SWEEP = """name = "tiny"
[[model]]
name = "bert"
path = "{path}"
[model.export]
batch = 2
sequence = 8
[[variant]]
name = "fp32"
[[variant]]
name = "int8"
quantize = {{ mode = "int8-dynamic", min_cosine = 0.0 }}
[[variant]]
name = "broken"
quantize = {{ mode = "int4", block_size = 7 }}
[axes]
batch = [1, 2]
sequence = [8]
threads = [1]
[bench]
iterations = 5
warmup = 1
"""


@pytest.fixture(scope="module")
def sweep_file(tiny_models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "tiny.toml"
    path.write_text(SWEEP.format(path=tiny_models("bert")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_run(sweep_file):
    out = sweep_file.parent / "out"
    code = main(["sweep", str(sweep_file), "-o", str(out), "--json"])
    return code, out


def _report(out: Path) -> dict:
    return json.loads((out / "sweep.json").read_text("utf-8"))


def test_local_sweep_times_every_cell_and_fails_the_broken_variant_alone(local_run):
    code, out = local_run
    assert code == 1  # a failed cell fails the command; the report is still written
    report = _report(out)
    rows = report["rows"]
    assert len(rows) == 6
    ok = [r for r in rows if r["ok"]]
    assert sorted((r["variant"], r["batch"]) for r in ok) == [("fp32", 1), ("fp32", 2), ("int8", 1), ("int8", 2)]
    for r in ok:
        assert r["p50_ms"] > 0 and r["p99_ms"] >= r["p95_ms"] >= r["p50_ms"] and r["throughput_per_s"] > 0
        assert r["peak_rss_mb"] > 10 and r["size_mb"] > 0
    fp32 = [r for r in ok if r["variant"] == "fp32"]
    int8 = [r for r in ok if r["variant"] == "int8"]
    assert all(r["cosine"] > 0.99999 for r in fp32)  # fidelity against PyTorch, through validate
    assert all(0.5 < r["cosine"] < fp32[0]["cosine"] for r in int8)
    assert int8[0]["size_mb"] < fp32[0]["size_mb"]
    broken = [r for r in rows if r["variant"] == "broken"]
    assert len(broken) == 2 and all(not r["ok"] for r in broken)
    assert all("block size 7" in r["error"] and "\n" not in r["error"] for r in broken)
    assert len(report["failed"]) == 2
    # two artifacts built (export, int8; the broken one left nothing), each in a folder of its own
    built = [p for p in (out / "artifacts").iterdir() if (p / "artifact.json").is_file()]
    assert len(built) == 2 and not [p for p in (out / "artifacts").iterdir() if p.name.startswith(".")]
    html = (out / "sweep.html").read_text("utf-8")
    assert "Pareto front" in html and "data:image/png;base64," in html and "Recommendation" in html
    assert report["pareto"] and all(k in {r["key"] for r in ok} for k in report["pareto"])


def test_restarted_sweep_reuses_every_artifact_and_finished_cell(local_run, sweep_file):
    _, out = local_run
    before = {p.name: p.stat().st_mtime_ns for p in (out / "artifacts").iterdir()}
    res = run_sweep(load_sweep(str(sweep_file)), out)
    assert res.reused == 4 and res.finished == 4 and len(res.failed) == 2  # the failed cells ran again (and failed)
    text = str(res)  # what `workbench sweep` prints: the table of cells, then the report's paths
    assert text.count("ok (reused)") == 4 and text.count("FAILED: build failed") == 2 and "recommended for bert" in text
    assert {p.name: p.stat().st_mtime_ns for p in (out / "artifacts").iterdir()} == before
    assert _report(out)["build_s"] < 5  # nothing rebuilt: hashing only (a rebuild exports and validates)


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    """One local Ray instance (2 CPUs, the timer resource) for this module's Ray sweeps; the sweeps use it as
    they find it and leave it running."""
    ray = pytest.importorskip("ray", reason="ray is in the test extra; pip install -c constraints.txt -e '.[ray]'")
    import os

    node = tmp_path_factory.mktemp("ray-node-cache")
    os.environ["WORKBENCH_SWEEP_NODE_CACHE"] = str(node)  # before ray.init: its workers inherit it
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, resources={"workbench_timer": 1}, include_dashboard=False,
             log_to_driver=False, configure_logging=False)
    yield node
    ray.shutdown()
    os.environ.pop("WORKBENCH_SWEEP_NODE_CACHE", None)


@pytest.mark.parametrize("artifacts", ["shared", "object-store"])
def test_ray_local_gives_the_same_cells(local_run, sweep_file, tmp_path, ray_local, artifacts):
    _, out = local_run
    small = tmp_path / "small.toml"  # batch 1 of the same sweep: the same cell keys, half the Ray tasks
    small.write_text(sweep_file.read_text("utf-8").replace("batch = [1, 2]", "batch = [1]"), encoding="utf-8")
    res = run_sweep(load_sweep(str(small)), tmp_path / "ray", cluster="ray:local", cache=out / "artifacts",
                    jobs=2, artifacts=artifacts)
    assert res.cluster.startswith("ray:local") and "one timed cell per node" in res.cluster
    ray_rows = {r["key"]: r for r in _report(tmp_path / "ray")["rows"]}
    local_rows = {r["key"]: r for r in _report(out)["rows"] if r["batch"] == 1}
    assert ray_rows.keys() == local_rows.keys()  # the same cells, keyed by the same hashes
    timed = [r for r in ray_rows.values() if r["ok"]]
    assert len(timed) == 2 and all(r["where"].startswith("ray:") and not r.get("reused") for r in timed)
    for key, r in ray_rows.items():
        assert r["ok"] == local_rows[key]["ok"]
        assert r.get("cosine") == local_rows[key].get("cosine")  # the same artifacts
    assert all("block size 7" in r["error"] for r in ray_rows.values() if not r["ok"])
    received = sorted(p.name for p in ray_local.iterdir() if not p.name.startswith("."))
    if artifacts == "object-store":  # the cells ran on the copies the node got through the object store
        assert received == sorted(p.name for p in (out / "artifacts").iterdir())
    import ray

    assert ray.is_initialized()  # the caller's Ray instance is left running


def test_artifact_bytes_round_trip(tmp_path):
    from workbench.core.sweep.ray_transfer import pack, unpack

    src = tmp_path / "a"
    (src / "sub").mkdir(parents=True)
    (src / "artifact.json").write_text("{}")
    (src / "sub" / "model.onnx").write_bytes(b"\x00\x01" * 1000)
    blob = pack(src)
    dst = unpack(blob, tmp_path / "b" / "a")
    assert (dst / "sub" / "model.onnx").read_bytes() == b"\x00\x01" * 1000 and (dst / "artifact.json").is_file()
    with pytest.raises(ValueError, match="bad artifact member"):
        unpack({"../evil": b"x", "artifact.json": b"{}"}, tmp_path / "c" / "a")
    assert not (tmp_path / "c" / "a").exists() and not (tmp_path / "evil").exists()


def test_recommendation_follows_the_budget(local_run):
    from workbench.core.sweep.summary import recommend

    rows = _report(local_run[1])["rows"]
    best = recommend(rows, None, 0.99999)["bert"]["row"]
    assert best["variant"] == "fp32"  # int8 is below that cosine
    none = recommend(rows, 1e-6, None)["bert"]
    assert none["row"] is None and "fastest p50" in none["reason"]


def test_a_cell_that_cannot_run_is_a_failed_row(tmp_path):
    from workbench.core.sweep.cells import time_cell

    cell = Cell("m", "v", 1, 8, 1, "cpu", None, False)
    row = time_cell(cell, str(tmp_path / "missing.onnx"), {"iterations": 2, "warmup": 0})
    assert row["ok"] is False and "missing.onnx" in row["error"] and "\n" not in row["error"]


@pytest.mark.parametrize("text, message", [
    ('[[model]]\nname = "a"\npath = "."\n[axes]\nbatchez = [1]', "unknown key [axes] 'batchez'"),
    ('[[model]]\nname = "a"\npath = "."\n[axes]\nbatch = [0]', "batch holds 0"),
    ('[[model]]\nname = "a"\npath = "."\n[[variant]]\nname = "q"\nquantize = { mode = "int8-dynamic", x = 1 }',
     "unknown key [quantize] 'x'"),
    ('[[model]]\nname = "a"\npath = "."\n[[variant]]\nname = "q"\nquantize = { per_channel = true }', "no mode"),
    ('[[model]]\nname = "a"\npath = "."\n[[model]]\nname = "a"\npath = "."', "two [[model]] entries"),
    ('name = "x"', "no model to sweep"),
    ('[[model]]\nname = "../a"\npath = "."', "name"),
    ('[[model]]\nname = "a"\npath = "."\n[axes]\nprovider = ["tpu"]', "provider"),
])
def test_sweep_file_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(WorkbenchError) as err:
        parse_sweep(text, tmp_path / "s.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_cells_are_the_product_of_the_axes_without_cpu_graph_cells(tmp_path):
    sweep = parse_sweep('[[model]]\nname = "a"\npath = "."\n[[variant]]\nname = "x"\n[[variant]]\nname = "y"\n'
                        '[axes]\nbatch = [1, 8, 32]\nthreads = [1, 2]\nprovider = ["cpu", "cuda"]\n'
                        'cuda_graph = [false, true]\naccelerator = ["H100", "A10G"]', tmp_path / "s.toml")
    cells = sweep.cells()
    # 2 variants x 3 batches x 2 threads x (cpu, (cuda, cuda+graph) x 2 GPU kinds)
    assert len(cells) == 60 and not [c for c in cells if c.cuda_graph and c.provider == "cpu"]
    assert {c.accelerator for c in cells if c.provider == "cpu"} == {None}
    assert {c.accelerator for c in cells if c.provider == "cuda"} == {"H100", "A10G"}


def test_a_gpu_kind_cell_is_a_failed_row_locally(tmp_path):
    from workbench.core.sweep.local import LocalExecutor
    from workbench.core.sweep.runner import Todo

    rows = []
    cell = Cell("m", "v", 1, 8, None, "cuda", None, False, "H100")
    LocalExecutor(1).time([Todo(cell, "k", str(tmp_path / "m.onnx"), {})], {}, lambda *a: rows.append(a), None)
    assert rows[0][1]["ok"] is False and "--cluster ray:auto" in rows[0][1]["error"]


def test_an_output_folder_of_other_files_is_refused(tmp_path, sweep_file):
    (tmp_path / "mine.txt").write_text("mine")
    with pytest.raises(WorkbenchError, match="not a sweep's"):
        run_sweep(load_sweep(str(sweep_file)), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_object_store_artifacts_need_ray(tmp_path, sweep_file):
    with pytest.raises(WorkbenchError, match="--artifacts object-store is for --cluster ray"):
        run_sweep(load_sweep(str(sweep_file)), tmp_path / "o", artifacts="object-store")
    assert not (tmp_path / "o").exists()


def test_unknown_cluster_is_one_line(tmp_path, sweep_file, capsys):
    assert main(["sweep", str(sweep_file), "-o", str(tmp_path / "o"), "--cluster", "slurm"]) == 1
    assert "unknown --cluster slurm" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_cancelled_sweep_raises_and_leaves_no_half_artifact(sweep_file, tmp_path):
    from workbench.core.errors import JobCancelled
    from workbench.core.jobs import CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        run_sweep(load_sweep(str(sweep_file)), tmp_path / "out", cache=tmp_path / "cache", cancel=token)
    assert list((tmp_path / "cache").iterdir()) == []  # no artifact, no staging folder left
    assert list((tmp_path / "out" / "cells").iterdir()) == []


def test_a_base_recipe_gives_the_model_and_its_quantize_entries_as_variants(tmp_path, tiny_models):
    recipe = tmp_path / "base.toml"
    recipe.write_text(f'name = "base"\n[source]\npath = "{tiny_models("bert")}"\n[export]\nsequence = 8\n'
                      '[[quantize]]\nmode = "int8-dynamic"\n[[quantize]]\nmode = "int4"\nname = "q4"\n',
                      encoding="utf-8")
    sweep = parse_sweep('recipe = "base.toml"\n[axes]\nbatch = [1, 4]', tmp_path / "s.toml")
    assert [m.name for m in sweep.models] == ["base"] and sweep.models[0].export == {"sequence": 8}
    assert [v.name for v in sweep.variants] == ["fp32", "int8", "q4"]
    assert sweep.variant("q4").quantize == {"mode": "int4", "name": "q4"}
    assert len(sweep.cells()) == 6


def test_cluster_names(monkeypatch):
    from workbench.core.sweep.ray_cluster import parse_cluster

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert parse_cluster("local") == ("local", None) and parse_cluster("ray") == ("ray", "local")
    assert parse_cluster("ray:auto") == ("ray", "auto") and parse_cluster("ray:10.0.0.1:6379") == ("ray", "10.0.0.1:6379")
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    assert parse_cluster("ray") == ("ray", "auto")


def test_a_cell_ray_local_cannot_place_is_a_failed_row_not_a_hang(ray_local, tmp_path):
    """A CUDA cell on a ray:local instance without a GPU (and a cell asking more threads than its CPUs) would
    stay pending in Ray for ever; each is a failed row saying what to do, and the cells that fit still run."""
    from workbench.core.sweep.ray_cluster import RayExecutor
    from workbench.core.sweep.runner import Todo

    ex = RayExecutor("local")
    if ex.resources.get("GPU"):
        pytest.skip("this machine's Ray instance has a GPU: a CUDA cell can be placed")
    rows = []
    cuda = Cell("m", "v", 1, 8, 1, "cuda", None, False)
    wide = Cell("m", "v", 1, 8, 3, "cpu", None, False)  # the fixture's instance has 2 CPUs
    ex.time([Todo(cuda, "k1", str(tmp_path / "m.onnx"), {}), Todo(wide, "k2", str(tmp_path / "m.onnx"), {})], {},
            lambda *a: rows.append(a), None)
    ex.close()  # not owned: the fixture's instance stays up
    assert [r[0].cell for r in rows] == [cuda, wide]
    assert rows[0][1]["ok"] is False and "no GPU" in rows[0][1]["error"] and "ray start --num-gpus" in rows[0][1]["error"]
    assert rows[1][1]["ok"] is False and "asks 3 CPUs" in rows[1][1]["error"]
    assert rows[0][2] == "ray"
