"""Training length and learning rate sized to the data, for the settings a user left empty.

A fixed "1 epoch" is 32 optimizer steps on 1,000 rows: too few for a new head to learn anything
(the run ends at the majority class). When neither `training.epochs` nor `training.max_steps` is
set, the run gets enough optimizer steps for its size and class count, at most `MAX_EPOCHS`, and
at least one epoch; small sets then evaluate each epoch, keep the best and stop early. When
`training.learning_rate` is empty, the rate is the one measured for what trains: LoRA adapters, a
head on a frozen backbone (`head_only`), a backbone with its lower half frozen (`lower_half`), else
the backbone's width (bench/defaults.py; the tables are in bench/RESULTS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.config import TrainingConfig

MIN_STEPS = 300  # optimizer steps a small set gets at least
STEPS_PER_CLASS = 50  # ...and per class beyond the sixth
MAX_EPOCHS = 10  # the time bound: never more passes than this
SMALL_MODEL_RATE = 1e-4  # measured on the bundled MiniLM (384 wide); see bench/RESULTS.md
LARGE_MODEL_RATE = 5e-5  # BERT-base width and up: the rate of the BERT paper's range that these runs used
SMALL_MODEL_WIDTH = 512
LORA_RATE = 1e-3  # LoRA adapters on RT: test F1 0.613 at 1e-4, 0.817 at 1e-3 (bench/RESULTS.md section 10)
HEAD_ONLY_RATE = 3e-2  # the head alone, frozen MiniLM, one RT epoch: test F1 0.560 at 1e-4, 0.647 at 1e-3, 0.677 at 3e-2
LOWER_HALF_FACTOR = 3.0  # lower half frozen, 2,000 RT rows: 0.746 at 1e-4, 0.780 at 3e-4, 0.776 at 1e-3, chance at 3e-3
# (both: bench/RESULTS.md section 15; measured on the 384-wide MiniLM only)
EARLY_STOPPING_PATIENCE = 3  # evaluations without improvement, when the plan has four epochs or more


@dataclass(frozen=True)
class TrainingPlan:
    """The settings a run trains with, and one line on what was chosen for it and why."""

    epochs: float
    learning_rate: float
    early_stopping_patience: int | None
    steps_per_epoch: int
    note: str | None  # None when the user set everything


def plan_training(t: TrainingConfig, train_rows: int, num_labels: int, hidden_size: int,
                  world_size: int = 1, lora: bool = False, freeze_preset: str = "full") -> TrainingPlan:
    """`freeze_preset` is `freeze.preset`: `head_only` and `lower_half` get the rates measured for them."""
    steps_per_epoch = max(math.ceil(train_rows / (t.batch_size * t.gradient_accumulation_steps * world_size)), 1)
    notes = []
    epochs, patience = t.epochs, t.early_stopping_patience
    if epochs is None:
        epochs = 1.0 if t.max_steps > 0 else float(sized_epochs(steps_per_epoch, num_labels))
        if t.max_steps <= 0:
            steps = int(epochs) * steps_per_epoch
            kept = ", the best of them kept" if epochs > 1 else ""
            classes = f" in {num_labels} classes" if num_labels else ""
            notes.append(f"{train_rows:,} rows{classes}: {int(epochs)} epoch{'s' if epochs > 1 else ''} "
                         f"({steps:,} optimizer steps){kept}")
            if patience is None and epochs >= 4:
                patience = EARLY_STOPPING_PATIENCE
                notes.append(f"stopping early after {patience} evaluations without improvement")
    rate = t.learning_rate
    if rate is None and lora:
        rate = LORA_RATE
        notes.append(f"learning rate {_shown(rate)} (measured for LoRA adapters)")
    elif rate is None and freeze_preset == "head_only":
        rate = HEAD_ONLY_RATE
        notes.append(f"learning rate {_shown(rate)} (measured for the head alone on a frozen backbone, "
                     "which barely learns at a full fine-tune's rate)")
    elif rate is None:
        rate = SMALL_MODEL_RATE if hidden_size <= SMALL_MODEL_WIDTH else LARGE_MODEL_RATE
        if freeze_preset == "lower_half":
            rate = round(rate * LOWER_HALF_FACTOR, 12)
            notes.append(f"learning rate {_shown(rate)} (measured for a backbone with its lower half frozen: "
                         f"{LOWER_HALF_FACTOR:g}x the full fine-tune's rate for {hidden_size}-wide backbones)")
        else:
            why = "measured for" if hidden_size <= SMALL_MODEL_WIDTH else "for"
            notes.append(f"learning rate {_shown(rate)} ({why} {hidden_size}-wide backbones)")
    note = "; ".join(notes) + "." if notes else None
    return TrainingPlan(epochs, rate, patience, steps_per_epoch, note[0].upper() + note[1:] if note else None)


def _shown(rate: float) -> str:
    return f"{rate:.1e}".replace(".0e", "e").replace("e-0", "e-")


def sized_epochs(steps_per_epoch: int, num_labels: int) -> int:
    """Enough epochs for `MIN_STEPS` (more with many classes), rounded, within 1..MAX_EPOCHS."""
    target = MIN_STEPS + STEPS_PER_CLASS * max(num_labels - 6, 0)
    return min(MAX_EPOCHS, max(1, round(target / steps_per_epoch)))
