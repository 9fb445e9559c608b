"""Whether a finished run learned anything: its validation score against a constant guess, and
whether its validation predictions use every class that validation holds.

A run that ends at the majority class looks like any other run in a table of numbers; these checks
say so in one sentence each, with the likely cause and the one setting to change.
"""

from __future__ import annotations

from workbench.core.config import RunConfig
from workbench.core.tasks import get_task

MARGIN = 0.1  # share of the distance from the guess to a perfect score that counts as learning
FEW_STEPS = 100
SHOWN = 8  # class names an unused-classes sentence lists before "and N more"


def constant_guess_score(task: str, train_counts: dict[str, int], validation_counts: dict[str, int],
                         validation_rows: int) -> tuple[float, str]:
    """The main chance score a constant answer gets on validation, and that answer in words.

    Single-label and pair tasks: the macro-F1 of always answering the most common training class.
    Multi-label: the micro-F1 of the better of answering every label or none. Token tasks: the
    entity F1 of tagging everything O, which is 0.
    """
    return get_task(task).constant_guess(train_counts, validation_counts, validation_rows)


def chance_warning(config: RunConfig, final_metrics: dict[str, float], guess: tuple[float, str],
                   optimizer_steps: int, learning_rate: float, trainable_share: float) -> str | None:
    """One sentence when the validation score is within `MARGIN` of the constant guess, else None."""
    task = get_task(config.task.type)
    key, name = task.chance_key, task.chance_name
    score = final_metrics.get(key)
    baseline, answer = guess
    if score is None or score > baseline + MARGIN * (1 - baseline):
        return None
    return (f"Validation {name} {score:.2f} is close to what {answer} scores ({baseline:.2f}): the model has "
            f"hardly learned; {_likely_cause(config, optimizer_steps, learning_rate, trainable_share)}.")


def unused_classes_warning(config: RunConfig, class_use: tuple[list[str], list[str]], optimizer_steps: int,
                           learning_rate: float, trainable_share: float) -> str | None:
    """One sentence when validation predictions never use a class (a label, an entity type) that
    validation's gold answers hold, else None; `class_use` is (those in gold, those predicted), as
    `Task.class_use` gives them. None for a task without classes."""
    task = get_task(config.task.type)
    gold, predicted = class_use
    unused = [name for name in gold if name not in set(predicted)]
    if task.class_words is None or not unused:
        return None
    one, many = task.class_words
    count = f"the one {one}" if len(gold) == 1 else f"{len(unused)} of the {len(gold)} {many}"
    answered = f"only {_names(predicted)}" if predicted else f"no {one} at all"
    cause = _setting_cause(optimizer_steps, learning_rate, trainable_share)
    if cause is None and config.task.class_weights is False:
        cause = (f"the {many} are likely imbalanced in training (too few of these beside the common ones), "
                 "so set task.class_weights to true to weigh the loss by the label counts")
    elif cause is None:
        cause = "even weighed they may have too few training examples, so add training examples of them"
    return f"The model never predicts {count} in the validation rows ({_names(unused)}), {answered}; {cause}."


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _likely_cause(config: RunConfig, steps: int, rate: float, trainable_share: float) -> str:
    return _setting_cause(steps, rate, trainable_share) or get_task(config.task.type).unlearned_cause(config.data)


def _setting_cause(steps: int, rate: float, trainable_share: float) -> str | None:
    """A training setting that keeps a run from learning, in a clause naming the setting to change."""
    if steps < FEW_STEPS:
        return (f"{steps} optimizer steps are far too few, so set training.epochs higher "
                "(or leave it empty to size the run to the data)")
    if rate >= 5e-4:
        return f"the learning rate {rate:g} is likely too high, so lower training.learning_rate to 1e-4"
    if trainable_share < 0.05:
        return "almost every layer is frozen, so set freeze.preset to full or unfreeze the top layers"
    if rate <= 1e-5:
        return f"the learning rate {rate:g} is likely too low, so raise training.learning_rate to 1e-4"
    return None
