"""Recipe files (TOML or YAML): one file describes a pipeline; `workbench run RECIPE` runs it.

    name = "minilm"            output_dir = "out"          # relative paths are relative to the recipe file
    [source]    path, task, weights, trust_code
    [export]    target, exporter, opset, dtype, constant_folding, dynamic = ["input_ids:1=seq"], batch, sequence
    [validate]  rtol, atol                      (present = run it; also `enabled = false`)
    [optimize]  level, simplify, fusion, target = "cpu" | "cuda", fp16_outputs (cuda: float16 outputs)
    [[quantize]] mode, per_channel, calibration, method, op_types, exclude, block_size, algorithm, symmetric,
                min_cosine (int8-dynamic floor; see quantize/sensitivity.py), max_excluded
    [[gguf]]    quant (f16, q8_0, q4_k_m, ... as `export --target gguf --quant`), name: gguf/model.<name>.gguf,
                validated against PyTorch (with [validate]) and benchmarked in llama.cpp beside the others
    [[openvino]] dtype, quant, calibration; [[mnn]] dtype, quant, optimize_level: the same for those targets
    [bench]     provider, batch, sequence, iterations, warmup, threads, compare_torch = true,
                kv_cache = "f16" | "f32" (llama.cpp's KV cache for the .gguf rows; left out: f16, llama.cpp's own)

Size: just over 300 lines: the reader and the writer of the one format stay together, so that what is written is
what is read (tests/gui/test_recipe_roundtrip.py's property test).

The parser is strict: an unknown section or key, or a value of the wrong type, is an error that names it. The keys,
their types and defaults come from the spec dataclasses (recipe_schema.py), and so do the specs a recipe's
sections build (``Recipe.spec``). ``dumps_toml`` / ``save_recipe`` write
what the reader reads (the GUI's Save as recipe).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from workbench.core.errors import WorkbenchError, first_line
from workbench.core import recipe_schema as schema
from workbench.core.recipe_schema import QUANT_FILE, SCHEMA, SECTIONS, VARIANT_TARGETS, variant_label  # noqa: F401

@dataclass
class Recipe:
    path: Path
    name: str
    output_dir: Path
    source: dict
    export: dict = field(default_factory=dict)
    validate: Optional[dict] = None
    optimize: Optional[dict] = None
    quantize: list = field(default_factory=list)
    gguf: list = field(default_factory=list)  # [[gguf]] variants (recipe_schema.VARIANT_TARGETS)
    openvino: list = field(default_factory=list)  # [[openvino]] variants
    mnn: list = field(default_factory=list)  # [[mnn]] variants
    bench: Optional[dict] = None
    overwrite: bool = False  # replace files of the user's in the output folder (see workbench.core.fsutil)
    trust_code: bool = False  # --trust-code on the command line: [source] trust_code is honoured only with it
    description: str = ""

    def spec(self, section: str, entry: Optional[dict] = None, **given):
        """The spec dataclass a section (or one ``[[quantize]]`` ``entry``) builds: its values, the spec's defaults
        for the keys it leaves out, and ``given`` for the fields the pipeline sets (paths, source, overwrite)."""
        data = entry if entry is not None else getattr(self, section)
        return schema.build_spec(section, data or {}, **given)


def _typed(section: str, key: str, value, where: str):
    """The value of one key, checked against the schema (the spec field's type); the messages name the key."""
    expected = schema.SCHEMA[section].get(key)
    label = f"[{section}] " if section else ""
    if expected is None:
        known = ", ".join(sorted(schema.SCHEMA[section]))
        raise WorkbenchError(f"{where}: unknown key {label}'{key}'", f"use one of: {known}")
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    default = schema.DEFAULTS[section].get(key)
    hint = "fix the value in the recipe" + (f" (left out, it is {_scalar(default)})" if default is not None else "")
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        raise WorkbenchError(f"{where}: {label}'{key}' should be {expected.__name__}, got {type(value).__name__}",
                             hint)
    if expected is list and not all(isinstance(v, str) for v in value):
        raise WorkbenchError(f"{where}: {label}'{key}' should be a list of strings", hint)
    return value


def _section(data, section: str, where: str) -> dict:
    if not isinstance(data, dict):
        raise WorkbenchError(f"{where}: [{section}] should be a table", "fix the recipe")
    return {k: _typed(section, k, v, where) for k, v in data.items()}


def load_text(text: str, suffix: str, where: str) -> dict:
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except Exception as err:  # noqa: BLE001 - TOML and YAML parsers raise their own types
        first = first_line(err, 200)
        raise WorkbenchError(f"{where}: not a valid recipe ({first})", "fix the syntax of the file") from err
    if not isinstance(data, dict):
        raise WorkbenchError(f"{where}: a recipe is a table of sections", "see the recipe format in the README")
    return data


def parse_recipe(text: str, path: Path, suffix: str = ".toml") -> Recipe:
    where = path.name
    data = load_text(text, suffix, where)
    top = {k: v for k, v in data.items() if k not in SECTIONS}
    top = _section(top, "", where)
    if not isinstance(data.get("source"), dict) or "path" not in data["source"]:
        raise WorkbenchError(f"{where}: no [source] path", 'add [source] with path = "your/model"')
    base = path.parent
    source = _section(data["source"], "source", where)
    source["path"] = _resolve(base, source["path"])
    if "weights" in source:
        source["weights"] = _resolve(base, source["weights"])
    quant = _tables(data, "quantize", where)
    for q in quant:
        if "mode" not in q:
            raise WorkbenchError(f"{where}: a [[quantize]] entry has no mode", "add mode = \"int8-dynamic\"")
        if "calibration" in q:
            q["calibration"] = _resolve(base, q["calibration"])
    _check_quantize_names(quant, where)
    variants = {t: _tables(data, t, where) for t in VARIANT_TARGETS}
    for target, entries in variants.items():
        _check_variants(target, entries, where)
        for entry in entries:
            if "calibration" in entry:
                entry["calibration"] = _resolve(base, entry["calibration"])

    def optional(name):
        if name not in data:
            return None
        sec = _section(data[name] if data[name] is not None else {}, name, where)
        return None if sec.pop("enabled", True) is False else sec

    bench = optional("bench")
    schema.check_kv_cache("bench", bench, where)
    return Recipe(path=path, name=top.get("name", path.stem),
                  output_dir=Path(_resolve(base, top.get("output_dir", f"{path.stem}-out"))), source=source,
                  export=_section(data.get("export") or {}, "export", where), validate=optional("validate"),
                  optimize=optional("optimize"), quantize=quant, **variants, bench=bench,
                  overwrite=top.get("overwrite", False), description=top.get("description", ""))


def _tables(data: dict, key: str, where: str) -> list:
    """A ``[[key]]`` array of tables (one ``[key]`` table is a list of one), each checked against the schema."""
    tables = data.get(key, [])
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list):
        raise WorkbenchError(f"{where}: [[{key}]] should be a list of tables", "fix the recipe")
    return [_section(t, key, where) for t in tables]


def _check_variants(target: str, entries: list, where: str) -> None:
    """Each [[target]] value is one the target offers (its form's choices: gguf's quant types, mnn's optimize
    levels...), and no two entries write one file: checked on reading, so a bad entry stops the run before
    anything is written."""
    from workbench.core.fsutil import check_name
    from workbench.core.recipe_schema import _variant_form

    seen = set()
    for entry in entries:
        for option in _variant_form(target).options:
            known = [c.value for c in option.choices]
            value = entry.get(option.field)
            if known and value is not None and str(value).lower() not in known:
                what = "a GGUF type" if target == "gguf" else f"a value the {target} target offers"
                raise WorkbenchError(f"{where}: [[{target}]] {option.field} '{value}' is not {what}",
                                     f"use one of: {', '.join(known)}")
        label = variant_label(target, entry)
        check_name(label, f"{where}: [[{target}]] name")
        if label in seen:
            raise WorkbenchError(f"{where}: two [[{target}]] entries would both write {target}/model.{label}.*",
                                 'give one of them a name, e.g. name = "b"')
        seen.add(label)


def checked_variants(target: str, entries: list, where: str = "recipe") -> list:
    """``entries`` as a recipe's [[target]] holds them, through the reader's own checks (keys and types, values
    the target offers, no two writing one file): what the GUI's "Add to recipe" writes is what a file would read."""
    if target not in VARIANT_TARGETS:
        raise WorkbenchError(f"{where}: {target} is not a recipe variant section",
                             f"use one of: {', '.join(VARIANT_TARGETS)}")
    tables = _tables({target: list(entries)}, target, where)
    _check_variants(target, tables, where)
    return tables


def _check_quantize_names(quant: list, where: str) -> None:
    """Each [[quantize]] becomes quantized/model.<name>.onnx: a plain name, and no two the same."""
    from workbench.core.fsutil import check_name

    seen = set()
    for q in quant:
        label = q.get("name") or QUANT_FILE.get(q["mode"], q["mode"])
        check_name(label, f"{where}: [[quantize]] name" if "name" in q else f"{where}: [[quantize]] mode")
        if label in seen:
            raise WorkbenchError(f"{where}: two [[quantize]] entries would both write model.{label}.onnx",
                                 'give one of them a name, e.g. name = "int8-b"')
        seen.add(label)


def _resolve(base: Path, value: str) -> str:
    if ".py:" in value:  # model.py:ClassName
        file, _, cls = value.rpartition(":")
        return f"{_resolve(base, file)}:{cls}"
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def load_recipe(path: str) -> Recipe:
    from workbench.core.loading.limits import read_text

    p, text = read_text(path, "recipe file", "give the path of a .toml or .yaml recipe")
    return parse_recipe(text, p.resolve(), p.suffix.lower())


def read_recipe(path) -> dict:
    """A recipe file through the strict reader, as the dict ``save_recipe`` writes back: the keys the file sets,
    relative paths resolved (the GUI's Open recipe; ``recipe_schema.with_defaults`` fills in what it leaves out).
    Raises WorkbenchError with the reader's one-line message."""
    return recipe_to_dict(load_recipe(str(path)))


def recipe_to_dict(recipe: Recipe) -> dict:
    data = {"name": recipe.name, "output_dir": str(recipe.output_dir), "source": recipe.source,
            "export": recipe.export}
    if recipe.overwrite:
        data["overwrite"] = True
    if recipe.description:
        data["description"] = recipe.description
    for key in ("validate", "optimize", "bench"):
        if getattr(recipe, key) is not None:
            data[key] = getattr(recipe, key)
    if recipe.quantize:
        data["quantize"] = recipe.quantize
    for target in VARIANT_TARGETS:
        if getattr(recipe, target):
            data[target] = getattr(recipe, target)
    return data


def run_recipe(path: str, output_dir: Optional[str] = None, progress=None, cancel=None,
               overwrite: Optional[bool] = None, trust_code: bool = False):
    from workbench.core.pipeline import run_pipeline

    recipe = load_recipe(path)
    if output_dir:
        recipe.output_dir = Path(output_dir).expanduser().resolve()
    if overwrite:  # --force: on top of the recipe's own overwrite = true
        recipe.overwrite = True
    recipe.trust_code = bool(trust_code)
    return run_pipeline(recipe, progress=progress, cancel=cancel)


def dumps_json(recipe: Recipe) -> str:
    return json.dumps(recipe_to_dict(recipe), indent=2)


# --- writing (TOML) ----------------------------------------------------------------------------------------------

def _clean(value):
    """Drop None (TOML has no null) recursively; tuples become lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value if v is not None]
    return value


def ordered(recipe: dict) -> dict:
    """Top-level keys first, then the sections in pipeline order, then any other table."""
    recipe = _clean(recipe)
    top = {k: v for k, v in recipe.items() if not isinstance(v, dict) and not _is_table_array(v)}
    sections = {k: recipe[k] for k in SECTIONS if k in recipe and k not in top}
    rest = {k: v for k, v in recipe.items() if k not in top and k not in sections}
    return {**top, **sections, **rest}


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _is_table_array(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps_toml(recipe: dict) -> str:
    """TOML text of a recipe (tomli_w when installed, else a small writer for this format's types)."""
    recipe = ordered(recipe)
    try:
        import tomli_w

        return tomli_w.dumps(recipe)
    except ImportError:
        pass
    lines = []
    for key, value in recipe.items():
        if not isinstance(value, dict) and not _is_table_array(value):
            lines.append(f"{key} = {_scalar(value)}")
    for key, value in recipe.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_scalar(v)}" for k, v in value.items()]
        elif _is_table_array(value):
            for table in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_scalar(v)}" for k, v in table.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def save_recipe(recipe: dict, path, force: bool = True) -> Path:
    """Write a recipe; the file is replaced only once it is complete (through workbench.core.fsutil: never a
    folder, a device or a link's target; an existing file of the user's only with ``force``, which the save
    dialog has asked about)."""
    from workbench.core.fsutil import staged_output

    text = dumps_toml(recipe)
    with staged_output(path, force=force) as staged:
        staged.write_text(text, encoding="utf-8")
    return Path(path)
