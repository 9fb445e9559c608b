"""Exports load in plain transformers and predict what the workbench predicts; ONNX matches PyTorch;
an interrupted export leaves nothing half-written."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.export.folder import export_run
from workbench.core.export.predict import Predictor

# Punctuation glued to words and an unknown word ("zorro") exercise how the pipeline splits words.
# A row of the multi-label CSV with neither label ("film", "story"): scores differ whichever label the tiny model learns.
TEXTS = ["the movie was very good", "the plot was awful and bad", "the film was good and the story was bad", "john visited paris .",
         "mary works for acme corp", "Mary met Smith in Berlin, London!", "zorro visited paris."]
PAIRS = ["the plot was great", "the story was bad", "the movie was great", "the film was nice", "it was bad", "so good",
         "really awful"]

# Runs in a fresh interpreter that never imports the workbench: what a user of the export runs.
PIPELINE_SCRIPT = """
import json, sys
from transformers import pipeline
folder, task, texts, pairs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
if task == "token":
    tag = pipeline("token-classification", model=folder, aggregation_strategy="first", device="cpu")
    out = [[{"type": e["entity_group"], "start": e["start"], "end": e["end"], "score": float(e["score"])} for e in row]
           for row in tag(texts)]
else:
    classify = pipeline("text-classification", model=folder, top_k=None, device="cpu",
                        function_to_apply="sigmoid" if task == "multi_label" else "softmax")
    inputs = [{"text": t, "text_pair": p} for t, p in zip(texts, pairs)] if task == "pair" else texts
    out = [{d["label"]: float(d["score"]) for d in row} for row in classify(inputs)]
assert not any(name.startswith("workbench") for name in sys.modules), "the export needs the workbench"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def learned_run(tmp_path_factory, tiny_backbone_dir):
    """`learned_run(task)`: a tiny run trained long enough (300 steps, about two seconds) to tell inputs apart,
    so scores differ from row to row and the token model finds entities of several types."""
    from tests.tiny_models import tiny_task_config
    from workbench.core.training.run import train

    runs = {}

    def get(task):
        if task not in runs:
            config = tiny_task_config(tmp_path_factory.mktemp(f"learned-{task}"), tiny_backbone_dir, task, max_steps=300)
            config.training.eval_steps = 300
            runs[task] = Path(train(config).run_dir)
        return runs[task]

    return get


def pipeline_predictions(folder, task):
    done = subprocess.run([sys.executable, "-c", PIPELINE_SCRIPT, str(folder), task, json.dumps(TEXTS), json.dumps(PAIRS)],
                          capture_output=True, text=True, timeout=300, cwd=folder.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("task", ["single_label", "pair", "multi_label", "token"])
def test_an_export_loads_in_plain_transformers_and_predicts_the_same(learned_run, tmp_path, task):
    run_dir = learned_run(task)
    report = export_run(run_dir, tmp_path / "export")
    folder = report.dest
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= set(report.files)
    assert "training_args.bin" not in report.files and not list(tmp_path.glob(".export.tmp-*"))
    config = json.loads((folder / "config.json").read_text())
    predictor = Predictor.load(folder)
    assert [config["id2label"][str(i)] for i in range(len(config["id2label"]))] == predictor.label_names
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers\n") and "| metric | validation |" in card
    assert f"| f1 | {json.loads((run_dir / 'status.json').read_text())['final_metrics']['validation_f1']:.4f} |" in card
    assert f"**Labels ({len(predictor.label_names)}):** {', '.join(predictor.label_names)}" in card and "pipeline(" in card

    ours = Predictor.load(run_dir / "model").predict(TEXTS, PAIRS if task == "pair" else None)
    theirs = pipeline_predictions(folder, task)
    for mine, other in zip(ours, theirs):
        if task == "token":
            assert [(s.type, s.start, s.end) for s in mine.spans] == [(e["type"], e["start"], e["end"]) for e in other]
            assert [s.score for s in mine.spans] == pytest.approx([e["score"] for e in other], abs=1e-4)
        else:
            assert mine.probs == pytest.approx(other, abs=1e-4)
            chosen = [name for name, score in other.items() if score >= 0.5]
            assert mine.label == (";".join(sorted(chosen, key=predictor.label_names.index)) if task == "multi_label"
                                  else max(other, key=other.get))
    if task == "token":  # the texts hold entities of several types, and the model finds them
        assert len({s.type for p in ours for s in p.spans}) >= 2
    else:  # the rows are told apart, so equal scores mean something
        assert max(max(label) - min(label) for label in zip(*(p.probs.values() for p in ours))) > 0.05


def test_export_over_an_existing_folder_needs_force(trained_run, tmp_path):
    run_dir = trained_run("single_label")
    dest = tmp_path / "export"
    export_run(run_dir, dest)
    (dest / "mine.txt").write_text("a file of the user's")
    with pytest.raises(WorkbenchError, match="already exists; pass --force"):
        export_run(run_dir, dest)
    assert (dest / "mine.txt").is_file()
    export_run(run_dir, dest, force=True)
    assert not (dest / "mine.txt").exists() and (dest / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_onnx_export_matches_pytorch_and_reports_int8(trained_run, tmp_path):
    report = export_run(trained_run("token"), tmp_path / "onnx", int8=True)
    onnx = report.onnx
    assert {"model.onnx", "model.int8.onnx", "onnx_report.json"} <= set(report.files)
    assert onnx.max_abs_diff < 1e-3 and onnx.rows_checked > 0
    assert set(onnx.int8_delta) == set(onnx.fp32_metrics) and onnx.speedup > 0
    saved = json.loads((tmp_path / "onnx" / "onnx_report.json").read_text())
    assert saved["max_abs_diff"] == onnx.max_abs_diff and "int8" in onnx.summary()


def test_a_killed_export_leaves_no_folder_and_the_next_one_works(trained_run, tmp_path):
    run_dir = trained_run("single_label")
    before = {str(p.relative_to(run_dir)): p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    dest = tmp_path / "export"
    process = subprocess.Popen([sys.executable, "-m", "workbench", "export", str(run_dir), "-o", str(dest), "--onnx"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".export.tmp-*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the export ended before it could be killed"
    assert not dest.exists(), "a killed export must not leave a destination folder"
    assert {str(p.relative_to(run_dir)): p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before
    assert export_run(run_dir, dest).dest == dest and (dest / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["export"], "the killed export's temporary folder is cleared"


def test_the_cli_exports_and_refuses_to_overwrite(trained_run, tmp_path, capsys):
    run_dir = trained_run("single_label")
    assert main(["export", str(run_dir), "-o", str(tmp_path / "export")]) == 0
    assert capsys.readouterr().out.startswith(f"Exported {tmp_path / 'export'}: README.md, config.json")
    assert main(["export", str(run_dir), "-o", str(tmp_path / "export")]) == 1
    assert capsys.readouterr().err == f"Error: {tmp_path / 'export'} already exists; pass --force to replace it.\n"


@pytest.mark.parametrize("inside", [".", "model", "checkpoints"])
def test_an_export_never_replaces_the_run_s_own_files(trained_run, inside):
    run_dir = trained_run("single_label")
    with pytest.raises(WorkbenchError, match="would replace files of the run"):
        export_run(run_dir, run_dir / inside, force=True)
    assert (run_dir / "model" / "model.safetensors").is_file() and (run_dir / "config.json").is_file()


def test_an_onnx_export_names_the_data_file_that_is_gone(trained_run, tmp_path):
    run_dir = shutil.copytree(trained_run("single_label"), tmp_path / "run")
    config = json.loads((run_dir / "config.json").read_text())
    config["data"]["source"] = str(tmp_path / "moved.csv")
    (run_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(WorkbenchError, match=rf"The run's data {tmp_path / 'moved.csv'} is gone"):
        export_run(run_dir, tmp_path / "export", onnx=True)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_run_without_a_model_cannot_be_exported(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(WorkbenchError, match="has no saved model"):
        export_run(tmp_path / "run")


def test_the_model_card_names_what_a_preset_froze(trained_run, tmp_path):
    from workbench.core.export.model_card import model_card

    run_dir = shutil.copytree(trained_run("token"), tmp_path / "run", ignore=shutil.ignore_patterns("checkpoints"))
    config = json.loads((run_dir / "config.json").read_text())
    config["freeze"]["preset"] = "lower_half"
    (run_dir / "config.json").write_text(json.dumps(config))
    card = model_card(run_dir)
    assert "- **Freeze:** preset `lower_half`; frozen: `bert.embeddings`, `bert.encoder.layer.0`\n" in card
    assert "pipeline_tag: token-classification" in card and 'aggregation_strategy="first"' in card
    assert "base_model" not in card and "- **Data:** ner.conll (a local file)" in card
