"""Out of memory during a run: a clean stop with the checkpoint kept, one sentence, the half-batch retry."""

import json
from pathlib import Path

import pytest
import torch

from tests.memory_faults import memory_that_fits
from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.events import RunFailed, RunFinished
from workbench.core.runs import read_events, read_status, run_config
from workbench.core.training.memory import half_batch, is_out_of_memory, out_of_memory_sentence, prepare_retry
from workbench.core.training.run import train


def test_a_run_out_of_memory_stops_cleanly_with_its_checkpoint(tiny_config):
    with memory_that_fits(rows=4, after_steps=7):  # steps 1-7 fit at batch 8, step 8 does not
        result = train(tiny_config)
    assert isinstance(result, RunFailed) and result.out_of_memory
    assert result.message == (
        "Training ran out of memory at batch size 8 at step 8: GPU memory (cuda:0) is full; set training.batch_size to 4 and "
        "training.gradient_accumulation_steps to 2 (the same effective batch: Retry, or --retry-half-batch, does that), "
        "or turn on training.gradient_checkpointing.")
    run_dir = Path(result.run_dir)
    assert (run_dir / "checkpoints" / "checkpoint-6").is_dir()
    assert [e.step for e in read_events(run_dir) if e.kind == "eval"] == [6]
    status = read_status(run_dir)
    assert status["status"] == "failed" and status["message"] == result.message


def test_retry_half_batch_resumes_the_failed_run_until_it_fits(tiny_config, tmp_path, capsys):
    path = tmp_path / "config.json"
    tiny_config.save(path)
    with memory_that_fits(rows=4, after_steps=7):
        assert main(["train", str(path), "--retry-half-batch"]) == 0
    out = capsys.readouterr().out
    assert "Retrying at batch size 4 with 2 accumulation steps (the same effective batch), resuming" in out
    (run_dir,) = (tmp_path / "runs").iterdir()  # resumed in place: one run folder
    config = run_config(run_dir)
    assert (config.training.batch_size, config.training.gradient_accumulation_steps) == (4, 2)
    assert read_status(run_dir)["status"] == "finished"
    steps = [e.step for e in read_events(run_dir) if e.kind == "step"]
    assert steps[-1] == 12 and 8 in steps  # the failed step was trained again after the resume


def test_retry_without_a_checkpoint_is_a_new_run(tiny_config, tmp_path, capsys):
    path = tmp_path / "config.json"
    tiny_config.save(path)
    with memory_that_fits(rows=2):
        assert main(["train", str(path), "--retry-half-batch"]) == 0
    out = capsys.readouterr().out
    assert out.count("as a new run") == 2  # 8 -> 4 -> 2 rows a batch
    runs = sorted((tmp_path / "runs").iterdir())
    assert [read_status(r)["status"] for r in runs] == ["failed", "failed", "finished"]
    final = run_config(runs[-1]).training
    assert (final.batch_size, final.gradient_accumulation_steps) == (2, 4)


def test_the_computer_running_out_of_memory_is_named(tiny_config):
    try:
        torch.empty(2**60, dtype=torch.uint8)  # the CPU allocator refuses an exabyte
    except RuntimeError as exc:
        allocator = exc
    try:
        bytearray(2**60)
    except MemoryError as exc:
        python = exc
    for exc in (allocator, python):
        assert is_out_of_memory(exc)
        assert out_of_memory_sentence(exc, tiny_config).startswith(
            "Training ran out of memory at batch size 8: the computer's memory (RAM) is full; set training.batch_size to 4")
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))


def test_half_batch_keeps_the_effective_batch_and_stops_at_one(tiny_config):
    tiny_config.training.gradient_accumulation_steps = 3
    halved = half_batch(tiny_config).training
    assert (halved.batch_size, halved.gradient_accumulation_steps) == (4, 6)
    tiny_config.training.batch_size = 1
    with pytest.raises(WorkbenchError, match="training.batch_size is already 1"):
        prepare_retry(None, tiny_config)


def test_gradient_checkpointing_recomputes_layers_and_trains_the_same_weights(tiny_config, tmp_path):
    from transformers.models.bert.modeling_bert import BertIntermediate

    from workbench.core.config import RunConfig

    def run(checkpointing: bool, frozen: str) -> tuple[list[float], int]:
        config = json.loads(tiny_config.to_json())
        config["training"]["gradient_checkpointing"] = checkpointing
        config["freeze"]["preset"] = frozen
        config["output"]["runs_root"] = str(tmp_path / f"runs-{checkpointing}-{frozen}")
        layer_passes = 0

        def count(module, args):
            nonlocal layer_passes
            layer_passes += isinstance(module, BertIntermediate) and module.training  # inside the checkpointed layer

        handle = torch.nn.modules.module.register_module_forward_pre_hook(count)
        try:
            result = train(RunConfig.from_dict(config))
        finally:
            handle.remove()
        assert isinstance(result, RunFinished), result
        return [e.loss for e in read_events(result.run_dir) if e.kind == "step"], layer_passes

    for frozen in ("full", "lower_half"):  # sparse word embeddings, then frozen ones
        (plain, plain_passes), (checkpointed, checkpointed_passes) = run(False, frozen), run(True, frozen)
        assert checkpointed == pytest.approx(plain, rel=1e-4)
        assert checkpointed_passes > plain_passes  # each checkpointed layer runs again in the backward pass
