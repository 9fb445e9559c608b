"""The Try it page: type a text (two for pairs; a question and its context for question answering),
see the model's label probabilities, its entities or its answer.

The model loads and predicts in the thread pool (`workbench.core.export.predict.Predictor`); the page only
draws the answer: a bar per label, the text with its entity spans marked, or the context with the
answer marked and a bar per top answer.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QStackedWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from workbench.core.config import RunConfig
from workbench.ui import settings
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.qmodels.results_models import shown_answers
from workbench.ui.views.answer_html import answer_ranges, highlight_answers
from workbench.ui.views.entity_html import entity_types, highlight_text

if TYPE_CHECKING:
    from workbench.core.export.predict import Predictor
    from workbench.core.tasks.prediction import Prediction

BAR_COLOUR, CHOSEN_COLOUR = "#93c5fd", "#1d4ed8"
ANSWER_CHARS = 40  # an answer's bar is named by about this many characters of it
PAIRED_TASKS = ("pair", "qa")  # the second box: the pair's second text, or the context of a question
PLACEHOLDERS = {  # the two boxes' hints per task
    "token": ("Type a sentence to tag…", ""),
    "pair": ("Type a text to classify…", "…and the second text of the pair"),
    "qa": ("Type a question…", "…and the context to find its answer in"),
}


def elided(text: str, chars: int = ANSWER_CHARS) -> str:
    """`text` cut in its middle to about `chars` characters, so long answers with one start stay apart."""
    half = chars // 2
    return text if len(text) <= chars else f"{text[:half].rstrip()} … {text[-half:].lstrip()}"


class ProbabilityBars(pg.PlotWidget):
    """One horizontal bar per label (or answer), the predicted one(s) darker, on a 0-1 axis."""

    def __init__(self, parent: QWidget | None = None, axis: str = "probability"):
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setXRange(0, 1, padding=0.02)
        self.setLabel("bottom", axis)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[])
        self.addItem(self.bars)
        self._colour()
        for axis in ("left", "bottom"):  # no empty axes before the first prediction
            self.getPlotItem().hideAxis(axis)

    def _colour(self) -> None:
        foreground = self.palette().color(QPalette.ColorRole.Text)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        for axis in ("left", "bottom"):
            self.getAxis(axis).setPen(foreground)
            self.getAxis(axis).setTextPen(foreground)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and hasattr(self, "bars"):  # not while pyqtgraph builds it
            self._colour()

    def show_prediction(self, prediction: Prediction) -> None:
        chosen = set(prediction.label.split(";"))
        self.show_bars([(name, value, name in chosen) for name, value in prediction.probs.items()])

    def show_bars(self, bars: list[tuple[str, float, bool]]) -> None:
        """A bar per (name, value, chosen), the first at the bottom."""
        values = [value for _, value, _ in bars]
        for axis in ("left", "bottom"):
            self.getPlotItem().showAxis(axis)
        self.bars.setOpts(x0=[0] * len(bars), y=list(range(len(bars))), width=values, height=0.6,
                          brushes=[CHOSEN_COLOUR if chosen else BAR_COLOUR for _, _, chosen in bars])
        self.getAxis("left").setTicks([[(i, f"{name}  {value:.3f}") for i, (name, value, _) in enumerate(bars)]])
        self.setYRange(-0.6, len(bars) - 0.4, padding=0)


class AnswerPanel(QWidget):
    """Question answering: the context with the best answer marked, and a bar per top answer (best on top)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = QTextBrowser()
        self.alternatives = ProbabilityBars(axis="score")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.context, 1)
        layout.addWidget(QLabel("<b>Top answers</b>"))
        layout.addWidget(self.alternatives, 1)

    def show_prediction(self, prediction: Prediction, context: str) -> None:
        best = prediction.answers[0]
        marked = highlight_answers(context, [], answer_ranges([best.text], [best.start]))
        self.context.setHtml(f"<p style='font-size:15px'>{marked}</p>")
        self.alternatives.show_bars([(elided(shown_answers([answer.text])), answer.score, answer is best)
                                     for answer in reversed(prediction.answers)])


class TryView(QWidget):
    changed = Signal()  # part of every page's contract; this page edits nothing in a config
    predicted = Signal(object)  # Prediction shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._model_dir: Path | None = None
        self._predictor: Predictor | None = None
        self._asked: tuple[str, str] = ("", "")  # the text and second text (qa: question and context) predicted
        self._stale = False
        self._loading = BackgroundCall(self)
        self._loading.returned.connect(self._on_loading_returned)
        self._predicting = BackgroundCall(self)
        self._predicting.returned.connect(self._on_predicting_returned)

        self.model_label = QLabel("Train a run, select one on the Runs page, or open a model folder.")
        self.open_button = QPushButton("Open model folder…", toolTip="Any folder saved by transformers or exported here.")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.text = QPlainTextEdit(placeholderText="Type a text to classify…")
        self.pair = QPlainTextEdit(placeholderText="…and the second text of the pair", visible=False)
        for box in (self.text, self.pair):
            box.setMaximumHeight(110)
        self.predict_button = QPushButton("Predict", enabled=False, toolTip="Run the model on the text (Ctrl+Return).")
        self.predict_button.clicked.connect(self.predict)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.predict)
        self.status = StatusLine()
        self.status.watch(self._loading)
        self.status.watch(self._predicting)
        self.answer = QLabel(textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bars = ProbabilityBars()
        self.entities = QTextBrowser()
        self.qa = AnswerPanel()
        self.output = QStackedWidget()
        for output in (self.bars, self.entities, self.qa):
            self.output.addWidget(output)

        top = QHBoxLayout()
        top.addWidget(self.model_label, 1)
        top.addWidget(self.open_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.predict_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text)
        layout.addWidget(self.pair)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.answer)
        layout.addWidget(self.output, 1)

    def show_config(self, config: RunConfig) -> None:
        """Nothing to show from a config: this page tries a trained model."""

    def update_config(self, config: RunConfig) -> None:
        """Nothing to write: this page edits no setting."""

    def predictor(self) -> Predictor | None:
        return self._predictor

    def show_model(self, model_dir: str | Path) -> None:
        """Try this model (loaded when the page is next shown, if hidden now)."""
        model_dir = Path(model_dir)
        if model_dir == self._model_dir:
            return
        self._model_dir, self._predictor = model_dir, None
        self.predict_button.setEnabled(False)
        self.model_label.setText(f"Model: <b>{model_dir.parent.name if model_dir.name == 'model' else model_dir.name}</b>")
        self.model_label.setToolTip(str(model_dir))
        self._stale = True
        if self.isVisible():
            self._load()

    def _load(self) -> None:
        from workbench.core.export.predict import Predictor  # loads the engine's libraries: not at start-up

        self._stale = False
        self.status.show_busy(f"Loading the model in {self._model_dir}…")
        self._loading.start(Predictor.load, self._model_dir)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._load()

    @Slot()
    def predict(self) -> None:
        text, pair = self.text.toPlainText().strip(), self.pair.toPlainText().strip()
        if self._predictor is None or not text:
            return
        if self._predictor.task == "qa" and not pair:
            self.status.show_error("The context box is empty: type the text that the answer is to be found in.")
            return
        self._asked = (text, pair)
        self.status.show_busy("Predicting…")
        self._predicting.start(self._predictor.predict, [text], [pair] if self._predictor.task in PAIRED_TASKS else None)

    @Slot(object)
    def _on_loading_returned(self, predictor: Predictor) -> None:
        self._predictor = predictor
        self.status.clear()
        self.pair.setVisible(predictor.task in PAIRED_TASKS)
        self.output.setCurrentWidget({"token": self.entities, "qa": self.qa}.get(predictor.task, self.bars))
        text, pair = PLACEHOLDERS.get(predictor.task, PLACEHOLDERS["pair"])
        self.text.setPlaceholderText(text)
        self.pair.setPlaceholderText(pair)
        self.predict_button.setEnabled(True)

    @Slot(object)
    def _on_predicting_returned(self, predictions: list[Prediction]) -> None:
        (prediction,) = predictions
        self.status.clear()
        if prediction.answers is not None:
            self.answer.setText(f"Answer: <b>{escape(prediction.label)}</b>, score {prediction.confidence:.3f}"
                                if prediction.label else
                                f"<b>No answer</b>: the model finds none in the context (score {prediction.confidence:.3f})")
            self.qa.show_prediction(prediction, self._asked[1])
        elif prediction.spans is not None:
            types = entity_types(self._predictor.label_names)
            found = ", ".join(f"{s.text} ({s.type} {s.score:.2f})" for s in prediction.spans) or "no entities"
            self.answer.setText(f"Found: {found}")
            self.entities.setHtml(f"<p style='font-size:15px'>{highlight_text(self._asked[0], prediction.spans, types)}</p>")
        else:
            self.answer.setText(f"Predicted <b>{prediction.label or '(no label)'}</b>, confidence {prediction.confidence:.3f}")
            self.bars.show_prediction(prediction)
        self.predicted.emit(prediction)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a model folder", settings.last_folder("models"))
        if folder:
            settings.remember_folder("models", folder)
            self.show_model(folder)
