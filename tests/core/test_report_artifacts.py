"""The report's one table of every artifact (workbench.core.report_artifacts), from report dicts laid out as
report.json: which step gives each variant's fidelity, failed steps and failed benchmarks as words, the sizes of
artifacts made of several files, and rows of a report that has no variants list (the GUI session's)."""

from workbench.core.report import render_html
from workbench.core.report_artifacts import artifacts, size_mb


def _bench(name, p50, rss=50.0):
    return {"name": name, "provider": "cpu", "latency_ms": {"p50": p50, "p95": p50 * 1.2, "p99": p50 * 1.3,
                                                            "mean": p50, "min": p50 * 0.9, "max": p50 * 2},
            "throughput_per_s": 1000 / p50, "peak_rss_mb": rss, "samples": [p50] * 3}


def _report(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"x" * 1000)
    (tmp_path / "model.onnx.data").write_bytes(b"x" * 3000)
    (tmp_path / "model.int8.onnx").write_bytes(b"x" * 1000)
    (tmp_path / "q8.gguf").write_bytes(b"x" * 2000)
    gguf_validation = {"passed": False, "runtime": "llama.cpp", "precision": "int8", "kind": "decoder",
                       "tolerance": {"cosine_min": 0.99, "top1_agreement": 0.85},
                       "prompts": [{"prompt": "a", "cosine_min": 0.995, "top1_agreement": 1.0, "tokens": 3,
                                    "max_abs": 0.1, "passed": True},
                                   {"prompt": "b", "cosine_min": 0.98, "top1_agreement": 0.0, "tokens": 1,
                                    "max_abs": 0.3, "passed": False}]}
    steps = [{"name": "export", "ok": True, "result": {"outputs": [str(tmp_path / "model.onnx")], "exporter": "dynamo",
                                                       "dtype": "fp32"}},
             {"name": "validate", "ok": True, "result": {"passed": True, "shapes_tried": [[1, 8]], "rtol": 1e-4,
                                                         "outputs": [{"name": "logits", "shape": [1, 8, 4],
                                                                      "max_abs_diff": 1e-7, "max_rel_diff": 1e-6,
                                                                      "cosine": 0.9999999, "passed": True}]}},
             {"name": "quantize int8", "ok": True, "result": {"mode": "int8-dynamic", "passed": True,
                                                              "fidelity": {"cosine": 0.995, "max_abs_diff": 0.1},
                                                              "size_bytes": {"before": 4000, "after": 1000}}},
             {"name": "gguf q8", "ok": True, "result": {"outputs": [str(tmp_path / "q8.gguf")], "exporter": "gguf-py (llama)",
                                                        "dtype": "q8_0"}},
             {"name": "validate gguf q8", "ok": False, "error": "differs", "result": gguf_validation},
             {"name": "gguf q4", "ok": False, "error": "llama.cpp could not quantize"},
             {"name": "bench", "ok": True, "result": {"rows": [_bench("PyTorch eager", 4.0), _bench("ORT fp32", 1.0),
                                                               _bench("ORT int8", 0.5)],
                                                      "failed": [{"name": "llama.cpp q8", "error": "one sequence"}]}}]
    return {"name": "t", "source": "src", "steps": steps, "failed": [],
            "variants": {"ORT fp32": str(tmp_path / "model.onnx"), "ORT int8": str(tmp_path / "model.int8.onnx"),
                         "llama.cpp q8": str(tmp_path / "q8.gguf")},
            "runtimes": {"ORT fp32": "onnxruntime", "ORT int8": "onnxruntime", "llama.cpp q8": "llama.cpp"}}


def test_each_variant_takes_the_fidelity_of_the_step_that_measured_it(tmp_path):
    rows = {r["name"]: r for r in artifacts(_report(tmp_path))}
    assert list(rows) == ["PyTorch eager", "ORT fp32", "ORT int8", "llama.cpp q8"]
    assert rows["ORT fp32"]["fidelity"]["cosine"] == 0.9999999 and rows["ORT fp32"]["fidelity"]["passed"] is True
    assert rows["ORT int8"]["fidelity"]["against"] == "the fp32 export" and rows["ORT int8"]["fidelity"]["cosine"] == 0.995
    q8 = rows["llama.cpp q8"]["fidelity"]
    assert (q8["cosine"], q8["passed"], q8["against"]) == (0.98, False, "PyTorch")
    assert q8["top1"] == 0.75  # token-weighted: 3 of 4 tokens agree
    assert rows["ORT int8"]["p50_ms"] == 0.5 and rows["ORT fp32"]["p95_ms"] == 1.2


def test_sizes_count_every_file_of_an_artifact(tmp_path):
    rows = {r["name"]: r for r in artifacts(_report(tmp_path))}
    assert rows["ORT fp32"]["size_mb"] == 0.004  # model.onnx + model.onnx.data
    (tmp_path / "m.xml").write_bytes(b"x" * 100)
    (tmp_path / "m.bin").write_bytes(b"x" * 900)
    assert size_mb(tmp_path / "m.xml") == 0.001 and size_mb(tmp_path / "gone.gguf") is None


def test_a_failed_benchmark_or_step_is_words_in_its_row(tmp_path):
    report = _report(tmp_path)
    rows = {r["name"]: r for r in artifacts(report)}
    assert rows["llama.cpp q8"]["p50_ms"] is None and rows["llama.cpp q8"]["bench_error"] == "one sequence"
    report["steps"][4] = {"name": "validate gguf q8", "ok": False, "error": "no tokenizer"}
    assert {r["name"]: r for r in artifacts(report)}["llama.cpp q8"]["fidelity"] == {
        "cosine": None, "top1": None, "passed": False, "against": None, "words": "no tokenizer"}
    report["steps"][-1] = {"name": "bench", "ok": False, "error": "the benchmark process crashed"}
    rows = {r["name"]: r for r in artifacts(report)}
    assert all(r["bench_error"] == "the benchmark process crashed" for r in rows.values())
    table = render_html(report).split("<h2>Every artifact</h2>", 1)[1].split("</table>", 1)[0]
    assert table.count("the benchmark process crashed") == 3 and "no tokenizer" in table


def test_a_session_report_without_variants_still_lists_every_benchmarked_row(tmp_path):
    report = _report(tmp_path)
    del report["variants"], report["runtimes"]
    rows = {r["name"]: r for r in artifacts(report)}
    assert list(rows) == ["PyTorch eager", "ORT fp32", "ORT int8"]
    assert rows["ORT int8"]["size_mb"] is None and rows["ORT int8"]["fidelity"]["cosine"] == 0.995


def test_the_html_table_shows_every_row(tmp_path):
    html = render_html(_report(tmp_path))
    table = html.split("<h2>Every artifact</h2>", 1)[1].split("</table>", 1)[0]
    for name in ("PyTorch eager", "ORT fp32", "ORT int8", "llama.cpp q8"):
        assert f"<td>{name}</td>" in table
    assert "0.995000 (the fp32 export)" in table and '<td class="fail">FAIL</td>' in table
    assert "validate gguf q8" in html and "<td>0.98" in html.split("validate gguf q8", 1)[1]


def test_the_summary_judges_a_variant_by_its_own_validation(tmp_path):
    """A [[gguf]] variant whose llama.cpp validation FAILED is left out of the recommendation, even when fastest."""
    from workbench.core.report_summary import summary

    report = _report(tmp_path)
    report["fidelity_steps"] = {"llama.cpp q8": "validate gguf q8"}
    report["steps"][-1]["result"]["rows"].append(_bench("llama.cpp q8", 0.1))
    s = summary(report)
    assert s["recommended"] == "ORT int8" and "left out for fidelity: llama.cpp q8" in s["why"]
    report["steps"][4]["result"] = {**report["steps"][4]["result"], "passed": True}
    report["steps"][4]["ok"] = True
    s = summary(report)
    assert s["recommended"] == "llama.cpp q8" and "cosine 0.9800 vs PyTorch" in s["why"]
