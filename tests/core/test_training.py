import json
import time
from pathlib import Path

import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from workbench.core.training.control import RunControl
from workbench.core.events import (
    CheckpointSaved,
    EvalFinished,
    MessageLogged,
    ProgressReported,
    RunFailed,
    RunFinished,
    RunStarted,
    StepLogged,
)
from workbench.core.runs import list_runs, read_events, read_status
from workbench.core.training.run import train


class Recorder(list):
    """A sink that keeps every event, and can act on one (stop, pause) from inside the run."""

    def __init__(self, on_event=None):
        super().__init__()
        self.on_event = on_event

    def __call__(self, event):
        self.append(event)
        if self.on_event:
            self.on_event(event)

    def of(self, cls):
        return [e for e in self if isinstance(e, cls)]


def test_single_label_run_writes_its_folder_as_it_goes(tiny_config):
    events = Recorder()
    result = train(tiny_config, events)
    assert isinstance(result, RunFinished), result
    assert isinstance(events[-1], RunFinished)
    started = events.of(RunStarted)[0]
    assert started.total_steps == 12 and started.trainable_params == started.total_params
    steps = events.of(StepLogged)
    assert [s.step for s in steps] == [1, 2, 4, 6, 8, 10, 12]
    assert all(s.loss > 0 and s.learning_rate >= 0 for s in steps)
    assert [e.step for e in events.of(EvalFinished) if e.split == "validation"] == [6, 12]
    assert {"f1", "accuracy", "loss"} <= set(events.of(EvalFinished)[0].metrics)
    assert [p.step for p in events.of(ProgressReported)] == list(range(1, 13))
    assert events.of(CheckpointSaved)

    run_dir = events.of(RunStarted)[0].run_dir
    recorded = read_events(run_dir)
    assert recorded == [e for e in events if not isinstance(e, ProgressReported)]
    status = read_status(Path(run_dir))
    assert status["status"] == "finished" and status["best_metric"] == result.best_metric
    assert json.loads((Path(run_dir) / "config.json").read_text())["training"]["max_steps"] == 12

    model = AutoModelForSequenceClassification.from_pretrained(result.model_dir)
    assert model.config.id2label == {0: "0", 1: "1"}
    assert "validation_f1" in result.final_metrics


def test_token_task_reports_entity_metrics(tiny_config, ner_conll):
    tiny_config.task.type = "token"
    tiny_config.data.source = str(ner_conll)
    tiny_config.data.text_column, tiny_config.data.label_column = "tokens", "tags"
    result = train(tiny_config)
    assert isinstance(result, RunFinished), result
    assert {"validation_precision", "validation_recall", "validation_f1"} <= set(result.final_metrics)
    model = AutoModelForTokenClassification.from_pretrained(result.model_dir)
    assert set(model.config.id2label.values()) == {"O", "B-PER", "B-LOC", "B-ORG", "I-ORG"}


def test_multi_label_and_pair_tasks_train(tiny_config, tmp_path):
    multi = tmp_path / "multi.csv"
    multi.write_text("text,label\n" + "".join(
        f"the movie was {w},{t}\n" for w, t in [("good", "pos|plot"), ("bad", "neg"), ("great", "pos"), ("awful", "neg|plot")] * 20
    ))
    tiny_config.task.type = "multi_label"
    tiny_config.data.source = str(multi)
    result = train(tiny_config)
    assert isinstance(result, RunFinished), result
    assert "validation_f1_macro" in result.final_metrics

    pair = tmp_path / "pair.csv"
    pair.write_text("a,b,label\n" + "".join(f"john is {w},mary is {w},same\njohn is good,mary is bad,different\n" for w in ["happy", "sad"] * 20))
    tiny_config.task.type = "pair"
    tiny_config.data.source = str(pair)
    tiny_config.data.text_column, tiny_config.data.text_pair_column = "a", "b"
    result = train(tiny_config)
    assert isinstance(result, RunFinished), result


def test_stop_keeps_a_checkpoint_and_resume_finishes(tiny_config):
    control = RunControl()
    events = Recorder(lambda e: control.request_stop() if isinstance(e, ProgressReported) and e.step == 3 else None)
    stopped = train(tiny_config, events, control)
    assert isinstance(stopped, RunFinished) and stopped.stopped
    run_dir = Path(stopped.run_dir)
    assert (run_dir / "checkpoints" / "checkpoint-3" / "optimizer.pt").is_file()
    assert read_status(run_dir)["status"] == "stopped"
    assert max(p.step for p in events.of(ProgressReported)) == 3
    (summary,) = list_runs(tiny_config.output.runs_root)
    assert summary.status == "stopped" and summary.resumable

    more = Recorder()
    resumed = train(tiny_config, more, resume_dir=run_dir)
    assert isinstance(resumed, RunFinished) and not resumed.stopped
    assert [p.step for p in more.of(ProgressReported)] == list(range(4, 13))  # optimizer and step count restored
    assert len([e for e in read_events(run_dir) if isinstance(e, RunStarted)]) == 2  # one log, appended
    assert read_status(run_dir)["status"] == "finished"


def test_pause_holds_the_run_until_resumed(tiny_config):
    import threading

    control = RunControl()
    paused_at = {}

    def on_event(event):
        if isinstance(event, ProgressReported) and event.step == 2:
            control.pause()
            paused_at["t"] = time.perf_counter()
            threading.Timer(0.6, control.resume).start()

    events = Recorder(on_event)
    result = train(tiny_config, events, control)
    assert isinstance(result, RunFinished) and not result.stopped
    texts = [m.text for m in events.of(MessageLogged)]
    assert "Paused at step 2." in texts and "Resumed." in texts
    step3 = next(i for i, e in enumerate(events) if isinstance(e, ProgressReported) and e.step == 3)
    assert texts.index("Resumed.") < len(events) and events.index(next(m for m in events.of(MessageLogged) if m.text == "Resumed.")) < step3


def test_out_of_memory_is_one_sentence_and_the_run_is_marked_failed(tiny_config):
    def explode(module, args):
        if module.training:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    handle = torch.nn.modules.module.register_module_forward_pre_hook(explode)
    try:
        events = Recorder()
        result = train(tiny_config, events)
    finally:
        handle.remove()
    assert isinstance(result, RunFailed)
    assert result.message.startswith("Training ran out of memory at batch size 8")
    status = read_status(Path(result.run_dir))
    assert status["status"] == "failed" and status["message"] == result.message


def test_an_unexpected_error_is_our_sentence_and_its_traceback_goes_to_error_log(tiny_config):
    def explode(module, args):
        if module.training:
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (8x32 and 64x2)")

    handle = torch.nn.modules.module.register_module_forward_pre_hook(explode)
    try:
        result = train(tiny_config)
    finally:
        handle.remove()
    assert isinstance(result, RunFailed)
    assert result.message == ("Training stopped on an unexpected error (RuntimeError); the run folder's error.log "
                              "has the details for a bug report.")
    assert "mat1 and mat2 shapes" in (Path(result.run_dir) / "error.log").read_text(encoding="utf-8")


def test_full_disk_fails_cleanly(tiny_config, tmp_path):
    control = RunControl()
    stopped = train(tiny_config, Recorder(lambda e: isinstance(e, ProgressReported) and control.request_stop()), control)
    run_dir = Path(stopped.run_dir)
    log = run_dir / "metrics.jsonl"
    log.unlink()
    log.symlink_to("/dev/full")  # every write to it fails with ENOSPC, as on a full disk
    events = Recorder()
    result = train(tiny_config, events, resume_dir=run_dir)
    assert isinstance(result, RunFailed)
    assert result.message.startswith("The disk is full")
    assert events[-1] == result


def test_bad_config_fails_before_any_run_folder(tiny_config, tmp_path):
    tiny_config.data.label_column = "sentiment"
    result = train(tiny_config)
    assert isinstance(result, RunFailed) and "sentiment" in result.message and result.run_dir is None
    assert not (tmp_path / "runs").exists()


def test_hub_backbone_fails_fast_offline(tiny_config, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    tiny_config.backbone.name = "someone/bert-base-nowhere"
    start = time.perf_counter()
    result = train(tiny_config)
    assert time.perf_counter() - start < 10
    assert isinstance(result, RunFailed) and "'someone/bert-base-nowhere'" in result.message


def test_pickle_weights_need_an_opt_in(tiny_config, tiny_backbone_dir, tmp_path):
    import shutil

    from transformers import BertModel

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_backbone_dir, folder)
    (folder / "model.safetensors").unlink()
    torch.save(BertModel.from_pretrained(tiny_backbone_dir).state_dict(), folder / "pytorch_model.bin")
    tiny_config.backbone.name = str(folder)
    result = train(tiny_config)
    assert isinstance(result, RunFailed) and "allow_pickle_weights" in result.message


def test_killed_process_resumes_from_its_last_complete_checkpoint(tiny_config, tmp_path):
    import subprocess
    import sys

    from tests.killing import kill_at_first_checkpoint

    tiny_config.training.max_steps = 40
    tiny_config.training.eval_steps = 5
    tiny_config.save(tmp_path / "run.json")
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "train", str(tmp_path / "run.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = Path(tiny_config.output.runs_root)
    kill_at_first_checkpoint(proc, runs)

    (summary,) = list_runs(runs)
    assert summary.status == "interrupted" and summary.resumable
    # a checkpoint torn by the kill (no trainer_state.json) must not be the one resumed
    torn = summary.path / "checkpoints" / "checkpoint-999"
    (torn).mkdir()
    (torn / "model.safetensors").write_bytes(b"half")
    result = train(tiny_config, resume_dir=summary.path)
    assert isinstance(result, RunFinished), result
    assert read_status(summary.path)["status"] == "finished"


def test_bf16_trains_on_a_cpu_that_has_it_and_falls_back_to_fp32_elsewhere(tiny_config):
    from workbench.core.model.device import cpu_supports_bf16

    tiny_config.training.precision = "bf16"
    tiny_config.training.max_steps = 4
    events = Recorder()
    result = train(tiny_config, events)
    assert isinstance(result, RunFinished), result
    assert events.of(RunStarted)[0].precision == ("bf16" if cpu_supports_bf16() else "fp32")
    assert all(s.loss == s.loss for s in events.of(StepLogged))  # no NaN


def test_the_same_seed_gives_the_same_run_whatever_the_process_drew_before(tiny_config):
    tiny_config.training.max_steps = 4
    first = Recorder()
    train(tiny_config, first)
    torch.rand(1000)  # as the GUI does before a run: other work draws from the global generator
    second = Recorder()
    train(tiny_config, second)
    losses = [[s.loss for s in run.of(StepLogged)] for run in (first, second)]
    assert losses[0] == losses[1] and len(losses[0]) == 3
