"""The Report panel's questions before a recipe runs (report_panel.py asks them from Run recipe): may the recipe's
model, a program, run; may the run replace files of the user's. Each answers False (nothing to ask, or the job will
refuse by itself, in one line), True (the user agreed) or None (the user said no: the run does not start). Texts stay
in the ReportPanel translation context."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication

from workbench.gui.panels.base import ask_replace


def ask_trust(parent, state, recipe_path: str):
    """False: the recipe's source is no program; True: the user allowed it to run; None: the user said no."""
    from workbench.core.recipe import load_recipe
    from workbench.gui.trust import allow, ask_to_run, program_kind

    try:
        recipe = load_recipe(recipe_path)
    except Exception:  # noqa: BLE001 - a bad recipe: the job says why, in one line
        return False
    src = str(recipe.source["path"])
    if program_kind(src) is not None:
        return allow(parent, state, src)
    if recipe.source.get("trust_code"):
        why = QCoreApplication.translate("ReportPanel", "the recipe sets trust_code = true")
        return True if ask_to_run(parent, src, why) else None
    return False


def ask_overwrite(parent, recipe_path: str, output):
    """False: nothing of the user's would be replaced (or the job will refuse by itself); True: the user agreed
    to replace the files named in the question; None: the user said no."""
    from workbench.core.fsutil import source_inputs, would_replace
    from workbench.core.pipeline import _planned, _source
    from workbench.core.recipe import load_recipe

    try:
        recipe = load_recipe(recipe_path)
        out = Path(output).expanduser().resolve() if output else recipe.output_dir
        source = _source(recipe)
        existing = [p for path in _planned(recipe, source, out)
                    for p in would_replace(path, inputs=source_inputs(source))]
    except Exception:  # noqa: BLE001 - a bad recipe or a refused folder: the job says why, in one line
        return False
    if not existing or recipe.overwrite:
        return False
    return True if ask_replace(parent, existing) else None
