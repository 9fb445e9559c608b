"""Render resources/icons/workbench.svg to the PNG sizes the window and the .desktop file use.

Run after editing the SVG: `QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py`.
The PNGs are committed, so the app and the bundle need no SVG support at run time.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from workbench.paths import ICON_SIZES, ICONS


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 - painting needs a GUI application
    renderer = QSvgRenderer(str(ICONS / "workbench.svg"))
    if not renderer.isValid():
        raise SystemExit(f"{ICONS / 'workbench.svg'} is not a valid SVG.")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = ICONS / f"workbench-{size}.png"
        image.save(str(path))
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
