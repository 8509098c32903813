"""Recipe files (TOML) as the GUI writes and reads them: through the engine's one reader and writer
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

import os
from pathlib import Path

from workbench.core.recipe import dumps_toml as dumps  # noqa: F401 - the GUI's name for it


def save(recipe: dict, path: str | os.PathLike, force: bool = True) -> Path:
    """Write a recipe; the file is replaced only once it is complete (through workbench.core.fsutil: never a
    folder, a device or a link's target; an existing file of the user's only with ``force``, which the save
    dialog has asked about)."""
    from workbench.core.recipe import save_recipe

    return save_recipe(recipe, path, force)


def load(path: str | os.PathLike) -> dict:
    """Read a recipe with the engine's strict reader (workbench.core.recipe: TOML or YAML, unknown keys and
    wrong types are errors that name them, relative paths resolved against the recipe's folder), as the dict
    ``dumps`` writes back. Raises WorkbenchError with the engine's one-line message."""
    from workbench.core.recipe import load_recipe, recipe_to_dict

    return recipe_to_dict(load_recipe(str(path)))
