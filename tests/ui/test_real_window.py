"""The window on a real X screen (Xvfb), not the offscreen platform: `make smoke`, run by .ci/run."""

import pytest
from PySide6.QtWidgets import QApplication

from workbench.ui.main_window import MainWindow

pytestmark = pytest.mark.xvfb


def test_the_window_opens_shows_every_page_and_closes_on_a_real_screen(qtbot, tmp_path):
    assert QApplication.platformName() == "xcb", "run under xvfb-run with QT_QPA_PLATFORM=xcb (make smoke)"
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window, timeout=10_000)
    for name, page in window.pages.items():
        window.show_page(name)
        qtbot.waitUntil(lambda page=page: page.isVisible() and window.stack.currentWidget() is page, timeout=10_000)
    qtbot.wait(300)  # let the last page paint
    shot = window.screen().grabWindow(0, window.x(), window.y(), window.width(), window.height())
    assert shot.save(str(tmp_path / "window.png")) and not shot.toImage().isNull()
    image = shot.toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 10) for y in range(0, image.height(), 10)}
    assert len(colours) > 10  # the page drawn on the screen, not a flat rectangle
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
