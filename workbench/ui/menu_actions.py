"""The main window's menu actions: each one's shortcut works whichever page has the focus, and the
Help menu lists every shortcut the menus hold."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget


def menu_action(window: QWidget, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    """An action of `window` calling `slot`; `shortcut` is one key sequence or a list of them."""
    action = QAction(text, window)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        action.setShortcuts([QKeySequence(key) for key in keys])
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # its shortcut works whichever page has the focus
    return action


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut in the bar's menus."""
    listed = []
    for entry in bar.actions():
        for action in entry.menu().actions():
            keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]
            if keys:
                listed.append((", ".join(keys), action.text().replace("&", "").lstrip("0123456789 ")))
    return listed
