"""Recipe files (TOML) as the GUI writes them, and reads them through the engine's reader
(workbench.core.recipe). Pure Python (no Qt).

Format::

    name = "my-model"
    output_dir = "out"
    [source]
    path = "models/llama"
    [export]
    opset = 18
    dtype = "fp32"
    exporter = "dynamo"
    dynamic = ["input_ids:0=batch", "input_ids:1=sequence"]
    batch = 2
    sequence = 8
    [validate]
    rtol = 1e-4
    atol = 1e-5
    [optimize]
    level = "extended"
    simplify = true
    fusion = true
    [[quantize]]
    mode = "int8-dynamic"
    per_channel = true
    exclude = []
    [bench]
    provider = "cpu"
    batch = 1
    sequence = 128
    iterations = 100
    compare_torch = true
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SECTION_ORDER = ("source", "export", "validate", "optimize", "quantize", "bench")


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
    sections = {k: recipe[k] for k in SECTION_ORDER if k in recipe and k not in top}
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


def dumps(recipe: dict) -> str:
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


def save(recipe: dict, path: str | os.PathLike, force: bool = True) -> Path:
    """Write a recipe; the file is replaced only once it is complete (through workbench.core.fsutil: never a
    folder, a device or a link's target; an existing file of the user's only with ``force``, which the save
    dialog has asked about)."""
    from workbench.core.fsutil import staged_output

    text = dumps(recipe)
    with staged_output(path, force=force) as staged:
        staged.write_text(text, encoding="utf-8")
    return Path(path)


def load(path: str | os.PathLike) -> dict:
    """Read a recipe with the engine's strict reader (workbench.core.recipe: TOML or YAML, unknown keys and
    wrong types are errors that name them, relative paths resolved against the recipe's folder), as the dict
    ``dumps`` writes back. Raises WorkbenchError with the engine's one-line message."""
    from workbench.core.recipe import load_recipe, recipe_to_dict

    return recipe_to_dict(load_recipe(str(path)))
