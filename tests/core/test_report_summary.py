"""The report's summary (issue 14 point 6): recommended variant and why, speed-up and size reduction against
PyTorch, fidelity verdict, noise warnings, machine and library versions, dynamic axes in plain words."""

from workbench.core.report import render_html
from workbench.core.report_summary import dynamic_axes_words, environment, noise_warnings, summary


def _row(name, p50, low=None, p99=None):
    return {"name": name, "provider": "cpu", "latency_ms": {"p50": p50, "p95": p50, "p99": p99 or p50 * 1.2,
                                                            "mean": p50, "min": low or p50 * 0.9, "max": p50 * 2},
            "throughput_per_s": 1000 / p50, "peak_rss_mb": 80.0, "samples": [p50] * 5}


def _quant(mode, cosine, passed, floor, before=40_000_000, after=10_000_000):
    return {"name": f"quantize {mode}", "ok": passed, "seconds": 1.0,
            "result": {"mode": mode, "size_bytes": {"before": before, "after": after}, "passed": passed,
                       "floor": floor, "fidelity": {"cosine": cosine, "max_abs_diff": 0.1}}}


def _report(rows, *quant, validated=True):
    steps = [{"name": "validate", "ok": validated, "seconds": 1.0,
              "result": {"passed": validated, "shapes_tried": [[1, 8]], "rtol": 1e-3, "outputs": []}}]
    steps += list(quant)
    steps.append({"name": "bench", "ok": True, "seconds": 3.0, "result": {"rows": rows}})
    return {"name": "m", "source": "src", "steps": steps}


def test_recommends_the_fastest_variant_whose_fidelity_holds():
    report = _report([_row("PyTorch eager", 20.0), _row("ORT fp32", 5.0), _row("int8-dynamic", 2.5),
                      _row("int4", 1.0)], _quant("int8-dynamic", 0.9991, True, 0.99),
                     _quant("int4", 0.953, False, 0.98, after=6_000_000))
    s = summary(report)
    assert s["recommended"] == "int8-dynamic"  # int4 is faster but below its floor
    assert "left out for fidelity: int4" in s["why"] and "0.9991" in s["why"]
    assert abs(s["speedup"] - 8.0) < 1e-9
    assert abs(s["size"]["reduction"] - 0.75) < 1e-9
    assert s["fidelity"] == "PASSED"
    page = render_html(report)
    top = page.index("Summary")
    assert top < page.index("<h2>validate") and "Recommended: int8-dynamic" in page
    assert "8.00x" in page and "75% smaller" in page


def test_no_recommendation_when_every_variant_fails_or_nothing_was_benchmarked():
    s = summary(_report([_row("PyTorch eager", 20.0), _row("int4", 1.0)], _quant("int4", 0.9, False, 0.98),
                        validated=False))
    assert s["recommended"] is None and "failed its fidelity" in s["why"] and s["fidelity"] == "FAILED"
    empty = summary({"name": "m", "source": "s", "steps": []})
    assert empty["recommended"] is None and empty["why"] == "no variant was benchmarked"
    assert "No recommendation" in render_html({"name": "m", "source": "s", "steps": []})


def test_a_wide_spread_is_flagged_as_noise_and_a_tight_one_is_not():
    rows = [_row("PyTorch eager", 369.0, low=2.7), _row("ORT fp32", 5.0, low=4.8), _row("int8", 1.0, p99=9.0)]
    warnings = noise_warnings(_report(rows))
    assert len(warnings) == 2
    assert warnings[0].startswith("PyTorch eager: p50 369 ms is 137x its fastest run (2.7 ms)")
    assert warnings[1].startswith("int8: p99 9 ms is 9x p50")
    assert "Noisy measurement: PyTorch eager" in render_html(_report(rows))
    assert noise_warnings(_report([_row("ORT fp32", 5.0, low=4.8)])) == []


def test_machine_and_library_versions_are_in_the_report(tmp_path):
    from workbench.core.report import write_report

    env = environment()
    assert env["cpus"] and env["python"] and "torch" in env["libraries"] and "onnx" in env["libraries"]
    _json, html_path = write_report(_report([_row("ORT fp32", 5.0)]), tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "Machine and libraries" in page and env["libraries"]["torch"] in page and env["python"] in page


def test_dynamic_axes_in_plain_words():
    rows = [("input_ids", 0, "batch", "batch"), ("input_ids", 1, "sequence", 8), ("attention_mask", 0, "batch",
                                                                                   None)]
    words = dynamic_axes_words(rows)
    assert words[0] == ("input_ids: axis 0 ('batch') can take any size; axis 1 (asked to vary as 'sequence', the "
                        "file fixes it at 8): only that size works; re-export with the axis dynamic")
    assert words[1] == "attention_mask: axis 0 not read back from the file"


def test_a_variant_is_matched_to_its_quantize_step_by_the_steps_label():
    """``workbench run`` names the step "quantize int8" (mode int8-dynamic) and the benchmark row "ORT int8"."""
    q = _quant("int8-dynamic", 0.9990, True, 0.99)
    q["name"] = "quantize int8"
    s = summary(_report([_row("PyTorch eager", 20.0), _row("ORT fp32", 5.0), _row("ORT int8", 2.0)], q))
    assert s["recommended"] == "ORT int8" and "cosine 0.9990" in s["why"]
    assert abs(s["size"]["reduction"] - 0.75) < 1e-9


def test_a_speed_up_over_a_noisy_pytorch_says_so():
    page = render_html(_report([_row("PyTorch eager", 369.0, low=2.7), _row("ORT fp32", 5.0)]))
    assert "73.80x</b> <span class='warn'>(PyTorch's own runs were noisy" in page
    quiet = render_html(_report([_row("PyTorch eager", 20.0), _row("ORT fp32", 5.0)]))
    assert "4.00x</b></li>" in quiet and "own runs were noisy" not in quiet
