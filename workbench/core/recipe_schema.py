"""What a recipe section may hold, derived from the spec dataclasses (workbench.core.specs) with
``dataclasses.fields``: the keys, their types (the messages of the strict reader name them), the defaults of keys
left out, and the spec a section builds (``build_spec``). The reader (recipe.py), the pipeline (pipeline.py) and
the GUI (``with_defaults``) read this one description; a field added to a spec is a recipe key with no other
change, and a key left out means what the spec's default means (the pipeline's defaults are the specs')."""

from __future__ import annotations

import typing
from dataclasses import MISSING, fields
from typing import Optional

from workbench.core.specs import BenchSpec, ExportSpec, InputSpec, ModelSource, OptimizeSpec, QuantSpec, ValidateSpec

QUANT_FILE = {"int8-dynamic": "int8", "int8-static": "int8-static", "fp16": "fp16", "int4": "int4",
              "int8-weight": "int8-weight"}  # [[quantize]] mode -> quantized/model.<this>.onnx without a name

# Each section is read into one spec dataclass (workbench.core.specs): its keys, their types and their defaults are
# the spec's fields, less the ones the pipeline sets itself (the paths it derives, the source it passes on, the
# overwrite rule), plus the few keys a recipe spells its own way (RECIPE_KEYS).

# [[gguf]], [[openvino]], [[mnn]]: more artifacts of the same source, each an export by that target (an ExportSpec
# with its target: a table holds the options its `workbench export --target T` form declares, e.g. gguf's --quant,
# openvino's --dtype/--quant/--calibration, mnn's --optimize-level, and the variant's name); each is written to
# T/model.<label><the target's suffix>, validated against PyTorch when [validate] is there, and benchmarked in its
# runtime beside the other variants (one table of every artifact in the report).
VARIANT_TARGETS = ("gguf", "openvino", "mnn")


def _variant_form(target: str):
    from importlib import import_module

    return import_module(f"workbench.core.targets.{target}").FORM


VARIANT_KEYS = {t: tuple(o.field for o in _variant_form(t).options) for t in VARIANT_TARGETS}
SECTION_SPECS = {"source": ModelSource, "export": ExportSpec, "validate": ValidateSpec, "optimize": OptimizeSpec,
                 "quantize": QuantSpec, **{t: ExportSpec for t in VARIANT_TARGETS}, "bench": BenchSpec}
SET_BY_PIPELINE = {
    "source": {"family_options"},
    "export": {"source", "output", "export_params", "dynamic_axes", "inputs", "force"},
    "validate": {"model", "against", "shapes", "provider", "locate", "input_shapes"},
    "optimize": {"model", "output", "against", "force"},
    "quantize": {"model", "output", "tokenizer", "force"},
    **{t: {f.name for f in fields(ExportSpec)} - set(VARIANT_KEYS[t]) for t in VARIANT_TARGETS},
    "bench": {"model", "io_binding", "cuda_graph", "compare_torch", "torch_dtype", "trust_code",
              "runtime_options"},  # not a recipe key yet: `workbench bench --hint/--streams` only
}
# Keys that are not spec fields: {section: {key: (type, default)}}; "" is the top level.
RECIPE_KEYS: dict = {
    "": {"name": (str, None), "output_dir": (str, None), "description": (str, ""), "overwrite": (bool, False)},
    "export": {"dynamic": (list, None), "batch": (int, InputSpec().batch), "sequence": (int, InputSpec().sequence)},
    "validate": {"enabled": (bool, True)},
    "optimize": {"enabled": (bool, True)},
    "quantize": {"name": (str, None)},
    **{t: {"name": (str, None)} for t in VARIANT_TARGETS},
    # kv_cache: llama.cpp's KV cache type for the .gguf rows (None: llama.cpp's default, f16); not a BenchSpec field
    # because it is one runtime's setting: the pipeline hands it to those rows only (RuntimeOptions.extra)
    "bench": {"enabled": (bool, True), "compare_torch": (bool, True), "kv_cache": (str, None)},
}
SECTIONS = ("source", "export", "validate", "optimize", "quantize", *VARIANT_TARGETS, "bench")


def variant_label(target: str, entry: dict) -> str:
    """The file-name part of a [[target]] variant (T/model.<this>.<suffix>): its name, else the values it picks
    that differ from the target's defaults ("q8_0", "fp16-int8", "2"), else the first option's default ("auto" for
    gguf, "fp32" for openvino and mnn)."""
    if entry.get("name"):
        return entry["name"]
    options = [o for o in _variant_form(target).options if o.choices]
    picked = [str(entry[o.field]).lower() for o in options
              if entry.get(o.field) is not None and str(entry[o.field]).lower() != str(o.default).lower()]
    return "-".join(picked) or str(options[0].default)


def check_kv_cache(section: str, data: Optional[dict], where: str) -> None:
    """A [bench] kv_cache that is not a llama.cpp KV cache type is one line when the recipe is read, before anything
    runs (the same check as `--kv-cache`; llama-cpp-python need not be installed)."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.runtimes.llama_cpp import kv_cache_type

    if data and data.get("kv_cache") is not None:
        try:
            kv_cache_type(data["kv_cache"])
        except WorkbenchError as err:
            raise WorkbenchError(f"{where}: [{section}] kv_cache: {err.what}", err.hint) from None


def _kind(hint) -> type:
    """The TOML type of a spec field's annotation: Optional[X] is X, a tuple is a list (of strings)."""
    if typing.get_origin(hint) is typing.Union:
        return _kind(next(a for a in typing.get_args(hint) if a is not type(None)))
    hint = typing.get_origin(hint) or hint
    return list if hint in (tuple, list) else hint


def _spec_fields(section: str) -> list:
    cls = SECTION_SPECS[section]
    hints = typing.get_type_hints(cls)
    return [(f, _kind(hints[f.name])) for f in fields(cls) if f.name not in SET_BY_PIPELINE[section]]


def _field_default(f):
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else None


def _schema() -> dict:
    schema = {"": {k: kind for k, (kind, _) in RECIPE_KEYS[""].items()}}
    for section in SECTIONS:
        keys = {f.name: kind for f, kind in _spec_fields(section)}
        keys.update({k: kind for k, (kind, _) in RECIPE_KEYS.get(section, {}).items()})
        schema[section] = keys
    return schema


def _defaults() -> dict:
    out = {"": {k: default for k, (_, default) in RECIPE_KEYS[""].items()}}
    for section in SECTIONS:
        values = {f.name: _field_default(f) for f, _ in _spec_fields(section)}
        values.update({k: default for k, (_, default) in RECIPE_KEYS.get(section, {}).items()})
        out[section] = values
    return out


SCHEMA: dict = _schema()  # {section: {key: type}}: every key each section accepts
DEFAULTS: dict = _defaults()  # {section: {key: default}}: what a key left out of a recipe means


def spec_fields(section: str, data: dict) -> dict:
    """The keyword arguments of the section's spec from a parsed recipe section: every field a recipe may set,
    its value or the recipe's default; lists become tuples where the field is a tuple (an empty list: the
    field's default)."""
    out = {}
    for f, kind in _spec_fields(section):
        value = data.get(f.name, DEFAULTS[section][f.name])
        if kind is list and isinstance(value, list):
            value = tuple(value) if value else _field_default(f)
        out[f.name] = value
    return out


def build_spec(section: str, data: dict, **given):
    """The section's spec dataclass: the recipe's values (or the spec's defaults) for the keys a recipe may set,
    ``given`` for the fields the pipeline sets itself (paths, the source, the overwrite rule)."""
    return SECTION_SPECS[section](**given, **spec_fields(section, data))


def with_defaults(section: str, data) -> dict:
    """A parsed recipe section with the default of every key it leaves out (what the GUI shows for it)."""
    return {**DEFAULTS[section], **(data or {})}
