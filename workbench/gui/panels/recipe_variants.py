"""The recipe's other destinations: its [[gguf]] / [[openvino]] / [[mnn]] entries (AppState.recipe_variants), listed
in the Report panel with Remove, added from the Export panel ("Add to recipe": the current target and its form's
options as one entry). Every entry goes through core's recipe reader (workbench.core.recipe.checked_variants), so
what is listed is what a saved recipe reads back, and a run writes each one to T/model.<label><suffix>."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from workbench.core.recipe_schema import VARIANT_KEYS, VARIANT_TARGETS, _variant_form, variant_label


def entry_from_form(target: str, options: dict, dtype: str) -> dict:
    """The [[target]] entry Export's form describes: the target's explicit options, and the panel's dtype where the
    target takes one and it is not the target's default."""
    entry = {k: v for k, v in options.items() if k in VARIANT_KEYS[target] and v is not None}
    form = {o.field: o for o in _variant_form(target).options}
    if "dtype" in form and dtype and str(dtype).lower() != str(form["dtype"].default).lower():
        entry["dtype"] = dtype
    return entry


def describe(target: str, entry: dict) -> str:
    """'gguf q8_0: quant = q8_0': the section, the file label a run writes, and the entry's keys."""
    keys = ", ".join(f"{k} = {v}" for k, v in entry.items() if k != "name")
    return f"[[{target}]] {variant_label(target, entry)}" + (f": {keys}" if keys else "")


class RecipeVariantsBox(QGroupBox):
    """The list of the recipe's variant entries, with Remove; follows ``state.recipeVariantsChanged``."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setTitle(self.tr("Other destinations in the recipe"))
        layout = QVBoxLayout(self)  # its one-line hint and tooltip come from group_hints, like every group's
        self.list = QListWidget(self)
        self.list.setMaximumHeight(110)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setToolTip(self.tr("Remove the selected entry from the recipe"))
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        state.recipeVariantsChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for target in VARIANT_TARGETS:
            for index, entry in enumerate(self.state.recipe_variants.get(target, [])):
                item = QListWidgetItem(describe(target, entry))
                item.setData(Qt.ItemDataRole.UserRole, (target, index))
                self.list.addItem(item)
        self.list.setVisible(self.list.count() > 0)
        self._selection_changed()

    def entries(self) -> list:
        """[(target, entry)] in the order listed."""
        return [(t, e) for t in VARIANT_TARGETS for e in self.state.recipe_variants.get(t, [])]

    def _selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))

    def remove_selected(self) -> None:
        items = self.list.selectedItems()
        if not items:
            return
        target, index = items[0].data(Qt.ItemDataRole.UserRole)
        self.state.remove_recipe_variant(target, index)
