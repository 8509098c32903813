"""The panels' stack inside a scroll area, sized by the page on screen (not by the widest page).

A QStackedWidget's minimum size is the largest of all its pages', so one wide panel (a row of buttons, a long
label) made the whole window wider than a 1280 px screen whichever panel was shown. Here the stack asks only for
its current page's size, and sits in a QScrollArea: a panel wider or taller than the room it gets scrolls instead of
forcing the window's size or being clipped."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QLayout, QScrollArea, QStackedWidget


class PageStack(QStackedWidget):
    """A QStackedWidget whose size hints are those of its current page."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout().setSizeConstraint(QLayout.SetNoConstraint)  # else its minimum is every page's largest
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def _current_hint(self, name: str) -> QSize:
        page = self.currentWidget()
        if page is None:
            return QSize(0, 0)
        return getattr(page, name)().expandedTo(page.minimumSize())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self._current_hint("minimumSizeHint")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self._current_hint("sizeHint")

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        """The current page's minimum height at ``width`` (wrapped labels counted). QStackedLayout answers the tallest page's preferred height at
        ``width``, so every page scrolled as far as the longest, and a page squeezable to fit (tables, lists)
        scrolled instead of fitting, its Run button below the fold."""
        page = self.currentWidget()
        if page is None:
            return -1
        height = max(page.minimumSizeHint().height(), page.minimumHeight())
        layout = page.layout()
        if layout is not None and layout.hasHeightForWidth():  # wrapped texts take more lines when narrow
            height = max(height, layout.totalMinimumHeightForWidth(width))
        return height


class PageScroll(QScrollArea):
    """Holds a :class:`PageStack`; the stack fills the viewport and scrolls when its page needs more room."""

    def __init__(self, stack: PageStack, parent=None):
        super().__init__(parent)
        self.setObjectName("pageScroll")
        self.setFrameShape(QFrame.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setWidget(stack)
        stack.currentChanged.connect(lambda _i: self.setWidgetResizable(True))  # re-fits the new page now
