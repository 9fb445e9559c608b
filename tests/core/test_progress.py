"""Every optimizer step reports its own loss, and a data file's encoding is logged, on a tiny real run."""

from __future__ import annotations

import pytest

from tests.core.test_training import Recorder
from workbench.core.events import MessageLogged, ProgressReported, RunFinished, StepLogged
from workbench.core.training.run import train


def test_progress_carries_each_optimizer_steps_loss(tiny_config):
    tiny_config.training.max_steps = 6
    tiny_config.training.logging_steps = 1  # so the Trainer's own logged loss can be compared step by step
    tiny_config.training.gradient_accumulation_steps = 2  # a step's loss adds up its micro-batches
    events = Recorder()
    assert isinstance(train(tiny_config, events), RunFinished)
    progress = events.of(ProgressReported)
    assert [p.step for p in progress] == list(range(1, 7))
    logged = {s.step: s.loss for s in events.of(StepLogged)}
    assert [p.loss for p in progress] == [pytest.approx(logged[p.step], rel=1e-5) for p in progress]
    assert len({p.loss for p in progress}) == 6
    assert all(p.samples_per_second > 0 for p in progress)


def test_progress_reports_the_loss_between_logging_steps(tiny_config):
    tiny_config.training.max_steps = 4
    tiny_config.training.logging_steps = 4
    events = Recorder()
    assert isinstance(train(tiny_config, events), RunFinished)
    assert [s.step for s in events.of(StepLogged)] == [1, 4]
    assert all(p.loss > 0 for p in events.of(ProgressReported)) and len(events.of(ProgressReported)) == 4


def test_a_windows_1252_source_is_logged_with_its_encoding(tiny_config):
    path = tiny_config.data.source
    text = open(path, encoding="utf-8").read().replace("the movie", "the café movie")
    with open(path, "wb") as handle:
        handle.write(text.encode("cp1252"))
    tiny_config.training.max_steps = 2
    events = Recorder()
    assert isinstance(train(tiny_config, events), RunFinished)
    messages = [m.text for m in events.of(MessageLogged)]
    assert f"Read {path} as Windows-1252." in messages
    assert messages.index(f"Read {path} as Windows-1252.") == 1  # right after "Loaded ..."
