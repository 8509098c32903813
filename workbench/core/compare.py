"""Comparing outputs: max abs diff, max rel diff (relative to the reference's largest magnitude), cosine."""

from __future__ import annotations

import numpy as np


def compare(actual: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """Differences over the positions the mask keeps (mask over the leading axes; 1 = compare)."""
    a = np.array(actual, dtype=np.float64)  # copies: the in-place steps below never touch the caller's arrays
    r = np.array(reference, dtype=np.float64)
    if a.shape != r.shape:
        return {"max_abs_diff": float("inf"), "max_rel_diff": float("inf"), "cosine": -1.0,
                "shape_mismatch": [list(a.shape), list(r.shape)]}
    if mask is not None and a.ndim >= mask.ndim and a.shape[: mask.ndim] == mask.shape:
        keep = mask.astype(bool)
        a, r = a[keep], r[keep]
    a, r = a.reshape(-1), r.reshape(-1)
    if a.size == 0:
        return {"max_abs_diff": 0.0, "max_rel_diff": 0.0, "cosine": 1.0}
    if not (np.isfinite(a).all() and np.isfinite(r).all()):
        same = bool(np.array_equal(a, r, equal_nan=True))
        return {"max_abs_diff": 0.0 if same else float("inf"), "max_rel_diff": 0.0 if same else float("inf"),
                "cosine": 1.0 if same else -1.0}
    # subnormal float32 values (below its smallest normal, 1.2e-38) carry a few bits at most, and runtimes
    # legitimately flush them to zero (denormals-are-zero CPU modes): they compare as zero. A value of a random
    # network whose activations vanish layer after layer (MobileViT's tiny test model reaches 1e-44) would
    # otherwise read as a divergence (cosine 0.99 between numbers of one significant bit).
    tiny = np.finfo(np.float32).tiny
    for x in (a, r):
        small = np.abs(x) < tiny
        if small.any():
            x[small] = 0.0
    # Products summed by einsum, not np.dot / np.linalg.norm: those go to the BLAS library, whose thread pool
    # (every core, spinning) cost 5-7x the CPU time of this single pass on a busy machine; locate compares
    # hundreds of intermediate values per call (issue 10's locate/validate ratio).
    dot = float(np.einsum("i,i->", a, r))
    norms = float(np.sqrt(np.einsum("i,i->", a, a)) * np.sqrt(np.einsum("i,i->", r, r)))
    scale = float(max(r.max(), -r.min()))
    np.subtract(a, r, out=a)
    diff = np.abs(a, out=a)
    worst = float(diff.max())
    cosine = dot / norms if norms > 0 else (1.0 if worst == 0 else 0.0)
    return {"max_abs_diff": worst, "max_rel_diff": worst / scale if scale > 0 else worst, "cosine": cosine,
            "scale": scale}


def within(stats: dict, rtol: float, atol: float, floor: float) -> bool:
    """The tolerance rule of validate and locate: (max rel diff <= rtol, or max abs diff <= atol) and cosine >=
    floor. The absolute bound only counts for a value whose own scale (max |reference|) reaches ``atol``: for one
    entirely below it, ``max abs diff <= atol`` holds whatever the value is (a weight scaled x3 passed), so tiny
    values are judged by the relative and cosine criteria alone."""
    absolute = stats["max_abs_diff"] <= atol and stats.get("scale", float("inf")) >= atol
    return (stats["max_rel_diff"] <= rtol or absolute) and stats["cosine"] >= floor


def cosine_rows(actual: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine per row (first axis): e.g. per sentence embedding."""
    a = np.asarray(actual, dtype=np.float64).reshape(actual.shape[0], -1)
    r = np.asarray(reference, dtype=np.float64).reshape(reference.shape[0], -1)
    return (a * r).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(r, axis=1), 1e-30)
