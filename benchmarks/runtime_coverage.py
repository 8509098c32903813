"""Runtime coverage (issue 13): for OpenVINO and MNN, which of the workbench's tiny architectures (the coverage.py
list: encoders, decoder-only LMs with their KV cache, MoE, state-space, vision, multi-tower, audio, encoder-decoder)
convert with the runtime's own converter and validate against PyTorch in that runtime, and the first line of each
failure. One child process per architecture, with a bounded time (a hang or a crash is that row's result).

    nice python benchmarks/runtime_coverage.py --jobs 2          # writes results/runtime_coverage.json and .md
    python benchmarks/runtime_coverage.py --only llama,bert       # a few rows, printed, files not written

Per architecture the ONNX export runs once (as coverage.py does it); the openvino and mnn targets then convert that
same export (their own ONNX step answered by it: the call they make is the one made here, so the model is traced
once, not three times). Encoder-decoder models run the targets as a user would (their ONNX step is a folder of two
graphs, which the targets handle or refuse themselves). Each artifact is validated by `workbench.api.validate`
against the PyTorch folder: the runtime's session, its tolerances for the file's precision.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from coverage import ARCHS, RESULTS, _error, build  # noqa: E402 - the one architecture list

TARGETS = {"openvino": "model.xml", "mnn": "model.mnn"}
PER_ARCH_TIMEOUT = 300  # seconds for one architecture: build, ONNX export, both conversions, both validations


def _artifact(name: str, src: Path, onnx, seq2seq: bool, task, target: str, out: Path) -> dict:
    """Convert with ``target`` and validate; never raises."""
    import pytest

    from workbench import api
    from workbench.core.export import torch_onnx
    from workbench.core.specs import ExportSpec, ModelSource

    row = {"converted": False, "validated": False, "error": None, "stage": "convert"}
    t = time.perf_counter()
    try:
        spec = ExportSpec(source=ModelSource(str(src), task=task), output=str(out), target=target)
        with pytest.MonkeyPatch.context() as mp:
            if not seq2seq:
                mp.setattr(torch_onnx, "export_onnx", lambda s, **kw: onnx)
            res = api.export(spec)
        row.update(converted=True, convert_s=round(time.perf_counter() - t, 2), dtype=res.dtype)
        row["stage"] = "validate"
        t = time.perf_counter()
        val = api.validate(res.outputs[0], against=str(src))
        row.update(validated=bool(val.passed), validate_s=round(time.perf_counter() - t, 2),
                   shapes_validated=val.shapes_tried, rtol=val.rtol,
                   worst_max_rel_diff=max((o.max_rel_diff for o in val.outputs), default=None),
                   worst_cosine=min((o.cosine for o in val.outputs), default=None))
        if not val.passed:
            row["error"], row["classified"] = f"validation failed: {val.reason}", True
        else:
            row.pop("stage")
    except BaseException as err:  # noqa: BLE001 - every failure is this artifact's result
        row["error"], row["classified"] = _error(err)
    return row


def run_one(name: str, targets: list) -> dict:
    """Build, export to ONNX once, then convert and validate for each target, in this process; never raises."""
    from workbench import api
    from workbench.core.specs import ExportSpec, ModelSource

    arch = next(a for a in ARCHS if a[0] == name)
    row = {"name": name, "family": arch[1], "task": arch[5], "onnx": False, "error": None}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"rtcov-{name}-") as tmp:
        try:
            src = build(name, Path(tmp) / "src")
            seq2seq = json.loads((src / "config.json").read_text()).get("is_encoder_decoder", False)
            out = Path(tmp) / "onnx" if seq2seq else Path(tmp) / "onnx" / "model.onnx"
            onnx = api.export(ExportSpec(source=ModelSource(str(src), task=arch[5]), output=str(out)))
            row["onnx"] = True
        except BaseException as err:  # noqa: BLE001
            row["error"], _ = _error(err)
            row["seconds"] = round(time.perf_counter() - started, 2)
            return row
        for target in targets:
            row[target] = _artifact(name, src, onnx, seq2seq, arch[5], target,
                                    Path(tmp) / target / TARGETS[target])
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def interleaved() -> list:
    """The architectures taken one family at a time in turn (encoder, decoder, vision, ...), so a run cut short by
    --deadline has still tried every family; the tables list them in coverage.py's order."""
    groups: dict = {}
    for name, family, *_ in ARCHS:
        groups.setdefault(family.split(" ")[0], []).append(name)
    out = []
    while any(groups.values()):
        for queue in groups.values():
            if queue:
                out.append(queue.pop(0))
    return out


def _child(name: str, targets: list, timeout: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--targets", ",".join(targets)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        return {"name": name, "onnx": None, "error": f"timed out after {timeout} s (build, export, convert, "
                "validate)", "seconds": timeout}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"name": name, "onnx": None, "error": f"the child process ended with code {proc.returncode}: {tail[:300]}"}


def _cell(r: dict, target: str) -> tuple:
    a = r.get(target)
    if not a:
        return "–", "–", ""
    diff = f" (rel {a['worst_max_rel_diff']:.2g})" if a.get("worst_max_rel_diff") is not None else ""
    return ("yes" if a["converted"] else "no", ("yes" if a["validated"] else "no") + diff,
            (a.get("error") or "").replace("|", "\\|").replace("\n", " ")[:300])


# What was found out about the failures (by hand, after the run; the table's cells are the run's own lines)
FINDINGS = [
    "mamba: its ONNX export fails as in coverage.md (the model's code fixes the sequence length), so neither "
    "runtime gets a file.",
    "Encoder-decoder models (whisper, t5, bart, marian, mbart, pegasus): the openvino and mnn targets convert one "
    "graph and an encoder-decoder exports as two; they refuse in one line before any work (they used to answer "
    "with the ONNX step's message naming their own scratch folder).",
    "falcon on MNN: two MNN faults, both worked around in the mnn target's graph rewrites (targets/mnn.py). "
    "MNN's GatherND reads a negative index as out of range and gives zeros, and Falcon's fused-QKV split "
    "(qkv[..., [-2], :]) exports as GatherND(indices [[-2]]): constant negative indices are made non-negative "
    "(non_negative_gather_nd, commit 1282cf0). Then MNN's MatMul kernel: Falcon's multi-query attention multiplies "
    "4 query heads by 1 key head (a broadcast batched MatMul, [b,4,s,d] x [b,1,d,t]); in MNN's shape-mutable "
    "module, once a call at batch 1 has run, the same MatMul at batch 2 gives garbage (up to FLT_MAX), which is "
    "why logits changed from call to call; a fresh module at batch 2 is right. Reproduced on a one-op MatMul graph; "
    "found by exposing the graph's intermediate tensors in MNN (val_200, QK^T, was the first to differ). The "
    "broadcast side now gets an explicit Expand (expand_broadcast_matmul): logits within 6e-6 of ORT at batch 1, "
    "2, 3 in any order.",
    "deepseek_v3 on MNN (the demo's MoE + MLA model): MNN's converter reads only the first of ScatterElements' "
    "axis and reduction attributes (its loop breaks at either), and the exporter writes reduction='none' before "
    "axis=1 for the router's group mask (group_mask.scatter_(1, group_idx, 1)), so MNN scattered along axis 0 and "
    "the router picked other experts (first differing tensor: 'scatter' in model.layers.1.mlp.gate; logits cosine "
    "0.993). The mnn target drops the default reduction (scatter_elements_attributes) and refuses, in one line, a "
    "reduction along an axis other than 0: logits within 3e-7 of ORT.",
]


def _markdown(rows: list, meta: dict, targets: list) -> str:
    def count(t, key):
        return sum(1 for r in rows if (r.get(t) or {}).get(key))

    title = "; ".join(f"{t} {count(t, 'validated')}/{len(rows)} validated" for t in targets)
    lines = [f"# Runtime coverage: {title}", "",
             f"`{meta['command']}` on {meta['machine']} ({meta['date']}); openvino {meta['openvino']}, mnn "
             f"{meta['mnn']}, torch {meta['torch']}, transformers {meta['transformers']}. The architectures of "
             "benchmarks/coverage.py (tiny, random weights), exported to ONNX once, converted by the workbench's "
             "openvino and mnn targets (fp32) and validated in that runtime against PyTorch "
             f"(`workbench.api.validate`); one child process per architecture, at most {meta['timeout']} s each, "
             f"{meta['jobs']} at once on a machine shared with other jobs (times are not benchmarks).", "",
             *[f"Resumed or re-run: {u['rows'] if isinstance(u['rows'], str) else ', '.join(u['rows'])} "
               f"({u['date']}, `{u['command']}`)." for u in meta.get("updated", [])], ""]
    for t in targets:
        passed = [(r[t]["worst_max_rel_diff"], r["name"]) for r in rows if (r.get(t) or {}).get("validated")
                  and r[t].get("worst_max_rel_diff") is not None]
        worst = f"; worst max rel diff of those validated {max(passed)[0]:.2g} ({max(passed)[1]})" if passed else ""
        lines.append(f"- {t}: converted {count(t, 'converted')}/{len(rows)}, validated "
                     f"{count(t, 'validated')}/{len(rows)}{worst}")
    lines += [f"- ONNX export (the step both share) failed or ran out of time: "
              f"{sum(1 for r in rows if not r.get('onnx') and not r.get('not_run'))}/{len(rows)}",
              f"- not run (the run's time budget was spent before they started): "
              f"{sum(1 for r in rows if r.get('not_run'))}/{len(rows)}", ""]
    head = "| architecture | family | " + " | ".join(f"{t} converted | {t} validated | {t} first failure line"
                                                    for t in targets) + " | s |"
    lines += [head, "|" + "---|" * (3 * len(targets) + 3)]
    for r in rows:
        if not r.get("onnx"):
            err = (r.get("error") or "").replace("|", "\\|")[:300]
            cells = " | ".join(f"– | – | {('ONNX export: ' + err) if i == 0 else 'as for ' + targets[0]}"
                               for i, _ in enumerate(targets))
        else:
            cells = " | ".join(" | ".join(_cell(r, t)) for t in targets)
        lines.append(f"| {r['name']} | {r.get('family', '')} | {cells} | {r.get('seconds', '')} |")
    lines += ["", "## What the failures are", "", *[f"- {f}" for f in FINDINGS]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated architecture names (results printed, not written)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=PER_ARCH_TIMEOUT, help="seconds per architecture")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--deadline", type=float, help="minutes after which no new architecture starts (the rest "
                                                         "are rows saying so)")
    parser.add_argument("--resume", action="store_true", help="keep the rows of an earlier runtime_coverage.json "
                                                              "(written after each row) and run the others")
    parser.add_argument("--redo", help="with --resume: comma-separated rows run again all the same")
    parser.add_argument("--render", action="store_true", help="rewrite the .md from the existing .json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    targets = [t for t in args.targets.split(",") if t]
    if set(targets) - set(TARGETS):
        raise SystemExit(f"unknown targets: {', '.join(sorted(set(targets) - set(TARGETS)))}")
    if args.child:
        print(json.dumps(run_one(args.child, targets), default=str))
        return
    if args.render:  # the .md again from the committed .json (after FINDINGS changed)
        data = json.loads((RESULTS / "runtime_coverage.json").read_text())
        (RESULTS / "runtime_coverage.md").write_text(_markdown(data["rows"], data["meta"], targets))
        return
    names = args.only.split(",") if args.only else interleaved()
    unknown = sorted(set(names) - {a[0] for a in ARCHS})
    if unknown:
        raise SystemExit(f"unknown architectures: {', '.join(unknown)}")

    started = time.monotonic()
    done, earlier = {}, {}
    if args.resume and (RESULTS / "runtime_coverage.json").is_file():  # rows of an earlier, unfinished run
        earlier = {r["name"]: r for r in json.loads((RESULTS / "runtime_coverage.json").read_text())["rows"]}
        done = {n: r for n, r in earlier.items() if not r.get("not_run") and n not in (args.redo or "").split(",")}
    rows_by_name: dict = dict(done)
    # a row re-run for some targets (--targets mnn --resume --redo falcon) keeps its other targets' results, and
    # the tables keep every target the rows hold
    shown = [t for t in TARGETS if t in targets or any(t in r for r in earlier.values())]

    def one(name: str) -> dict:
        if name in done:
            return done[name]
        if args.deadline and time.monotonic() - started > args.deadline * 60:
            return {"name": name, "onnx": None, "not_run": True,
                    "error": f"not run: the run's {args.deadline}-minute budget was spent"}
        row = _child(name, targets, args.timeout)
        row.update({t: earlier[name][t] for t in shown if t not in targets and t in earlier.get(name, {})})
        rows_by_name[name] = row
        if not args.only:
            write([rows_by_name[a[0]] for a in ARCHS if a[0] in rows_by_name], complete=False)
        marks = " ".join(f"{t}:{'ok' if (row.get(t) or {}).get('validated') else 'no'}" for t in targets)
        errors = " / ".join(str((row.get(t) or {}).get("error") or "") for t in targets) or row.get("error")
        print(f"{name:14} {marks} {row.get('seconds', '')!s:>7}  {errors or row.get('error') or ''}"[:400], flush=True)
        return row

    from importlib.metadata import version

    import openvino
    import torch
    import transformers

    meta = {"command": f"nice python benchmarks/runtime_coverage.py --jobs {args.jobs} --timeout {args.timeout}"
                       + (f" --deadline {args.deadline}" if args.deadline else ""),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d %H:%M"),
            "openvino": openvino.__version__, "mnn": version("mnn"), "torch": torch.__version__,
            "transformers": transformers.__version__, "timeout": args.timeout, "jobs": args.jobs}

    if args.resume and (RESULTS / "runtime_coverage.json").is_file():  # the first run's facts, and this one
        previous = json.loads((RESULTS / "runtime_coverage.json").read_text())["meta"]
        meta = {**previous, "updated": previous.get("updated", []) + [
            {"date": meta["date"], "command": meta["command"] + (f" --targets {args.targets}" if targets != list(
                TARGETS) else "") + " --resume" + (f" --redo {args.redo}" if args.redo else ""),
             "rows": sorted(args.redo.split(",")) if args.redo else "those not yet run"}]}

    def write(rows: list, complete: bool) -> None:
        summary = {t: {"converted": sum(1 for r in rows if (r.get(t) or {}).get("converted")),
                       "validated": sum(1 for r in rows if (r.get(t) or {}).get("validated"))} for t in shown}
        summary.update(architectures=len(rows), not_run=sum(1 for r in rows if r.get("not_run")), complete=complete)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "runtime_coverage.json").write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows},
                                                                  indent=1, default=str) + "\n")
        (RESULTS / "runtime_coverage.md").write_text(_markdown(rows, meta, shown))
        if complete:
            print(json.dumps(summary), f"wrote {RESULTS / 'runtime_coverage.md'}")

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        by_name = {r["name"]: r for r in pool.map(one, names)}
    if not args.only:
        write([by_name[a[0]] for a in ARCHS], complete=True)


if __name__ == "__main__":
    main()
