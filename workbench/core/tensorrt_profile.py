"""What TensorRT needs to build an engine from an ONNX file, recorded and turned into command lines.

TensorRT is not installable on these machines (its PyPI packages fetch NVIDIA's wheels from pypi.nvidia.com), so
nothing here runs it. What the workbench can do is hand over a good input: ``optimize --target cuda`` records an
optimization profile (min/opt/max per dynamic dimension) in the file's metadata (``workbench.tensorrt``), and the
deployment kit writes ``tensorrt.sh`` with the trtexec and Polygraphy lines for it. TensorRT's ONNX parser takes
the standard ONNX domain only: a file with ONNX Runtime's contrib operators (the fused SkipLayerNormalization,
Attention, FastGelu...) is named as such, and the lines then point at the plain export it was optimized from.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

KEY = "workbench.tensorrt"
BATCH = (1, 1, 32)  # min, opt, max of a batch dimension
SEQUENCE_OPT = 128
SEQUENCE_MAX = 512  # when config.json names no max_position_embeddings


def _ranges(name: str, config: dict) -> tuple:
    if "batch" in name.lower():
        return BATCH
    top = int(config.get("max_position_embeddings") or SEQUENCE_MAX)
    top = max(1, min(top, 4096))
    return (1, min(SEQUENCE_OPT, top), top)


def profile(model, config: dict | None = None) -> dict:
    """{input: {"min": [...], "opt": [...], "max": [...]}} for the graph inputs of an ONNX ``model`` (a
    ModelProto): static dimensions as they are, each named dimension over the ranges above."""
    config = config or {}
    inits = {t.name for t in model.graph.initializer}
    out = {}
    for value in model.graph.input:
        if value.name in inits:
            continue
        dims = value.type.tensor_type.shape.dim
        rows = {"min": [], "opt": [], "max": []}
        for d in dims:
            if d.HasField("dim_value") and d.dim_value > 0:
                lo = opt = hi = int(d.dim_value)
            else:
                lo, opt, hi = _ranges(d.dim_param or "", config)
            rows["min"].append(lo)
            rows["opt"].append(opt)
            rows["max"].append(hi)
        out[value.name] = rows
    return out


def contrib_ops(model) -> list:
    """The non-standard operators of ``model`` (TensorRT's ONNX parser refuses them)."""
    return sorted({n.op_type for n in model.graph.node if n.domain not in ("", "ai.onnx")})


def record(path: Path, config: dict | None, plain_source: Path | None) -> dict:
    """Write the profile (and, for a file with contrib operators, the plain export to build from) into the
    metadata of the ONNX file at ``path``; its external data stays where it is."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    info = {"profile": profile(model, config), "contrib_ops": contrib_ops(model)}
    if info["contrib_ops"] and plain_source is not None:
        info["build_from"] = str(Path(plain_source).resolve())
    kept = [p for p in model.metadata_props if p.key != KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(key=KEY, value=json.dumps(info, sort_keys=True))
    onnx.save_model(model, str(path))
    return info


def read(path: Path) -> dict:
    """The recorded info, else one made from the file itself (a plain export: its own profile)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    for p in model.metadata_props:
        if p.key == KEY:
            return json.loads(p.value)
    return {"profile": profile(model), "contrib_ops": contrib_ops(model)}


def _shapes(profile_: dict, which: str, sep: str) -> str:
    return ",".join(f"{name}:{sep.join(map(str, rows[which]))}" for name, rows in profile_.items())


def script(path: Path, info: dict, fp16: bool) -> str:
    """tensorrt.sh: build an engine with trtexec, then compare TensorRT with ONNX Runtime with Polygraphy."""
    onnx_file = info.get("build_from") or str(Path(path).resolve())
    prof = info["profile"]
    lines = ["#!/usr/bin/env bash",
             "# TensorRT engine for this model (written by workbench deploy; TensorRT is not installed by the",
             "# workbench). Needs trtexec (TensorRT) and polygraphy (pip install polygraphy) on an NVIDIA machine.",
             "set -euo pipefail"]
    if info.get("contrib_ops"):
        lines.append(f"# {Path(path).name} uses ONNX Runtime contrib operators ({', '.join(info['contrib_ops'])}),"
                     " which TensorRT's ONNX parser does not take:")
        lines.append("# the lines below build from " + ("the plain export it was optimized from."
                                                        if info.get("build_from") else
                                                        "this file; give them the plain export instead."))
    trt = ["trtexec", f"--onnx={onnx_file}", "--saveEngine=model.engine"]
    poly = ["polygraphy", "run", onnx_file, "--trt", "--onnxrt", "--atol", "1e-3", "--rtol", "1e-3"]
    if any(prof.values()) and any(r["min"] != r["max"] for r in prof.values()):
        trt += [f"--minShapes={_shapes(prof, 'min', 'x')}", f"--optShapes={_shapes(prof, 'opt', 'x')}",
                f"--maxShapes={_shapes(prof, 'max', 'x')}"]
        for which in ("min", "opt", "max"):
            poly += [f"--trt-{which}-shapes", *(f"{n}:[{','.join(map(str, r[which]))}]" for n, r in prof.items())]
        poly += ["--input-shapes", *(f"{n}:[{','.join(map(str, r['opt']))}]" for n, r in prof.items())]
    if fp16:
        trt.append("--fp16")
        poly.append("--fp16")
    lines += [" ".join(shlex.quote(a) for a in trt), " ".join(shlex.quote(a) for a in poly), ""]
    return "\n".join(lines)
