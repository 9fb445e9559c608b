"""The Train page: the training settings, Start / Pause / Stop, progress, live curves and the run's log.

The settings come in groups (schedule, batches and optimizer, evaluation) with the speed levers and
the rest folded away under Advanced. A setting left to the engine ("auto") says what the run chose
once it starts ("auto: 9 epochs"), from the RunStarted event."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QGroupBox, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from workbench.core.config import DROPOUT_MASKS, PRECISIONS, RunConfig
from workbench.core.events import (
    CheckpointSaved, EvalFinished, Event, LayersUnfrozen, MessageLogged, ProgressReported, RunFailed, RunFinished,
    RunStarted, StepLogged,
)
from workbench.core.errors import WorkbenchError
from workbench.core.runs import RunSummary, read_events
from workbench.core.training.memory import prepare_retry
from workbench.ui.views.form_fields import LearningRateBox, chosen_label, double_box, spin_box
from workbench.ui.views.layouts import Collapsible, compact_form, left_aligned_row
from workbench.ui.views.run_page import RunPage

MAIN_METRICS = ("f1", "accuracy", "f1_macro", "f1_micro", "precision", "recall", "loss")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainView(RunPage):
    changed = Signal()
    start_requested = Signal()  # the main window answers with start(config) for the assembled config
    run_finished = Signal(object)  # RunFinished | RunFailed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._samples_per_second: float | None = None
        self._last_config: RunConfig | None = None  # what Start last trained, for a retry without a run folder
        self._failed: RunFailed | None = None
        self._filling = False
        self._build_form()
        self._build_layout()
        self._set_running(False)

    def _build_form(self) -> None:
        self.learning_rate = LearningRateBox()
        self.learning_rate.setToolTip("Step size of the optimizer (AdamW). Auto: 1e-4 for small backbones such as "
                                      "the bundled MiniLM (measured), 5e-5 for BERT-base and larger; 3x that "
                                      "with the lower half frozen, 3e-2 for the head alone, 1e-3 for LoRA.")
        self.batch_size = spin_box(1, 4096, "Examples per training step. Lower it if training runs out of memory.")
        self.accumulation = spin_box(1, 4096, "Batches whose gradients add up to one optimizer step: the same "
                                  "effective batch in less memory (each step takes as long as that many batches).")
        self.checkpointing = QCheckBox("Gradient checkpointing", toolTip="Recompute each layer's activations in "
                                       "the backward pass instead of keeping them: less memory, slower steps.")
        self.checkpointing.toggled.connect(self._on_form_edited)
        self.effective_batch = QLabel()
        self.epochs = double_box(0, 1000, 1, 1, "Passes over the training data. Auto sizes them to the data: enough "
                              "steps for a small set (at most 10 epochs, the best kept), one epoch for a large one.")
        self.epochs.setSpecialValueText("auto")
        self.max_steps = spin_box(0, 10_000_000, "Stop after this many steps, whatever the epochs say; off trains "
                               "for the epochs.", special="off")
        self.warmup_ratio = double_box(0, 0.95, 0.05, 2, "Share of the steps over which the learning rate rises "
                                    "from 0 before it decays linearly to 0.")
        self.weight_decay = double_box(0, 1, 0.01, 3, "AdamW weight decay (not applied to biases and LayerNorm).")
        self.precision = QComboBox(toolTip="Number format for training. Auto picks bf16 on GPUs that support it, "
                                   "and on a CPU measures whether bf16 is faster than fp32.")
        self.precision.addItems(PRECISIONS)
        self.eval_strategy = QComboBox(toolTip="When to evaluate on the validation split and save a checkpoint.")
        self.eval_strategy.addItem("each epoch", "epoch")
        self.eval_strategy.addItem("every N steps", "steps")
        self.eval_steps = spin_box(1, 10_000_000, "Steps between evaluations (and checkpoints).")
        self.eval_steps.setSuffix(" steps")
        self.max_grad_norm = double_box(0, 100, 0.5, 2, "Gradients are clipped to this norm before each update; "
                                     "0 turns clipping off.")
        self.main_metric = QComboBox(toolTip="The validation metric that picks the best checkpoint and drives "
                                     "early stopping (loss: lower is better; the others: higher).")
        self.main_metric.setEditable(True)  # any metric the engine reports, e.g. one added with evaluate
        self.main_metric.addItems(MAIN_METRICS)
        self.patience = spin_box(0, 1000, "Stop when the main metric has not improved for this many evaluations; "
                              "off trains to the end.", special="off")
        self.seed = spin_box(0, 2**31 - 1, "Random seed for initialising the head and shuffling; the same seed "
                          "and settings give the same run.")
        self.dropout_masks = QComboBox(toolTip="fast: four dropout masks drawn from each random number; torch: "
                                       "torch's own; auto: measured once per machine on a CPU (torch's elsewhere).")
        self.dropout_masks.addItems(DROPOUT_MASKS)
        self.first_token = QCheckBox("Last layer for the first token only", toolTip="Sequence heads read only the "
                                     "first token: the last layer computes just that one (the same result, less work).")
        self.sparse_embeddings = QCheckBox("Sparse word-embedding updates", toolTip="Full fine-tunes on a CPU update "
                                           "only the word-embedding rows a batch uses.")
        self.group_by_length = QCheckBox("Batch similar lengths together", toolTip="Texts of similar length share a "
                                         "batch (still shuffled), so less padding is computed; off: plain random order.")
        self.extra_metrics = QLineEdit(placeholderText="e.g. matthews_correlation", toolTip="Further evaluate modules "
                                       "computed at each evaluation, comma-separated: module ids, or local folders "
                                       "holding <name>/<name>.py.")
        self.logging_steps = spin_box(1, 1_000_000, "Optimizer steps between two logged training losses (each the mean "
                                   "since the last).")
        self.logging_steps.setSuffix(" steps")
        self.save_total_limit = spin_box(1, 1000, "Checkpoints kept in the run folder.")
        self.lr_chosen, self.epochs_chosen, self.precision_chosen = chosen_label(), chosen_label(), chosen_label()
        for box in (self.learning_rate, self.batch_size, self.accumulation, self.epochs, self.max_steps, self.warmup_ratio,
                    self.weight_decay, self.max_grad_norm, self.eval_steps, self.patience, self.seed,
                    self.logging_steps, self.save_total_limit):
            box.valueChanged.connect(self._on_form_edited)
        for combo in (self.precision, self.eval_strategy, self.dropout_masks):
            combo.currentIndexChanged.connect(self._on_form_edited)
        for check in (self.first_token, self.sparse_embeddings, self.group_by_length):
            check.toggled.connect(self._on_form_edited)
        self.extra_metrics.textEdited.connect(self._on_form_edited)
        self.main_metric.currentTextChanged.connect(self._on_main_metric_changed)

    def _build_layout(self) -> None:
        self.retry_button = QPushButton(visible=False, toolTip="Resume the run from its last checkpoint (or start "
                                        "it again) at half the batch size with twice the accumulation: the same "
                                        "effective batch in less memory.")
        self.retry_button.clicked.connect(self._on_retry_button_clicked)

        labels: list[QLabel] = []

        def fill(form, rows) -> None:
            for text, field in rows:
                labels.append(QLabel(text))
                form.addRow(labels[-1], field)

        def group(title: str, rows) -> QGroupBox:
            box = QGroupBox(title)
            fill(compact_form(box), rows)
            return box

        self.learning_rate.setMinimumWidth(self.learning_rate.fontMetrics().horizontalAdvance("0.000025") + 40)

        self.schedule_group = group("Schedule", (
            ("Learning rate", left_aligned_row(self.learning_rate, self.lr_chosen)),
            ("Epochs", left_aligned_row(self.epochs, self.epochs_chosen)),
            ("Max steps", self.max_steps), ("Warmup ratio", self.warmup_ratio)))
        self.batches_group = group("Batches and optimizer", (
            ("Batch size", self.batch_size), ("Accumulation", left_aligned_row(self.accumulation, self.effective_batch)),
            ("Weight decay", self.weight_decay), ("Gradient clipping", self.max_grad_norm)))
        self.evaluation_group = group("Evaluation", (
            ("Evaluate", left_aligned_row(self.eval_strategy, self.eval_steps)), ("Main metric", self.main_metric),
            ("Early stopping", self.patience)))
        advanced = QGroupBox()
        fill(compact_form(advanced), (
            ("Precision", left_aligned_row(self.precision, self.precision_chosen)),
            ("Dropout masks", self.dropout_masks), ("Speed", self.first_token), ("", self.sparse_embeddings),
            ("", self.group_by_length), ("Memory", self.checkpointing), ("Extra metrics", self.extra_metrics),
            ("Log the loss every", self.logging_steps), ("Checkpoints kept", self.save_total_limit),
            ("Seed", self.seed)))
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:  # one label column across the groups
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.advanced = Collapsible("Advanced", advanced, tip="Precision, the speed levers, memory, extra metrics, "
                                    "logging, checkpoints and the seed.")

        self.form = QWidget()  # every setting: disabled while a run goes
        column = QVBoxLayout(self.form)
        column.setContentsMargins(0, 0, 0, 0)
        for widget in (self.schedule_group, self.batches_group, self.evaluation_group, self.advanced):
            column.addWidget(widget)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        advanced.show()  # measured open, so opening it never needs a wider column
        scroll.setMinimumWidth(max(self.form.sizeHint().width(), advanced.sizeHint().width() + 10)
                               + scroll.verticalScrollBar().sizeHint().width())
        advanced.hide()

        self.start_button = QPushButton("Start", toolTip="Train with the settings of every page.")
        self.pause_button = QPushButton("Pause", toolTip="Hold the run after the current step.")
        self.stop_button = QPushButton("Stop", toolTip="End the run after the current step; a checkpoint is "
                                       "saved and the best model so far is kept.")
        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)

        self.log = QPlainTextEdit(readOnly=True, maximumBlockCount=10_000)
        self.log.setPlaceholderText("The run's messages and evaluations appear here.")
        self._lay_out(scroll, (self.start_button, self.pause_button, self.stop_button), self.log, fill=True,
                      heights=(500, 180), banner_button=self.retry_button)

    def show_config(self, config: RunConfig) -> None:
        t = config.training
        self._filling = True
        try:
            self.learning_rate.setValue(t.learning_rate or 0.0)
            self.batch_size.setValue(t.batch_size)
            self.accumulation.setValue(t.gradient_accumulation_steps)
            self.checkpointing.setChecked(t.gradient_checkpointing)
            self.epochs.setValue(t.epochs or 0.0)
            self.max_steps.setValue(max(t.max_steps, 0))
            self.warmup_ratio.setValue(t.warmup_ratio)
            self.weight_decay.setValue(t.weight_decay)
            self.max_grad_norm.setValue(t.max_grad_norm)
            self.precision.setCurrentText(t.precision)
            self.main_metric.setCurrentText(t.metric_for_best)
            self.eval_strategy.setCurrentIndex(self.eval_strategy.findData(t.eval_strategy))
            self.eval_steps.setValue(t.eval_steps)
            self.patience.setValue(t.early_stopping_patience or 0)
            self.seed.setValue(t.seed)
            self.dropout_masks.setCurrentText(t.dropout_masks)
            self.first_token.setChecked(t.last_layer_first_token)
            self.sparse_embeddings.setChecked(t.sparse_embeddings)
            self.group_by_length.setChecked(t.group_by_length)
            self.extra_metrics.setText(", ".join(t.extra_metrics))
            self.logging_steps.setValue(t.logging_steps)
            self.save_total_limit.setValue(t.save_total_limit)
            self._show_chosen(None)
        finally:
            self._filling = False
        self._update_enabled()
        self.curves.set_metric(t.metric_for_best)

    def update_config(self, config: RunConfig) -> None:
        t = config.training
        t.learning_rate = self.learning_rate.value() or None
        t.batch_size = self.batch_size.value()
        t.gradient_accumulation_steps = self.accumulation.value()
        t.gradient_checkpointing = self.checkpointing.isChecked()
        t.epochs = self.epochs.value() or None
        t.max_steps = self.max_steps.value() or -1
        t.warmup_ratio = self.warmup_ratio.value()
        t.weight_decay = self.weight_decay.value()
        t.max_grad_norm = self.max_grad_norm.value()
        t.precision = self.precision.currentText()
        t.metric_for_best = self.main_metric.currentText().strip()
        t.eval_strategy = self.eval_strategy.currentData()
        t.eval_steps = self.eval_steps.value()
        t.early_stopping_patience = self.patience.value() or None
        t.seed = self.seed.value()
        t.dropout_masks = self.dropout_masks.currentText()
        t.last_layer_first_token = self.first_token.isChecked()
        t.sparse_embeddings = self.sparse_embeddings.isChecked()
        t.group_by_length = self.group_by_length.isChecked()
        t.extra_metrics = [name.strip() for name in self.extra_metrics.text().split(",") if name.strip()]
        t.logging_steps = self.logging_steps.value()
        t.save_total_limit = self.save_total_limit.value()

    def _show_chosen(self, started: RunStarted | None) -> None:
        """Beside each setting left to the engine, what the run chose (cleared with None)."""
        auto = started is not None
        lr = started.learning_rate if auto else None
        self.lr_chosen.setText(f"auto: {lr:.3g}" if lr and self.learning_rate.value() == 0 else "")
        epochs = started.epochs if auto else None
        sized = epochs and self.epochs.value() == 0 and self.max_steps.value() == 0
        self.epochs_chosen.setText(f"auto: {epochs:g} epoch{'' if epochs == 1 else 's'}" if sized else "")
        chosen = auto and self.precision.currentText() == "auto"
        self.precision_chosen.setText(f"auto: {started.precision}" if chosen else "")

    def start(self, config: RunConfig) -> None:
        """Train `config` (the whole run config, as the main window assembles it)."""
        self.curves.set_metric(config.training.metric_for_best)
        self.curves.clear()
        self.log.clear()
        self._begin()
        self._last_config = config
        self.worker.start(config)

    def resume(self, run: RunSummary) -> None:
        """Continue a recorded run from its last checkpoint, its curves so far shown first."""
        self._resume(run.path, run.metric_name)

    def _resume(self, run_dir: Path, metric: str) -> None:
        self.curves.set_metric(metric)
        self.curves.load_events(read_events(run_dir))
        self.log.clear()
        self._log(f"Resuming {run_dir.name}.")
        self._begin()
        self._last_config = None
        self.worker.start(None, resume_dir=run_dir)

    def _begin(self) -> None:
        self.banner.hide()
        self.retry_button.hide()
        self.curves.set_placeholder("Preparing the data and the model: the curves appear with the first logged step.")
        self._show_chosen(None)
        self.progress.setValue(0)
        self.progress.show()
        self.progress_label.setText("Preparing data and model…")
        self._samples_per_second = None

    def _log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _set_running(self, running: bool) -> None:
        self.form.setEnabled(not running)
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.stop_button.setEnabled(running)
        self.stop_button.setText("Stop")

    def _update_enabled(self) -> None:
        self.eval_steps.setEnabled(self.eval_strategy.currentData() == "steps")
        batch, steps = self.batch_size.value(), self.accumulation.value()
        self.effective_batch.setText(f"effective batch {batch * steps} ({batch} x {steps})")

    @Slot()
    def _on_form_edited(self) -> None:
        self._update_enabled()
        if not self._filling:
            self.changed.emit()

    @Slot(str)
    def _on_main_metric_changed(self, name: str) -> None:
        self.curves.set_metric(name.strip())
        self._on_form_edited()

    @Slot()
    def _on_start_button_clicked(self) -> None:
        self.start_requested.emit()

    @Slot()
    def _on_pause_button_clicked(self) -> None:
        if self.worker.is_paused:
            self.worker.resume()
            self.pause_button.setText("Pause")
        else:
            self.worker.pause()
            self.pause_button.setText("Resume")
            self.progress_label.setText("Pausing after the current step…")

    @Slot()
    def _on_stop_button_clicked(self) -> None:
        self.worker.stop()
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self.stop_button.setText("Stopping…")
        self.progress_label.setText("Stopping after the current step; saving a checkpoint…")

    @Slot(object)
    def _on_worker_event_received(self, event: Event) -> None:
        if isinstance(event, ProgressReported):
            self._show_progress(event)
        elif isinstance(event, StepLogged):
            self.curves.add_event(event)
            self._samples_per_second = event.samples_per_second or self._samples_per_second
        elif isinstance(event, LayersUnfrozen):
            self.curves.add_event(event)  # the log line comes with the MessageLogged that follows
        elif isinstance(event, EvalFinished):
            self.curves.add_event(event)
            shown = ", ".join(f"{k} {v:.4f}" for k, v in sorted(event.metrics.items()))
            self._log(f"Evaluation on {event.split} at step {event.step}: {shown}")
        elif isinstance(event, RunStarted):
            self._show_chosen(event)
            self.progress.setMaximum(max(event.total_steps, 1))
            self._log(f"Run folder {event.run_dir}: {event.total_steps} steps on {event.device} ({event.precision}), "
                      f"{event.train_rows} training rows, max length {event.max_length}.")
        elif isinstance(event, CheckpointSaved):
            self._log(f"Checkpoint saved at step {event.step}.")
        elif isinstance(event, MessageLogged):
            self._log(event.text if event.level == "info" else f"{event.level.capitalize()}: {event.text}")

    def _show_progress(self, event: ProgressReported) -> None:
        self.progress.setMaximum(max(event.total_steps, 1))
        self.progress.setValue(min(event.step, event.total_steps))
        parts = ["paused"] if self.worker.is_paused else []
        parts.append(f"elapsed {_duration(event.elapsed_seconds)}")
        if event.eta_seconds is not None:
            parts.append(f"ETA {_duration(event.eta_seconds)}")
        if self._samples_per_second:
            parts.append(f"{self._samples_per_second:.1f} samples/s")
        self.progress_label.setText(" · ".join(parts))

    @Slot(object)
    def _on_worker_finished(self, result: RunFinished | RunFailed) -> None:
        self.curves.flush()
        if isinstance(result, RunFailed):
            self._show_banner(result.message)
            self.progress_label.setText("Failed.")
            self._log(f"Failed: {result.message}")
            self._offer_retry(result)
        else:
            best = "" if result.best_metric is None else f"; best {result.metric_name} {result.best_metric:.4f}"
            verb = "Stopped" if result.stopped else "Finished"
            self.progress_label.setText(f"{verb} in {_duration(result.wall_seconds)}{best}.")
            self._log(f"{verb} in {result.wall_seconds:.1f} s{best}. Model saved to {result.model_dir}.")
            if result.warnings:
                self._show_banner("\n".join(result.warnings), "warning")
        self.run_finished.emit(result)

    def _offer_retry(self, failed: RunFailed) -> None:
        batch, steps = self.batch_size.value(), self.accumulation.value()
        if failed.out_of_memory and batch > 1:
            self._failed = failed
            self.retry_button.setText(f"Retry at batch {batch // 2} (accumulation {steps * 2})")
            self.retry_button.show()

    @Slot()
    def _on_retry_button_clicked(self) -> None:
        try:
            config, resume_dir = prepare_retry(self._failed.run_dir, self._last_config)
        except WorkbenchError as exc:
            self._show_banner(str(exc))
            return
        self.show_config(config)  # the form shows (and the next Start uses) the halved batch
        if resume_dir is None:
            self.start(config)
        else:
            self._resume(resume_dir, config.training.metric_for_best)
        t = config.training
        self._log(f"Retrying at batch size {t.batch_size} with {t.gradient_accumulation_steps} accumulation steps "
                  "(the same effective batch).")
