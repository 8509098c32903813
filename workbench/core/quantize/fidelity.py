"""How close a quantized model stays to its float model: ORT outputs of both on the same inputs (two shapes, three
seeds, the last row's mask padded), the worst cosine and largest difference per output. Used by the quantize
runner (the result's fidelity and its floor) and the sensitivity search (each candidate measured). Both models run
in the registered onnxruntime runtime's session (runtimes/onnxruntime.py), the one validate and bench run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.results import Fidelity

FIDELITY_SHAPES = ((2, 8), (3, 13))  # (batch, sequence) for dynamic dimensions
FIDELITY_SEEDS = (0, 1, 2)


def onnx_example_inputs(path, batch: int = 2, seq: int = 8, seed: int = 0) -> dict:
    """Random inputs from the ONNX model's own input metadata, the last row's mask padded (see bench/inputs.py)."""
    from workbench.core.bench.inputs import onnx_example_inputs as example_inputs

    return example_inputs(Path(path).expanduser(), batch, seq, seed, pad=True)


def default_fidelity_inputs(path) -> list:
    """Validation inputs: two shapes, three seeds each."""
    return [onnx_example_inputs(path, b, s, seed) for b, s in FIDELITY_SHAPES for seed in FIDELITY_SEEDS]


def _session(path):
    """The onnxruntime runtime's CPU session on ``path`` (a missing or unloadable file: one line)."""
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact

    return open_artifact(path, RuntimeOptions(), NAME)[1]


def reference_outputs(reference_path, inputs_list: list) -> list:
    """The reference model's outputs on each inputs dict (to measure many candidates against one reference)."""
    ref = _session(reference_path)
    return [ref.run(ref.feed(inputs)) for inputs in inputs_list]


def fidelity(reference_path, quantized_path, inputs_list: Optional[list] = None,
             expected: Optional[list] = None) -> Fidelity:
    """Compare ORT outputs of the reference (float) model and the quantized one on the same inputs.

    ``cosine`` is the minimum over outputs and samples, ``max_abs_diff`` the maximum; positions the attention mask
    pads are left out. ``per_output`` holds, per output, the worst cosine, the mean cosine and the largest difference.
    ``expected`` (from :func:`reference_outputs` on the same inputs) saves running the reference again.
    """
    from workbench.core.compare import compare

    quant = _session(quantized_path)
    if inputs_list is None:
        inputs_list = default_fidelity_inputs(reference_path)
    references = reference_outputs(reference_path, inputs_list) if expected is None else list(expected)
    rows: dict = {}
    for inputs, expected in zip(inputs_list, references):  # noqa: B020 - one reference dict per inputs dict
        actual = quant.run(quant.feed(inputs))
        mask = inputs.get("attention_mask")
        mask = None if mask is None else np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask)
        for name, reference in expected.items():
            if name in actual:
                diff = compare(actual[name], reference, mask)
            else:
                diff = {"max_abs_diff": float("inf"), "cosine": -1.0}
            row = rows.setdefault(name, {"name": name, "cosine": 1.0, "mean_cosine": 0.0, "max_abs_diff": 0.0,
                                         "samples": 0})
            row["cosine"] = min(row["cosine"], float(diff["cosine"]))
            row["max_abs_diff"] = max(row["max_abs_diff"], float(diff["max_abs_diff"]))
            row["mean_cosine"] += float(diff["cosine"])
            row["samples"] += 1
    per_output = []
    for row in rows.values():
        row["mean_cosine"] = row["mean_cosine"] / max(row["samples"], 1)
        per_output.append(row)
    if not per_output:
        raise WorkbenchError("no outputs to compare", "give validation inputs the model accepts")
    return Fidelity(cosine=min(r["cosine"] for r in per_output),
                    max_abs_diff=max(r["max_abs_diff"] for r in per_output), per_output=per_output)
