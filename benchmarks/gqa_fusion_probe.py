"""Why onnxscript's GroupQueryAttention fusion of a Gemma / Phi-3 decoder export fails on CUDA (issue 15): the
generic ``optimize --target cuda`` graph (the GQA decoder of core/export/decoder_gqa.py bypassed), its fused
GroupQueryAttention nodes' ``seqlens_k`` and ``total_sequence_length`` inputs exposed as outputs, one prefill on
ONNX Runtime's CPU provider (values) and on CUDA (the error, if any). A diagnostic for the GPU machine:

    export PYTHONPATH=/tmp/site:$PWD && python3 benchmarks/gqa_fusion_probe.py --out $OUT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gguf_validate import build_decoder  # noqa: E402


def feeds(model, prompt_len: int):
    import numpy as np
    import onnx

    out = {}
    for inp in model.graph.input:
        dims = [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim]
        if inp.name == "input_ids":
            out[inp.name] = np.arange(3, 3 + prompt_len, dtype=np.int64)[None]
        elif inp.name == "attention_mask":
            out[inp.name] = np.ones((1, prompt_len), np.int64)
        elif inp.name == "position_ids":
            out[inp.name] = np.arange(prompt_len, dtype=np.int64)[None]
        else:  # past_key_values.*: batch 1, no past
            dt = onnx.helper.tensor_dtype_to_np_dtype(inp.type.tensor_type.elem_type)
            out[inp.name] = np.zeros([1 if i == 0 else 0 if i == 2 else int(d) for i, d in enumerate(dims)], dt)
    return out


def probe(kind: str, work: Path, provider: str) -> dict:
    import onnx
    import onnxruntime as ort

    from workbench import api
    from workbench.core.optimize import cuda_decoder
    from workbench.core.specs import ModelSource

    folder = build_decoder(kind, work / kind / "src", 0)
    exp = api.export(ModelSource(str(folder), task="text-generation-with-past"), str(work / kind / "onnx"))
    cuda_decoder.gqa_source = lambda spec, src: (None, None)  # the generic fused graph, not the GQA decoder
    opt = api.optimize(exp.path, str(work / kind / "cuda" / "model.onnx"), target="cuda", against=str(folder))
    row = {"steps": [f"{s['name']}: {s.get('detail', '')}" for s in opt.steps if s.get("applied")],
           "ops": {k: v for k, v in opt.op_counts_after.items() if "Attention" in k or "Rotary" in k}}
    model = onnx.load(opt.output)
    gqa = [n for n in model.graph.node if n.op_type == "GroupQueryAttention"]
    row["gqa_nodes"] = len(gqa)
    if gqa:
        n = gqa[0]
        row["gqa_inputs"] = list(n.input)
        producers = {o: p for p in model.graph.node for o in p.output}
        row["total_len_producer"] = [f"{producers[i].op_type}({', '.join(producers[i].input)})"
                                     for i in n.input[5:7] if i in producers]
        for name in n.input[5:7]:
            if name and name not in [o.name for o in model.graph.output]:
                model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    probe_path = work / kind / "probe.onnx"
    onnx.save(model, str(probe_path), save_as_external_data=True, location="probe.data")
    for prov in ["CPUExecutionProvider"] + (["CUDAExecutionProvider"] if provider == "cuda" else []):
        try:
            sess = ort.InferenceSession(str(probe_path), providers=[prov])
            names = [o.name for o in sess.get_outputs()]
            vals = sess.run(None, feeds(model, 12))
            row[prov] = {nm: v.tolist() for nm, v in zip(names, vals) if gqa and nm in gqa[0].input[5:7]}
        except Exception as err:  # the CUDA failure is what this probe is for
            row[prov] = f"{type(err).__name__}: {str(err).splitlines()[0][:400]}"
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", default="cuda")
    ap.add_argument("--families", default="gemma,phi3")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "/tmp/gqa-probe"))
    args = ap.parse_args()
    import workbench  # noqa: F401  (before onnxruntime: the workbench turns ORT's telemetry off)
    import onnxruntime as ort
    import onnxscript
    import transformers

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    result = {"versions": {"onnxruntime": ort.__version__, "onnxscript": onnxscript.__version__,
                           "transformers": transformers.__version__}}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.families.split(","):
            try:
                result[kind] = probe(kind, Path(tmp), args.provider)
            except Exception:
                result[kind] = traceback.format_exc()[-1500:]
            print(kind, json.dumps(result[kind], default=str)[:1500], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gqa_fusion_probe.json").write_text(json.dumps(result, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
