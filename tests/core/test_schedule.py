"""Training length and learning rate sized to the data (workbench.core.training.schedule), and a real run
that trains for the planned length."""

from pathlib import Path

from workbench.core.config import TrainingConfig
from workbench.core.events import MessageLogged, RunFinished, RunStarted
from workbench.core.runs import read_status
from workbench.core.training.run import train
from workbench.core.training.schedule import MAX_EPOCHS, plan_training


def test_a_small_set_gets_enough_steps_and_keeps_the_best():
    plan = plan_training(TrainingConfig(), train_rows=1000, num_labels=6, hidden_size=384)
    assert plan.steps_per_epoch == 32
    assert plan.epochs == 9  # round(300 / 32)
    assert plan.early_stopping_patience == 3
    assert plan.learning_rate == 1e-4
    assert plan.note.startswith("1,000 rows in 6 classes: 9 epochs (288 optimizer steps), the best of them kept")


def test_a_large_set_trains_one_epoch_and_a_tiny_one_is_bounded():
    large = plan_training(TrainingConfig(), train_rows=8530, num_labels=2, hidden_size=384)
    assert large.epochs == 1 and large.early_stopping_patience is None
    assert large.note.startswith("8,530 rows in 2 classes: 1 epoch (267 optimizer steps);")
    assert plan_training(TrainingConfig(), train_rows=40, num_labels=2, hidden_size=384).epochs == MAX_EPOCHS


def test_many_classes_get_more_steps():
    per_epoch = 100  # 3,200 rows in batches of 32
    few = plan_training(TrainingConfig(), train_rows=32 * per_epoch, num_labels=6, hidden_size=384)
    many = plan_training(TrainingConfig(), train_rows=32 * per_epoch, num_labels=12, hidden_size=384)
    assert (few.epochs, many.epochs) == (3, 6)  # 300 steps; 300 + 50 per class beyond six


def test_steps_count_accumulation_and_processes():
    t = TrainingConfig(batch_size=16, gradient_accumulation_steps=2)
    assert plan_training(t, train_rows=1000, num_labels=2, hidden_size=384, world_size=2).steps_per_epoch == 16


def test_what_the_user_set_is_kept():
    t = TrainingConfig(epochs=2.0, learning_rate=3e-5)
    plan = plan_training(t, train_rows=1000, num_labels=6, hidden_size=384)
    assert (plan.epochs, plan.learning_rate, plan.early_stopping_patience, plan.note) == (2.0, 3e-5, None, None)
    capped = plan_training(TrainingConfig(max_steps=50, learning_rate=1e-3), 1000, 6, 384)
    assert capped.note is None and capped.early_stopping_patience is None
    patient = plan_training(TrainingConfig(early_stopping_patience=1, learning_rate=1e-3), 1000, 6, 384)
    assert patient.early_stopping_patience == 1


def test_the_learning_rate_follows_the_backbone_width():
    assert plan_training(TrainingConfig(epochs=1.0), 1000, 2, hidden_size=768).learning_rate == 5e-5
    assert plan_training(TrainingConfig(epochs=1.0), 1000, 2, hidden_size=384).note == (
        "Learning rate 1e-4 (measured for 384-wide backbones).")


def test_a_run_left_to_size_itself_trains_the_planned_epochs(tiny_config):
    tiny_config.training.max_steps = -1
    tiny_config.training.epochs = None
    tiny_config.training.batch_size = 32
    events = []
    result = train(tiny_config, events.append)
    assert isinstance(result, RunFinished), result
    started = next(e for e in events if isinstance(e, RunStarted))
    rows = started.train_rows
    plan = plan_training(tiny_config.training, rows, 2, 32)
    assert started.epochs == plan.epochs == MAX_EPOCHS and started.total_steps == MAX_EPOCHS * plan.steps_per_epoch
    assert started.learning_rate == 1e-3  # set by the config, kept
    notes = [e.text for e in events if isinstance(e, MessageLogged) and e.text.startswith(f"{rows:,} rows")]
    assert notes == [plan.note]
    status = read_status(Path(result.run_dir))
    assert status["epochs"] == MAX_EPOCHS and status["learning_rate"] == 1e-3


def test_lora_gets_its_own_measured_rate_unless_one_is_set():
    lora = plan_training(TrainingConfig(), train_rows=8530, num_labels=2, hidden_size=384, lora=True)
    assert lora.learning_rate == 1e-3 and "learning rate 1e-3 (measured for LoRA adapters)" in lora.note
    assert plan_training(TrainingConfig(learning_rate=2e-4), 8530, 2, 384, lora=True).learning_rate == 2e-4


def test_frozen_backbones_get_the_rates_measured_for_them_unless_one_is_set():
    from workbench.core.training.schedule import HEAD_ONLY_RATE, LOWER_HALF_FACTOR

    head = plan_training(TrainingConfig(), train_rows=8530, num_labels=2, hidden_size=384, freeze_preset="head_only")
    assert head.learning_rate == HEAD_ONLY_RATE == 3e-2
    assert "learning rate 3e-2 (measured for the head alone on a frozen backbone" in head.note
    lower = plan_training(TrainingConfig(), 8530, 2, 384, freeze_preset="lower_half")
    assert lower.learning_rate == 3e-4 and LOWER_HALF_FACTOR == 3
    assert "learning rate 3e-4 (measured for a backbone with its lower half frozen: 3x" in lower.note
    assert plan_training(TrainingConfig(), 8530, 2, 768, freeze_preset="lower_half").learning_rate == 1.5e-4
    for preset in ("full", "embeddings", "custom"):
        assert plan_training(TrainingConfig(), 8530, 2, 384, freeze_preset=preset).learning_rate == 1e-4
    assert plan_training(TrainingConfig(learning_rate=2e-5), 8530, 2, 384, freeze_preset="head_only").learning_rate == 2e-5
    assert plan_training(TrainingConfig(), 8530, 2, 384, lora=True, freeze_preset="lower_half").learning_rate == 1e-3


def test_a_head_only_run_left_to_size_itself_trains_at_the_measured_rate(tiny_config):
    tiny_config.training.learning_rate = None
    tiny_config.freeze.preset = "head_only"
    events = []
    result = train(tiny_config, events.append)
    assert isinstance(result, RunFinished), result
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.learning_rate == 3e-2
    assert any(isinstance(e, MessageLogged) and "measured for the head alone" in e.text for e in events)
