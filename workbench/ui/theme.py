"""Light or dark: the colours the pages draw themselves (banners, state colours, plot backgrounds, entity
marks), picked to stay readable on the palette in use.

The window follows the system's colour scheme (`QStyleHints.colorScheme()`, Qt 6.5+). Where the
platform reports a dark scheme but its style still hands out a light palette, `follow_system_scheme`
applies Fusion's dark palette; the offscreen tests and `render_screenshots.py --dark` set it directly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# One colour per kind of state, for light and for dark backgrounds.
STATE_COLOURS = {
    "light": {"done": "#1e8449", "busy": "#1f6fb2", "warn": "#b9770e", "error": "#c0392b", "idle": "#7f8c8d"},
    "dark": {"done": "#58d68d", "busy": "#5dade2", "warn": "#f5b041", "error": "#f1948a", "idle": "#a6acaf"},
}
BANNERS = {
    "light": {
        "error": "background: #fde8e8; color: #9b1c1c; border: 1px solid #f5b5b5; border-radius: 4px; padding: 6px;",
        "warning": "background: #fdf6e3; color: #7a4f01; border: 1px solid #f0d58c; border-radius: 4px; padding: 6px;",
    },
    "dark": {
        "error": "background: #4a1c1c; color: #fbd5d5; border: 1px solid #9b1c1c; border-radius: 4px; padding: 6px;",
        "warning": "background: #3d3214; color: #fbe7b0; border: 1px solid #7a4f01; border-radius: 4px; padding: 6px;",
    },
}
MARK_TEXT = "#1f2937"  # the text on entity_html's light marks, whatever the palette's text colour


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the window's background is dark (by the palette, which is what the pages are drawn on)."""
    if palette is None:
        app = QApplication.instance()
        palette = app.palette() if app is not None else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def scheme(widget: QWidget | None = None) -> str:
    return "dark" if is_dark(widget.palette() if widget is not None else None) else "light"


def state_colour(kind: str, widget: QWidget | None = None) -> str:
    return STATE_COLOURS[scheme(widget)].get(kind, STATE_COLOURS[scheme(widget)]["idle"])


def banner_style(kind: str = "error", widget: QWidget | None = None) -> str:
    """The style sheet of a page's banner: "error" or "warning"."""
    return BANNERS[scheme(widget)][kind]


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (the colours of Qt's own dark Fusion palette)."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#323232", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.ToolTipBase: "#3c3c3c", QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8c8c8c", QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#3c3c3c", QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b", QPalette.ColorRole.Light: "#505050",
        QPalette.ColorRole.Midlight: "#464646", QPalette.ColorRole.Mid: "#2d2d2d",
        QPalette.ColorRole.Dark: "#1a1a1a", QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Highlight: "#2f7bd0", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6cb4ff", QPalette.ColorRole.LinkVisited: "#b59cff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def follow_system_scheme(app: QApplication) -> None:
    """Use a dark palette while the system asks for a dark scheme and the style's palette is light; follow changes."""
    hints = app.styleHints()
    if not hasattr(hints, "colorScheme"):  # Qt before 6.5
        return
    light = QPalette(app.palette())

    def apply(colour_scheme: Qt.ColorScheme) -> None:
        if colour_scheme == Qt.ColorScheme.Dark and not is_dark(light):
            app.setPalette(dark_palette())
        elif colour_scheme == Qt.ColorScheme.Light and is_dark(app.palette()) and not is_dark(light):
            app.setPalette(light)

    apply(hints.colorScheme())
    hints.colorSchemeChanged.connect(apply)
