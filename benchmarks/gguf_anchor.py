"""The anchor: our gguf target against llama.cpp's own convert_hf_to_gguf.py on the same tiny random folders
(Llama, Qwen2, DeepSeek-V3, Gemma, Phi-3): the same tensor set (names, shapes, types), the metadata keys that
differ, and (when llama-cpp-python is installed) the logits of both files in llama.cpp and of PyTorch.

convert_hf_to_gguf.py is run from a llama.cpp source tree (llama-cpp-python's sdist vendors one:
``tar xzf llama_cpp_python-0.3.36.tar.gz``, then --llama-cpp .../vendor/llama.cpp), with its own gguf-py. Its
vocab step is replaced by ours in both (the tiny tokenizers have no sentencepiece model and no known pre-tokenizer
hash; the vocab is not what is compared). Usage:
    python benchmarks/gguf_anchor.py --llama-cpp DIR [--families llama,qwen2,deepseek_v3,gemma,phi3]"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNNER = """
import sys
sys.path.insert(0, {src!r}); sys.path.insert(1, {src!r} + '/gguf-py'); sys.path.append({root!r})
import convert_hf_to_gguf as c
from workbench.core.gguf import tokenizer
orig = c.get_model_class
def patched(name, mmproj=False):
    cls = orig(name, mmproj)
    def set_vocab(self):
        tokenizer.write_vocab(self.gguf_writer, self.dir_model, int(self.hparams['vocab_size']))
    cls.set_vocab = set_vocab
    return cls
c.get_model_class = patched
sys.argv = ['convert_hf_to_gguf.py', {folder!r}, '--outfile', {out!r}, '--outtype', 'f16']
c.main()
"""
IDS = [1, 17, 42, 99, 5, 64, 3, 120, 7, 33, 81, 12]


def build(kind: str, folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests" / "targets"))
    from gguf_families import build_family
    return build_family(kind, folder)


def tensors(path: Path) -> dict:
    import gguf

    reader = gguf.GGUFReader(str(path))
    return {t.name: (tuple(int(x) for x in t.shape), t.tensor_type.name) for t in reader.tensors}, {
        k for k in reader.fields if not k.startswith("GGUF.")}


def data_diff(a: Path, b: Path) -> float:
    """Largest |difference| of any weight between the two files, dequantized (0.0: the same numbers)."""
    import gguf

    ta = {t.name: t for t in gguf.GGUFReader(str(a)).tensors}
    worst = 0.0
    for t in gguf.GGUFReader(str(b)).tensors:
        if t.name in ta:
            x = gguf.quants.dequantize(ta[t.name].data, ta[t.name].tensor_type).astype(np.float64)
            y = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64)
            worst = max(worst, float(np.abs(x.ravel() - y.ravel()).max()) if x.size == y.size else float("inf"))
    return worst


def logits(path: Path, ids) -> np.ndarray | None:
    try:
        from workbench.core.runtimes.base import RuntimeOptions
        from workbench.core.runtimes.llama_cpp import open_session
        session = open_session(path, RuntimeOptions(threads=2))
    except Exception as err:  # noqa: BLE001 - no llama.cpp here: tensor sets only
        print(f"  (no llama.cpp run: {err})")
        return None
    try:
        return session.run({"input_ids": np.asarray([ids])})["logits"][0]
    finally:
        session.close()


def torch_logits(folder: Path, ids) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-cpp", required=True, help="llama.cpp source dir with convert_hf_to_gguf.py")
    ap.add_argument("--families", default="llama,qwen2,deepseek_v3,gemma,phi3")
    ap.add_argument("--reference", action="store_true", help="also write their tensor sets for the tests")
    args = ap.parse_args()
    from workbench.core.gguf.convert import convert

    rows, reference = [], {}
    with tempfile.TemporaryDirectory(prefix="gguf-anchor-") as tmp:
        for kind in args.families.split(","):
            folder = build(kind, Path(tmp) / kind)
            ours, theirs = Path(tmp) / f"{kind}.ours.gguf", Path(tmp) / f"{kind}.theirs.gguf"
            convert(folder, ours, "f16")
            code = RUNNER.format(src=str(Path(args.llama_cpp).resolve()), root=str(ROOT), folder=str(folder),
                                 out=str(theirs))
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if run.returncode:
                rows.append({"family": kind, "error": run.stderr.strip().splitlines()[-1]})
                print(kind, rows[-1])
                continue
            (t_ours, k_ours), (t_theirs, k_theirs) = tensors(ours), tensors(theirs)
            reference[kind] = {n: [list(s), t] for n, (s, t) in sorted(t_theirs.items())}
            row = {"family": kind, "tensors_ours": len(t_ours), "tensors_theirs": len(t_theirs),
                   "same_names": set(t_ours) == set(t_theirs),
                   "only_ours": sorted(set(t_ours) - set(t_theirs)), "only_theirs": sorted(set(t_theirs) - set(t_ours)),
                   "shape_or_type_differs": {n: [t_ours[n], t_theirs[n]] for n in set(t_ours) & set(t_theirs)
                                             if t_ours[n] != t_theirs[n]},
                   "weights_max_abs_diff": data_diff(ours, theirs),
                   "metadata_only_ours": sorted(k_ours - k_theirs), "metadata_only_theirs": sorted(k_theirs - k_ours)}
            vocab = 512 if kind == "deepseek_v3" else 128
            ids = [i % vocab for i in IDS]
            a, b = logits(ours, ids), logits(theirs, ids)
            if a is not None and b is not None:
                want = torch_logits(folder, ids)
                row.update(max_abs_ours_vs_theirs=float(np.abs(a - b).max()),
                           max_abs_ours_vs_torch=float(np.abs(a - want).max()),
                           max_abs_theirs_vs_torch=float(np.abs(b - want).max()),
                           top1_ours_vs_torch=float((a.argmax(-1) == want.argmax(-1)).mean()),
                           top1_theirs_vs_torch=float((b.argmax(-1) == want.argmax(-1)).mean()))
            rows.append(row)
            print(json.dumps(row))
    out = ROOT / "benchmarks" / "results" / "gguf_anchor.json"
    out.write_text(json.dumps(rows, indent=1) + "\n")
    if args.reference:  # what convert_hf_to_gguf.py wrote, f16: tests/targets/test_gguf_families.py checks ours
        ref = ROOT / "tests" / "targets" / "gguf_reference_tensors.json"
        ref.write_text(json.dumps(reference, indent=0) + "\n")


if __name__ == "__main__":
    main()
