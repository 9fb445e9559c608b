import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton, QSpinBox

from tests.ui.pages_fixtures import (  # noqa: F401
    WAIT_MS,
    data_view,
    idle_pool,
    ner_conll,
    sentiment_csv,
    tiny_backbone,
)
from workbench.core.config import DataConfig, RunConfig
from workbench.core.data import load_raw, prepare
from workbench.core.errors import WorkbenchError
from workbench.ui.views.data_view import DataView
from workbench.ui.views.model_view import ModelView

pytestmark = pytest.mark.usefixtures("idle_pool")


@pytest.fixture
def view(data_view) -> DataView:  # noqa: F811
    return data_view


def combo_showing(view: DataView, column: str) -> QComboBox:
    """The first mapping combo box that has `column` (the task combo has no columns)."""
    return next(c for c in view.findChildren(QComboBox) if c.findData(column) >= 0)


def engine_sentence(call, *args) -> str:
    with pytest.raises(WorkbenchError) as raised:
        call(*args)
    return str(raised.value)


def open_and_check(qtbot, view: DataView, source) -> None:
    with qtbot.waitSignals([view.loaded, view.checked], timeout=WAIT_MS, order="strict"):
        view.load(str(source))


def test_load_a_csv_map_columns_and_check(qtbot, view, tmp_path):
    rows = ["review,stars,sentiment"] + [f"the film was {w} {i},{i % 5},{'pos' if i % 2 else 'neg'}"
                                         for i, w in enumerate(["good", "bad"] * 40)]
    rows += [f"a rare opinion {i},1,meh" for i in range(4)]  # 4 'meh' against 40 'neg' and 40 'pos'
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    with qtbot.waitSignal(view.changed):
        open_and_check(qtbot, view, path)
    model = view.table_model()
    assert (model.rowCount(), model.columnCount()) == (84, 3)
    assert model.data(model.index(0, 0)) == "the film was good 0"

    # "review" and "stars" are not usual names: the first and last columns are picked; map them by hand.
    config = RunConfig()
    view.update_config(config)
    assert (config.data.source, config.data.text_column, config.data.label_column) == (str(path), "review", "sentiment")
    labels = next(c for c in view.findChildren(QComboBox) if c.currentData() == "sentiment")
    labels.setFocus()
    with qtbot.waitSignals([view.changed, view.checked], timeout=WAIT_MS):
        qtbot.keyClick(labels, Qt.Key.Key_Up)  # sentiment -> stars
    view.update_config(config)
    assert config.data.label_column == "stars"
    assert view.report().label_counts["train"].keys() == {"0", "1", "2", "3", "4"}

    with qtbot.waitSignal(view.checked, timeout=WAIT_MS):
        qtbot.keyClick(labels, Qt.Key.Key_Down)  # back to sentiment
    report = view.report()
    assert sum(report.split_counts.values()) == 84 and set(report.split_counts) == {"train", "validation"}
    assert report.label_counts["train"]["meh"] < report.label_counts["train"]["pos"] / 5
    assert any(w.startswith("Class imbalance: 'neg'") or w.startswith("Class imbalance: 'pos'") for w in view.warnings())
    assert view.error() == ""


def test_max_length_is_written_and_changes_the_truncation_warning(qtbot, view, sentiment_csv):  # noqa: F811
    open_and_check(qtbot, view, sentiment_csv)
    config = RunConfig()
    view.update_config(config)
    assert config.task.max_length is None and config.data.validation_fraction == 0.1
    assert not any("max_length" in w for w in view.warnings())
    spin = next(s for s in view.findChildren(QSpinBox) if s.specialValueText().startswith("Auto ("))
    assert spin.specialValueText() == f"Auto ({view.report().lengths.suggested_max_length})"
    with qtbot.waitSignal(view.changed):
        spin.setValue(8)
    view.update_config(config)
    assert config.task.max_length == 8
    assert any("longer than max_length 8 tokens" in w for w in view.warnings())


def test_long_texts_bring_the_windows_suggestion_and_its_button_reads_them_in_windows(qtbot, view, tmp_path):
    from tests.tiny_models import write_long_reviews_csv

    open_and_check(qtbot, view, write_long_reviews_csv(tmp_path / "long.csv"))
    spin = next(s for s in view.findChildren(QSpinBox) if s.specialValueText().startswith("Auto ("))
    windows = next(b for b in view.findChildren(QCheckBox) if b.text() == "Read long texts in windows")
    button = next(b for b in view.findChildren(QPushButton) if b.text() == "Read in windows")
    assert view.windows_suggestion() is None and not button.isVisible()  # at the suggested max_length nothing is lost
    spin.setValue(16)
    assert view.windows_suggestion().startswith("100% of training texts would lose more than a quarter")
    assert button.isVisible() and any("will be cut short" in w for w in view.warnings())
    with qtbot.waitSignal(view.changed):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert windows.isChecked() and not button.isVisible() and view.windows_suggestion() is None
    assert not any("max_length" in w for w in view.warnings())
    config = RunConfig()
    view.update_config(config)
    assert config.task.windows and config.task.max_length == 16
    assert config.validate() == []

    view.show_config(config)  # a saved config shows its windows again
    assert windows.isChecked()
    config.task.type = "token"
    view.show_config(config)
    assert not windows.isEnabled()


def test_conll_guesses_the_token_task_and_tells_the_model_page(qtbot, view, ner_conll):  # noqa: F811
    model_view = ModelView()
    qtbot.addWidget(model_view)
    view.task_guessed.connect(model_view.set_task)
    with qtbot.waitSignal(view.task_guessed) as guessed:
        open_and_check(qtbot, view, ner_conll)
    assert guessed.args == ["token"] and model_view.task() == "token"
    config = RunConfig()
    view.update_config(config)
    assert (config.data.text_column, config.data.label_column, config.task.type) == ("tokens", "tags", "token")
    assert view.report().label_counts["train"]["B-PER"] > 0
    assert view.table_model().data(view.table_model().index(0, 1)).startswith("[B-PER O")


def test_model_page_task_reaches_the_data_page(qtbot, view, sentiment_csv):  # noqa: F811
    model_view = ModelView()
    qtbot.addWidget(model_view)
    model_view.backbone_changed.connect(view.set_backbone)  # as the main window wires it
    open_and_check(qtbot, view, sentiment_csv)
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        model_view.set_task("pair")
    assert view.task() == "pair"
    assert failed.args == [engine_sentence(prepare, DataConfig(source=str(sentiment_csv)), "pair")]
    assert view.error() == failed.args[0]


def test_missing_column_shows_the_engine_sentence_inline(qtbot, view, sentiment_csv, tiny_backbone):  # noqa: F811
    config = RunConfig()
    config.data.source, config.data.label_column = str(sentiment_csv), "sentiment"
    config.backbone.name = str(tiny_backbone)
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        view.show_config(config)
    assert failed.args == [engine_sentence(prepare, config.data, "single_label")]
    assert "no column 'sentiment'" in failed.args[0]
    assert view.error() == failed.args[0]
    assert combo_showing(view, "sentiment").currentText() == "sentiment (not in the data)"
    assert view.report() is None and view.warnings() == []


def test_undecodable_file_shows_the_engine_sentence_inline(qtbot, view, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"text,label\n" + bytes(range(256)) * 8)
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        view.load(str(path))
    assert failed.args == [engine_sentence(load_raw, str(path))]
    assert "UTF-8" in failed.args[0]
    assert view.error() == failed.args[0]
    assert view.table_model().rowCount() == 0


def test_a_windows_1252_file_says_what_it_was_read_as(qtbot, view, tmp_path):
    path = tmp_path / "excel.csv"
    rows = "".join(f"Le café était très bon {i},positif\r\nJ'ai été déçu {i},négatif\r\n" for i in range(10))
    path.write_bytes(("text,label\r\n" + rows).encode("cp1252"))
    open_and_check(qtbot, view, path)
    assert view.table_model().data(view.table_model().index(0, 0)) == "Le café était très bon 0"
    shown = [label.text() for label in view.findChildren(QLabel) if "read as" in label.text()]
    assert shown == ["20 rows · read as Windows-1252"]


def test_dropping_a_file_opens_it(qtbot, view, sentiment_csv):  # noqa: F811
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sentiment_csv))])
    action, button, keys = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(5, 5), action, mime, button, keys)  # Qt 6 takes a QPoint here, a QPointF below
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(5, 5), action, mime, button, keys)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS) as loaded:
        QApplication.sendEvent(view, drop)
    assert loaded.args == [str(sentiment_csv)]
    assert view.table_model().rowCount() == 120


def test_config_round_trip(qtbot, view, sentiment_csv, tiny_backbone):  # noqa: F811
    config = RunConfig()
    config.data.source, config.data.validation_fraction = str(sentiment_csv), 0.2
    config.backbone.name, config.task.max_length = str(tiny_backbone), 24
    with qtbot.waitSignal(view.checked, timeout=WAIT_MS), qtbot.assertNotEmitted(view.changed):
        view.show_config(config)
        out = RunConfig()
        view.update_config(out)  # while the file is opening, the config's part is the page's
        assert (out.data, out.task) == (config.data, config.task)
    assert view.report().split_counts == {"train": 96, "validation": 24}
    out = RunConfig()
    view.update_config(out)
    assert (out.data, out.task) == (config.data, config.task)


def test_typed_hub_id_offline_shows_the_engine_sentence(qtbot, view, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = next(e for e in view.findChildren(QLineEdit) if "Hub dataset id" in e.placeholderText())
    qtbot.keyClicks(source, "someone/tickets")
    load = next(b for b in view.findChildren(QPushButton) if b.text() == "Load")
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        qtbot.mouseClick(load, Qt.MouseButton.LeftButton)
    assert failed.args == [engine_sentence(load_raw, "someone/tickets")]
    assert view.error() == failed.args[0]
    config = RunConfig()
    view.update_config(config)
    assert config.data.source == "someone/tickets"


def test_a_two_sheet_workbook_opened_by_open_file_offers_its_sheets(qtbot, view, tmp_path, monkeypatch):
    from tests.core.workbook_files import write_xlsx
    from workbench.ui.views import source_bar

    notes = [["text", "label"]] + [[f"a note {i}", "x" if i % 2 else "y"] for i in range(10)]
    reviews = [["review", "sentiment"]] + [[f"the film was {w} {i}", w] for i, w in enumerate(["good", "bad"] * 20)]
    path = write_xlsx(tmp_path / "book.xlsx", {"notes": notes, "reviews": reviews})
    asked = {}

    def dialog(parent, caption, folder, filters):  # the file dialog, answered as a user picking the workbook
        asked["filters"] = filters
        return str(path), filters.split(";;")[0]

    monkeypatch.setattr(source_bar.QFileDialog, "getOpenFileName", dialog)
    open_file = next(b for b in view.findChildren(QPushButton) if b.text() == "Open file…")
    with qtbot.waitSignals([view.loaded, view.checked], timeout=WAIT_MS, order="strict"):
        qtbot.mouseClick(open_file, Qt.MouseButton.LeftButton)
    assert "*.xlsx" in asked["filters"] and "*.ods" in asked["filters"]
    picker = view.findChild(source_bar.SourceBar).sheet_picker()
    assert picker.isVisible() and [picker.itemText(i) for i in range(picker.count())] == ["notes", "reviews"]
    assert picker.currentText() == "notes" and view.table_model().rowCount() == 10
    config = RunConfig()
    view.update_config(config)
    assert (config.data.source, config.data.sheet, config.data.text_column) == (str(path), None, "text")

    picker.setFocus()
    with qtbot.waitSignals([view.loaded, view.checked], timeout=WAIT_MS, order="strict"):
        qtbot.keyClick(picker, Qt.Key.Key_Down)  # notes -> reviews
    assert picker.currentText() == "reviews" and view.table_model().rowCount() == 40
    view.update_config(config)
    assert (config.data.sheet, config.data.text_column, config.data.label_column) == ("reviews", "review", "sentiment")
    assert set(view.report().label_counts["train"]) == {"good", "bad"}
    prepared = prepare(config.data, config.task.type)  # the engine reads the sheet the page shows
    assert sum(prepared.split_counts().values()) == 40

    with qtbot.waitSignal(view.checked, timeout=WAIT_MS):
        view.show_config(config)  # the same source and sheet: no reload, the sheet kept
    assert picker.currentText() == "reviews"
    view.show_config(RunConfig(data=DataConfig("")))  # a new config: no source, so no sheet either
    fresh = RunConfig()
    view.update_config(fresh)
    assert (fresh.data.source, fresh.data.sheet, picker.isVisible()) == ("", None, False)


def test_a_sheet_that_cannot_be_read_keeps_the_picker(qtbot, view, tmp_path):
    from tests.core.workbook_files import write_xlsx
    from workbench.ui.views.source_bar import SourceBar

    rows = [["text", "label"]] + [[f"row {i}", i % 2] for i in range(10)]
    path = write_xlsx(tmp_path / "book.xlsx", {"data": rows, "blank": []})
    open_and_check(qtbot, view, path)
    picker = view.findChild(SourceBar).sheet_picker()
    picker.setFocus()
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failed:
        qtbot.keyClick(picker, Qt.Key.Key_Down)
    assert failed.args == [f"The sheet 'blank' of {path} is empty; pick a sheet that holds the header and rows."]
    assert picker.isVisible() and picker.currentText() == "blank"
    with qtbot.waitSignals([view.loaded, view.checked], timeout=WAIT_MS, order="strict"):
        qtbot.keyClick(picker, Qt.Key.Key_Up)
    assert view.table_model().rowCount() == 10


def test_a_workbook_of_split_sheets_offers_them_as_splits(qtbot, view, tmp_path, sentiment_csv):  # noqa: F811
    from tests.core.workbook_files import write_xlsx
    from workbench.ui.views.source_bar import SourceBar

    rows = {name: [["text", "label"]] + [[f"{name} {i}", i % 2] for i in range(n)] for name, n in (("train", 8), ("test", 4))}
    open_and_check(qtbot, view, write_xlsx(tmp_path / "splits.xlsx", rows))
    picker = view.findChild(SourceBar).sheet_picker()
    assert [picker.itemData(i) for i in range(picker.count())] == [None, "train", "test"] and picker.currentIndex() == 0
    assert set(view.report().split_counts) == {"train", "validation", "test"}
    open_and_check(qtbot, view, sentiment_csv)
    assert not picker.isVisible()
