"""The Benchmark panel's variants: what each one runs on (a runtime from the registry, picked per variant) and the
row that shows it (a check box and a runtime picker; a runtime whose library is missing is disabled with its install
hint, and a variant no available runtime opens cannot be checked). Also the one thread count every variant of a run
gets when the Threads box says "default" (each runtime would otherwise pick its own, and their numbers would not
compare)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QWidget

from workbench.gui.i18n.engine import translate as engine_text

TORCH, ORT = "torch", "onnx"  # ORT: an artifact run by a registered runtime (ONNX Runtime, llama.cpp, OpenVINO, ...)
REFERENCE = "torch"  # the PyTorch eager runtime: the torch variant's, never offered for an artifact


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # TORCH or ORT
    path: str
    trust_code: bool = False  # a PyTorch program (TorchScript, .pt2, model.py) the user allowed to run
    runtime: str = ""  # the registered runtime it runs on ("" for the torch variant: PyTorch eager)


@dataclass(frozen=True)
class RuntimeChoice:
    name: str
    available: bool
    hint: str  # why not, and how to install it ("" when available)


def runtime_choices(path: str, registry=None) -> list:
    """[RuntimeChoice] of the registered runtimes that open ``path`` (registration order; PyTorch eager left out)."""
    from workbench.core.registry import default_registry

    reg = registry or default_registry()
    out = []
    for runtime in reg.runtimes_for(path):
        if runtime.name == REFERENCE:
            continue
        state = runtime.availability()
        out.append(RuntimeChoice(runtime.name, bool(state.available), "" if state.available else state.hint))
    return out


def default_threads() -> int:
    """The thread count a "default" run uses for every variant: the physical cores (ONNX Runtime's and PyTorch's
    own default), else the logical ones."""
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except Exception:  # noqa: BLE001 - psutil missing or unable to tell
        cores = None
    return int(cores or os.cpu_count() or 1)


class VariantRow(QWidget):
    """A variant's check box and, for an artifact, its runtime picker."""

    def __init__(self, variant: Variant, choices: list, checked: bool, runtime: str = "", parent=None):
        super().__init__(parent)
        self.variant = variant
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox(variant.name, self)
        self.check.setToolTip(variant.path)
        layout.addWidget(self.check, 1)
        self.runtime = None
        self.choices = {c.name: c for c in choices}
        if variant.kind == ORT:
            self.runtime = QComboBox(self)
            self.runtime.setObjectName("variantRuntime")
            self.runtime.setMinimumWidth(110)  # the rows' pickers line up
            for choice in choices:
                self.runtime.addItem(choice.name, choice.name)
                item = self.runtime.model().item(self.runtime.count() - 1)
                item.setEnabled(choice.available)
                item.setToolTip(engine_text(choice.hint) if choice.hint else "")
            usable = [c.name for c in choices if c.available]
            pick = runtime if runtime in usable else (usable[0] if usable else (choices[0].name if choices else ""))
            if pick:
                self.runtime.setCurrentIndex(self.runtime.findData(pick))
            layout.addWidget(self.runtime)
            if not usable:  # nothing here can run it: say why, and it cannot be checked
                reason = engine_text(choices[0].hint) if choices else self.tr("no registered runtime opens this file")
                self.check.setEnabled(False)
                self.runtime.setEnabled(False)
                self.check.setToolTip(f"{variant.path}\n{reason}")
                self.runtime.setToolTip(reason)
                checked = False
        self.check.setChecked(checked)

    def runnable(self) -> bool:
        return self.check.isEnabledTo(self)  # its own state: the row is greyed out as a whole during a run

    def chosen(self) -> Variant:
        from dataclasses import replace

        if self.runtime is None:
            return self.variant
        return replace(self.variant, runtime=self.runtime.currentData() or "")
