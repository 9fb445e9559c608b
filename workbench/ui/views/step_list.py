"""The window's navigation: one row per page, its name over a line that says where that step stands
("400 rows, 4 labels, no warnings", "running 45 %", "finished, F1 0.78"), with an icon in the state's colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from workbench.ui import theme

STATE_ROLE = Qt.ItemDataRole.UserRole + 1  # the state line's text
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "idle", "busy", "done", "warn" or "error": the state line's colour
ICON_SIZE = 20
PADDING = 6
WIDTH = 240


class StepDelegate(QStyledItemDelegate):
    """Paints the page's name and, below it, its state line in a smaller font."""

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() * 0.88, 7.0))
        return title, small

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        title, small = self._fonts(option)
        height = QFontMetrics(title).height() + QFontMetrics(small).height() + 2 * PADDING + 2
        return QSize(WIDTH - 4, max(height, ICON_SIZE + 2 * PADDING))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget else None
        opt.text, opt.icon = "", opt.icon  # the panel only: the text is drawn below
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal if option.state & QStyle.StateFlag.State_Enabled else QPalette.ColorGroup.Disabled
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = option.rect.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None and not icon.isNull():
            icon_rect = QRect(rect.left(), rect.top() + (rect.height() - ICON_SIZE) // 2, ICON_SIZE, ICON_SIZE)
            icon.paint(painter, icon_rect)
        text_left = rect.left() + ICON_SIZE + PADDING
        title_font, small_font = self._fonts(option)
        title_height = QFontMetrics(title_font).height()
        painter.save()
        painter.setFont(title_font)
        painter.setPen(option.palette.color(group, text_role))
        painter.drawText(QRect(text_left, rect.top(), rect.right() - text_left, title_height),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(index.data() or ""))
        state = str(index.data(STATE_ROLE) or "")
        if state:
            painter.setFont(small_font)
            colour = option.palette.color(group, text_role) if selected else \
                theme.state_colour(str(index.data(KIND_ROLE) or "idle"), opt.widget)
            painter.setPen(colour)
            metrics = QFontMetrics(small_font)
            line = QRect(text_left, rect.top() + title_height + 2, rect.right() - text_left, metrics.height())
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(state, Qt.TextElideMode.ElideRight, line.width()))
        painter.restore()


class StepList(QListWidget):
    """The pages by name (`item(row).text()`), each with a state line (`state(name)`) and an icon."""

    first_painted = Signal()  # the window is on the screen: the icons may load now

    def __init__(self, names: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setItemDelegate(StepDelegate(self))
        self.setFixedWidth(WIDTH)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSpacing(1)
        self._icons_on = False
        self._painted = False
        for name in names:
            item = QListWidgetItem(name)
            item.setData(KIND_ROLE, "idle")
            self.addItem(item)

    def _item(self, name: str) -> QListWidgetItem:
        return self.findItems(name, Qt.MatchFlag.MatchExactly)[0]

    def set_state(self, name: str, text: str, kind: str = "idle") -> None:
        """Say where the page's step stands; `kind` picks the colour of the line and the icon."""
        item = self._item(name)
        if item.data(STATE_ROLE) == text and item.data(KIND_ROLE) == kind:
            return
        item.setData(STATE_ROLE, text)
        item.setData(KIND_ROLE, kind)
        item.setToolTip(f"{name}: {text}")
        if self._icons_on:
            self._set_icon(item)

    def state(self, name: str) -> str:
        return str(self._item(name).data(STATE_ROLE) or "")

    def kind(self, name: str) -> str:
        return str(self._item(name).data(KIND_ROLE) or "idle")

    def show_icons(self) -> None:
        """Draw the icons (qtawesome loads here, after the window is shown); again after a palette change."""
        self._icons_on = True
        for row in range(self.count()):
            self._set_icon(self.item(row))

    def _set_icon(self, item: QListWidgetItem) -> None:
        from workbench.ui.icons import page_icon

        kind = str(item.data(KIND_ROLE) or "idle")
        colour = self.palette().color(QPalette.ColorRole.Text).name() if kind == "idle" else theme.state_colour(kind, self)
        item.setIcon(page_icon(item.text(), colour))

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def focusInEvent(self, event) -> None:
        """No page chosen (the start page is shown): focus does not pick the first page, as a list would."""
        if self.currentRow() < 0:
            QWidget.focusInEvent(self, event)
            self.viewport().update()
        else:
            super().focusInEvent(event)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self._icons_on:
            self.show_icons()
