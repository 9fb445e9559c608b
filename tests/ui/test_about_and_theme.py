"""Help > About and Documentation; the pages' own colours follow a dark palette."""

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from workbench.ui import about, theme
from workbench.ui.main_window import MainWindow


@pytest.fixture
def dark(qapp):
    light = QPalette(qapp.palette())
    qapp.setPalette(theme.dark_palette())
    yield
    qapp.setPalette(light)


def test_about_shows_the_version_the_backbone_licence_and_where_runs_are_kept(qtbot):
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert about.app_version() == "0.1.0" and "BERT Workbench 0.1.0" in text
    assert "all-MiniLM-L6-v2" in text and "Apache-2.0" in text
    assert str(about.runs_folder()) in text
    assert "window.md" in text and "config.md" in text  # links to the README's docs pages


def test_help_lists_the_documentation_pages_and_about(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    texts = [action.text() for action in help_menu.actions()]
    assert "&Keyboard shortcuts" in texts and "&About BERT Workbench" in texts
    docs = next(a.menu() for a in help_menu.actions() if a.text() == "&Documentation")
    assert [a.text() for a in docs.actions()] == list(about.DOC_PAGES)
    assert all(a.isEnabled() for a in docs.actions())  # the checkout's docs/ holds every page
    window._on_about_action_triggered()
    assert window.about_dialog.isVisible()
    window.about_dialog.close()
    QThreadPool.globalInstance().waitForDone(60_000)  # the device detection (torch) ends before the test does


def test_a_dark_palette_gives_dark_plots_readable_banners_and_marks(qtbot, dark):
    from workbench.ui.views.entity_html import mark
    from workbench.ui.views.train_view import TrainView

    assert theme.is_dark()
    view = TrainView()
    qtbot.addWidget(view)
    background = view.curves._view.backgroundBrush().color()
    assert background.lightness() < 60
    view._show_banner("Out of memory.")
    assert view.banner.styleSheet() == theme.banner_style("error", view) and "#4a1c1c" in view.banner.styleSheet()
    assert "color:#1f2937" in mark("Paris", "LOC", ["LOC", "PER"])  # dark text on the light mark


def test_plots_follow_a_palette_change(qtbot, qapp):
    from workbench.ui.views.curves import CurvesWidget

    curves = CurvesWidget()
    qtbot.addWidget(curves)
    light = QPalette(qapp.palette())
    assert curves._view.backgroundBrush().color().lightness() > 200
    try:
        qapp.setPalette(theme.dark_palette())
        QApplication.processEvents()
        assert curves._view.backgroundBrush().color().lightness() < 60
    finally:
        qapp.setPalette(light)
