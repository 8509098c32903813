"""Comparing outputs: max abs diff, max rel diff (relative to the reference's largest magnitude), cosine."""

from __future__ import annotations

import numpy as np


def compare(actual: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """Differences over the positions the mask keeps (mask over the leading axes; 1 = compare)."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
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
    diff = np.abs(a - r)
    scale = float(np.max(np.abs(r)))
    norms = float(np.linalg.norm(a) * np.linalg.norm(r))
    cosine = float(np.dot(a, r) / norms) if norms > 0 else (1.0 if not diff.any() else 0.0)
    return {"max_abs_diff": float(diff.max()), "max_rel_diff": float(diff.max() / scale) if scale > 0 else
            float(diff.max()), "cosine": cosine}


def cosine_rows(actual: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine per row (first axis): e.g. per sentence embedding."""
    a = np.asarray(actual, dtype=np.float64).reshape(actual.shape[0], -1)
    r = np.asarray(reference, dtype=np.float64).reshape(reference.shape[0], -1)
    return (a * r).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(r, axis=1), 1e-30)
