"""The main window's menus (`add_menus`) and their actions: each action's shortcut works whichever
page has the focus, and the Help menu lists every shortcut the menus hold."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

from workbench.ui import about

TRAIN_KEYS = ("Ctrl+Return", "Ctrl+Enter")  # the main keyboard's Return and the keypad's Enter


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


def add_menus(window) -> None:
    """The main window's File, Go, Run and Help menus; their actions call the window's handlers."""
    menu = window.menuBar().addMenu("&File")
    menu.addAction(menu_action(window, "S&tart page", window.show_start, "Ctrl+0",
                                "Open your data, try a demo, or reopen a recent run or config."))
    window.open_data_action = menu_action(window, "Open &data…", window._on_open_data_action_triggered,
                                         QKeySequence.StandardKey.Open, "Open a data file on the Data page.")
    menu.addAction(window.open_data_action)
    menu.addAction(menu_action(window, "&Open run config…", window._on_open_action_triggered, "Ctrl+Shift+O"))
    window.recent_menu = menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window._on_recent_menu_about_to_show)
    menu.addAction(menu_action(window, "&Save run config…", window._on_save_action_triggered, QKeySequence.StandardKey.Save))
    menu.addSeparator()
    menu.addAction(menu_action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit))

    go = window.menuBar().addMenu("&Go")
    window.page_actions = []
    for number, name in enumerate(window.pages, start=1):
        action = menu_action(window, f"&{number} {name}", lambda checked=False, n=name: window.show_page(n),
                              f"Ctrl+{number}")
        go.addAction(action)
        window.page_actions.append(action)

    run = window.menuBar().addMenu("&Run")
    window.train_action = menu_action(window, "&Train", window._on_train_action_triggered, list(TRAIN_KEYS),
                                     "Start training with the settings of every page.")
    run.addAction(window.train_action)

    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(menu_action(window, "&Keyboard shortcuts", window._on_shortcuts_action_triggered, "F1"))
    docs = help_menu.addMenu("&Documentation")
    for page in about.DOC_PAGES:
        action = docs.addAction(page)
        action.setEnabled(about.doc_path(page).is_file())
        action.triggered.connect(lambda checked=False, p=page: about.open_doc(p))
    help_menu.addSeparator()
    help_menu.addAction(menu_action(window, "&About BERT Workbench", window._on_about_action_triggered))
