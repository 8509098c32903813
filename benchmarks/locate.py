"""`validate --locate` against a plain `validate`, on the suite's tiny models (tests/conftest.py), in process:
wall time of each (median and best of 7 alternating calls after one warm-up), whether an intact export reports no divergence, and where a
weight of layer 1 scaled by 1.05 is located (tests/core/test_locate.py's helper).

    python benchmarks/locate.py            # writes benchmarks/results/locate.json

Goal: --locate under 2x a plain validate.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
KINDS = {"bert": "layer.1", "llama": "layers.1", "gpt2": "h.1"}
sys.path.insert(0, str(ROOT))


def _interleaved(plain, located, rounds: int = 7) -> tuple:
    """(median plain s, median locate s, best plain s, best locate s, last locate result): alternating calls, so
    that the load of a shared machine falls on both alike; one warm-up each."""
    plain(), located()
    times, res = {"p": [], "l": []}, None
    for _ in range(rounds):
        for key, fn in (("p", plain), ("l", located)):
            t = time.perf_counter()
            out = fn()
            times[key].append(time.perf_counter() - t)
            res = out if key == "l" else res
    return (statistics.median(times["p"]), statistics.median(times["l"]), min(times["p"]), min(times["l"]), res)


def main() -> None:
    from tests.conftest import build_tiny
    from tests.core.test_locate import _scale_layer1_weight

    from workbench import api

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, layer in KINDS.items():
            src = build_tiny(kind, Path(tmp) / kind)
            onnx_path = api.export(str(src), str(Path(tmp) / f"{kind}.onnx")).path
            plain, located, best_plain, best_located, res = _interleaved(
                lambda: api.validate(onnx_path, against=str(src)),
                lambda: api.validate(onnx_path, against=str(src), locate=True))
            broken = str(Path(tmp) / f"{kind}_w.onnx")
            node = _scale_layer1_weight(onnx_path, broken, layer)
            bad = api.validate(broken, against=str(src), locate=True)
            d = bad.divergence or {}
            rows.append({"model": kind, "validate_s": round(plain, 3), "validate_locate_s": round(located, 3),
                         "ratio": round(located / plain, 3), "best_validate_s": round(best_plain, 3),
                         "best_validate_locate_s": round(best_located, 3),
                         "best_ratio": round(best_located / best_plain, 3), "boundaries_compared": res.locate_checked,
                         "intact_divergence": res.divergence,
                         "broken_weight_consumer": node, "located_node": d.get("node"),
                         "located_module": d.get("module"),
                         "consumer_in_region": node in [n["node"] for n in d.get("region", [])],
                         "located_max_rel_diff": d.get("max_rel_diff"), "broken_validate_passed": bad.passed})
            print(json.dumps(rows[-1]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"command": "python benchmarks/locate.py", "machine": f"{platform.machine()}, {os.cpu_count()} CPUs "
           "(shared)", "python": platform.python_version(), "rows": rows,
           "max_ratio": max(r["ratio"] for r in rows), "max_best_ratio": max(r["best_ratio"] for r in rows)}
    (RESULTS / "locate.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"max ratio --locate / validate: {out['max_ratio']} (median), {out['max_best_ratio']} (best)")


if __name__ == "__main__":
    main()
