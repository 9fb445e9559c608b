"""Full fine-tuning that pays only for the word-embedding rows a batch uses.

The word embedding (half of MiniLM's weights) gets a sparse gradient (`nn.Embedding.sparse`): a
batch's few hundred rows instead of a dense 30522x384 matrix. `LazyAdamW` updates those rows with
AdamW's arithmetic (moments, bias correction, decoupled weight decay) and leaves the other rows as
they are, as TensorFlow's LazyAdam and torch's SparseAdam do; dense AdamW would also decay every
absent row and move it by its old momentum each step. Every other parameter is stepped by torch's
AdamW itself. It is one optimizer with AdamW's state layout, so the Trainer's scheduler, its
checkpoints and accelerate's wrapper see an ordinary AdamW, and a saved model is a plain dense BERT
(`sparse` is an attribute of the module, not part of its weights or config).
"""

from __future__ import annotations

import math

import torch

from workbench.core.model.device import pick_device


class LazyAdamW(torch.optim.AdamW):
    """AdamW that takes sparse gradients: a parameter with one is updated on the rows it holds."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        held = []  # sparse gradients, hidden from AdamW (it skips parameters without a gradient)
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None and param.grad.is_sparse:
                    self._lazy_step(param, group)
                    held.append((param, param.grad))
                    param.grad = None
        try:
            super().step()
        finally:
            for param, grad in held:
                param.grad = grad
        return loss

    def _lazy_step(self, param, group) -> None:
        grad = param.grad.coalesce()
        rows, values = grad.indices()[0], grad.values()
        state = self.state[param]
        if not state:  # the keys and types AdamW itself keeps, so its state_dict looks the same
            state["step"] = torch.zeros((), dtype=torch.float32, device=param.device)
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        step = float(state["step"].add_(1))
        beta1, beta2 = group["betas"]
        lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
        exp_avg = state["exp_avg"].index_select(0, rows).mul_(beta1).add_(values, alpha=1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].index_select(0, rows).mul_(beta2).addcmul_(values, values, value=1 - beta2)
        state["exp_avg"].index_copy_(0, rows, exp_avg)
        state["exp_avg_sq"].index_copy_(0, rows, exp_avg_sq)
        denom = exp_avg_sq.sqrt_().div_(math.sqrt(1 - beta2**step)).add_(eps)
        weights = param.index_select(0, rows).mul_(1 - lr * decay)
        weights.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1**step))
        param.index_copy_(0, rows, weights)


def plan_sparse_embeddings(model, enabled: bool, precision: str) -> tuple[bool, str]:
    """Whether the word embedding trains with a sparse gradient here, and a sentence saying why."""
    embedding = model.get_input_embeddings()
    output = model.get_output_embeddings()
    if not enabled:
        return False, "Word embeddings get a dense update every step (training.sparse_embeddings is off)."
    if not embedding.weight.requires_grad:
        return False, "Word embeddings are frozen."
    if not isinstance(embedding, torch.nn.Embedding) or (output is not None and output.weight is embedding.weight):
        return False, "Word embeddings get a dense update every step (this model's embedding is shared or not an nn.Embedding)."
    if pick_device() != "cpu":
        return False, ("Word embeddings get a dense update every step: sparse updates are used on CPUs only "
                       "(NCCL has no sparse all-reduce, and on a GPU the dense update is cheap).")
    if precision == "fp16":
        return False, "Word embeddings get a dense update every step (fp16 loss scaling is kept to dense gradients)."
    return True, "Word embeddings: sparse gradients, only the rows each batch uses are updated (training.sparse_embeddings)."


def set_sparse_embeddings(model, sparse: bool) -> None:
    model.get_input_embeddings().sparse = sparse


def has_sparse_grads(parameters) -> bool:
    return any(p.grad is not None and p.grad.is_sparse for p in parameters)


@torch.no_grad()
def clip_grad_norm_(parameters, max_norm: float) -> torch.Tensor:
    """`torch.nn.utils.clip_grad_norm_` (2-norm) for gradients of which some are sparse.

    A sparse gradient is coalesced first (a row used twice in a batch comes as two entries), so
    its norm and its clipping are the dense gradient's."""
    params = [p for p in parameters if p.grad is not None]
    for param in params:
        if param.grad.is_sparse:
            param.grad = param.grad.coalesce()
    dense = [p for p in params if not p.grad.is_sparse]
    sparse = [p.grad for p in params if p.grad.is_sparse]
    norms = [torch.nn.utils.get_total_norm([p.grad for p in dense])] if dense else []
    norms += [torch.linalg.vector_norm(grad.values()) for grad in sparse]
    total = torch.linalg.vector_norm(torch.stack(norms))
    if max_norm != math.inf:
        torch.nn.utils.clip_grads_with_norm_(dense, max_norm, total)
        for grad in sparse:  # the same factor clip_grads_with_norm_ applies
            grad.values().mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total
