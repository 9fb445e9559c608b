"""The Trainer callbacks: Trainer's life as typed events with stop/pause requests honoured, and gradual
unfreezing (its schedule is workbench.core.training.unfreezing, which imports no transformers, for the Freeze page)."""

from __future__ import annotations

import math
import os
import time

from transformers import TrainerCallback

from workbench.core.training.control import RunControl
from workbench.core.events import (
    CheckpointSaved, EvalFinished, EventSink, LayersUnfrozen, MessageLogged, ProgressReported, StepLogged,
)
from workbench.core.model.freezing import count_parameters, is_frozen
from workbench.core.training.unfreezing import UnfreezeSchedule

_EVAL_NOISE = ("runtime", "samples_per_second", "steps_per_second", "epoch")


class EventCallback(TrainerCallback):
    def __init__(self, sink: EventSink, control: RunControl, samples_per_step: int):
        self.sink = sink
        self.run_control = control
        self.samples_per_step = samples_per_step
        self._started = 0.0
        self._first_step = 0
        self._last_log = (0.0, 0)
        self._step_loss = None  # the optimizer step's loss so far: a detached tensor on the device

    def add_loss(self, loss) -> None:
        """Called by the Trainer with each micro-batch's loss (already divided by the accumulation steps)."""
        self._step_loss = loss if self._step_loss is None else self._step_loss + loss

    def on_train_begin(self, args, state, control, **kwargs):
        self._started = time.perf_counter()
        self._first_step = state.global_step
        self._last_log = (self._started, state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            elapsed = time.perf_counter() - self._started
            done = state.global_step - self._first_step
            remaining = state.max_steps - state.global_step
            eta = elapsed / done * remaining if done else None
            loss = None if self._step_loss is None else float(self._step_loss.item())  # one device sync per step
            rate = done * self.samples_per_step / elapsed if done and elapsed > 0 else None
            self.sink(ProgressReported(state.global_step, state.max_steps, elapsed, eta, loss, rate))
        self._step_loss = None
        if self.run_control.paused and not self.run_control.stop_requested:
            self.sink(MessageLogged(f"Paused at step {state.global_step}."))
            paused_at = time.perf_counter()
            self.run_control.wait_while_paused()
            self._started += time.perf_counter() - paused_at  # the pause is not training time
            self.sink(MessageLogged("Resumed."))
        if self.run_control.stop_requested and not control.should_training_stop:
            control.should_training_stop = True
            control.should_save = True
            self.sink(MessageLogged(f"Stopping at step {state.global_step}; saving a checkpoint."))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "loss" not in logs:
            return
        now = time.perf_counter()
        then, then_step = self._last_log
        steps = state.global_step - then_step
        rate = steps * self.samples_per_step / (now - then) if steps and now > then else None
        self._last_log = (now, state.global_step)
        grad_norm = logs.get("grad_norm")
        self.sink(StepLogged(
            step=state.global_step,
            epoch=float(state.epoch or 0.0),
            loss=float(logs["loss"]),
            learning_rate=float(logs.get("learning_rate", 0.0)),
            grad_norm=None if grad_norm is None else float(grad_norm),
            samples_per_second=rate,
        ))

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not state.is_world_process_zero or not metrics:
            return
        split, prefix = ("test", "test_") if any(k.startswith("test_") for k in metrics) else ("validation", "eval_")
        clean = {
            key.removeprefix(prefix): float(value)
            for key, value in metrics.items()
            if isinstance(value, (int, float)) and not key.endswith(_EVAL_NOISE)
        }
        self.sink(EvalFinished(state.global_step, float(state.epoch or 0.0), split, clean))
        self._last_log = (time.perf_counter(), state.global_step)  # evaluation time is not training rate

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            self.sink(CheckpointSaved(state.global_step, path))


class UnfreezingCallback(TrainerCallback):
    """Sets `requires_grad` from the schedule at the start (or resume) and after each step."""

    def __init__(self, model, schedule: UnfreezeSchedule, frozen: list[str], sink: EventSink):
        self.model = model
        self.schedule = schedule
        self.frozen = frozen
        self.sink = sink
        self.steps_per_epoch = 1
        self._joined = 0

    def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
        # optimizer steps per epoch, as the Trainer counts them
        self.steps_per_epoch = max(math.ceil(len(train_dataloader) / args.gradient_accumulation_steps), 1)
        self._joined = self.schedule.joined(state.global_step, self.steps_per_epoch)
        trainable = self._apply(state.global_step)
        waiting = len(self.schedule.order) - self._joined
        when = (f"every {self.schedule.every_steps} steps" if self.schedule.every_steps else "at each epoch start")
        self.sink(MessageLogged(f"Gradual unfreezing: {trainable:,} parameters train at step {state.global_step}; "
                                f"{waiting} more layer(s) join, one {when}."))

    def on_step_end(self, args, state, control, **kwargs):
        joined = self.schedule.joined(state.global_step, self.steps_per_epoch)
        if joined == self._joined:
            return
        paths = self.schedule.order[self._joined:joined]
        self._joined = joined
        trainable = self._apply(state.global_step)
        self.sink(LayersUnfrozen(state.global_step, list(paths), trainable))
        self.sink(MessageLogged(f"Step {state.global_step}: {', '.join(paths)} joined; {trainable:,} parameters train."))

    def _apply(self, step: int) -> int:
        waiting = self.schedule.waiting(step, self.steps_per_epoch)
        for name, param in self.model.named_parameters():
            param.requires_grad_(not is_frozen(name, self.frozen) and not is_frozen(name, waiting))
        return count_parameters(self.model)[0]
