"""Encoder-decoder export and validation on tiny random T5, BART, Marian and Whisper (tests/core/test_seq2seq.py's
models: d_model 32, one layer, vocab 99; Whisper with 8 mel bins and 16 source positions), in process:
export wall time (the export includes its own greedy check against PyTorch), validate wall time, greedy agreement
and logits max abs diff, the files written and their sizes, the read-back input shapes; and whether the decoder
with its largest weight scaled by 1.05 fails validation.

    python benchmarks/seq2seq.py            # writes benchmarks/results/seq2seq.json
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))
KINDS = ("t5", "bart", "marian", "whisper")


def main() -> None:
    from workbench import api  # first: it turns ONNX Runtime's telemetry off before onnxruntime is imported

    import onnxruntime
    import torch
    import transformers

    from tests.core.test_seq2seq import TASKS, _build, _scale_largest
    from workbench.core.export.seq2seq import DECODER_FILE
    from workbench.core.specs import ModelSource

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            src = _build(kind, Path(tmp) / "src" / kind)
            out = Path(tmp) / "out" / kind
            started = time.perf_counter()
            exported = api.export(ModelSource(str(src), task=TASKS.get(kind)), str(out))
            export_s = time.perf_counter() - started
            started = time.perf_counter()
            checked = api.validate(str(out), against=str(src))
            validate_s = time.perf_counter() - started
            generation = next(r["generation"] for r in checked.runs if "generation" in r)
            bad = Path(tmp) / "bad" / kind
            shutil.copytree(out, bad)
            for name in (DECODER_FILE, f"{DECODER_FILE}.data"):
                (bad / name).unlink()
            scaled = _scale_largest(out / DECODER_FILE, bad / DECODER_FILE)
            perturbed = api.validate(str(bad), against=str(src))
            rows.append({
                "model": kind, "task": TASKS.get(kind), "export_s": round(export_s, 2),
                "validate_s": round(validate_s, 2), "exporter": exported.exporter, "passed": checked.passed,
                "agreement": generation["agreement"], "tokens": generation["tokens"],
                "logits_max_abs_diff_per_step": [s["max_abs_diff"] for s in generation["steps"]],
                "encoder": [{"name": o.name, "max_abs_diff": o.max_abs_diff} for o in checked.outputs],
                "shapes_tried": checked.shapes_tried,
                "files": {Path(p).name: Path(p).stat().st_size for p in exported.outputs},
                "input_shapes": exported.input_shapes, "notes": exported.notes,
                "perturbed": {"weight": scaled, "factor": 1.05, "passed": perturbed.passed,
                              "reason": perturbed.reason},
            })
            print(f"{kind}: export {export_s:.1f} s, validate {validate_s:.1f} s, agreement "
                  f"{generation['agreement'] * 100:.0f}%, perturbed passed={perturbed.passed}", flush=True)
    result = {"command": "python benchmarks/seq2seq.py", "machine": platform.platform(),
              "cpus": os.cpu_count(), "torch": torch.__version__, "transformers": transformers.__version__,
              "onnxruntime": onnxruntime.__version__, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "seq2seq.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'seq2seq.json'}")


if __name__ == "__main__":
    main()
