"""transformers' Trainer with the workbench's corrections: its optimizer groups, samplers, metrics and clipping.

Built by a function, so that importing the engine does not import transformers.
"""

from __future__ import annotations


def trainer_class():
    """transformers' Trainer, corrected for the workbench's heads and encoded data."""
    import math

    import torch
    from transformers import Trainer
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from workbench.core.training.callbacks import EventCallback
    from workbench.core.training.layer_rates import optimizer_groups
    from workbench.core.training.speed.sparse_embeddings import clip_grad_norm_, has_sparse_grads

    class WorkbenchTrainer(Trainer):
        """Length grouping reads the `length` column once through Arrow. Trainer hands its samplers
        `dataset["length"]`, a lazy `datasets.Column` read row by row, holding the GIL all along:
        9 minutes for 1M training rows, and a 120 ms freeze of the GUI at each evaluation of RT."""

        loss_is_scaled_for_ga = False  # every head's loss is a batch mean: divide it by the accumulation steps

        def __init__(self, *args, held_parameters: dict[str, float] | None = None, metrics_for=None, **kwargs):
            """`held_parameters`: the name and learning-rate multiplier of every parameter the optimizer
            holds (layer_rates.py); None keeps the Trainer's own two groups of the trainable ones.
            `metrics_for(split)` gives the `compute_metrics` of an encoded split: a task that reads
            answers through the split's rows (qa, windows) needs its own for validation and test."""
            self.held_parameters = held_parameters
            self.metrics_for = metrics_for
            self._split_metrics: dict[int, tuple] = {}  # id(split) -> (split, its compute_metrics), built once
            super().__init__(*args, **kwargs)

        def evaluate(self, eval_dataset=None, *args, **kwargs):
            if self.metrics_for is not None:
                split = self.eval_dataset if eval_dataset is None else eval_dataset
                if id(split) not in self._split_metrics:  # the split is kept with it, so its id stays its own
                    self._split_metrics[id(split)] = (split, self.metrics_for(split))
                self.compute_metrics = self._split_metrics[id(split)][1]
            return super().evaluate(eval_dataset, *args, **kwargs)

        def create_optimizer(self, model=None):
            if self.held_parameters is None or self.optimizer is not None:
                return super().create_optimizer(model)
            model = self.model if model is None else model
            optimizer_cls, kwargs = self.optimizer_cls_and_kwargs or self.get_optimizer_cls_and_kwargs(self.args, model)
            groups = optimizer_groups(model.named_parameters(), self.held_parameters, self.get_decay_parameter_names(model),
                                      self.args.weight_decay, self.args.learning_rate)
            self.optimizer = optimizer_cls(groups, **kwargs)
            return self.optimizer

        def _get_train_sampler(self, train_dataset=None):
            if self.args.train_sampling_strategy != "group_by_length":
                return super()._get_train_sampler(train_dataset)
            dataset = self.train_dataset if train_dataset is None else train_dataset
            return LengthGroupedSampler(self.args.train_batch_size * self.args.gradient_accumulation_steps,
                                        lengths=self._lengths(dataset))

        def _get_eval_sampler(self, eval_dataset):
            if eval_dataset is not None and "example" in eval_dataset.column_names:  # windows: in order, for their rows
                return torch.utils.data.SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None
            if self.args.train_sampling_strategy != "group_by_length" or eval_dataset is None:
                return super()._get_eval_sampler(eval_dataset)
            return LengthGroupedSampler(self.args.eval_batch_size, lengths=self._lengths(eval_dataset),
                                        generator=torch.Generator().manual_seed(self.args.seed))

        def _lengths(self, dataset) -> list[int]:
            return dataset.with_format("arrow")[self.args.length_column_name].to_pylist()

        def training_step(self, *args, **kwargs):
            """Each micro-batch's loss also goes to the progress report, which shows every step's loss."""
            loss = super().training_step(*args, **kwargs)
            for callback in self.callback_handler.callbacks:
                if isinstance(callback, EventCallback):
                    callback.add_loss(loss)
            return loss

        def evaluation_loop(self, *args, **kwargs):
            with torch.inference_mode():  # Trainer's own loop runs under no_grad, which still tracks versions
                return super().evaluation_loop(*args, **kwargs)

        # torch's clip_grad_norm_ takes no sparse gradients (the word embedding's, sparse_embeddings.py)
        def _clip_grad_norm(self, model):
            if has_sparse_grads(model.parameters()):
                return clip_grad_norm_(model.parameters(), self.args.max_grad_norm)
            return super()._clip_grad_norm(model)

        def _get_grad_norm(self, model, grad_norm=None):
            if grad_norm is None and has_sparse_grads(model.parameters()):
                grad_norm = clip_grad_norm_(model.parameters(), math.inf)
            return super()._get_grad_norm(model, grad_norm)

    return WorkbenchTrainer
