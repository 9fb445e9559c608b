"""Typed, past-tense events: the only thing the engine hands back to the CLI, the GUI or a test.

Every event is a frozen dataclass with a `kind` name, so the run recorder can write it as one JSON
line and `event_from_dict` can read it back.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    total_steps: int
    device: str
    precision: str
    train_rows: int
    max_length: int
    trainable_params: int
    total_params: int
    epochs: float | None = None  # what the run trains for (sized to the data when the config left it empty)
    learning_rate: float | None = None
    kind: str = "run_started"


@dataclass(frozen=True)
class StepLogged:
    step: int
    epoch: float
    loss: float
    learning_rate: float
    grad_norm: float | None
    samples_per_second: float | None
    kind: str = "step"


@dataclass(frozen=True)
class ProgressReported:
    step: int
    total_steps: int
    elapsed_seconds: float
    eta_seconds: float | None
    loss: float | None = None  # of this optimizer step alone (StepLogged averages over logging_steps)
    samples_per_second: float | None = None  # since training (or the resume) began, pauses left out
    kind: str = "progress"


@dataclass(frozen=True)
class EvalFinished:
    step: int
    epoch: float
    split: str
    metrics: dict[str, float] = field(default_factory=dict)
    kind: str = "eval"


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    path: str
    kind: str = "checkpoint"


@dataclass(frozen=True)
class LayersUnfrozen:
    """Gradual unfreezing: the nodes in `paths` train from the step after `step` on."""

    step: int
    paths: list[str]
    trainable_params: int
    kind: str = "layers_unfrozen"


@dataclass(frozen=True)
class MessageLogged:
    text: str
    level: str = "info"
    kind: str = "message"


@dataclass(frozen=True)
class RunFinished:
    run_dir: str
    model_dir: str
    stopped: bool
    best_metric: float | None
    metric_name: str
    best_checkpoint: str | None
    final_metrics: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    warning: str | None = None  # one sentence when the run ended near chance level
    class_warning: str | None = None  # one sentence when validation predictions never use some classes
    kind: str = "finished"

    @property
    def warnings(self) -> list[str]:
        """The run's warning sentences: near chance, then unused classes."""
        return [sentence for sentence in (self.warning, self.class_warning) if sentence]


@dataclass(frozen=True)
class RunFailed:
    message: str
    run_dir: str | None = None
    out_of_memory: bool = False  # a retry at half the batch size may fit (workbench.core.training.memory)
    kind: str = "failed"


Event = (
    RunStarted | StepLogged | ProgressReported | EvalFinished | CheckpointSaved | LayersUnfrozen | MessageLogged
    | RunFinished | RunFailed
)
EventSink = Callable[[Event], None]

_BY_KIND = {cls.kind: cls for cls in typing.get_args(Event)}


def event_to_dict(event: Event) -> dict[str, Any]:
    return dataclasses.asdict(event)


def event_from_dict(raw: dict[str, Any]) -> Event:
    cls = _BY_KIND[raw["kind"]]
    return cls(**raw)


# A comparison: variants of one run config trained one after another (workbench.core.compare.comparison).

@dataclass(frozen=True)
class ComparisonStarted:
    folder: str
    variants: list[str]
    kind: str = "comparison_started"


@dataclass(frozen=True)
class VariantStarted:
    name: str
    index: int  # 0-based, of `total`
    total: int
    resumed: bool  # continues the variant's run from its checkpoint
    kind: str = "variant_started"


@dataclass(frozen=True)
class VariantEvent:
    """One event of a variant's own run, tagged with the variant's name."""

    variant: str
    event: Event
    kind: str = "variant_event"


@dataclass(frozen=True)
class VariantFinished:
    """`status` is finished, stopped or failed; `header` and `rows` are the result table so far."""

    name: str
    status: str
    run_dir: str | None
    message: str | None
    header: list[str]
    rows: list[list[Any]]
    kind: str = "variant_finished"


@dataclass(frozen=True)
class ComparisonFinished:
    folder: str
    unfinished: list[str]  # the variants left to `workbench compare --resume` (stopped, failed or not run)
    header: list[str]
    rows: list[list[Any]]
    markdown: str
    kind: str = "comparison_finished"


ComparisonEvent = ComparisonStarted | VariantStarted | VariantEvent | VariantFinished | ComparisonFinished
ComparisonSink = Callable[[ComparisonEvent], None]
