"""A one-line "what this does" under each control group's title (issue 14 point 2), in plain words, also its
tooltip. Keyed by the panel class and the group's English title, added once the panel is built (``describe``), so
the panels' own layouts stay as they are; the texts go through the catalog like every other (context GroupHints)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QBoxLayout, QFormLayout, QGridLayout, QGroupBox, QLabel, QWidget

HINTS = {
    ("LoadPanel", "Summary"): QT_TRANSLATE_NOOP("GroupHints", "What the file holds, read from its headers."),
    ("LoadPanel", "Configuration"): QT_TRANSLATE_NOOP("GroupHints", "The model's own settings (config.json)."),
    ("LoadPanel", "Tensors"): QT_TRANSLATE_NOOP("GroupHints", "Every weight: its name, number type and shape."),
    ("ExportPanel", "Exporter"): QT_TRANSLATE_NOOP(
        "GroupHints", "How the model becomes an ONNX file: the exporter, the ONNX version and the number type."),
    ("ExportPanel", "Inputs and outputs"): QT_TRANSLATE_NOOP(
        "GroupHints", "The example inputs the model is traced with; their sizes are only an example."),
    ("ExportPanel", "Dynamic axes"): QT_TRANSLATE_NOOP(
        "GroupHints", "Dimensions that may change at run time (batch, sequence); a fixed one takes one size only."),
    ("ValidatePanel", "What to compare"): QT_TRANSLATE_NOOP(
        "GroupHints", "The ONNX file and PyTorch run the same inputs; their outputs must agree."),
    ("OptimizePanel", "Settings"): QT_TRANSLATE_NOOP(
        "GroupHints", "Which graph rewrites to apply; the result is a new file, the model stays as it is."),
    ("QuantizePanel", "Variants"): QT_TRANSLATE_NOOP(
        "GroupHints", "Each ticked type becomes a smaller file; how close it stays to fp32 is measured."),
    ("QuantizePanel", "Per-node sensitivity (int8)"): QT_TRANSLATE_NOOP(
        "GroupHints", "How much each node's output moves when only that node is int8: the first ones to keep fp32."),
    ("QuantizePanel", "Settings"): QT_TRANSLATE_NOOP(
        "GroupHints", "How the weights are rounded, and which data calibrates the rounding."),
    ("BenchPanel", "Variants"): QT_TRANSLATE_NOOP(
        "GroupHints", "Each ticked variant is timed in a process of its own, on the same input sizes."),
    ("ReportPanel", "Recipe"): QT_TRANSLATE_NOOP(
        "GroupHints", "Every step's settings in one TOML file: run it here or with workbench run."),
    ("ReportPanel", "Other destinations in the recipe"): QT_TRANSLATE_NOOP(
        "GroupHints", "GGUF, OpenVINO and MNN artifacts the recipe also writes, validates and benchmarks: add them "
        "in Export (Add to recipe), or load a recipe that has them."),
    ("ChatPanel", "Who answers"): QT_TRANSLATE_NOOP(
        "GroupHints", "Each engine ticked here answers the same prompt in a column of its own."),
    ("ChatPanel", "Prompt"): QT_TRANSLATE_NOOP(
        "GroupHints", "The text every engine continues; greedy answers are compared token by token."),
}
# groups whose room is counted at 1280x720 (the Load panel's Summary rows): the hint is their tooltip only
TOOLTIP_ONLY = {("LoadPanel", "Summary"), ("LoadPanel", "Configuration"), ("LoadPanel", "Tensors")}


def _english_title(box: QGroupBox) -> str:
    from workbench.gui import i18n

    return i18n.live_text(box.title(), "en")


def describe(panel: QWidget) -> list:
    """Add the hint label at the top of each known group box of ``panel``; returns the labels added."""
    added = []
    for box in panel.findChildren(QGroupBox):
        if box.objectName() == "targetOptions" or type(box).__name__ == "TargetOptionsBox":
            continue  # a target's own options: rebuilt per target, each option has its tooltip
        key = (type(panel).__name__, _english_title(box))
        english = HINTS.get(key)
        layout = box.layout()
        if english is None or layout is None or box.findChild(QLabel, "groupHint") is not None:
            continue
        text = QCoreApplication.translate("GroupHints", english)
        box.setToolTip(text)
        if key in TOOLTIP_ONLY:
            continue
        label = QLabel(text, box)
        label.setObjectName("groupHint")
        label.setWordWrap(True)
        if isinstance(layout, QFormLayout):
            layout.insertRow(0, label)
        elif isinstance(layout, QBoxLayout):
            layout.insertWidget(0, label)
        elif isinstance(layout, QGridLayout):
            continue  # no row to insert above; the tooltip says it
        added.append(label)
    return added
