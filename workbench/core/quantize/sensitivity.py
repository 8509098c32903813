"""Fidelity-targeted int8: keep the fewest, most sensitive nodes in float32 until the model meets a cosine floor.

``QuantSpec.min_cosine`` (int8-dynamic only) is a floor on the quantize runner's own fidelity measure
(``fidelity.fidelity``: the worst cosine over outputs and validation inputs, padded positions left out, against the
float model). The steps:

1. Quantize everything (``quantize_dynamic``) and measure. If the floor holds, that model is the result.
2. Sensitivity: quantize each candidate node alone (``nodes_to_quantize=[node]``) and measure the drop it causes
   (``1 - cosine``). Candidates are the nodes step 1 changed (MatMul, Gemm, Gather, ...) less the user's exclusions.
3. Greedy: exclude the most sensitive node, quantize again with ``nodes_to_exclude``, measure; repeat until the floor
   holds or ``max_excluded`` nodes are kept in float32 (default: a quarter of the candidates).

Without ``min_cosine`` int8-dynamic aims for ``DEFAULT_MIN_COSINE`` (0.99): a soft target. When it cannot be met
within the limit the plain int8 model is kept and the report says so. A ``min_cosine`` that was asked for is a
requirement: not meeting it raises a one-line WorkbenchError naming the best cosine reached (and nothing is
written). ``min_cosine=0`` turns targeting off.

The report (``QuantizeResult.targeting``) lists the nodes kept in float32, the sensitivity table (node, op type,
cosine when quantized alone, the drop, weight bytes) and the cost: size in bytes and CPU latency p50 (2 threads,
``workbench.core.bench.latency``) of the plain int8 model against the targeted one.

Cost: one quantization and one fidelity run per candidate (about 1.3-3 s a node for MiniLM on 2 busy cores, 40
nodes) plus one per greedy step; only when plain int8 misses the floor. The soft default searches only models
with at most ``DEFAULT_SEARCH_LIMIT`` candidates that are not over 1.5 GB; a given ``min_cosine`` always searches.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Callable, Optional

from workbench.core.errors import WorkbenchError

DEFAULT_MIN_COSINE = {"int8-dynamic": 0.99}
MAX_EXCLUDED_FRACTION = 0.25
DEFAULT_SEARCH_LIMIT = 96  # the soft default searches models with at most this many candidates (not over 1.5 GB)
LATENCY_SHAPES = ((1, 128), (1, 16))  # (batch, sequence); the second when the model refuses the first
LATENCY_THREADS = 2
LATENCY_ITERATIONS = 30
LATENCY_ROUNDS = 2  # plain, targeted, plain, targeted: the best p50 of each (a busy machine adds noise)

Report = Callable[[float, str], None]


def target_of(spec) -> tuple:
    """(floor or None, "given" | "default" | "off")."""
    if spec.min_cosine is None:
        floor = DEFAULT_MIN_COSINE.get(spec.mode)
        return (floor, "default") if floor else (None, "off")
    return (float(spec.min_cosine), "given") if spec.min_cosine > 0 else (None, "off")


def check_target(spec) -> None:
    if spec.min_cosine is not None:
        if not 0 <= spec.min_cosine < 1:
            raise WorkbenchError(f"min_cosine {spec.min_cosine} is out of range",
                                 "give a cosine between 0 and 1, e.g. 0.99 (0 turns targeting off)")
        if spec.min_cosine > 0 and spec.mode not in DEFAULT_MIN_COSINE:
            raise WorkbenchError(f"min_cosine works with int8-dynamic, not {spec.mode}",
                                 "use --mode int8-dynamic, or leave min_cosine out")
    if spec.max_excluded is not None and spec.max_excluded < 0:
        raise WorkbenchError(f"max_excluded is {spec.max_excluded}", "use 0 or more")


def dynamic_kwargs(spec, source: Path, big: bool) -> dict:
    from onnxruntime.quantization import QuantType

    return dict(op_types_to_quantize=list(spec.op_types) if spec.op_types else None, per_channel=spec.per_channel,
                weight_type=QuantType.QInt8, use_external_data_format=big)


# --- the graph: candidates and their weights ------------------------------------------------------------------------

def _signature(node) -> tuple:
    return node.op_type, tuple(node.input), tuple(node.output)


def candidates(source: Path, plain: Path, exclude: tuple) -> list:
    """[(name, op_type, weight_bytes)] of the nodes plain int8 changed (gone, or fed other inputs)."""
    import onnx

    original = onnx.load(str(source), load_external_data=False).graph
    after = {n.name: _signature(n) for n in onnx.load(str(plain), load_external_data=False).graph.node}
    inits = {t.name: t for t in original.initializer}
    rows = []
    for node in original.node:
        if not node.name or node.name in exclude or after.get(node.name) == _signature(node):
            continue
        weights = [inits[i] for i in node.input if i in inits]
        if not weights:
            continue
        size = sum(math.prod(t.dims) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize for t in weights)
        rows.append((node.name, node.op_type, int(size)))
    return rows


# --- measuring ------------------------------------------------------------------------------------------------------

class _Meter:
    """Quantize (with given nodes in or out) into the working folder and measure against precomputed outputs."""

    def __init__(self, source: Path, work: Path, spec, big: bool):
        from workbench.core.quantize.fidelity import default_fidelity_inputs, reference_outputs

        self.source, self.work, self.spec = source, work, spec
        self.kwargs = dynamic_kwargs(spec, source, big)
        self.inputs = default_fidelity_inputs(source)
        self.expected = reference_outputs(source, self.inputs)

    def quantize(self, name: str, *, only: Optional[list] = None, exclude: tuple = ()) -> Path:
        from onnxruntime.quantization import quantize_dynamic

        from workbench.core.quantize.errors import quantizer_error

        out = self.work / f"{name}.onnx"
        try:
            quantize_dynamic(str(self.source), str(out), nodes_to_quantize=only,
                             nodes_to_exclude=list(self.spec.exclude) + list(exclude), **self.kwargs)
        except Exception as err:  # noqa: BLE001
            raise quantizer_error(self.spec.mode, err) from err
        return out

    def measure(self, path: Path):
        from workbench.core.quantize.fidelity import fidelity

        return fidelity(self.source, path, self.inputs, expected=self.expected)


def _runs_at(path, batch: int, seq: int) -> bool:
    """One quiet run at this shape (e.g. a tiny model with 64 positions refuses 128 tokens), in the onnxruntime
    runtime's session, as bench then runs it."""
    from workbench.core.bench.inputs import onnx_example_inputs
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact

    # quiet: the refusal is expected here, so ORT's own error line stays off the console
    options = RuntimeOptions(threads=LATENCY_THREADS, extra={"quiet": True})
    try:
        session = open_artifact(path, options, NAME)[1]
        session.run(session.feed(onnx_example_inputs(path, batch, seq)))
        return True
    except Exception:  # noqa: BLE001 - any refusal means: try the next shape
        return False


def _latency(paths: dict) -> dict:
    """p50 (ms) of each model on CPU with the bench code, same shape and threads, rounds interleaved."""
    from workbench.core.bench.latency import run_bench
    from workbench.core.specs import BenchSpec

    last = None
    for batch, seq in [shape for shape in LATENCY_SHAPES if _runs_at(paths["plain"], *shape)] or LATENCY_SHAPES[-1:]:
        best: dict = {}
        try:
            for _ in range(LATENCY_ROUNDS):
                for label, path in paths.items():
                    res = run_bench(BenchSpec(model=str(path), provider="cpu", batch=batch, sequence=seq,
                                              iterations=LATENCY_ITERATIONS, warmup=3, threads=LATENCY_THREADS))
                    best[label] = min(best.get(label, math.inf), float(res.latency_ms["p50"]))
        except WorkbenchError as err:
            last = err.what
            continue
        out = {k: round(v, 4) for k, v in best.items()}
        out.update(ratio=round(best["targeted"] / best["plain"], 4) if best.get("plain") else None,
                   batch=batch, sequence=seq, threads=LATENCY_THREADS, provider="cpu")
        return out
    return {"error": last}


# --- the search -----------------------------------------------------------------------------------------------------

def _plain(meter: _Meter, mode: str, report: Report, share: float) -> Path:
    """Every node quantized, each reported as ORT's loop finishes it (node_progress.py), within the first ``share``
    of the search's progress (all of it when no search can follow: a big model under the default floor)."""
    from workbench.core.quantize import node_progress

    def per_node(done: int, total: int, unit: str) -> None:
        report(share * done / max(total, 1), f"quantizing ({mode}) {done}/{total} {unit}")

    with node_progress.tracked(mode, "", per_node):
        return meter.quantize("plain")


def quantize_to_floor(source: Path, work: Path, spec, big: bool, report: Report, cancel=None) -> tuple:
    """Return (path of the chosen model in ``work``, targeting report); raises when a given floor is missed."""
    from workbench.core.fsutil import file_size

    floor, origin = target_of(spec)
    started = time.perf_counter()
    meter = _Meter(source, work, spec, big)
    plain = _plain(meter, spec.mode, report, 0.95 if origin == "default" and big else 0.05)
    plain_fid = meter.measure(plain)
    info = {"min_cosine": floor, "target": origin, "measure": "runner.fidelity cosine (worst output and input)",
            "cosine_plain": plain_fid.cosine, "cosine": plain_fid.cosine, "reached": plain_fid.cosine >= floor,
            "kept_fp32": [], "sensitivity": [], "size_bytes": {"plain": file_size(plain)}}
    if info["reached"]:
        info.update(size_bytes={"plain": file_size(plain), "targeted": file_size(plain)},
                    seconds=round(time.perf_counter() - started, 2))
        return plain, info
    nodes = candidates(source, plain, tuple(spec.exclude))
    if origin == "default" and (big or len(nodes) > DEFAULT_SEARCH_LIMIT):
        info.update(reached=False, candidates=len(nodes), size_bytes={"plain": file_size(plain),
                                                                       "targeted": file_size(plain)},
                    note=f"plain int8 cosine {plain_fid.cosine:.5f} is below {floor}; the search (one quantization "
                         f"per node, {len(nodes)} nodes) runs only when asked: pass min_cosine",
                    seconds=round(time.perf_counter() - started, 2))
        return plain, info
    limit = spec.max_excluded if spec.max_excluded is not None else max(1, math.ceil(MAX_EXCLUDED_FRACTION *
                                                                                    len(nodes)))
    info.update(candidates=len(nodes), max_excluded=limit)
    table = _sensitivity(meter, nodes, report, cancel)
    info["sensitivity"] = table
    chosen, best, kept = plain, plain_fid.cosine, []
    for row in table[:limit]:
        if cancel is not None:
            cancel.check()
        kept.append(row["node"])
        report(0.7 + 0.25 * len(kept) / max(limit, 1), f"keeping {len(kept)} node(s) in float32")
        path = meter.quantize(f"targeted{len(kept)}", exclude=tuple(kept))
        cosine = meter.measure(path).cosine
        if cosine > best:
            best = cosine
        if cosine >= floor:
            chosen = path
            break
    reached = chosen is not plain
    for row in table:
        row["kept_fp32"] = reached and row["node"] in kept
    info.update(reached=reached, cosine=best if reached else plain_fid.cosine, best_cosine=best,
                kept_fp32=kept if reached else [])
    if not reached:
        text = (f"int8 could not reach min cosine {floor} (best {best:.6f} with {len(kept)} of {len(nodes)} "
                f"node(s) kept in float32)")
        if origin == "given":
            raise WorkbenchError(text, "lower --min-cosine, allow more nodes with --max-excluded, or use "
                                       "--mode int8-weight or fp16")
        info["note"] = text + "; kept plain int8 (pass min_cosine to require a floor)"
        info["size_bytes"]["targeted"] = file_size(plain)
    else:
        info["size_bytes"]["targeted"] = file_size(chosen)
        report(0.96, "measuring latency (plain int8 vs targeted)")
        info["latency_ms"] = _latency({"plain": plain, "targeted": chosen})
    info["seconds"] = round(time.perf_counter() - started, 2)
    return chosen, info


def _sensitivity(meter: _Meter, nodes: list, report: Report, cancel) -> list:
    """Each candidate quantized alone: rows sorted by the drop they cause (largest first)."""
    rows = []
    for i, (name, op, size) in enumerate(nodes):
        if cancel is not None:
            cancel.check()
        report(0.05 + 0.65 * i / max(len(nodes), 1), f"sensitivity {i + 1}/{len(nodes)}: {name}")
        fid = meter.measure(meter.quantize("probe", only=[name]))
        rows.append({"node": name, "op_type": op, "cosine_alone": fid.cosine, "drop": max(0.0, 1.0 - fid.cosine),
                     "max_abs_diff_alone": fid.max_abs_diff, "weight_bytes": size, "kept_fp32": False})
    rows.sort(key=lambda r: (-r["drop"], r["weight_bytes"], r["node"]))
    return rows


def replace_exclude(spec, kept: list):
    """The spec with the kept nodes added to its exclusions (for checking the result)."""
    return dataclasses.replace(spec, exclude=tuple(spec.exclude) + tuple(n for n in kept if n not in spec.exclude))
