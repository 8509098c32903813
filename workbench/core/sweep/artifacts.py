"""The artifacts a sweep builds (exports, optimized and quantized models), each once, keyed by a content hash.

A key is a hash of what decides the file's bytes: the source's file contents, the stage's settings (its recipe
section), the key of the artifact it starts from, and the versions of the libraries that write it. An artifact
lives in ``CACHE/<key>/`` with ``artifact.json`` (what it is, its size, its fidelity against PyTorch); the folder
appears only when the build is complete (workbench.core.fsutil.staged_folder), so a sweep that was stopped reuses
every folder it finds and rebuilds nothing it finished. Two sweeps (or two cells) that need the same artifact
share one folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError

META = "artifact.json"
LIBRARIES = ("model-workbench", "torch", "transformers", "onnx", "onnxruntime", "onnxscript", "onnxslim",
             "gguf", "llama_cpp_python", "openvino", "MNN")  # the last four write/run the other targets' files
_FILE_HASHES: dict = {}


@dataclass
class Build:
    key: str
    kind: str  # export | optimize | quantize
    label: str  # "minilm int8" (for progress lines and failures)
    payload: dict
    parent: Optional[str] = None
    users: list = field(default_factory=list)  # (model, variant) pairs whose cells run on it


def _engine_hash() -> str:
    """A hash of the engine's own code (workbench/core/**/*.py): a fix in an exporter or quantizer makes new keys,
    as a library upgrade does (the package version alone stays 0.1.0 across commits)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=12)
    for f in sorted(root.rglob("*.py")):
        h.update(f"{f.relative_to(root)}\0{file_hash(f)}\0".encode())
    return h.hexdigest()


def _versions() -> dict:
    out = {"engine": _engine_hash()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def file_hash(path: Path) -> str:
    st = path.stat()
    memo = (str(path), st.st_size, st.st_mtime_ns)
    if memo not in _FILE_HASHES:
        h = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _FILE_HASHES[memo] = h.hexdigest()
    return _FILE_HASHES[memo]


def content_hash(path: str) -> str:
    """A hash of a file's bytes, or of every file in a folder (names and bytes; hidden files skipped)."""
    p = Path(path.rpartition(":")[0] if ".py:" in path else path)
    if not p.exists():
        raise WorkbenchError(f"{p} does not exist", "fix the model's path in the sweep file")
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and
                                           not any(part.startswith(".") for part in f.relative_to(p).parts))
    h = hashlib.blake2b(digest_size=20)
    for f in files:
        h.update(f"{f.relative_to(p) if f != p else f.name}\0{file_hash(f)}\0".encode())
    return h.hexdigest()


def key_of(*parts) -> str:
    return hashlib.blake2b(json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()


def plan_builds(sweep) -> tuple[dict, dict]:
    """({key: Build} parents before children, {(model, variant): key of the artifact its cells run on})."""
    builds: dict = {}
    artifact_of: dict = {}
    versions = _versions()
    for model in sweep.models:
        source_key = content_hash(model.source["path"])
        if model.source.get("weights"):
            source_key = key_of(source_key, content_hash(model.source["weights"]))
        for variant in sweep.variants:
            export = dict(variant.export) if variant.target else {**model.export, **variant.export}
            key = key_of("export", source_key, export, versions)
            chain = [(key, "export", {"source": model.source, "export": export})]
            if variant.optimize is not None:
                key = key_of("optimize", key, variant.optimize)
                chain.append((key, "optimize", {"section": variant.optimize}))
            if variant.quantize is not None:
                q = variant.quantize
                calib = content_hash(q["calibration"]) if q.get("calibration") else None
                key = key_of("quantize", key, q, calib)
                chain.append((key, "quantize", {"section": q}))
            parent = None
            for k, kind, payload in chain:
                if k not in builds:
                    label = model.name + ("" if kind == "export" and not variant.export else f" {variant.name}")
                    builds[k] = Build(k, kind, label if kind != "export" else f"{label} export",
                                      {**payload, "kind": kind, "source": model.source}, parent)
                parent = k
            builds[key].users.append((model.name, variant.name))
            artifact_of[(model.name, variant.name)] = key
    return builds, artifact_of


def read_meta(cache: Path, key: str) -> Optional[dict]:
    try:
        return json.loads((cache / key / META).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _model_path(cache: Path, key: str) -> Path:
    meta = read_meta(cache, key)
    if meta is None:
        raise WorkbenchError(f"artifact {key} is missing from {cache}", "run the sweep again: it rebuilds it")
    return cache / key / meta["model_file"]


def build_artifact(payload: dict, progress=None, cancel=None) -> dict:
    """Child job: build one artifact into ``payload['cache']/<key>`` (staged), validate it against PyTorch and
    return its artifact.json. The parent artifact (``payload['parent']``) must already be in the cache."""
    from workbench.core.fsutil import staged_folder

    cache, key = Path(payload["cache"]), payload["key"]
    meta = read_meta(cache, key)
    if meta is not None:  # built meanwhile by another sweep or worker
        return {**meta, "reused": True}
    started = time.perf_counter()
    try:
        with staged_folder(cache / key) as stage:
            model_file, result = _build(payload, stage, progress, cancel)
            meta = {"key": key, "kind": payload["kind"], "model_file": model_file, "result": result,
                    "size_bytes": sum(f.stat().st_size for f in stage.rglob("*") if f.is_file()),
                    **_fidelity(stage / model_file, payload["source"], result.get("target", "onnx"), cache / key),
                    "seconds": round(time.perf_counter() - started, 3), "built_on": os.uname().nodename}
            (stage / META).write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    except (OSError, WorkbenchError):
        other = read_meta(cache, key)  # another worker finished the same key first: its folder is the artifact
        if other is None:
            raise
        return {**other, "reused": True}
    return {**meta, "reused": False}


def _source_spec(source: dict):
    from workbench.core.recipe_schema import build_spec

    return build_spec("source", {k: v for k, v in source.items() if k != "trust_code"})


def _build(payload: dict, stage: Path, progress, cancel) -> tuple[str, dict]:
    from workbench.core.recipe_schema import DEFAULTS, build_spec

    kind, force = payload["kind"], True  # the staging folder is the sweep's own, new
    if kind == "export":
        from workbench.core.dynamic_axes import parse_dynamic
        from workbench.core.registry import default_registry
        from workbench.core.specs import InputSpec

        e = dict(payload["export"])
        target = e.get("target", DEFAULTS["export"]["target"])
        name = "model" + default_registry().target(target).suffix  # the target's own: model.xml, model.gguf...
        spec = build_spec("export", e, source=_source_spec(payload["source"]), output=str(stage / name),
                          dynamic_axes=parse_dynamic(e["dynamic"]) if e.get("dynamic") else None,
                          inputs=InputSpec(batch=e.get("batch", DEFAULTS["export"]["batch"]),
                                           sequence=e.get("sequence", DEFAULTS["export"]["sequence"])), force=force)
        res = default_registry().target(spec.target).export(spec, progress=progress, cancel=cancel)
        return Path(res.path).name, {"target": res.target, "seconds": res.seconds}
    src = _model_path(Path(payload["cache"]), payload["parent"])
    if kind == "optimize":
        from workbench.core.optimize import optimize_model

        spec = build_spec("optimize", payload["section"], model=str(src), output=str(stage / "model.onnx"),
                          against=None, force=force)
        res = optimize_model(spec, progress=progress, cancel=cancel)
        return "model.onnx", {"nodes_before": res.nodes_before, "nodes_after": res.nodes_after}
    from workbench.core.quantize.runner import quantize_model

    spec = build_spec("quantize", payload["section"], model=str(src), output=str(stage / "model.onnx"), force=force)
    res = quantize_model(spec, progress=progress, cancel=cancel)
    summary = {k: v for k, v in res.to_dict().items() if k in ("mode", "fidelity", "passed", "floor", "notes")}
    if res.targeting:  # int8 fidelity targeting: the nodes it kept in float32
        summary["kept_fp32"] = res.targeting.get("kept_fp32")
    return "model.onnx", summary


def _fidelity(model: Path, source: dict, target: str, final: Path) -> dict:
    """Cosine (worst output, worst shape) and max relative difference against PyTorch, through validate (run in
    the staging folder; messages name the ``final`` folder, the one that stays)."""
    from workbench.core.specs import ValidateSpec

    spec = ValidateSpec(model=str(model), against=_source_spec(source))
    try:
        if model.suffix == ".onnx":
            from workbench.core.validate import validate_model

            res = validate_model(spec)
        else:
            from workbench.core.registry import default_registry

            res = default_registry().target(target).validate(spec)
    except WorkbenchError as err:
        return {"cosine": None, "max_rel_diff": None, "validate_passed": None,
                "validate_error": err.one_line().replace(str(model.parent), str(final))}
    if not hasattr(res, "outputs"):  # a GGUF's validation (core/gguf_validate): per prompt, not per output
        prompts = res["prompts"]
        rel = [p["max_rel"] for p in prompts if "max_rel" in p]
        return {"cosine": min((p["cosine_min"] for p in prompts), default=None),
                "max_rel_diff": max(rel) if rel else None, "validate_passed": res["passed"],
                "validate_reason": None if res["passed"] else res.outcome()[1]}
    outs = res.outputs or []
    return {"cosine": min((o.cosine for o in outs), default=None),
            "max_rel_diff": max((o.max_rel_diff for o in outs), default=None),
            "validate_passed": res.passed, "validate_reason": None if res.passed else res.outcome()[1]}


def model_path(cache: Path, key: str) -> Path:
    """The model file of a built artifact (WorkbenchError when it is not in the cache)."""
    return _model_path(cache, key)
