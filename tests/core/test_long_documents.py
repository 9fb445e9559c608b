"""Long texts read in windows (task.windows): the label at the end of a text that truncation cuts
off is learned, results and predictions are per text, and windows pool by mean or maximum."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_models import finished_run, tiny_task_config, write_long_reviews_csv
from workbench.core.evaluation.results import SplitResults
from workbench.core.export.predict import Predictor
from workbench.core.tasks.windows import encode_text_windows, pool_windows

MAX_LENGTH = 24  # the texts are about 30 tokens; their label is in the last 6


@pytest.fixture(scope="module")
def long_runs(tmp_path_factory, tiny_backbone_dir):
    """`long_runs(windows)`: a tiny run on the long reviews, truncated or in windows."""
    runs = {}

    def get(windows: bool) -> Path:
        if windows not in runs:
            folder = tmp_path_factory.mktemp(f"long-{windows}")
            config = tiny_task_config(folder, tiny_backbone_dir, "single_label", max_steps=400)
            config.data.source = str(write_long_reviews_csv(folder / "long.csv"))
            config.task.max_length, config.task.windows = MAX_LENGTH, windows
            config.training.learning_rate = 2e-3  # 3e-3 collapsed on 1 seed in 3; 2e-3 learned on 4 of 4
            config.training.eval_steps = 400
            runs[windows] = finished_run(config)
        return runs[windows]

    return get


def f1(run_dir):
    return json.loads((run_dir / "status.json").read_text())["final_metrics"]["validation_f1_macro"]


def test_windows_learn_the_label_that_truncation_cuts_off(long_runs):
    truncated, windowed = f1(long_runs(False)), f1(long_runs(True))
    print(f"validation macro-F1: truncation {truncated:.3f}, windows {windowed:.3f}")
    assert truncated <= 0.75  # two balanced classes: chance is about 0.5
    assert windowed >= 0.9


def test_results_and_predictions_are_per_text(long_runs, tmp_path):
    run_dir = long_runs(True)
    split = SplitResults.load(run_dir, "validation")
    assert split.rows == 16  # 160 texts, a tenth held out: one line per text, not per window
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["task_specific_params"] == {"long_documents": {"max_length": MAX_LENGTH, "stride": MAX_LENGTH // 2}}

    predictor = Predictor.load(run_dir / "model")
    opening = " ".join(["the film is a story of john and mary ."] * 3)
    texts = [f"{opening} it was really great .", f"{opening} it was really awful ."]
    assert len(predictor.tokenizer(texts[0])["input_ids"]) > MAX_LENGTH
    assert [p.label for p in predictor.predict(texts)] == ["1", "0"]


def test_windows_share_stride_tokens_and_keep_their_text_s_label(tiny_backbone_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_backbone_dir)
    text = " ".join(["the movie was good ."] * 10)
    out = encode_text_windows({"text": [text, "so bad"], "labels": [1, 0]}, [5, 6], tokenizer, 16, 4)
    assert out["example"][-1] == 6 and set(out["example"][:-1]) == {5} and len(out["example"]) > 3
    assert out["labels"] == [1] * (len(out["example"]) - 1) + [0]
    assert all(n <= 16 for n in out["length"])
    first, second = out["input_ids"][0][1:-1], out["input_ids"][1][1:-1]
    assert first[-4:] == second[:4]
    pair = encode_text_windows({"text": ["who ?"], "text_pair": [text]}, [0], tokenizer, 16, 4)
    assert all(ids[:3] == pair["input_ids"][0][:3] for ids in pair["input_ids"])  # the first text in every window


def test_pooling_takes_the_mean_or_the_maximum_per_text():
    logits = np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 5.0], [4.0, 4.0]])
    mean, first = pool_windows(logits, [0, 0, 1, 0])
    assert mean.tolist() == [[8 / 3, 2.0], [0.0, 5.0]] and first.tolist() == [0, 2]
    top, _ = pool_windows(logits, [0, 0, 1, 0], "max")
    assert top.tolist() == [[4.0, 4.0], [0.0, 5.0]]
