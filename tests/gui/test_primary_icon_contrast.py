"""The primary (blue) buttons' icons stand out from the button in both themes (issue 17: green icons on blue were
nearly invisible): the icon's drawn pixels against the button's background colour reach WCAG's 3:1 for graphics."""

import pytest
from PySide6.QtGui import QColor

from workbench.gui import theme
from workbench.gui.panels.optimize_panel import OptimizePanel
from workbench.gui.panels.report_panel import ReportPanel


def _luminance(c: QColor) -> float:
    def lin(v):
        v /= 255.0
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())


def _contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _icon_colour(button) -> QColor:
    """The mean colour of the icon's clearly drawn pixels (alpha over 200)."""
    image = button.icon().pixmap(button.iconSize()).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    drawn = [p for p in pixels if p.alpha() > 200]
    assert drawn, "the icon draws nothing"
    n = len(drawn)
    return QColor(sum(p.red() for p in drawn) // n, sum(p.green() for p in drawn) // n, sum(p.blue() for p in drawn) // n)


def _button_background(button) -> QColor:
    image = button.grab().toImage()
    return image.pixelColor(image.width() - 4, image.height() // 2)  # right of the text, inside the border


@pytest.mark.parametrize("name", ["light", "dark"])
def test_primary_button_icons_contrast_with_the_button(qtbot, state, name):
    try:
        theme.apply_theme(name)
        report = ReportPanel(state)
        optimize = OptimizePanel(state)
        for panel in (report, optimize):
            qtbot.addWidget(panel)
            panel.show()
        optimize.run_button.setEnabled(True)
        for button in (optimize.run_button, report.build_button):
            assert button.objectName() == "primary"
            background = _button_background(button)
            assert background.blue() > background.red() + 60, background.name()  # the blue of a primary button
            ratio = _contrast(_icon_colour(button), background)
            assert ratio >= 3.0, f"{button.text()} ({name}): icon {_icon_colour(button).name()} on " \
                                 f"{background.name()}, contrast {ratio:.2f}"
    finally:
        theme.apply_theme("light")
