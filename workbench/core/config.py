"""The run config: one dataclass tree, saved as JSON, that the GUI, the CLI and torchrun all run.

`RunConfig.validate()` lists every problem as one sentence naming the field; `load_config` raises
`ConfigError` carrying that list.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError

SCHEMA_VERSION = 1

TASKS = ("single_label", "pair", "multi_label", "token", "qa")
LABELLED_TASKS = TASKS[:4]  # the tasks whose rows carry class labels (qa rows carry answer spans)
WINDOWED_TASKS = ("single_label", "pair", "multi_label")  # the tasks task.windows applies to (qa always reads windows)
FREEZE_PRESETS = ("full", "head_only", "embeddings", "lower_half", "custom")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DROPOUT_MASKS = ("auto", "fast", "torch")
EVAL_STRATEGIES = ("epoch", "steps")
LOSSES = ("cross_entropy", "focal")
BUNDLED_BACKBONE = "bundled:all-MiniLM-L6-v2"


class ConfigError(WorkbenchError):
    """A run config with one or more invalid fields; `problems` holds one sentence each."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        where = f" in {source}" if source else ""
        super().__init__(f"The run config{where} has {len(problems)} problem(s): " + " ".join(problems))


@dataclass
class DataConfig:
    """Where the examples come from and which columns hold what.

    `source` is a file, a folder (split files named train/validation/test, or a `save_to_disk`
    folder) or a Hub dataset id. For token tasks `text_column` holds the token lists and
    `label_column` the tag lists (CoNLL files give columns `tokens` and `tags`). For qa,
    `text_column` holds the questions, `text_pair_column` the contexts and `label_column` the answers
    (SQuAD's `answers`, or the answer text with its character offset in `answer_start_column`, found
    in the context when that column is missing); SQuAD files give `question`, `context`, `answers`.
    """

    source: str = ""
    """The data: a file, a folder (split files named train/validation/test, or a `save_to_disk`
    folder) or a Hub dataset id."""
    text_column: str = "text"
    """The column that holds the text. Token tasks: the token lists (CoNLL files give `tokens`).
    qa: the questions."""
    text_pair_column: str | None = None
    """The column that holds the second text of a pair task. qa: the contexts. Empty: no second text."""
    label_column: str = "label"
    """The column that holds the labels. Token tasks: the tag lists (CoNLL files give `tags`). qa: the
    answers (SQuAD's `answers`, or the answer's text)."""
    label_delimiter: str | None = None
    """multi_label with labels in one text cell: the character between them. Empty: found in the
    data (a vertical bar, a semicolon or a comma, in that order)."""
    validation_fraction: float = 0.1
    """The share of the training rows set aside for validation when the data has no validation
    split (single-label and pair tasks: in proportion to each class, and never a class's last row;
    qa: whole articles or contexts)."""
    split_seed: int = 42
    """The seed that picks the rows set aside for validation, and the rows kept by `max_train_rows`."""
    max_train_rows: int | None = None
    """Train on at most this many training rows, picked at random. Empty: all of them."""
    answer_start_column: str = "answer_start"
    """qa in a flat file: the column with the answer's character offset in its context. Where the
    column is missing, the answer's text is looked for in the context."""
    sheet: str | None = None
    """The sheet of a workbook source (.xlsx, .xlsm, .xls, .ods) to read, by name. Empty: the first
    sheet that holds any cells, or, in a workbook whose sheets are named train, validation (or dev)
    and test, those sheets as the splits. In a folder of split files it names the sheet of every
    workbook there."""


@dataclass
class BackboneConfig:
    """`name` is `bundled:all-MiniLM-L6-v2`, a local model folder, or a Hub model id."""

    name: str = BUNDLED_BACKBONE
    """The backbone: `bundled:all-MiniLM-L6-v2` (shipped with the workbench), a local model folder or
    a Hub model id."""
    allow_pickle_weights: bool = False
    """Load a model folder that holds only pickle (`.bin`) weights. Off: only safetensors weights
    load. Turn it on only for models you trust."""


@dataclass
class TaskConfig:
    """`class_weights` true weighs the loss by the training label counts; a list gives one weight per
    label in label order (multi_label: each label's `pos_weight`). `focal_gamma` is read with
    `loss` "focal"; `label_smoothing` applies to cross-entropy on single-label, pair and token tasks.

    `windows` (single_label, pair, multi_label) splits texts longer than max_length into windows
    that share `stride` tokens with their neighbour, trains on each with its text's label and
    predicts a text from its windows' mean logits (their maximum for multi_label). qa always cuts
    contexts this way. `stride` None: half a window."""

    type: str = "single_label"
    """The task: `single_label`, `pair` (two texts, one label), `multi_label`, `token` (a tag per
    word, such as NER) or `qa` (extractive question answering)."""
    dropout: float | None = None
    """The task head's dropout (the model config's `classifier_dropout`), in [0, 1). Empty: the
    backbone's own."""
    class_weights: bool | list[float] = False
    """true: weigh the loss by the training label counts (inverse frequency per class or tag;
    multi_label: each label's positives by negatives / positives, torch's `pos_weight`). A list:
    one positive weight per label, in label order. Not for qa."""
    max_length: int | None = None
    """The longest input in tokens (at least 8); longer ones are cut, or read in windows. Empty: the
    95th percentile of the training token lengths."""
    loss: str = "cross_entropy"
    """`cross_entropy`, or `focal` (single-label, pair and token tasks; the class weights act as its
    alpha)."""
    focal_gamma: float = 2.0
    """The focal loss's gamma, read with `loss` "focal"."""
    label_smoothing: float = 0.0
    """Label smoothing of the cross-entropy loss on single-label, pair and token tasks, in [0, 1).
    0: off."""
    windows: bool = False
    """Read texts longer than `max_length` in overlapping windows (single_label, pair, multi_label):
    each window is trained on with its text's label, and a text is predicted from its windows' mean
    logits (their maximum for multi_label). qa always reads contexts this way."""
    stride: int | None = None
    """The tokens a window shares with its neighbour, at most half of `max_length`. Empty: half a
    window."""


@dataclass
class FreezeConfig:
    """A preset, or `custom` with the dotted module paths of the frozen nodes in `frozen`.

    Gradual unfreezing (on when `unfreeze_start_layers` is set) starts with the head and the top
    `unfreeze_start_layers` encoder layers trainable and adds one more layer, top-down and then the
    embeddings, every `unfreeze_every_steps` optimizer steps (None: at each epoch start). The mask
    above is the floor: a node it freezes never joins."""

    preset: str = "full"
    """`full` (nothing frozen), `head_only` (the whole backbone frozen), `embeddings` (the embeddings
    frozen), `lower_half` (the embeddings and the lower half of the encoder layers frozen) or
    `custom` (the nodes in `frozen`)."""
    frozen: list[str] = field(default_factory=list)
    """With preset `custom`: the dotted module paths of the frozen nodes, as the Freeze page's layer
    tree names them (such as `bert.embeddings.word_embeddings`)."""
    unfreeze_start_layers: int | None = None
    """Gradual unfreezing: how many top encoder layers train from the start besides the head (0:
    the head alone). Empty: gradual unfreezing is off."""
    unfreeze_every_steps: int | None = None
    """Gradual unfreezing: one more layer joins every this many optimizer steps. Empty: one at the
    start of each epoch."""


@dataclass
class LoraConfig:
    """LoRA adapters (through peft) on the backbone's Linear modules whose name is one of
    `target_modules` (empty: the architecture's own), outside the frozen nodes; the base weights stay
    as they are, the head trains in full."""

    enabled: bool = False
    """Train LoRA adapters instead of the backbone's weights (the Freeze page's LoRA box)."""
    rank: int = 8
    """The adapters' rank (at least 1)."""
    alpha: int = 16
    """The adapters' scaling alpha (positive)."""
    dropout: float = 0.1
    """The adapters' dropout (peft's `lora_dropout`), in [0, 1)."""
    target_modules: list[str] = field(default_factory=list)
    """The names of the Linear modules that get adapters. Empty: the architecture's own, peft's
    defaults for its model type (`query` and `value` for BERT, RoBERTa, ELECTRA and XLM-R;
    `query_proj` and `value_proj` for DeBERTa-v2 and v3), else its Linear modules named like query
    and value (`q_lin` and `v_lin` for DistilBERT) or a fused one (`Wqkv` for ModernBERT)."""


@dataclass
class TrainingConfig:
    """`learning_rate` and `epochs` left empty (None) are sized to the backbone and the data
    (workbench.core.training.schedule); `max_steps` above 0 overrides the epochs."""

    learning_rate: float | None = None
    """The peak learning rate. Empty: sized to the backbone and what trains (1e-4 up to 512 wide, such
    as the bundled MiniLM; 5e-5 for BERT-base and wider; 3 times that with `freeze.preset`
    `lower_half`; 3e-2 for `head_only`; 1e-3 for LoRA adapters)."""
    batch_size: int = 32
    """Training rows per batch on each process; evaluation uses twice as many."""
    epochs: float | None = None
    """Passes over the training data. Empty: sized to the data (at least 300 optimizer steps, more
    with many classes, at most 10 epochs, one epoch on a large set)."""
    max_steps: int = -1
    """Above 0: train exactly this many optimizer steps, whatever `epochs` says."""
    warmup_ratio: float = 0.1
    """The share of the steps over which the learning rate rises from 0, in [0, 1); it then falls
    linearly to 0."""
    weight_decay: float = 0.01
    """AdamW's weight decay (not on biases and layer norms)."""
    max_grad_norm: float = 1.0
    """Gradients are clipped to this 2-norm; 0: no clipping."""
    gradient_accumulation_steps: int = 1
    """Batches added up into one optimizer step. The effective batch is `batch_size` times this
    (times the processes)."""
    precision: str = "auto"
    """`auto`, `fp32`, `bf16` or `fp16`. auto: bf16 on a GPU that has it (else fp16), fp32 on an
    Apple GPU, and on a CPU bf16 only where a measured training step is clearly faster."""
    eval_strategy: str = "epoch"
    """Evaluate on validation, and save a checkpoint, at each `epoch` or every `eval_steps` (`steps`)."""
    eval_steps: int = 200
    """With `eval_strategy` "steps": the optimizer steps between evaluations."""
    logging_steps: int = 10
    """The optimizer steps between two logged training losses (each the mean since the last)."""
    metric_for_best: str = "f1"
    """The validation metric that picks the best checkpoint, which is the model kept: a built-in
    metric (such as `f1` or `accuracy`; `loss`: lower is better) or one of `extra_metrics`."""
    early_stopping_patience: int | None = None
    """Stop after this many evaluations without improvement. Empty: off, except that a run whose
    epochs are sized to 4 or more stops after 3."""
    group_by_length: bool = True
    """Batch texts of similar length together (still shuffled), so less padding is computed. false:
    plain random order."""
    seed: int = 42
    """The seed of the training: the new head's weights, the data order, the dropout masks."""
    save_total_limit: int = 2
    """The checkpoints kept in the run folder (at least 1)."""
    sparse_embeddings: bool = True
    """Full fine-tunes on a CPU update only the word-embedding rows a batch uses."""
    dropout_masks: str = "auto"
    """`fast`: four dropout masks drawn from each random number; `torch`: torch's own; `auto`:
    measured once per machine on a CPU (torch's elsewhere)."""
    last_layer_first_token: bool = True
    """Sequence heads: the last layer computes only the token the head reads."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory, slower steps."""
    extra_metrics: list[str] = field(default_factory=list)
    """Further `evaluate` modules, computed beside the built-in metrics at each evaluation: module
    ids, or local folders holding `<name>/<name>.py`."""
    layer_lr_decay: float = 1.0
    """Encoder layer i of L trains at `decay ** (L - 1 - i)` times the rate, the embeddings one step
    below the lowest layer; in (0, 1]. 1.0: off."""
    head_lr_multiplier: float = 1.0
    """The task head's rate, as a multiple of the top layer's."""


@dataclass
class OutputConfig:
    runs_root: str = "runs"
    """The folder that holds the run folders."""
    run_name: str | None = None
    """The name in the run folder's name (`<stamp>-<name>`). Empty: the task and the data's name."""


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    """The examples: the data source, its columns and the validation split."""
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    """The pretrained encoder to fine-tune."""
    task: TaskConfig = field(default_factory=TaskConfig)
    """The task, its head, its loss and how long inputs are read."""
    freeze: FreezeConfig = field(default_factory=FreezeConfig)
    """Which layers train, and gradual unfreezing."""
    lora: LoraConfig = field(default_factory=LoraConfig)
    """LoRA adapters instead of full fine-tuning."""
    training: TrainingConfig = field(default_factory=TrainingConfig)
    """The optimizer, the schedule, evaluation, checkpoints and the speed levers."""
    output: OutputConfig = field(default_factory=OutputConfig)
    """Where the run folder goes."""
    schema_version: int = SCHEMA_VERSION
    """The version of the config's layout; a config of another version is refused."""

    def validate(self) -> list[str]:
        """Every problem with this config, one sentence each naming the field."""
        problems: list[str] = []

        def check(ok: bool, message: str) -> None:
            if not ok:
                problems.append(message)

        d, t, f, tr, lo = self.data, self.task, self.freeze, self.training, self.lora
        check(bool(d.source.strip()), "data.source is empty: name a data file, folder or Hub dataset id.")
        check(bool(d.text_column), "data.text_column is empty: name the column that holds the text.")
        check(bool(d.label_column), "data.label_column is empty: name the column that holds the labels.")
        check(d.sheet is None or bool(d.sheet.strip()),
              "data.sheet is empty: name a sheet of the workbook, or leave it out (null) to read the first sheet.")
        check(0 < d.validation_fraction < 1, f"data.validation_fraction must be between 0 and 1, not {d.validation_fraction}.")
        check(d.max_train_rows is None or d.max_train_rows > 0, f"data.max_train_rows must be positive, not {d.max_train_rows}.")
        check(t.type in TASKS, f"task.type '{t.type}' is not one of {', '.join(TASKS)}.")
        check(t.type != "pair" or bool(d.text_pair_column), "data.text_pair_column must name the second text column for a pair task.")
        check(t.dropout is None or 0 <= t.dropout < 1, f"task.dropout must be in [0, 1), not {t.dropout}.")
        check(t.max_length is None or 8 <= t.max_length, f"task.max_length must be at least 8, not {t.max_length}.")
        check(not isinstance(t.class_weights, list) or (bool(t.class_weights) and all(w > 0 for w in t.class_weights)),
              f"task.class_weights must be true, false or one positive weight per label, not {t.class_weights}.")
        check(t.loss in LOSSES, f"task.loss '{t.loss}' is not one of {', '.join(LOSSES)}.")
        check(t.focal_gamma >= 0, f"task.focal_gamma must not be negative, not {t.focal_gamma}.")
        check(0 <= t.label_smoothing < 1, f"task.label_smoothing must be in [0, 1), not {t.label_smoothing}.")
        check(t.stride is None or t.stride >= 1, f"task.stride must be at least 1 when set, not {t.stride}.")
        check(t.stride is None or t.max_length is None or t.stride <= t.max_length // 2,
              f"task.stride {t.stride} must be at most half of task.max_length {t.max_length}, so windows move on.")
        check(t.type in WINDOWED_TASKS or not t.windows,
              f"task.windows splits long texts of sentence-level tasks; a {t.type} task " + (
                  "always cuts contexts into windows" if t.type == "qa" else "tags words, so leave it off") + ".")
        check(t.type in LABELLED_TASKS or (t.class_weights is False and t.loss == "cross_entropy" and t.label_smoothing == 0),
              "task.class_weights, task.loss 'focal' and task.label_smoothing weigh class labels; a qa task has "
              "answer spans, so leave them at their defaults.")
        check(t.type != "multi_label" or t.loss != "focal",
              "task.loss 'focal' is for single-label, pair and token tasks; a multi_label task uses binary "
              "cross-entropy (weigh its labels with task.class_weights).")
        check(t.type != "multi_label" or t.label_smoothing == 0,
              "task.label_smoothing applies to single-label, pair and token tasks; set it to 0 for a multi_label task.")
        check(t.loss != "focal" or t.label_smoothing == 0,
              "task.label_smoothing applies to the cross_entropy loss only; set it to 0 with task.loss 'focal'.")
        check(f.preset in FREEZE_PRESETS, f"freeze.preset '{f.preset}' is not one of {', '.join(FREEZE_PRESETS)}.")
        check(f.unfreeze_start_layers is None or f.unfreeze_start_layers >= 0,
              f"freeze.unfreeze_start_layers must not be negative, not {f.unfreeze_start_layers}.")
        check(f.unfreeze_every_steps is None or f.unfreeze_every_steps >= 1,
              f"freeze.unfreeze_every_steps must be at least 1 when set, not {f.unfreeze_every_steps}.")
        check(f.unfreeze_every_steps is None or f.unfreeze_start_layers is not None,
              "freeze.unfreeze_every_steps is set but freeze.unfreeze_start_layers is empty: set it (0 for the head alone) to turn gradual unfreezing on.")
        check(lo.rank >= 1, f"lora.rank must be at least 1, not {lo.rank}.")
        check(lo.alpha > 0, f"lora.alpha must be positive, not {lo.alpha}.")
        check(0 <= lo.dropout < 1, f"lora.dropout must be in [0, 1), not {lo.dropout}.")
        check(all(name.strip() for name in lo.target_modules),
              "lora.target_modules holds an empty name: name the Linear modules that get adapters, such as query "
              "and value, or leave the list empty for the architecture's own.")
        check(not lo.enabled or f.unfreeze_start_layers is None,
              "freeze.unfreeze_start_layers is set with lora.enabled: LoRA trains adapters, not layers; turn one of them off.")
        check(not lo.enabled or tr.layer_lr_decay == 1.0,
              f"training.layer_lr_decay is {tr.layer_lr_decay} with lora.enabled: the adapters train at one rate; set it to 1.0 or turn LoRA off.")
        check(bool(self.backbone.name.strip()), "backbone.name is empty: name the bundled backbone, a model folder or a Hub id.")
        check(tr.learning_rate is None or tr.learning_rate > 0, f"training.learning_rate must be positive, not {tr.learning_rate}.")
        check(tr.batch_size >= 1, f"training.batch_size must be at least 1, not {tr.batch_size}.")
        check(tr.epochs is None or tr.epochs > 0 or tr.max_steps > 0,
              "training.epochs must be positive (or empty, to size it to the data) unless training.max_steps is set.")
        check(0 <= tr.warmup_ratio < 1, f"training.warmup_ratio must be in [0, 1), not {tr.warmup_ratio}.")
        check(tr.weight_decay >= 0, f"training.weight_decay must not be negative, not {tr.weight_decay}.")
        check(tr.max_grad_norm >= 0, f"training.max_grad_norm must not be negative, not {tr.max_grad_norm}.")
        check(0 < tr.layer_lr_decay <= 1, f"training.layer_lr_decay must be in (0, 1], not {tr.layer_lr_decay}.")
        check(tr.head_lr_multiplier > 0, f"training.head_lr_multiplier must be positive, not {tr.head_lr_multiplier}.")
        check(tr.gradient_accumulation_steps >= 1, "training.gradient_accumulation_steps must be at least 1.")
        check(tr.precision in PRECISIONS, f"training.precision '{tr.precision}' is not one of {', '.join(PRECISIONS)}.")
        check(tr.dropout_masks in DROPOUT_MASKS,
              f"training.dropout_masks '{tr.dropout_masks}' is not one of {', '.join(DROPOUT_MASKS)}.")
        check(tr.eval_strategy in EVAL_STRATEGIES, f"training.eval_strategy '{tr.eval_strategy}' is not one of {', '.join(EVAL_STRATEGIES)}.")
        check(tr.eval_steps >= 1, f"training.eval_steps must be at least 1, not {tr.eval_steps}.")
        check(tr.logging_steps >= 1, f"training.logging_steps must be at least 1, not {tr.logging_steps}.")
        check(tr.early_stopping_patience is None or tr.early_stopping_patience >= 1, "training.early_stopping_patience must be at least 1 when set.")
        check(tr.save_total_limit >= 1, "training.save_total_limit must be at least 1.")
        check(bool(tr.metric_for_best), "training.metric_for_best is empty: name a metric such as f1 or accuracy.")
        check(all(name.strip() for name in tr.extra_metrics),
              "training.extra_metrics holds an empty name; list evaluate module ids or module folders.")
        check(bool(self.output.runs_root), "output.runs_root is empty: name the folder that holds the runs.")
        return problems

    def checked(self) -> "RunConfig":
        problems = self.validate()
        if problems:
            raise ConfigError(problems)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str | None = None) -> "RunConfig":
        """Build a config from plain data; unknown sections or fields are reported, not ignored."""
        problems: list[str] = []
        sections = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in sections:
                problems.append(f"'{key}' is not a section of the run config.")
            elif key == "schema_version":
                if value != SCHEMA_VERSION:
                    problems.append(f"schema_version {value} is not supported (this version reads {SCHEMA_VERSION}).")
            elif not isinstance(value, dict):
                problems.append(f"'{key}' must be an object of settings.")
            else:
                section_cls = sections[key].default_factory
                names = {f.name for f in dataclasses.fields(section_cls)}
                hints = typing.get_type_hints(section_cls)
                for name, item in value.items():
                    if name not in names:
                        problems.append(f"{key}.{name} is not a setting of the run config.")
                    elif not _fits(item, hints[name]):
                        problems.append(f"{key}.{name} must be {_describe(hints[name])}, not {item!r}.")
                kwargs[key] = section_cls(**{k: v for k, v in value.items() if k in names})
        if problems:
            raise ConfigError(problems, source)
        config = cls(**kwargs)
        problems = config.validate()
        if problems:
            raise ConfigError(problems, source)
        return config


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's type (an int is a fine float; a bool is not a number)."""
    if hint is Any:
        return True
    if isinstance(hint, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false", type(None): "null"}
    if isinstance(hint, types.UnionType):  # an optional field: null (empty) needs no mention
        return " or ".join(_describe(arg) for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is list:
        return "a list"
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"The run config {path} does not exist.") from None
    except json.JSONDecodeError as exc:
        raise WorkbenchError(f"The run config {path} is not valid JSON at line {exc.lineno}, column {exc.colno}; "
                             "check the brackets, commas and quotes there.") from None
    except UnicodeDecodeError:
        raise WorkbenchError(f"The run config {path} is not UTF-8 text; save it as UTF-8 and load it again.") from None
    if not isinstance(raw, dict):
        raise WorkbenchError(f"The run config {path} must hold a JSON object.")
    return RunConfig.from_dict(raw, source=str(path))
