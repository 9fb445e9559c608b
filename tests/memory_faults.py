"""Running out of memory for real, inside a run: a global forward pre-hook on word-embedding lookups."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def memory_that_fits(rows: int, after_steps: int = 0):
    """From the training forward pass number `after_steps` + 1 on, a batch of more than `rows` rows
    raises torch.OutOfMemoryError, as a device whose memory holds `rows` rows would. Evaluation
    (a module in eval mode) is not counted and always fits."""
    import torch

    forwards = 0

    def hook(module, args):
        nonlocal forwards
        if not isinstance(module, torch.nn.Embedding) or module.padding_idx is None or not module.training:
            return  # only the word embedding has a padding row; it is looked up once a forward pass
        forwards += 1
        if forwards > after_steps and args[0].shape[0] > rows:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate a batch of {args[0].shape[0]} rows.")

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()
