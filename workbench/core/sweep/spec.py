"""Sweep files: models x variants x axes, read strictly (an unknown key is an error that names it).

    name = "cpu-sweep"          output_dir = "sweep-out"        # relative paths are relative to the sweep file
    recipe = "base.toml"        # optional: its [source] and [export] are the model, its [[quantize]] the variants
    [[model]]   name, path, task, weights;  [model.export]: any recipe [export] key (dtype, opset, batch, ...)
    [[variant]] name;  export = {dtype = "fp16"};  optimize = {level = "extended"};  quantize = {mode = "int4"}
    [[gguf]] / [[openvino]] / [[mnn]]: other destinations' artifacts of each model, as in a recipe (quant = "q8_0",
                name); the base recipe's ones join too. Each is a variant named "<target>-<label>" (gguf-q8_0):
                its target exports it, its runtime (llama.cpp, OpenVINO, MNN) benches it at every axis value
    [axes]      batch = [1, 8], sequence = [128], threads = [1, 2], provider = ["cpu"], runtime = ["onnxruntime"],
                cuda_graph = [false], accelerator = ["H100", "A10G"] (Ray accelerator types: one GPU kind each)
    [bench]     iterations, warmup, time_budget_s (the recipe [bench] keys that are not axes), kv_cache (llama.cpp's
                KV cache type for the .gguf cells, f16 or f32; left out: f16, llama.cpp's default)
    [budget]    max_latency_ms, min_cosine  (the recommendation; the CLI's --max-latency-ms / --min-cosine win)

A variant's tables are recipe sections, checked by the recipe reader's own rules (recipe_schema): a key a recipe
section does not take is refused here too. Cells are the product of models, variants and every axis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError

AXES = {"batch": int, "sequence": int, "threads": int, "provider": str, "runtime": str, "cuda_graph": bool,
        "accelerator": str}
AXIS_DEFAULTS = {"batch": [1], "sequence": [128], "threads": [None], "provider": ["cpu"], "runtime": [None],
                 "cuda_graph": [False], "accelerator": [None]}
BENCH_KEYS = {"iterations": int, "warmup": int, "time_budget_s": float, "kv_cache": str}  # kv_cache: .gguf cells
BUDGET_KEYS = {"max_latency_ms": float, "min_cosine": float}
TOP_KEYS = {"name", "output_dir", "description", "recipe", "model", "variant", "axes", "bench", "budget", "gguf",
            "openvino", "mnn"}
MODEL_KEYS = {"name", "path", "task", "weights", "export"}
VARIANT_KEYS = {"name", "export", "optimize", "quantize"}


@dataclass(frozen=True)
class Model:
    name: str
    source: dict  # a recipe [source] section (path resolved)
    export: dict  # a recipe [export] section


@dataclass(frozen=True)
class Variant:
    name: str
    export: dict = field(default_factory=dict)  # on top of the model's [export]
    optimize: Optional[dict] = None
    quantize: Optional[dict] = None
    # a [[gguf]]/[[openvino]]/[[mnn]] entry: ``export`` is that target's whole export (target, quant...), not put
    # on top of the model's [export] (as a recipe writes its variants: from the source, with the target's options)
    target: Optional[str] = None


@dataclass(frozen=True)
class Cell:
    model: str
    variant: str
    batch: int
    sequence: int
    threads: Optional[int]
    provider: str
    runtime: Optional[str]
    cuda_graph: bool
    accelerator: Optional[str] = None  # a Ray accelerator_type (e.g. "H100"): which GPU kind times the cell

    def label(self) -> str:
        parts = [self.model, self.variant, f"b{self.batch}", f"s{self.sequence}",
                 f"t{self.threads}" if self.threads else "t-", self.provider]
        if self.runtime:
            parts.append(self.runtime)
        if self.cuda_graph:
            parts.append("graph")
        if self.accelerator:
            parts.append(self.accelerator)
        return " ".join(parts)


@dataclass
class Sweep:
    path: Path
    name: str
    output_dir: Path
    models: list
    variants: list
    axes: dict
    bench: dict
    budget: dict
    description: str = ""

    def cells(self) -> list:
        out: dict = {}
        keys = list(AXES)
        for model, variant in itertools.product(self.models, self.variants):
            for values in itertools.product(*(self.axes[k] for k in keys)):
                v = dict(zip(keys, values))
                if v["cuda_graph"] and v["provider"] != "cuda":
                    continue  # CUDA graphs are a CUDA provider setting: no CPU cell for them
                if v["provider"] != "cuda":
                    v["accelerator"] = None  # a GPU kind picks where CUDA cells run; CPU cells run once
                cell = Cell(model.name, variant.name, **v)
                out[cell] = None
        return list(out)

    def model(self, name: str) -> Model:
        return next(m for m in self.models if m.name == name)

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)


def _table(value, what: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise WorkbenchError(f"{where}: {what} should be a table", "fix the sweep file")
    return value


def _keys(data: dict, allowed, what: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            raise WorkbenchError(f"{where}: unknown key {what}'{key}'", f"use one of: {', '.join(sorted(allowed))}")


def _typed(data: dict, types: dict, what: str, where: str) -> dict:
    _keys(data, types, what, where)
    out = {}
    for key, value in data.items():
        kind = types[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise WorkbenchError(f"{where}: {what}'{key}' should be {kind.__name__}, got {type(value).__name__}",
                                 "fix the value in the sweep file")
        out[key] = value
    return out


def _name(value, what: str, where: str) -> str:
    from workbench.core.fsutil import check_name

    if not isinstance(value, str) or not value:
        raise WorkbenchError(f"{where}: {what} needs a name", 'add name = "..."')
    return check_name(value, f"{where}: {what} name")


def _section(name: str, data, where: str) -> dict:
    """A recipe section through the recipe reader's checks (keys and types from the spec dataclasses)."""
    from workbench.core.recipe import _section as recipe_section

    return recipe_section(data, name, where)


def _axes(data: dict, where: str) -> dict:
    _keys(data, AXES, "[axes] ", where)
    axes = {}
    for key, kind in AXES.items():
        values = data.get(key, AXIS_DEFAULTS[key])
        if not isinstance(values, list) or not values:
            raise WorkbenchError(f"{where}: [axes] {key} should be a non-empty list", f"e.g. {key} = "
                                 f"{AXIS_DEFAULTS[key] if AXIS_DEFAULTS[key] != [None] else [1, 2]}")
        for v in values:
            if v is not None and (not isinstance(v, kind) or (kind is int and isinstance(v, bool))):
                raise WorkbenchError(f"{where}: [axes] {key} holds {v!r}, not {kind.__name__}",
                                     "fix the value in the sweep file")
            if kind is int and v is not None and v < 1:
                raise WorkbenchError(f"{where}: [axes] {key} holds {v}", f"{key} values are 1 or more")
        if key == "provider" and any(v not in ("cpu", "cuda") for v in values):
            raise WorkbenchError(f"{where}: [axes] provider holds {values}", 'use "cpu" and/or "cuda"')
        if len(set(values)) != len(values):
            raise WorkbenchError(f"{where}: [axes] {key} repeats a value: {values}", "list each value once")
        axes[key] = list(values)
    return axes


def _models(data: dict, base: Path, where: str) -> list:
    from workbench.core.recipe import _resolve, load_recipe

    models = []
    if "recipe" in data:
        recipe = load_recipe(str(_resolve(base, data["recipe"])))
        models.append(Model(recipe.name, dict(recipe.source), dict(recipe.export)))
    entries = data.get("model", [])
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise WorkbenchError(f"{where}: [[model]] should be a list of tables", "fix the sweep file")
    for entry in entries:
        entry = _table(entry, "[[model]]", where)
        _keys(entry, MODEL_KEYS, "[[model]] ", where)
        name = _name(entry.get("name"), "[[model]]", where)
        if "path" not in entry:
            raise WorkbenchError(f"{where}: [[model]] {name} has no path", 'add path = "your/model"')
        source = _section("source", {k: entry[k] for k in ("path", "task", "weights") if k in entry}, where)
        source["path"] = _resolve(base, source["path"])
        if "weights" in source:
            source["weights"] = _resolve(base, source["weights"])
        models.append(Model(name, source, _section("export", entry.get("export") or {}, where)))
    if not models:
        raise WorkbenchError(f"{where}: no model to sweep", 'add [[model]] with name and path, or recipe = "..."')
    _unique([m.name for m in models], "[[model]]", where)
    return models


def _variants(data: dict, base: Path, where: str) -> list:
    from workbench.core.recipe import _resolve, load_recipe
    from workbench.core.recipe_schema import VARIANT_TARGETS

    from workbench.core.sweep.target_variants import own_tables, target_variants

    own = [Variant(n, e, target=t) for n, e, t in target_variants(own_tables(data, where), base, where)]
    entries = data.get("variant")
    if entries is None and "recipe" in data:  # the base recipe's variants: fp32, each [[quantize]], each target's
        from workbench.core.recipe_schema import QUANT_FILE

        path = _resolve(base, data["recipe"])
        recipe = load_recipe(str(path))
        variants = [Variant("fp32")] + [Variant(q.get("name") or QUANT_FILE.get(q["mode"], q["mode"]), quantize=q)
                                        for q in recipe.quantize]
        variants += [Variant(n, e, target=t) for n, e, t in target_variants(
            {t: getattr(recipe, t) for t in VARIANT_TARGETS}, Path(path).parent, where)]
        variants += own
        _unique([v.name for v in variants], "variant", where)
        return variants
    if entries is None and own:  # only other destinations: no ONNX variant unless [[variant]] asks for one
        _unique([v.name for v in own], "variant", where)
        return own
    entries = [entries] if isinstance(entries, dict) else entries if entries is not None else [{"name": "fp32"}]
    if not isinstance(entries, list):
        raise WorkbenchError(f"{where}: [[variant]] should be a list of tables", "fix the sweep file")
    variants = []
    for entry in entries:
        entry = _table(entry, "[[variant]]", where)
        _keys(entry, VARIANT_KEYS, "[[variant]] ", where)
        name = _name(entry.get("name"), "[[variant]]", where)
        quant = _section("quantize", entry["quantize"], where) if "quantize" in entry else None
        if quant is not None:
            if "mode" not in quant:
                raise WorkbenchError(f"{where}: [[variant]] {name}: quantize has no mode", 'add mode = "int8-dynamic"')
            if "calibration" in quant:
                quant["calibration"] = _resolve(base, quant["calibration"])
        export = entry.get("export") or {}
        if isinstance(export, dict) and export.get("target", "onnx") != "onnx" and (
                "optimize" in entry or "quantize" in entry):
            raise WorkbenchError(f"{where}: [[variant]] {name}: optimize and quantize work on ONNX files, and its "
                                 f"export target is {export['target']}", f"leave them out, or use [[{export['target']}]]"
                                 " with its own options (e.g. quant = \"q8_0\")")
        variants.append(Variant(name, _section("export", entry.get("export") or {}, where),
                                _section("optimize", entry["optimize"], where) if "optimize" in entry else None,
                                quant))
    variants += own
    _unique([v.name for v in variants], "variant", where)
    return variants


def _unique(names: list, what: str, where: str) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise WorkbenchError(f"{where}: two {what} entries are named {n}", "give each a name of its own")
        seen.add(n)


def parse_sweep(text: str, path: Path) -> Sweep:
    from workbench.core.recipe import _resolve, load_text

    where = path.name
    data = load_text(text, path.suffix.lower(), where)
    _keys(data, TOP_KEYS, "", where)
    base = path.parent
    for key in ("name", "output_dir", "description", "recipe"):
        if key in data and not isinstance(data[key], str):
            raise WorkbenchError(f"{where}: '{key}' should be str, got {type(data[key]).__name__}",
                                 "fix the value in the sweep file")
    bench = _typed(_table(data.get("bench", {}), "[bench]", where), BENCH_KEYS, "[bench] ", where)
    budget = _typed(_table(data.get("budget", {}), "[budget]", where), BUDGET_KEYS, "[budget] ", where)
    from workbench.core.recipe_schema import check_kv_cache

    check_kv_cache("bench", bench, where)  # a recipe's [bench] kv_cache check: llama.cpp's types, one line
    return Sweep(path=path, name=data.get("name", path.stem),
                 output_dir=Path(_resolve(base, data.get("output_dir", f"{path.stem}-out"))),
                 models=_models(data, base, where), variants=_variants(data, base, where),
                 axes=_axes(_table(data.get("axes", {}), "[axes]", where), where), bench=bench, budget=budget,
                 description=data.get("description", ""))


def load_sweep(path: str) -> Sweep:
    from workbench.core.loading.limits import read_text

    p, text = read_text(path, "sweep file", "give the path of a .toml or .yaml sweep file")
    return parse_sweep(text, p.resolve())
