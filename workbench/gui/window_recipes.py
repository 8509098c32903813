"""The main window's recipes: the current settings of every panel as one recipe, and a loaded recipe shown in
every panel (load -> save changes nothing)."""

from __future__ import annotations

from pathlib import Path

PANEL_SECTIONS = ("export", "validate", "optimize", "quantize", "bench")  # the steps a recipe holds



class WindowRecipes:
    """Recipes (a part of :class:`~workbench.gui.main_window.MainWindow`)."""

    def collect_recipe(self, upto: str = "") -> dict:
        """The current settings as a recipe: every step for the Report panel and the File menu; the source, the
        export and the asking panel's own step otherwise."""
        source = self.state.source_path
        current = source or self.state.onnx_path  # an .onnx source is the current ONNX model, not a source
        loaded = self._loaded_recipe if current and current == self._loaded_source else None
        recipe = {"name": Path(source).name if source else "model",
                  "output_dir": self.report_panel.output_edit.text() or self.state.default_output_dir()}
        if source:
            recipe["source"] = {"path": source}
        wanted = PANEL_SECTIONS if upto in ("", "report", "load") else tuple(dict.fromkeys(("export", upto)))
        for step in wanted:
            api = self.panel_api[step]
            sections = api.recipe_sections()
            if sections is not None:
                recipe.update(sections)
            elif step == "bench":
                fields = api.spec_fields()
                bench = dict(fields) if fields is not None else {"provider": "cpu", "batch": 1, "sequence": 128,
                                                                  "iterations": 100}
                if source and not source.lower().endswith(".onnx"):  # a loaded recipe's choice stays
                    bench["compare_torch"] = ((loaded or {}).get("bench") or {}).get("compare_torch", True)
                recipe["bench"] = bench
        if loaded is not None and upto in ("", "report", "load"):
            recipe = self._with_loaded(recipe, loaded)
        if upto in ("", "report", "load"):  # the recipe's other destinations: Export's "Add to recipe", a loaded
            from workbench.core.recipe_schema import VARIANT_TARGETS  # recipe's, less the ones removed

            for target in VARIANT_TARGETS:
                recipe.pop(target, None)
                entries = getattr(self.state, "recipe_variants", {}).get(target)
                if entries:
                    recipe[target] = [dict(e) for e in entries]
        return recipe

    @staticmethod
    def _with_loaded(recipe: dict, loaded: dict) -> dict:
        """The whole recipe after a recipe was loaded (and its source is still the model): what no panel shows
        comes back as it was (its name, description, overwrite, keys such as [export] fallback or [bench]
        time_budget_s), and the optional steps it left out stay out, so load -> save changes nothing."""
        merged = dict(recipe)
        if "source" not in merged and "source" in loaded:  # an .onnx source
            merged["source"] = loaded["source"]
        for key in ("name", "description", "overwrite"):
            if key in loaded:
                merged[key] = loaded[key]
        for key in ("validate", "optimize", "bench"):
            if key not in loaded:
                merged.pop(key, None)
        for key, value in loaded.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**{k: v for k, v in value.items() if k not in merged[key]}, **merged[key]}
            elif isinstance(value, list) and key not in PANEL_SECTIONS:  # a list no panel edits keeps its value
                merged[key] = value  # ([[gguf]] & co. are the state's: collect_recipe puts them back after this)
        return merged

    def apply_recipe(self, recipe: dict) -> None:
        path = (recipe.get("source") or {}).get("path")
        self._loaded_recipe, self._loaded_source = dict(recipe), path
        if path and path.lower().endswith(".onnx"):  # an ONNX source: the previous torch source is not its source
            self.state.set_source("")
        from workbench.core.recipe_schema import VARIANT_TARGETS

        self.state.set_recipe_variants({t: recipe.get(t) or [] for t in VARIANT_TARGETS})
        for step in self.panels:
            self.panel_api[step].apply_recipe(recipe)
        if path:
            self.open_path(path)
