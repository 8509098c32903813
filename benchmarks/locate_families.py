"""`validate --locate` on every single-graph family of benchmarks/coverage.py: for each architecture, a weight of
layer 1 consumed by one node (ALBERT: its shared layer's) is scaled by 1.05 (1.5, 3 where validation still passes) in the exported ONNX file; the row records whether validation fails,
the module --locate names against the module of the node broken (exact: the same module; the node it names is
that module's output node, and the broken node must be inside the reported region), and the CPU time (user + sys,
this process and its children; wall time beside it) of --locate against a plain validate (median of 3 alternating
calls after a warm-up). The intact model must pass with no divergence.

    python benchmarks/locate_families.py [--only bert,vit]   # writes benchmarks/results/locate_families.{json,md}

Decoders are exported without past here (the prefill graph); encoder-decoder folders are left out (their check is
a greedy generation, see benchmarks/seq2seq.py). Goal: exact on every family, --locate under 2x plain validate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# module paths of the second block across the families' naming schemes (layer.1, layers.1, h.1, blocks.1, ...)
LAYER1 = re.compile(r"(^|\.)(layers?|h|blocks?|stages?|encoder\.layers?|block)\.1(\.|$)")


def _pick_and_scale(path: str, out: str, factor: float = 1.05, choice: int = 0) -> tuple:
    """Scale a float weight (>= 2-D) consumed by exactly one node inside layer 1 (an MLP's where there is one);
    where no layer has its own weights (ALBERT shares one layer's across all), a weight whose consumers all sit
    in one module. ``choice`` takes the next candidate (MLP weights first). Returns that (first) node's name and
    module path."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from workbench.core.locate import node_module

    model = onnx.load(path)
    consumers: dict = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    weights = [t for t in model.graph.initializer if len(t.dims) >= 2 and t.data_type == onnx.TensorProto.FLOAT]
    picks = [(t, consumers[t.name][0]) for t in weights if len(consumers.get(t.name, [])) == 1
             and LAYER1.search(node_module(consumers[t.name][0]) or "")]
    if not picks:  # shared weights: one module path, however many calls
        picks = [(t, consumers[t.name][0]) for t in weights if consumers.get(t.name)
                 and len({node_module(n) for n in consumers[t.name]}) == 1 and node_module(consumers[t.name][0])]
    if not picks:
        raise RuntimeError("no weight found inside layer 1 nor one owned by a single module")
    mlp = [(t, n) for t, n in picks if re.search(r"mlp|intermediate|ffn|fc|feed_forward", node_module(n) or "")]
    t, node = (mlp + [p for p in picks if p not in mlp])[min(choice, len(picks) - 1)]
    t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(factor), t.name))
    onnx.save(model, out)
    return node.name, node_module(node)


FACTORS = (1.05, 1.5, 3.0)  # the first that makes validation fail (x1.05 stays within tolerance on some families)
CHOICES = 3  # weights tried in turn where no factor does


def _broken_run(onnx_path: str, src: str, tmp: str) -> tuple:
    from workbench import api

    for choice in range(CHOICES):
        for factor in FACTORS:
            broken = str(Path(tmp) / f"broken-{choice}-{factor}.onnx")
            node, module = _pick_and_scale(onnx_path, broken, factor, choice)
            bad = api.validate(broken, against=src, locate=True)
            if not bad.passed:
                return node, module, factor, bad
    return node, module, factor, bad


def _cpu() -> float:
    """CPU seconds (user + sys) of this process and its children: the machine is shared, so wall time measures
    the neighbours as much as the code; the ratio is judged on this."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_one(name: str) -> dict:
    from coverage import ARCHS, build

    from workbench import api
    from workbench.core.specs import ExportSpec, ModelSource

    arch = next(a for a in ARCHS if a[0] == name)
    row = {"name": name, "family": arch[1]}
    with tempfile.TemporaryDirectory(prefix=f"locate-{name}-") as tmp:
        try:
            src = str(build(name, Path(tmp) / "src"))
            onnx_path = api.export(ExportSpec(source=ModelSource(src), output=str(Path(tmp) / "m.onnx"))).path
            plain = lambda: api.validate(onnx_path, against=src)  # noqa: E731
            located = lambda: api.validate(onnx_path, against=src, locate=True)  # noqa: E731
            plain(), located()
            times = {"p": [], "l": []}
            cpu = {"p": [], "l": []}
            intact = None
            for _ in range(3):
                for key, fn in (("p", plain), ("l", located)):
                    t, c = time.perf_counter(), _cpu()
                    res = fn()
                    times[key].append(time.perf_counter() - t)
                    cpu[key].append(_cpu() - c)
                    intact = res if key == "l" else intact
            node, module, factor, bad = _broken_run(onnx_path, src, tmp)
            d = bad.divergence or {}
            region = [n["node"] for n in d.get("region", [])]
            p, lo = statistics.median(times["p"]), statistics.median(times["l"])
            pc, lc = statistics.median(cpu["p"]), statistics.median(cpu["l"])
            row.update(factor=factor, validate_s=round(p, 3), locate_s=round(lo, 3), wall_ratio=round(lo / p, 3),
                       validate_cpu_s=round(pc, 3), locate_cpu_s=round(lc, 3), ratio=round(lc / pc, 3),
                       intact_passed=bool(intact.passed), intact_divergence=intact.divergence is not None,
                       broken_node=node, broken_module=module, broken_validate_failed=not bad.passed, located_node=d.get("node"),
                       located_module=d.get("module"), exact=d.get("module") == module, in_region=node in region,
                       boundaries_compared=bad.locate_checked)
        except BaseException as err:  # noqa: BLE001 - a failure is this row's result
            row["error"] = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    from coverage import ARCHS

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    parser.add_argument("--merge", action="store_true", help="with --only: keep the other rows of the existing "
                                                             "results (marked as from the earlier run)")
    args = parser.parse_args()
    names = [a[0] for a in ARCHS if "encoder-decoder" not in a[1] and a[0] != "mamba"]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    rows = [run_one(n) for n in names]
    if args.merge and (RESULTS / "locate_families.json").exists():
        fresh = {r["name"]: r for r in rows}
        old = json.loads((RESULTS / "locate_families.json").read_text())["rows"]
        rows = [fresh.get(r["name"]) or {**r, "earlier_run": True} for r in old]
    done = [r for r in rows if "error" not in r]
    meta = {"command": "python benchmarks/locate_families.py" + (f" --only {args.only}" if args.only else "") + (" --merge" if args.merge else ""),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "python": platform.python_version(),
            "families": len(rows), "measured": len(done), "exact": sum(r["exact"] for r in done),
            "in_region": sum(r["in_region"] for r in done),
            "broken_failed": sum(r["broken_validate_failed"] for r in done),
            "max_ratio": max((r["ratio"] for r in done), default=None),
            "max_wall_ratio": max((r.get("wall_ratio", r["ratio"]) for r in done), default=None),
            "ratio_is": "CPU time (user + sys of the process and its children), median of 3"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "locate_families.json").write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    lines = [f"# validate --locate per family: {meta['exact']}/{meta['measured']} exact, "
             f"{meta['in_region']}/{meta['measured']} in the reported region, max ratio {meta['max_ratio']} "
             f"(CPU time)", "",
             f"`{meta['command']}` on {meta['machine']}.", "",
             "locate/validate is the ratio of CPU time (user + sys of the process and its children, "
             "resource.getrusage; median of 3 alternating calls): the machine is shared, and wall time measures the "
             f"neighbours' load too. The wall-time ratio is beside it (max {meta['max_wall_ratio']}).", "",
             "| architecture | broken node (module) | factor | located node (module) | exact | in region | broken fails | "
             "locate/validate CPU | wall | intact passes, no divergence |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']}{'*' if r.get('earlier_run') else ''} | | | {r['error']} | | | | | | |")
        else:
            lines.append(f"| {r['name']}{'*' if r.get('earlier_run') else ''} | {r['broken_node']} ({r['broken_module']}) | {r.get('factor', 1.05)} | {r['located_node']} ({r['located_module']}) | "
                         f"{r['exact']} | {r['in_region']} | {r['broken_validate_failed']} | {r['ratio']} | "
                         f"{r.get('wall_ratio', '')} | {r['intact_passed'] and not r['intact_divergence']} |")
    if any(r.get("earlier_run") for r in rows):
        lines += ["", "Rows marked * are kept from the earlier full run (not re-measured by this command)."]
    (RESULTS / "locate_families.md").write_text("\n".join(lines) + "\n")
    print(lines[0])


if __name__ == "__main__":
    main()
