"""One training run, in stages: check the config, load data, model and mask, tokenise, train, save.

`train()` is what the CLI, the GUI's worker thread and every torchrun rank call. It never raises for
a problem the user can fix: it emits `RunFailed` with one sentence and returns it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.config import RunConfig
from workbench.core.errors import WorkbenchError
from workbench.core.evaluation.chance import chance_warning, constant_guess_score, unused_classes_warning
from workbench.core.training.control import RunControl
from workbench.core.training.distributed import agree, agree_run_dir, is_main_process, main_process_first
from workbench.core.events import (
    EventSink,
    MessageLogged,
    RunFailed,
    RunFinished,
    RunStarted,
)
from workbench.core.libraries import load_engine_libraries
from workbench.core.training.memory import OutOfMemory, free_memory, is_out_of_memory, out_of_memory_sentence
from workbench.core.runs import (
    ADAPTER,
    CHECKPOINTS,
    MODEL,
    RunRecorder,
    last_checkpoint,
    new_run_dir,
    run_config,
)
from workbench.core.tasks import Task, get_task
from workbench.core.training.schedule import plan_training
from workbench.core.training.trainer import trainer_class

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Everything a Trainer needs, built before any run folder exists (so a typo leaves no empty run)."""

    task: Task  # config.task.type's, resolved once and handed on
    data: object  # PreparedData
    encoded: object  # datasets.DatasetDict
    tokenizer: object
    model: object
    max_length: int
    trainable: int
    total: int
    compute_loss: Callable | None = None  # the Trainer's compute_loss_func; None: the model's own loss
    extra_metrics: list = field(default_factory=list)  # of extra_metrics.ExtraMetric


def prepare_run(config: RunConfig, emit: EventSink) -> Prepared:
    from transformers import set_seed

    from workbench.core.data import prepare, token_length_stats
    from workbench.core.data.encoding import encode_splits
    from workbench.core.evaluation.extra_metrics import load_extra_metrics
    from workbench.core.model.backbones import backbone_info, load_tokenizer
    from workbench.core.model.freezing import apply_freeze, build_layer_tree, mask_paths
    from workbench.core.model.heads import load_model
    from workbench.core.training.losses import build_loss

    extra_metrics = load_extra_metrics(config.training.extra_metrics)  # first: an unloadable id fails in seconds

    # Data and labels
    task = get_task(config.task.type)
    data = prepare(config.data, task)
    counts = ", ".join(f"{name} {n}" for name, n in data.split_counts().items())
    labels = f", {len(data.label_names)} labels" if task.uses_labels else ""
    emit(MessageLogged(f"Loaded {config.data.source}: {counts} rows{labels}."))
    for note in data.sheet_notes + data.encoding_notes() + data.notes:
        emit(MessageLogged(note))
    for split, per_label in data.label_counts().items():
        top = sorted(per_label.items(), key=lambda item: -item[1])
        shown = ", ".join(f"{name} {n}" for name, n in top[:12]) + (f", and {len(top) - 12} more" if len(top) > 12 else "")
        emit(MessageLogged(f"Labels in {split}: {shown}."))
    compute_loss, loss_note = build_loss(config.task, data)
    if loss_note:
        emit(MessageLogged(loss_note))

    # Tokenizer and max_length (the 95th percentile of training lengths unless set)
    tokenizer = load_tokenizer(config.backbone.name)
    model_max = backbone_info(config.backbone.name).max_positions
    max_length = config.task.max_length
    if max_length is None:
        stats = token_length_stats(data, tokenizer, model_max)
        max_length = stats.suggested_max_length
        train = stats.per_split["train"]
        emit(MessageLogged(f"max_length {max_length} (train tokens p50 {train['p50']}, p95 {train['p95']}, max {train['max']})."))
    elif max_length > model_max:
        raise WorkbenchError(f"task.max_length {max_length} is more than the backbone takes ({model_max}).")

    # Model, head and freeze mask; seeded here, so the new head's weights depend on the seed alone,
    # not on what else the process drew from the random generators before (the GUI does)
    set_seed(config.training.seed)
    model = load_model(config.backbone, config.task, data.label_names)
    task.adapt_model(model, data, dataclasses.replace(config.task, max_length=max_length))  # the length it reads
    tree = build_layer_tree(model)
    frozen = mask_paths(tree, config.freeze)
    trainable, total = apply_freeze(model, frozen)
    preset = f"freeze preset '{config.freeze.preset}'"
    if config.lora.enabled:
        from workbench.core.model.backbones import resolve_backbone
        from workbench.core.model.lora import check_targets, describe_targets, wrap_with_lora

        targets = check_targets(tree, frozen, config.lora)
        emit(MessageLogged(describe_targets(tree, config.lora)))
        model, trainable, total = wrap_with_lora(model, tree, targets, config.lora, task,
                                                 resolve_backbone(config.backbone.name))
        preset = f"LoRA rank {config.lora.rank} on {len(targets)} Linear modules and the task head, {preset}"
    emit(MessageLogged(f"Training {trainable:,} of {total:,} parameters ({preset})."))

    encoded = encode_splits(data.splits, task, tokenizer, max_length, config.task)
    return Prepared(task, data, encoded, tokenizer, model, max_length, trainable, total, compute_loss, extra_metrics)


def training_arguments(config: RunConfig, task: Task, output_dir: Path, precision: str):
    from transformers import TrainingArguments

    from workbench.core.model.device import pick_device

    t = config.training
    metric = t.metric_for_best
    return TrainingArguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size * 2,  # larger batches measured slower on a CPU (RESULTS.md 7)
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=t.warmup_ratio,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        activation_checkpointing=t.gradient_checkpointing,  # transformers 5 name of gradient checkpointing
        activation_checkpointing_kwargs={"use_reentrant": False},  # frozen inputs and sparse embeddings need no re-entry
        # gradual unfreezing leaves waiting layers without gradients, which DDP must be told to expect
        ddp_find_unused_parameters=True if config.freeze.unfreeze_start_layers is not None else None,
        average_tokens_across_devices=False,  # the heads' losses are batch means: no rescaling by world size
        eval_strategy=t.eval_strategy,
        eval_steps=t.eval_steps,
        save_strategy=t.eval_strategy,
        save_steps=t.eval_steps,
        save_total_limit=t.save_total_limit,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=metric != "loss",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        length_column_name="length",
        remove_unused_columns=False,
        label_names=task.label_columns,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=pick_device() == "cpu",  # without it, bf16 on a CPU is refused as "needs a GPU"
        seed=t.seed,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=pick_device() == "cuda",
    )


def train(config: RunConfig, sink: EventSink | None = None, control: RunControl | None = None,
          resume_dir: str | Path | None = None) -> RunFinished | RunFailed:
    """Run one training; with `resume_dir`, continue that run from its last checkpoint."""
    control = control or RunControl()
    sink = sink if sink is not None else (lambda event: None)
    if not is_main_process():  # rank 0 reports the run; every other rank only its own failure
        sink = _failures_only(sink)
    started = time.perf_counter()
    run_dir: Path | None = Path(resume_dir) if resume_dir else None
    recorder: RunRecorder | None = None
    early: list = []  # events from before the run folder exists, written to it once it does

    def emit(event):
        early.append(event)
        sink(event)

    try:
        if run_dir is not None:
            config = run_config(run_dir)
            checkpoint = last_checkpoint(run_dir)
            if checkpoint is None:
                raise WorkbenchError(f"The run {run_dir} has no checkpoint to resume from.")
        else:
            config.checked()
            checkpoint = None
        load_engine_libraries()
        with main_process_first():  # the other ranks read what rank 0 wrote to the datasets cache
            prepared = prepare_run(config, emit)

        if run_dir is None:
            run_dir = agree_run_dir(new_run_dir(config))
        if is_main_process():
            recorder = RunRecorder(run_dir, config, sink)
            for event in early:
                recorder.write(event)
            emit = recorder
        else:
            emit = sink
        return _fit(config, prepared, run_dir, checkpoint, emit, control, started)
    except Exception as exc:  # every failure becomes one sentence; the traceback goes to the run folder
        if not isinstance(exc, WorkbenchError):
            log.error("The run failed", exc_info=exc)
        out_of_memory = is_out_of_memory(exc)
        if out_of_memory:
            free_memory()
        failed = RunFailed(_failure_sentence(exc, config, recorder is not None), str(run_dir) if recorder else None,
                           out_of_memory)
        if recorder is not None and not isinstance(exc, WorkbenchError):
            with contextlib.suppress(OSError):
                (run_dir / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        try:
            emit(failed)
        except OSError:  # the run folder itself cannot be written (a full disk): still tell the caller
            sink(failed)
        return failed
    finally:
        if recorder is not None:
            recorder.close()


def _failures_only(sink: EventSink) -> EventSink:
    return lambda event: sink(event) if isinstance(event, RunFailed) else None


def _fit(config, prepared: Prepared, run_dir: Path, checkpoint, emit, control, started) -> RunFinished:
    from transformers import EarlyStoppingCallback, PrinterCallback, Trainer

    from workbench.core.data.encoding import PaddingCollator
    from workbench.core.evaluation.metrics import build_compute_metrics, reduce_logits
    from workbench.core.evaluation.results import RESULTS, SPLITS, SplitResults, write_results
    from workbench.core.model.device import choose_precision, pick_device
    from workbench.core.model.freezing import build_layer_tree, mask_paths
    from workbench.core.training.callbacks import EventCallback, UnfreezingCallback
    from workbench.core.training.distributed import world_size
    from workbench.core.training.layer_rates import describe_rates, layer_rates, trainable_multipliers
    from workbench.core.training.speed.cpu_dropout import choose_dropout_masks, use_fast_dropout
    from workbench.core.training.speed.first_token import plan_first_token_layer, use_first_token_layer
    from workbench.core.training.speed.sparse_embeddings import LazyAdamW, plan_sparse_embeddings, set_sparse_embeddings
    from workbench.core.training.unfreezing import plan_unfreezing

    task = prepared.task
    plan = plan_training(config.training, len(prepared.encoded["train"]),
                         len(prepared.data.label_names) if task.uses_labels else 0,
                         getattr(prepared.model.config, "hidden_size", 768), world_size(), config.lora.enabled,
                         config.freeze.preset)
    if plan.note:
        emit(MessageLogged(plan.note))
    config = dataclasses.replace(config, training=dataclasses.replace(
        config.training, epochs=plan.epochs, learning_rate=plan.learning_rate,
        early_stopping_patience=plan.early_stopping_patience))
    t = config.training
    precision, why = agree(choose_precision(t.precision, prepared.model, t.batch_size, min(prepared.max_length, 128))
                           if is_main_process() else None)  # one measurement, one precision for every rank
    emit(MessageLogged(f"Precision {precision}: {why}."))
    args = training_arguments(config, task, run_dir / CHECKPOINTS, precision)
    sparse, why = plan_sparse_embeddings(prepared.model, t.sparse_embeddings, precision)
    emit(MessageLogged(why))
    set_sparse_embeddings(prepared.model, sparse)
    fast_dropout, why = agree(choose_dropout_masks(t.dropout_masks, prepared.model, t.batch_size,
                                                   min(prepared.max_length, 128)) if is_main_process() else None)
    emit(MessageLogged(why))
    use_fast_dropout(prepared.model, fast_dropout)
    first_token, why = plan_first_token_layer(prepared.model, t.last_layer_first_token)
    emit(MessageLogged(why))
    use_first_token_layer(prepared.model, first_token)
    samples_per_step = t.batch_size * t.gradient_accumulation_steps * world_size()
    callbacks = [EventCallback(emit, control, samples_per_step)]
    if t.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    tree = build_layer_tree(prepared.model)
    rates = layer_rates(tree, t.layer_lr_decay, t.head_lr_multiplier)
    frozen = mask_paths(tree, config.freeze)
    unfreezing = plan_unfreezing(tree, frozen, config.freeze)
    if not rates.uniform:
        emit(MessageLogged(describe_rates(tree, rates)))
    if unfreezing is not None:
        callbacks.append(UnfreezingCallback(prepared.model, unfreezing, frozen, emit))
    # gradual unfreezing needs the layers that join later in the optimizer already, so it takes its groups too
    held = None if rates.uniform and unfreezing is None else trainable_multipliers(prepared.model, rates)
    trainer = trainer_class()(
        model=prepared.model,
        args=args,
        train_dataset=prepared.encoded["train"],
        eval_dataset=prepared.encoded["validation"],
        processing_class=prepared.tokenizer,
        data_collator=PaddingCollator(prepared.tokenizer, task),
        metrics_for=lambda split: build_compute_metrics(task, prepared.data.label_names, prepared.extra_metrics, split),
        preprocess_logits_for_metrics=reduce_logits(task),
        compute_loss_func=prepared.compute_loss,
        callbacks=callbacks,
        optimizer_cls_and_kwargs=(LazyAdamW, Trainer.get_optimizer_cls_and_kwargs(args)[1]) if sparse else None,
        held_parameters=held,
    )
    trainer.remove_callback(PrinterCallback)  # our events are the only report
    total_steps = _total_steps(trainer, config)
    emit(RunStarted(
        run_dir=str(run_dir), total_steps=total_steps, device=pick_device(), precision=precision,
        train_rows=len(prepared.encoded["train"]), max_length=prepared.max_length,
        trainable_params=prepared.trainable, total_params=prepared.total,
        epochs=t.epochs if t.max_steps <= 0 else None, learning_rate=t.learning_rate,
    ))
    if checkpoint:
        emit(MessageLogged(f"Resuming from {checkpoint}."))
    try:
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    except Exception as exc:
        if is_out_of_memory(exc):  # say at which step; the checkpoints and metrics so far stay
            raise OutOfMemory(out_of_memory_sentence(exc, config, trainer.state.global_step + 1)) from exc
        raise
    set_sparse_embeddings(prepared.model, False)  # the trained model is an ordinary dense one from here on
    use_fast_dropout(prepared.model, False)  # and has torch's dropout and attention again
    use_first_token_layer(prepared.model, False)  # and a last layer that outputs every token

    # The best checkpoint is loaded now; report it on validation (and test), then save it.
    metric = t.metric_for_best
    final = {f"validation_{k}": v for k, v in _best_eval(trainer, metric).items()}
    if "test" in prepared.encoded:
        test = trainer.evaluate(prepared.encoded["test"], metric_key_prefix="test")
        final.update({k: float(v) for k, v in test.items() if k.startswith("test_") and not k.endswith(("runtime", "per_second"))})
    model_dir = run_dir / MODEL
    if trainer.is_world_process_zero():
        _save_model(trainer, model_dir, config.lora.enabled)
        splits = [split for split in SPLITS if split in prepared.encoded]
        for split in splits:
            write_results(run_dir, task, prepared.data.label_names, split, prepared.data.splits[split],
                          prepared.encoded[split], trainer.model, prepared.tokenizer)
        emit(MessageLogged(f"Wrote results for {' and '.join(splits)} to {run_dir / RESULTS}."))
    counts = prepared.data.label_counts()
    guess = constant_guess_score(task, counts["train"], counts["validation"],
                                 prepared.data.split_counts()["validation"])
    steps, share = trainer.state.global_step, prepared.trainable / prepared.total
    warning = chance_warning(config, final, guess, steps, t.learning_rate, share)
    class_warning = None
    if task.class_words and trainer.is_world_process_zero():  # the results just written: rank 0's alone
        class_use = SplitResults.load(run_dir, "validation").class_use()
        class_warning = unused_classes_warning(config, class_use, steps, t.learning_rate, share)
    if control.stop_requested:  # a stopped run was not meant to have learned yet
        warning = class_warning = None
    for sentence in (warning, class_warning):
        if sentence:
            emit(MessageLogged(sentence, level="warning"))
    finished = RunFinished(
        run_dir=str(run_dir), model_dir=str(model_dir), stopped=control.stop_requested,
        best_metric=final.get(f"validation_{metric}"), metric_name=metric,
        best_checkpoint=trainer.state.best_model_checkpoint, final_metrics=final,
        wall_seconds=time.perf_counter() - started, warning=warning, class_warning=class_warning,
    )
    emit(finished)
    return finished


def _total_steps(trainer, config: RunConfig) -> int:
    if config.training.max_steps > 0:
        return config.training.max_steps
    import math

    batches = len(trainer.get_train_dataloader())
    per_epoch = max(math.ceil(batches / config.training.gradient_accumulation_steps), 1)
    return math.ceil(per_epoch * config.training.epochs)


def _best_eval(trainer, metric: str) -> dict[str, float]:
    """Validation metrics of the best checkpoint: from the log when it was evaluated, else measured now."""
    best = trainer.state.best_model_checkpoint
    step = int(best.rsplit("-", 1)[1]) if best else None
    for entry in reversed(trainer.state.log_history):
        if entry.get("step") == step and f"eval_{metric}" in entry:
            return {k.removeprefix("eval_"): float(v) for k, v in entry.items()
                    if k.startswith("eval_") and not k.endswith(("runtime", "per_second"))}
    measured = trainer.evaluate()
    return {k.removeprefix("eval_"): float(v) for k, v in measured.items()
            if k.startswith("eval_") and not k.endswith(("runtime", "per_second"))}


def _save_model(trainer, model_dir: Path, lora: bool) -> None:
    """Write the model (a LoRA run's merged into a plain transformers model, its adapter alone in
    ADAPTER beside it), each to a temporary folder renamed into place, so no half-written one is left."""
    if not lora:
        _write_whole(model_dir, lambda folder: trainer.save_model(str(folder)))
        return
    from workbench.core.model.lora import merged_model

    _write_whole(model_dir.with_name(ADAPTER), lambda folder: trainer.model.save_pretrained(str(folder)))
    merged = merged_model(trainer.model)

    def save_merged(folder: Path) -> None:
        merged.save_pretrained(folder)
        trainer.processing_class.save_pretrained(folder)

    _write_whole(model_dir, save_merged)


def _write_whole(folder: Path, write) -> None:
    import shutil

    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)


def _failure_sentence(exc: Exception, config: RunConfig, has_run_folder: bool) -> str:
    if isinstance(exc, WorkbenchError):
        return str(exc)
    if is_out_of_memory(exc):
        return out_of_memory_sentence(exc, config)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"The disk is full while writing {exc.filename or 'the run folder'}; free some space and resume the run."
    if isinstance(exc, OSError) and exc.filename:
        return (f"The run could not use {exc.filename} ({(exc.strerror or 'not usable').lower()}); check that its "
                "folder exists, is a folder and can be written, or set output.runs_root to another folder.")
    details = "the run folder's error.log" if has_run_folder else "the log"
    return f"Training stopped on an unexpected error ({type(exc).__name__}); {details} has the details for a bug report."
