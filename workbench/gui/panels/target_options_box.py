"""The Export panel's per-target options, built from the targets' own declarations (workbench.core.target_options):
one page per registered target, one combo per declared option, the chosen value explained in plain words under it.
A choice that needs a runtime that is not available here is shown disabled with that runtime's install hint.

An option is *explicit* once the user picks a value or a recipe sets it; only explicit values go into the spec, the
command line and the recipe, so an untouched option keeps the target's own default (which may follow another
field, e.g. GGUF's quant type follows --dtype) and a loaded recipe saves back unchanged.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.core.target_options import available_runtime
from workbench.gui.formatting import ElidedLabel
from workbench.gui.i18n.engine import translate as engine_text
from workbench.gui.panels.base import PathEdit
from workbench.gui.i18n import Retranslating


class PathControl:
    """A declared ``kind="path"`` option (e.g. OpenVINO's calibration data): the panels' PathEdit (a line edit and
    Browse); it is explicit while it names something, and empty means unset."""

    def __init__(self, option, page: QWidget):
        self.option, self.generic, self.explicit, self.help = option, None, False, None
        self.combo = PathEdit("open", "", page)  # the form's field widget (named combo like the other controls')
        self.edit = self.combo.edit
        self.edit.setObjectName(f"option_{option.field}")
        self.edit.textChanged.connect(lambda _t: setattr(self, "explicit", bool(self.value())))
        self.summary = ElidedLabel("", page)
        self.summary.setObjectName("panelHint")

    def retranslate(self) -> None:
        self.edit.setPlaceholderText(engine_text("empty: data-free"))

    def restrict(self) -> None:
        pass

    def mark(self) -> None:
        pass

    def value(self) -> str:
        return self.combo.text()

    def set_value(self, value, explicit: bool) -> None:
        self.combo.setText("" if value is None else str(value))
        self.explicit = explicit and bool(self.value())

    def explain(self) -> None:
        self.summary.setText("")

    def problem(self) -> str:
        return ""  # the engine checks the path when it reads it


class OptionControl:
    """One declared option: its combo, its explanation line, and whether it is explicit."""

    def __init__(self, option, page: QWidget, generic: Optional[QComboBox], registry):
        self.option, self.generic, self.explicit = option, generic, False
        self.unavailable: dict = {}  # value -> the install hint of the runtime it needs
        for choice in option.choices:
            if choice.needs:
                ok, hint = available_runtime(choice.needs, registry)
                if not ok:
                    self.unavailable[choice.value] = f"needs the {choice.needs} runtime: {hint}"
        self.combo = generic if generic is not None else QComboBox(page)
        self.combo.setObjectName(f"option_{option.field}")
        if generic is None:
            for choice in option.choices:
                self.combo.addItem(choice.value, choice.value)
            self.combo.activated.connect(self._picked)
        # one line, cut at its end with the whole text in its tooltip (a word-wrapped label in a form was clipped)
        self.summary = ElidedLabel("", page)
        self.summary.setObjectName("panelHint")
        self.combo.currentIndexChanged.connect(lambda _i: self.explain())

    def _picked(self, _index: int) -> None:
        self.explicit = True
        self.explain()

    def restrict(self) -> None:
        """For a control the panel already has (dtype): only the declared values are enabled, each explained."""
        model = self.combo.model()
        for i in range(self.combo.count()):
            value = self.combo.itemText(i)
            choice = self.option.choice(value)
            model.item(i).setEnabled(choice is not None)
            model.item(i).setToolTip(engine_text(choice.summary) if choice else "")

    def mark(self) -> None:
        """Disable the choices whose runtime is missing, with the reason as their tooltip."""
        model = self.combo.model()
        for i in range(self.combo.count()):
            value = self.combo.itemData(i)
            choice = self.option.choice(value)
            hint = self.unavailable.get(value)
            if choice is None:  # a value from a recipe that the target does not offer
                model.item(i).setEnabled(False)
                continue
            model.item(i).setEnabled(hint is None)
            model.item(i).setToolTip(engine_text(hint or choice.summary))

    def value(self) -> str:
        return self.combo.currentData() if self.generic is None else self.combo.currentText()

    def set_value(self, value, explicit: bool) -> None:
        index = self.combo.findData(value) if self.generic is None else self.combo.findText(value)
        if index < 0 and self.generic is None:  # kept as it was, shown disabled (not offered by this target)
            self.combo.addItem(str(value), value)
            self.mark()
            index = self.combo.count() - 1
        if index >= 0:
            self.combo.setCurrentIndex(index)
        self.explicit = explicit
        self.explain()

    def explain(self) -> None:
        value = self.value()
        choice = self.option.choice(value)
        text = self.unavailable.get(value) or (choice.summary if choice else "not offered by this target")
        self.summary.setText(f"{value}: {engine_text(text)}")

    def problem(self) -> str:
        """Why the chosen value cannot be exported here ("" when it can)."""
        value = self.value()
        if value in self.unavailable:
            return f"{value} {self.unavailable[value]}"
        return "" if self.option.choice(value) is not None else f"'{value}' is not offered by this target"


class TargetOptionsBox(Retranslating, QGroupBox):
    """The chosen target's options: a page (its own form) per target, built once, only the chosen one shown; the
    box hides for a target without options. ``generic`` maps ExportSpec fields to the panel's own controls (their
    row here only explains the value chosen there)."""

    changed = Signal()

    def __init__(self, registry, generic: dict, parent=None):
        super().__init__(parent)
        self.registry = registry
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        self.target = ""
        self.controls: dict = {}  # target -> [OptionControl]
        self.pages: dict = {}  # target -> its page
        for name, target in registry.targets.items():
            if not target.form.options:
                continue
            page = QWidget(self)
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            controls = []
            for option in target.form.options:
                control = (PathControl(option, page) if option.kind == "path"
                           else OptionControl(option, page, generic.get(option.field), registry))
                control.label = QLabel(page)
                if isinstance(control, PathControl):
                    form.addRow(control.label, control.combo)
                    control.edit.textChanged.connect(lambda _t: self.changed.emit())
                elif control.generic is None:
                    control.mark()
                    form.addRow(control.label, control.combo)
                    control.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
                    form.addRow("", control.summary)
                else:  # the panel's own control: this row says what its value means for this target
                    form.addRow(control.label, control.summary)
                control.help = None
                if option.help:
                    control.help = ElidedLabel("", page)
                    control.help.setObjectName("panelHint")
                    form.addRow("", control.help)
                controls.append(control)
            page.hide()
            layout.addWidget(page)
            self.controls[name], self.pages[name] = controls, page
        self.retranslate()


    def retranslate(self) -> None:
        """The options' texts are the engine's (the targets declare them): written again in the language now."""
        from workbench.gui import i18n

        i18n.retranslate_tree(self)
        if self.target:
            self.setTitle(self.tr("{0} options").format(self.target))
        for controls in self.controls.values():
            for control in controls:
                colon = "：" if i18n.current_language().startswith("zh") else ":"  # the forms' own colon
                control.label.setText(engine_text(control.option.label) + colon)
                if control.generic is None:
                    control.mark()
                if isinstance(control, PathControl):
                    control.retranslate()
                if control.help is not None:
                    control.help.setText(engine_text(control.option.help))
                control.explain()

    def set_target(self, name: str, fields: dict) -> None:
        self.target = name
        for target, page in self.pages.items():
            page.setVisible(target == name)
        self.setVisible(name in self.pages)
        self.setTitle(self.tr("{0} options").format(name))
        self.follow(name, fields)

    def follow(self, name: str, fields: dict) -> None:
        """Options not set explicitly show what the target will use (their default may follow another field)."""
        for control in self.controls.get(name, ()):
            if control.generic is not None:
                control.restrict()
                control.explain()
            elif not control.explicit:
                control.set_value(control.option.implied(fields), explicit=False)

    def generic_fields(self, name: str) -> set:
        return {c.option.field for c in self.controls.get(name, ()) if c.generic is not None}

    def values(self, name: str) -> dict:
        """{field: value} of the target's explicit options (not the panel's own controls)."""
        return {c.option.field: c.option.cast(c.value()) for c in self.controls.get(name, ())
                if c.generic is None and c.explicit and c.option.cast(c.value()) is not None}

    def problems(self, name: str) -> list:
        return [p for p in (c.problem() for c in self.controls.get(name, ())) if p]

    def apply(self, section: dict, fields: dict) -> None:
        """A recipe's [export]: every target's option of a key it holds is set (explicit), the others reset."""
        for name, controls in self.controls.items():
            for control in controls:
                if control.generic is not None:
                    continue
                if section.get(control.option.field) is not None:
                    control.set_value(str(section[control.option.field]), explicit=True)
                else:
                    control.set_value(control.option.implied(fields), explicit=False)
