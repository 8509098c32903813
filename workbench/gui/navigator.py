"""The pipeline navigator: Load -> Export -> Validate -> Optimize -> Quantize -> Benchmark -> Report, each with its
icon and a state mark (running, done, failed) painted on the right."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from workbench.gui.theme import icon

STATE_ROLE = Qt.UserRole + 1
STEP_ROLE = Qt.UserRole
MARK_SIZE, MARK_MARGIN = 16, 10  # the state mark, painted at the right end of the item
MARK_SPACE = MARK_SIZE + 2 * MARK_MARGIN  # kept free of text


def mark_rect(item_rect: QRect) -> QRect:
    """Where a step's state mark is painted inside its item."""
    return QRect(item_rect.right() - MARK_SIZE - MARK_MARGIN, item_rect.center().y() - MARK_SIZE // 2, MARK_SIZE,
                 MARK_SIZE)


class _StateDelegate(QStyledItemDelegate):
    def paint(self, painter, option, index):
        enabled = bool(index.flags() & Qt.ItemIsEnabled)
        if not enabled:  # a step that cannot run now (no model): drawn faded, whatever the theme's colours
            painter.save()
            painter.setOpacity(0.35)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            # The text ends before the mark (cut with "…" where the column is too narrow, the tooltip has it);
            # the item's background still spans the whole row.
            text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
            room = max(0, mark_rect(self._visible(opt)).left() - 4 - text_rect.left())
            opt.text = opt.fontMetrics.elidedText(opt.text, Qt.TextElideMode.ElideRight, room)
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        else:
            super().paint(painter, option, index)
        if not enabled:
            painter.restore()
        state = index.data(STATE_ROLE)
        if state and state != "idle":
            icon(f"state-{state}").paint(painter, mark_rect(self._visible(option)))

    @staticmethod
    def _visible(option) -> QRect:
        """The item's rect within the view (an item wider than a narrow view would put its mark out of sight)."""
        view = option.widget
        viewport = getattr(view, "viewport", None)
        return option.rect.intersected(viewport().rect()) if callable(viewport) else option.rect

    def sizeHint(self, option, index):  # noqa: N802 - Qt API
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + MARK_SPACE, max(hint.height(), 38))


class Navigator(QListWidget):
    """A list of the pipeline steps; ``set_state(step, state)`` marks a step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("navigator")
        self.setIconSize(QSize(22, 22))
        self.setItemDelegate(_StateDelegate(self))
        self.setMovement(QListView.Static)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumWidth(170)
        self.setMaximumWidth(230)
        self.steps: list[str] = []

    def add_step(self, step: str, text: str, icon_name: str, tooltip: str = "") -> QListWidgetItem:
        item = QListWidgetItem(icon(icon_name), text, self)
        item.setData(STEP_ROLE, step)
        item.setData(STATE_ROLE, "idle")
        item.setToolTip(tooltip or text)
        self.steps.append(step)
        self.fit_width()
        return item

    def fit_width(self) -> None:
        """Wide enough for every step's icon, text and mark (a longer translation widens it up to 320 px)."""
        widest = max((self.sizeHintForIndex(self.model().index(r, 0)).width() for r in range(self.count())),
                     default=0)
        needed = widest + 2 * self.frameWidth() + 24  # the style sheet's item padding and the selection bar
        self.setMinimumWidth(min(max(170, needed), 320))
        self.setMaximumWidth(max(230, self.minimumWidth()))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.fit_width()  # the steps' texts may have been translated since
        super().showEvent(event)

    def item_for(self, step: str):
        for row in range(self.count()):
            if self.item(row).data(STEP_ROLE) == step:
                return self.item(row)
        return None

    def set_state(self, step: str, state: str) -> None:
        item = self.item_for(step)
        if item is not None:
            item.setData(STATE_ROLE, state)

    def set_step_enabled(self, step: str, enabled: bool, tooltip: str = "") -> None:
        """Grey out a step that cannot run now (e.g. no model after a failed load), with the reason as tooltip."""
        item = self.item_for(step)
        if item is None:
            return
        flags = item.flags()
        item.setFlags(flags | Qt.ItemIsEnabled if enabled else flags & ~Qt.ItemIsEnabled)
        if item.data(Qt.UserRole + 2) is None:
            item.setData(Qt.UserRole + 2, item.toolTip())  # the step's own tooltip, restored when enabled
        item.setToolTip(item.data(Qt.UserRole + 2) if enabled else (tooltip or item.data(Qt.UserRole + 2)))

    def is_step_enabled(self, step: str) -> bool:
        item = self.item_for(step)
        return bool(item is not None and item.flags() & Qt.ItemIsEnabled)

    def state_of(self, step: str) -> str:
        item = self.item_for(step)
        return item.data(STATE_ROLE) if item is not None else ""

    def select_step(self, step: str) -> None:
        item = self.item_for(step)
        if item is not None:
            self.setCurrentItem(item)

    def current_step(self) -> str:
        item = self.currentItem()
        return item.data(STEP_ROLE) if item is not None else ""
