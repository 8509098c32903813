"""Run a recipe's pipeline: export -> validate -> optimize -> quantize variants -> GGUF / OpenVINO / MNN variants
-> benchmark -> report (one table of every artifact: size, fidelity against PyTorch, speed, memory; report_summary.artifacts).

Every artifact goes into the output folder. A failed export stops the run; a failed later step is recorded in
the report and the remaining steps go on (a broken int4 variant must not hide the int8 numbers)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from workbench.core.errors import JobCancelled, WorkbenchError
from workbench.core.fsutil import check_name, check_outputs, output_folder, source_inputs
from workbench.core.jobs import no_progress
from workbench.core.recipe_schema import DEFAULTS, QUANT_FILE, VARIANT_TARGETS, spec_fields, variant_label
from workbench.core.results import RunResult
from workbench.core.specs import BenchSpec, ExportSpec, InputSpec, ModelSource


class _Progress:
    """Splits the run's progress bar between its steps."""

    def __init__(self, progress, cancel, steps: int):
        self.progress, self.cancel, self.steps, self.index = progress or no_progress, cancel, max(steps, 1), 0

    def step(self, label: str):
        if self.cancel is not None:
            self.cancel.check()
        base, share = self.index / self.steps, 1 / self.steps
        self.index += 1
        self.progress(base, label)
        return lambda f, m: self.progress(base + share * max(0.0, min(f, 1.0)), f"{label}: {m}")


def _source(recipe) -> ModelSource:
    """The recipe's source. Its code runs only when the caller allowed it (``workbench run RECIPE --trust-code``);
    a recipe's own ``trust_code = true`` without that is refused: a recipe file alone never runs code."""
    s = recipe.source
    allowed = bool(getattr(recipe, "trust_code", False))
    if s.get("trust_code", False) and not allowed:
        raise WorkbenchError(f"{recipe.path} sets trust_code = true, which runs the code of {s['path']}",
                             "add --trust-code to `workbench run` to allow it (only for recipes you trust)")
    return dataclasses.replace(recipe.spec("source"), trust_code=allowed)


def _export_spec(recipe, source, out: Path) -> ExportSpec:
    from workbench.core.dynamic_axes import parse_dynamic
    from workbench.core.registry import default_registry

    e, defaults = recipe.export, DEFAULTS["export"]
    # the target's own suffix: model.onnx, model.xml (OpenVINO), model.mnn, model.gguf, model.pt (TorchScript)
    name = "model" + (default_registry().target(spec_fields("export", e)["target"]).suffix or ".pt")
    return recipe.spec("export", source=source, output=str(out / "export" / name),
                       dynamic_axes=parse_dynamic(e["dynamic"]) if e.get("dynamic") else None,
                       inputs=InputSpec(batch=e.get("batch", defaults["batch"]),
                                        sequence=e.get("sequence", defaults["sequence"])),
                       force=recipe.overwrite)


def _quant_label(q: dict) -> str:
    return check_name(q.get("name") or QUANT_FILE.get(q["mode"], q["mode"]), "[[quantize]] name")


def _planned(recipe, source, out: Path) -> list:
    """Every file the run will write, checked before anything runs."""
    is_onnx = recipe.export.get("target", DEFAULTS["export"]["target"]) == "onnx"
    paths = [_export_spec(recipe, source, out).output, out / "report.json", out / "report.html"]
    if is_onnx and recipe.optimize is not None:
        paths.append(out / "optimized" / "model.onnx")
    paths += [out / "quantized" / f"model.{_quant_label(q)}.onnx" for q in (recipe.quantize if is_onnx else [])]
    if recipe.gguf and not (Path(source.path).expanduser() / "config.json").is_file():
        raise WorkbenchError(f"[[gguf]] converts a Hugging Face model folder; {source.path} is not one",
                             "point [source] path at a folder with config.json and *.safetensors, or remove the "
                             "[[gguf]] entries")
    paths += [_variant_path(out, t, e) for t in VARIANT_TARGETS for e in getattr(recipe, t)]
    return paths


def _variant_path(out: Path, target: str, entry: dict) -> Path:
    """T/model.<label><the target's suffix>: gguf/model.q8_0.gguf, openvino/model.int8.xml, mnn/model.fp32.mnn."""
    from workbench.core.registry import default_registry

    return out / target / f"model.{variant_label(target, entry)}{default_registry().target(target).suffix}"


def _runtime_label(path) -> str:
    """The name of the runtime that opens an artifact ("onnxruntime", "llama.cpp", "openvino"): a variant's name and
    its row's runtime in the report; None when no runtime but PyTorch opens it (e.g. TorchScript's .pt)."""
    from workbench.core.registry import default_registry
    from workbench.core.runtimes.select import REFERENCE

    found = [r for r in default_registry().runtimes_for(Path(str(path))) if r.name != REFERENCE]
    return found[0].name if found else None


def run_pipeline(recipe, progress=None, cancel=None) -> RunResult:
    source = _source(recipe)
    # The output folder is checked (not /, a system folder, a file, or in the source folder) and made; on failure
    # everything this run wrote in it is removed again (workbench.core.fsutil.output_folder).
    with output_folder(recipe.output_dir, inputs=source_inputs(source)) as out:
        check_outputs(_planned(recipe, source, out), force=recipe.overwrite, inputs=source_inputs(source), root=out)
        return _run_pipeline(recipe, source, out, progress, cancel)


def _run_pipeline(recipe, source, out: Path, progress, cancel) -> RunResult:
    # The engine's own functions, not workbench.api (the facade over them): imports point down only.
    from workbench.core.optimize import optimize_model
    from workbench.core.quantize.runner import quantize_model
    from workbench.core.registry import default_registry
    from workbench.core.report import write_report
    from workbench.core.report_artifacts import artifacts
    from workbench.core.validate import validate_model

    n_variants = sum(len(getattr(recipe, t)) for t in VARIANT_TARGETS)
    steps_total = 2 + bool(recipe.validate is not None) + bool(recipe.optimize is not None) + \
        len(recipe.quantize) + n_variants * (1 + bool(recipe.validate is not None)) + bool(recipe.bench is not None)
    bar = _Progress(progress, cancel, steps_total)
    report: dict = {"recipe": str(recipe.path), "name": recipe.name, "source": source.path, "steps": [],
                    "failed": [], "started": time.strftime("%Y-%m-%d %H:%M:%S")}

    def record(name: str, fn):
        started = time.perf_counter()
        try:
            result = fn()
        except JobCancelled:
            raise
        except WorkbenchError as err:
            report["failed"].append(f"{name}: {err.one_line()}")
            report["steps"].append({"name": name, "ok": False, "error": err.one_line(),
                                    "seconds": time.perf_counter() - started})
            return None
        ok, reason = result.outcome() if hasattr(result, "outcome") else (True, None)
        if not ok:  # e.g. a validation that ran and FAILED: the run fails, the report still has the numbers
            report["failed"].append(f"{name}: {reason}")
        report["steps"].append({"name": name, "ok": ok, "seconds": time.perf_counter() - started,
                                "result": result.to_dict() if hasattr(result, "to_dict") else result,
                                **({"error": reason} if not ok else {})})
        return result

    espec = _export_spec(recipe, source, out)
    exported = default_registry().target(espec.target).export(espec, progress=bar.step("export"), cancel=cancel)
    report["steps"].append({"name": "export", "ok": True, "seconds": exported.seconds,
                            "result": exported.to_dict()})
    model = exported.path
    is_onnx = exported.target == "onnx"
    if recipe.validate is not None:
        vspec = recipe.spec("validate", model=model, against=source)
        if is_onnx:
            record("validate", lambda: validate_model(vspec, progress=bar.step("validate"), cancel=cancel))
        else:
            target = default_registry().target(exported.target)
            # The file to check is the one this run just wrote (e.g. TorchScript, which loads as a program); any
            # program in the source was already allowed by the export above, so trusting it here adds nothing.
            tspec = dataclasses.replace(vspec, against=dataclasses.replace(source, trust_code=True))
            record("validate", lambda: target.validate(tspec, progress=bar.step("validate"), cancel=cancel))
    variants = {"ORT fp32": model} if is_onnx else {}
    if not is_onnx and _runtime_label(model):  # e.g. OpenVINO's .xml, MNN's .mnn, a .gguf: in the one table too
        variants[f"{_runtime_label(model)} {exported.dtype} (export)"] = model
    if recipe.optimize is not None and is_onnx:
        ospec = recipe.spec("optimize", model=model, output=str(out / "optimized" / "model.onnx"),
                            against=source, force=recipe.overwrite)
        res = record("optimize", lambda: optimize_model(ospec, progress=bar.step("optimize"), cancel=cancel))
        if res is not None:
            variants["ORT optimized"] = res.output
    for q in (recipe.quantize if is_onnx else []):
        label = _quant_label(q)
        qspec = recipe.spec("quantize", q, model=model, output=str(out / "quantized" / f"model.{label}.onnx"),
                            force=recipe.overwrite)
        res = record(f"quantize {label}", lambda qs=qspec, lb=label: quantize_model(
            qs, progress=bar.step(f"quantize {lb}"), cancel=cancel))
        if res is not None:
            variants[f"ORT {label}"] = res.output
    fidelity_steps = {}  # variant -> the step that measured it against PyTorch (report_artifacts)
    for target in VARIANT_TARGETS:
        for entry in getattr(recipe, target):
            label = variant_label(target, entry)
            path = _variant(recipe, target, entry, source, out, record, bar, cancel)
            if path is not None:
                name = f"{_runtime_label(path) or target} {label}"
                variants[name] = path
                fidelity_steps[name] = f"validate {target} {label}"
    if recipe.bench is not None and variants:
        b = recipe.bench
        bspec = recipe.spec("bench", model=model)  # BenchSpec's defaults, as `workbench bench`
        torch_source = source if b.get("compare_torch", DEFAULTS["bench"]["compare_torch"]) else None
        rows = record("bench", lambda: _bench_all(variants, torch_source, bspec, bar.step("benchmark"), cancel,
                                                  b.get("kv_cache")))
        report["failed"] += [f"bench {name}: {why}" for name, why in (rows.failures if rows else [])]
    bar.step("report")
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    report["variants"] = variants
    report["runtimes"] = {name: _runtime_label(path) for name, path in variants.items()}
    report["fidelity_steps"] = fidelity_steps
    report["artifacts"] = artifacts(report)  # the one table: size, fidelity vs PyTorch, speed, memory
    json_path, html_path = write_report(report, out, recipe.overwrite, source_inputs(source))
    (progress or no_progress)(1.0, "done")
    return RunResult(output_dir=str(out), report_json=str(json_path), report_html=str(html_path),
                     steps=[s["name"] for s in report["steps"]], failed=report["failed"])


def _variant(recipe, target_name: str, entry: dict, source, out: Path, record, bar, cancel):
    """One [[gguf]] / [[openvino]] / [[mnn]] entry: written by its target (step "T LABEL"), validated against
    PyTorch when the recipe has [validate] (step "validate T LABEL"); the artifact's path, or None when it failed."""
    from workbench.core.registry import default_registry

    label, target = variant_label(target_name, entry), default_registry().target(target_name)
    spec = recipe.spec(target_name, entry, target=target_name, source=source,
                       output=str(_variant_path(out, target_name, entry)), force=recipe.overwrite)
    step = f"{target_name} {label}"
    res = record(step, lambda: target.export(spec, progress=bar.step(step), cancel=cancel))
    if res is None:
        return None
    if recipe.validate is not None and target.validate is not None:
        vspec = recipe.spec("validate", model=res.path, against=source)
        record(f"validate {step}", lambda: target.validate(vspec, progress=bar.step(f"validate {step}"),
                                                            cancel=cancel))
    return res.path


class _Rows:
    def __init__(self, rows, failures=()):
        self.rows, self.failures = rows, list(failures)

    def to_dict(self):
        return {"rows": [r.to_dict() for r in self.rows],
                "failed": [{"name": name, "error": why} for name, why in self.failures]}


def _bench_all(variants: dict, source, spec: BenchSpec, progress, cancel, kv_cache=None) -> _Rows:
    """PyTorch eager and each variant (ONNX Runtime, llama.cpp, ...), each in its own process so peak memory is
    its own; a variant that fails is a failure of its own, the others' rows stay. ``kv_cache`` ([bench] kv_cache)
    goes to the llama.cpp rows only: it is that runtime's setting."""
    from workbench.core.bench.isolated import compare_table

    progress(0.0, f"{len(variants) + bool(source)} variants")
    failures: list = []
    options = {name: {"kv_cache": kv_cache} for name, path in variants.items()
               if kv_cache is not None and str(path).lower().endswith(".gguf")}
    rows = compare_table(variants, source, spec, progress=progress, cancel=cancel, failures=failures,
                         options=options)
    return _Rows(rows, failures)
