import math

import pytest
import torch

from tests.tiny_models import tiny_task_config
from workbench.core.config import ConfigError, DataConfig, RunConfig, TaskConfig
from workbench.core.data import prepare
from workbench.core.errors import WorkbenchError
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.training.losses import build_loss, class_weights, cross_entropy, focal_loss, multi_label_loss
from workbench.core.training.run import train

LOGITS = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
LABELS = torch.tensor([0, 1])
# -log p of each class, by row: softmax([2, 0]) and softmax([0, 1])
NLL = [[math.log1p(math.exp(-2)), 2 + math.log1p(math.exp(-2))], [1 + math.log1p(math.exp(-1)), math.log1p(math.exp(-1))]]
P_TRUE = [math.exp(-NLL[0][0]), math.exp(-NLL[1][1])]


def test_cross_entropy_plain_weighted_and_smoothed():
    plain = (NLL[0][0] + NLL[1][1]) / 2
    assert cross_entropy(LOGITS, LABELS).item() == pytest.approx(plain, rel=1e-6)
    weighted = (1 * NLL[0][0] + 3 * NLL[1][1]) / (1 + 3)  # torch's weighted mean
    assert cross_entropy(LOGITS, LABELS, weight=torch.tensor([1.0, 3.0])).item() == pytest.approx(weighted, rel=1e-6)
    eps = 0.2  # the true class gets 1 - eps + eps/2, the other eps/2
    smoothed = sum((1 - eps) * NLL[i][y] + eps / 2 * (NLL[i][0] + NLL[i][1]) for i, y in enumerate([0, 1])) / 2
    assert cross_entropy(LOGITS, LABELS, label_smoothing=eps).item() == pytest.approx(smoothed, rel=1e-6)


def test_focal_loss_with_and_without_alpha():
    focal = [(1 - P_TRUE[i]) ** 2 * NLL[i][y] for i, y in enumerate([0, 1])]
    assert focal_loss(LOGITS, LABELS, gamma=2.0).item() == pytest.approx(sum(focal) / 2, rel=1e-6)
    alpha = torch.tensor([1.0, 3.0])
    assert focal_loss(LOGITS, LABELS, 2.0, alpha).item() == pytest.approx((focal[0] + 3 * focal[1]) / 2, rel=1e-6)
    assert focal_loss(LOGITS, LABELS, gamma=0.0).item() == pytest.approx(cross_entropy(LOGITS, LABELS).item(), rel=1e-6)


def test_token_losses_ignore_unlabelled_positions():
    logits = torch.stack([LOGITS[0], torch.tensor([5.0, -5.0]), LOGITS[1]])[None]  # [1, 3, 2]
    labels = torch.tensor([[0, -100, 1]])  # the middle sub-token carries no tag
    assert cross_entropy(logits, labels).item() == pytest.approx(cross_entropy(LOGITS, LABELS).item(), rel=1e-6)
    weight = torch.tensor([1.0, 3.0])
    assert cross_entropy(logits, labels, weight).item() == pytest.approx(cross_entropy(LOGITS, LABELS, weight).item(), rel=1e-6)
    assert focal_loss(logits, labels, 2.0, weight).item() == pytest.approx(focal_loss(LOGITS, LABELS, 2.0, weight).item(), rel=1e-6)


def test_multi_label_pos_weight():
    logits, labels = torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    # a positive at logit 0 weighs 3 x log 2; a negative at logit 2 costs log(1 + e^2)
    expected = (3 * math.log(2) + math.log1p(math.exp(2))) / 2
    assert multi_label_loss(logits, labels, torch.tensor([3.0, 1.0])).item() == pytest.approx(expected, rel=1e-6)
    assert multi_label_loss(logits, labels).item() == pytest.approx((math.log(2) + math.log1p(math.exp(2))) / 2, rel=1e-6)


def _split_folder(tmp_path, name: str, train: list[str], validation: list[str], header: str = "text,label"):
    folder = tmp_path / name
    folder.mkdir()
    for split, rows in (("train", train), ("validation", validation)):
        (folder / f"{split}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(folder)


def test_weights_from_the_training_counts(tmp_path):
    source = _split_folder(tmp_path, "single", [f"good film {i},pos" for i in range(30)] + [f"bad film {i},neg" for i in range(10)],
                           ["good,pos", "bad,neg"])
    data = prepare(DataConfig(source=source), "single_label")
    assert data.label_names == ["neg", "pos"]
    weights = class_weights(TaskConfig(class_weights=True), data)
    assert weights.tolist() == pytest.approx([40 / (2 * 10), 40 / (2 * 30)])  # total / (classes x count)
    assert class_weights(TaskConfig(class_weights=[0.5, 2]), data).tolist() == [0.5, 2.0]

    rows = [f"the plot {i},plot|acting" for i in range(4)] + [f"the film {i},plot" for i in range(12)]
    data = prepare(DataConfig(source=_split_folder(tmp_path, "multi", rows, ["x,plot", "y,acting"]), label_delimiter="|"),
                   "multi_label")
    assert data.label_names == ["acting", "plot"]
    weights = class_weights(TaskConfig(type="multi_label", class_weights=True), data)
    assert weights.tolist() == pytest.approx([12 / 4, 1 / 16])  # negatives / positives (at least 1) per label


def test_token_weights_count_tags(ner_conll):
    data = prepare(DataConfig(source=str(ner_conll), text_column="tokens", label_column="tags"), "token")
    counts = data.label_counts()["train"]
    weights = class_weights(TaskConfig(type="token", class_weights=True), data)
    total = sum(counts.values())
    assert weights.tolist() == pytest.approx([total / (len(counts) * counts[tag]) for tag in data.label_names])


def test_typed_weights_must_match_the_labels(sentiment_csv):
    data = prepare(DataConfig(source=str(sentiment_csv)), "single_label")
    with pytest.raises(WorkbenchError) as raised:
        build_loss(TaskConfig(class_weights=[1.0, 2.0, 3.0]), data)
    assert str(raised.value) == ("task.class_weights lists 3 weights, but the training data has 2 labels (0, 1); "
                                 "give one weight per label, in that order.")


def test_defaults_keep_the_models_own_loss(sentiment_csv):
    data = prepare(DataConfig(source=str(sentiment_csv)), "single_label")
    assert build_loss(TaskConfig(), data) == (None, None)
    assert build_loss(TaskConfig(focal_gamma=5.0), data) == (None, None)  # gamma is read with the focal loss only
    loss, note = build_loss(TaskConfig(label_smoothing=0.1), data)
    outputs = {"logits": LOGITS}
    assert loss(outputs, LABELS).item() == pytest.approx(cross_entropy(LOGITS, LABELS, label_smoothing=0.1).item())
    assert note == "Loss: cross-entropy with label smoothing 0.1."


@pytest.mark.parametrize("task, problem", [
    (TaskConfig(loss="hinge"), "task.loss 'hinge' is not one of cross_entropy, focal."),
    (TaskConfig(loss="focal", focal_gamma=-1.0), "task.focal_gamma must not be negative, not -1.0."),
    (TaskConfig(label_smoothing=1.0), "task.label_smoothing must be in [0, 1), not 1.0."),
    (TaskConfig(class_weights=[1.0, 0.0]), "task.class_weights must be true, false or one positive weight per label, not [1.0, 0.0]."),
    (TaskConfig(class_weights=[]), "task.class_weights must be true, false or one positive weight per label, not []."),
    (TaskConfig(type="multi_label", loss="focal"), "task.loss 'focal' is for single-label, pair and token tasks; a "
     "multi_label task uses binary cross-entropy (weigh its labels with task.class_weights)."),
    (TaskConfig(type="multi_label", label_smoothing=0.1),
     "task.label_smoothing applies to single-label, pair and token tasks; set it to 0 for a multi_label task."),
    (TaskConfig(loss="focal", label_smoothing=0.1),
     "task.label_smoothing applies to the cross_entropy loss only; set it to 0 with task.loss 'focal'."),
])
def test_loss_options_are_checked(task, problem):
    config = RunConfig(task=task)
    config.data.source = "data.csv"
    assert config.validate() == [problem]


def test_old_and_new_configs_load():
    old = RunConfig.from_dict({"data": {"source": "d.csv"}, "task": {"class_weights": True}})
    assert (old.task.class_weights, old.task.loss, old.task.focal_gamma, old.task.label_smoothing) == (True, "cross_entropy", 2.0, 0.0)
    typed = RunConfig.from_dict({"data": {"source": "d.csv"}, "task": {"class_weights": [1, 2.5], "loss": "focal"}})
    assert typed.task.class_weights == [1, 2.5]
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_dict({"data": {"source": "d.csv"}, "task": {"class_weights": "yes"}})
    assert raised.value.problems == ["task.class_weights must be true or false or a list, not 'yes'."]


@pytest.mark.parametrize("task, loss, note", [
    ("single_label", "focal", "Loss: focal, gamma 1.5; class weights from the training counts: 0 "),
    ("token", "focal", "Loss: focal, gamma 1.5; class weights from the training counts: O "),
    ("multi_label", "cross_entropy", "Loss: binary cross-entropy; positive weights from the training counts: acting "),
])
def test_a_weighted_run_finishes(task, loss, note, tmp_path, tiny_backbone_dir):
    config = tiny_task_config(tmp_path, tiny_backbone_dir, task, max_steps=6)
    config.task.class_weights, config.task.loss, config.task.focal_gamma = True, loss, 1.5
    events = []
    result = train(config, events.append)
    assert isinstance(result, RunFinished), result
    notes = [e.text for e in events if isinstance(e, MessageLogged) and e.text.startswith("Loss:")]
    assert len(notes) == 1 and notes[0].startswith(note)
    assert result.final_metrics["validation_loss"] > 0
