"""The Model page: the backbone (picked from the curated list, bundled, a local folder or a Hub id) with its size facts, the
task head with its options, and the loss (class weights, focal loss, label smoothing; tasks with
class labels only: question answering finds answer spans and has no classifier dropout)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
    QLabel, QLineEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from workbench.core.config import BUNDLED_BACKBONE, LABELLED_TASKS, RunConfig, TaskConfig
from workbench.core.hub import is_hub_id
from workbench.core.model.backbones import ModelInfo
from workbench.ui.background import BackgroundCall, StatusLine
from workbench.ui.settings import last_folder, remember_folder
from workbench.ui.views.backbone_picker import BackbonePicker
from workbench.ui.views.layouts import left_aligned_row

TASK_LABELS = {
    "single_label": "Single-label classification",
    "pair": "Sentence-pair classification",
    "multi_label": "Multi-label classification",
    "token": "Token classification (NER)",
    "qa": "Extractive question answering",
}
TASK_HINTS = {
    "single_label": "One class per text, e.g. the topic of a ticket.",
    "pair": "One class per pair of texts, e.g. whether two questions mean the same.",
    "multi_label": "Any number of labels per text, each a yes/no decision.",
    "token": "One tag per word, e.g. B-PER / I-PER / O for named entities.",
    "qa": "The answer to each question is a span of its context (or nothing), e.g. a date in a paragraph.",
}
LOSS_LABELS = {"cross_entropy": "Cross-entropy", "focal": "Focal"}
TYPED = "typed"  # the class-weights choice that keeps the run config's list of weights
BUNDLED, FOLDER, HUB = range(3)


def checked_backbone(name: str, allow_pickle: bool) -> ModelInfo:
    """The backbone's size facts, after checking that its weights would load."""
    from workbench.core.model.backbones import backbone_info, check_weights_format, resolve_backbone

    info = backbone_info(name)
    check_weights_format(resolve_backbone(name), allow_pickle)
    return info


class ModelView(QWidget):
    changed = Signal()
    backbone_changed = Signal(str, str)  # backbone name, task
    info_shown = Signal()  # the facts of the chosen backbone are shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._announced: tuple[str, str] | None = None
        self._requested: tuple[str, bool] | None = None
        self._call = BackgroundCall(self)
        self._call.returned.connect(self._on_call_returned)
        self._call.failed.connect(self._on_call_failed)

        self._kind = QButtonGroup(self)
        self._bundled = QComboBox()
        self._bundled.addItem(BUNDLED_BACKBONE.removeprefix("bundled:") + " (bundled, no download)", BUNDLED_BACKBONE)
        self._folder = QLineEdit()
        self._folder.setPlaceholderText("a folder with config.json and the weights")
        browse = QPushButton("Browse…")
        self._hub = QLineEdit()
        self._hub.setPlaceholderText("e.g. bert-base-uncased or owner/name (needs the internet)")
        self._pickle = QCheckBox("Allow pickle (.bin) weights: only for models you trust")
        choices = QGridLayout()
        for row, (text, field) in enumerate((("Bundled", self._bundled), ("Local folder", self._folder), ("Hub id", self._hub))):
            button = QRadioButton(text)
            self._kind.addButton(button, row)
            choices.addWidget(button, row, 0)
            choices.addWidget(field, row, 1)
        choices.addWidget(browse, FOLDER, 2)
        self._kind.button(BUNDLED).setChecked(True)
        choices.addWidget(self._pickle, 3, 1, 1, 2)
        choices.setColumnStretch(1, 1)

        self._status = StatusLine()
        self._status.watch(self._call)
        self._facts: dict[str, QLabel] = {}
        facts = QFormLayout()
        for key, text in (("model_type", "Architecture"), ("parameters", "Parameters"), ("layers", "Layers"),
                          ("hidden_size", "Hidden size"), ("max_positions", "Longest input"), ("vocab_size", "Vocabulary")):
            self._facts[key] = QLabel("–")
            facts.addRow(text + ":", self._facts[key])
        backbone = QGroupBox("Backbone")
        backbone_layout = QVBoxLayout(backbone)
        self._picker = BackbonePicker()  # the curated backbones; it fills in the choices below
        self._picker.picked.connect(self._on_backbone_picked)
        backbone_layout.addWidget(self._picker)
        backbone_layout.addLayout(choices)
        backbone_layout.addWidget(self._status)
        backbone_layout.addLayout(facts)

        self._task = QComboBox()
        for task, text in TASK_LABELS.items():
            self._task.addItem(text, task)
        self._task_hint = QLabel()
        self._task_hint.setEnabled(False)
        self._task_hint.setWordWrap(True)
        self._set_dropout = QCheckBox("Set")
        self._dropout = QDoubleSpinBox()
        self._dropout.setRange(0.0, 0.9)
        self._dropout.setSingleStep(0.05)
        self._dropout.setValue(0.1)
        self._dropout.setToolTip("Dropout before the classifier; unset keeps the backbone's own setting.")
        head = QGroupBox("Task head")
        head_form = QFormLayout(head)
        head_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # fields at their own width
        head_form.addRow("Task:", self._task)
        head_form.addRow("", self._task_hint)
        head_form.addRow("Classifier dropout:", left_aligned_row(self._set_dropout, self._dropout))

        self._typed_weights: list[float] = []
        self._class_weights = QComboBox(toolTip="Weigh each class by inverse frequency in the training split "
                                        "(multi-label: each label's positives by negatives / positives).")
        self._class_weights.addItem("Off", False)
        self._class_weights.addItem("From the training label counts", True)
        self._loss = QComboBox()
        for loss, text in LOSS_LABELS.items():
            self._loss.addItem(text, loss)
        self._gamma = QDoubleSpinBox(prefix="gamma ", toolTip="Focal loss: how much less the well-classified "
                                     "examples count (0 is cross-entropy).")
        self._gamma.setRange(0.0, 20.0)
        self._gamma.setSingleStep(0.5)
        self._smoothing = QDoubleSpinBox(toolTip="The share of each target spread over the other classes.")
        self._smoothing.setDecimals(3)
        self._smoothing.setRange(0.0, 0.95)
        self._smoothing.setSingleStep(0.05)
        loss = QGroupBox("Loss")
        loss_form = QFormLayout(loss)
        loss_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # fields at their own width
        loss_form.addRow("Class weights:", self._class_weights)
        loss_form.addRow("Loss:", left_aligned_row(self._loss, self._gamma))
        loss_form.addRow("Label smoothing:", self._smoothing)

        layout = QVBoxLayout(self)
        layout.addWidget(backbone)
        layout.addWidget(head)
        layout.addWidget(loss)
        layout.addStretch(1)

        self._kind.idClicked.connect(self._on_backbone_edited)
        self._bundled.activated.connect(self._on_backbone_edited)
        for field in (self._folder, self._hub):
            field.textEdited.connect(self._on_field_text_edited)
            field.editingFinished.connect(self._on_backbone_edited)
        browse.clicked.connect(self._on_browse_clicked)
        self._pickle.clicked.connect(self._on_backbone_edited)
        self._task.activated.connect(self._on_task_activated)
        self._set_dropout.clicked.connect(self._on_switch_edited)
        self._loss.activated.connect(self._on_switch_edited)
        for edited in (self._dropout.valueChanged, self._class_weights.activated, self._gamma.valueChanged,
                       self._smoothing.valueChanged):
            edited.connect(self.changed)
        self._show_task_options()

    # --- the page contract ------------------------------------------------------------------

    def show_config(self, config: RunConfig) -> None:
        """Fill in the widgets; editors report user edits only (clicked, activated), so no `changed`."""
        name = config.backbone.name
        if self._bundled.findData(name) >= 0:
            self._kind.button(BUNDLED).setChecked(True)
            self._bundled.setCurrentIndex(self._bundled.findData(name))
        elif is_hub_id(name):
            self._kind.button(HUB).setChecked(True)
            self._hub.setText(name)
        else:
            self._kind.button(FOLDER).setChecked(True)
            self._folder.setText(name)
        self._pickle.setChecked(config.backbone.allow_pickle_weights)
        self._task.setCurrentIndex(self._task.findData(config.task.type))
        self._set_dropout.setChecked(config.task.dropout is not None)
        with QSignalBlocker(self._dropout):
            self._dropout.setValue(config.task.dropout if config.task.dropout is not None else 0.1)
        self._show_loss(config.task)
        self._show_task_options()
        self._refresh_backbone()

    def update_config(self, config: RunConfig) -> None:
        config.backbone.name = self.backbone()
        config.backbone.allow_pickle_weights = self._pickle.isChecked()
        config.task.type = self.task()
        labelled = self.task() in LABELLED_TASKS  # qa: answer spans, no classifier dropout, plain cross-entropy
        dropout = labelled and self._set_dropout.isChecked()
        config.task.dropout = round(self._dropout.value(), 4) if dropout else None
        weights = self._class_weights.currentData() if labelled else False
        config.task.class_weights = list(self._typed_weights) if weights == TYPED else weights
        multi = self.task() == "multi_label"  # binary cross-entropy, unsmoothed
        config.task.loss = self._loss.currentData() if labelled and not multi else "cross_entropy"
        config.task.focal_gamma = round(self._gamma.value(), 4)
        smoothed = labelled and not multi and config.task.loss == "cross_entropy"
        config.task.label_smoothing = round(self._smoothing.value(), 4) if smoothed else 0.0

    def use_class_weights(self) -> None:
        """Weigh the loss by the training counts, as the Data page's suggestion offers."""
        self._class_weights.setCurrentIndex(self._class_weights.findData(True))

    def set_task(self, task: str) -> None:
        """Follow the task the Data page guessed or the user picked there."""
        index = self._task.findData(task)
        if index >= 0 and index != self._task.currentIndex():
            self._task.setCurrentIndex(index)
            self._show_task_options()
            self._announce()

    def backbone(self) -> str:
        kind = self._kind.checkedId()
        if kind == BUNDLED:
            return self._bundled.currentData()
        return (self._folder if kind == FOLDER else self._hub).text().strip()

    def task(self) -> str:
        return self._task.currentData()

    def info(self) -> dict[str, str]:
        """The facts as shown, by ModelInfo field name."""
        return {key: label.text() for key, label in self._facts.items()}

    def error(self) -> str:
        return self._status.error()

    # --- slots ------------------------------------------------------------------------------

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder", self._folder.text() or last_folder("models"))
        if folder:
            remember_folder("models", folder)
            self._folder.setText(folder)
            self._kind.button(FOLDER).setChecked(True)
            self._on_backbone_edited()

    def _on_field_text_edited(self) -> None:
        """Typing a folder or a Hub id chooses that kind of backbone."""
        self._kind.button(FOLDER if self.sender() is self._folder else HUB).setChecked(True)

    def _on_backbone_edited(self) -> None:
        if self.sender() is self._bundled:
            self._kind.button(BUNDLED).setChecked(True)
        if (self.backbone(), self._pickle.isChecked()) != self._requested:
            self._refresh_backbone()
            self.changed.emit()

    def _on_backbone_picked(self, name: str) -> None:
        """A curated backbone chosen: the bundled one, or its Hub id typed in; "" (another): the Hub id field."""
        if name and self._bundled.findData(name) >= 0:
            self._bundled.setCurrentIndex(self._bundled.findData(name))
            self._kind.button(BUNDLED).setChecked(True)
        else:
            if name:
                self._hub.setText(name)
            self._kind.button(HUB).setChecked(True)
            self._hub.setFocus()
        self._on_backbone_edited()

    def _on_task_activated(self, _index: int) -> None:
        self._show_task_options()
        self._announce()
        self.changed.emit()

    def _on_switch_edited(self) -> None:
        """Dropout set or unset, or another loss picked: it changes which options apply."""
        self._show_task_options()
        self.changed.emit()

    def _on_call_returned(self, info: ModelInfo) -> None:
        self._facts["model_type"].setText(info.model_type)
        self._facts["parameters"].setText(f"{info.parameters / 1e6:,.1f} million ({info.parameters:,})")
        self._facts["layers"].setText(str(info.layers))
        self._facts["hidden_size"].setText(str(info.hidden_size))
        self._facts["max_positions"].setText(f"{info.max_positions:,} tokens")
        self._facts["vocab_size"].setText(f"{info.vocab_size:,} tokens")
        self.info_shown.emit()

    def _on_call_failed(self, _sentence: str) -> None:
        self._clear_facts()

    # --- helpers ----------------------------------------------------------------------------

    def _refresh_backbone(self) -> None:
        """Fetch the chosen backbone's facts and tell the other pages about it."""
        name = self.backbone()
        self._requested = (name, self._pickle.isChecked())
        self._picker.show_name(name)
        self._clear_facts()
        if not name:
            self._call.cancel()
            self._status.clear()
            return
        self._status.show_busy(f"Reading {name}…")
        self._call.start(checked_backbone, name, self._pickle.isChecked())
        self._announce()

    def _announce(self) -> None:
        current = (self.backbone(), self.task())
        if current[0] and current != self._announced:
            self._announced = current
            self.backbone_changed.emit(*current)

    def _clear_facts(self) -> None:
        for label in self._facts.values():
            label.setText("–")

    def _show_task_options(self) -> None:
        self._task_hint.setText(TASK_HINTS[self.task()])
        labelled = self.task() in LABELLED_TASKS
        self._set_dropout.setEnabled(labelled)
        self._dropout.setEnabled(labelled and self._set_dropout.isChecked())
        self._class_weights.setEnabled(labelled)
        losses = labelled and self.task() != "multi_label"  # multi_label: binary cross-entropy
        focal = self._loss.currentData() == "focal"
        self._loss.setEnabled(losses)
        self._gamma.setEnabled(focal and losses)
        self._smoothing.setEnabled(not focal and losses)

    def _show_loss(self, task: TaskConfig) -> None:
        """The config's loss options; a typed list of weights gets its own choice, kept as it is."""
        typed = self._class_weights.findData(TYPED)
        if typed >= 0:
            self._class_weights.removeItem(typed)
        choice = task.class_weights
        if isinstance(choice, list):
            self._typed_weights, choice = list(choice), TYPED
            self._class_weights.addItem(f"Typed in the run config: {', '.join(f'{w:g}' for w in task.class_weights)}", TYPED)
        self._class_weights.setCurrentIndex(self._class_weights.findData(choice))
        self._loss.setCurrentIndex(self._loss.findData(task.loss))
        with QSignalBlocker(self._gamma), QSignalBlocker(self._smoothing):
            self._gamma.setValue(task.focal_gamma)
            self._smoothing.setValue(task.label_smoothing)
