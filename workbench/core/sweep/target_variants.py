"""A sweep's [[gguf]] / [[openvino]] / [[mnn]] entries (the sweep file's own, and its base recipe's) as variants
"<target>-<label>": each is that target's export of the model, read by the recipe reader's own checks."""

from __future__ import annotations

from pathlib import Path


def target_variants(tables: dict, base: Path, where: str) -> list:
    """{target: [entries]} of [[gguf]]/[[openvino]]/[[mnn]] (already read by the recipe reader's checks) as
    [(variant name "<target>-<label>", its export section, target)]: each is its target's export of the model."""
    from workbench.core.recipe import _resolve
    from workbench.core.recipe_schema import VARIANT_TARGETS, variant_label

    out = []
    for target in VARIANT_TARGETS:
        for entry in tables.get(target, []):
            export = {k: v for k, v in entry.items() if k != "name"}
            if export.get("calibration"):
                export["calibration"] = _resolve(base, export["calibration"])
            out.append((f"{target}-{variant_label(target, entry)}", {**export, "target": target}, target))
    return out


def own_tables(data: dict, where: str) -> dict:
    """The sweep file's own [[gguf]]/[[openvino]]/[[mnn]], checked as a recipe checks them."""
    from workbench.core.recipe import _check_variants, _tables
    from workbench.core.recipe_schema import VARIANT_TARGETS

    tables = {t: _tables(data, t, where) for t in VARIANT_TARGETS}
    for target, entries in tables.items():
        _check_variants(target, entries, where)
    return tables
