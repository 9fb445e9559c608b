"""Dropout masks drawn four to a random number, for CPUs where torch draws them slowly.

On a CPU torch draws a dropout mask with `bernoulli_`, which uses MKL's parallel generator on Intel
processors and otherwise one Mersenne-Twister number per element in a serial loop: on an AMD EPYC
that was 16% of a bf16 MiniLM training step (bench/RESULTS.md section 12). Here one 64-bit draw from
the same generator (so `training.seed` still decides every mask) gives four 16-bit numbers, each
compared with the keep probability rounded to 1/65536; kept values are scaled by the inverse of that
rounded probability, so the expected output equals the input, as with `nn.Dropout`.

`use_fast_dropout(model, True)` swaps the model's `nn.Dropout` modules for `FastDropout` and, on
models that use transformers' SDPA attention, switches to an attention function that applies these
masks to the attention probabilities while training and is SDPA itself otherwise.
`use_fast_dropout(model, False)` puts the originals back, so what is saved is unchanged.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from workbench.core.model.device import measured, pick_device
from workbench.core.model.first_token import DROPOUT_ATTENTION

ATTENTION = DROPOUT_ATTENTION  # the attention implementation's registered name
FAST_MIN_SPEEDUP = 1.2  # `auto` keeps torch's masks unless these draw clearly faster
_LEVELS = 1 << 16


def keep_mask(shape, keep: float, device=None) -> tuple[torch.Tensor, float]:
    """A bool mask of `shape`, True with probability `keep` rounded to 1/65536, and 1 / that probability."""
    count = math.prod(shape)
    level = min(max(round(keep * _LEVELS), 1), _LEVELS - 1)
    draws = torch.empty((count + 3) // 4, dtype=torch.int64, device=device).random_(-(1 << 63), None)
    quarters = draws.view(torch.int16)[:count].view(shape)  # each uniform over [-32768, 32767]
    return quarters < level - (_LEVELS >> 1), _LEVELS / level


def fast_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    if not training or p == 0:
        return x
    if p >= 1:
        return x * 0
    mask, scale = keep_mask(x.shape, 1 - p, x.device)
    return torch.where(mask, x, 0).mul_(scale)  # no cast of the mask to x's dtype, forward or backward


class FastDropout(nn.Dropout):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fast_dropout(x, self.p, self.training)


def dropped_attention(query, key, value, attention_mask, scaling, drop) -> torch.Tensor:
    """softmax(q k^T * scaling + mask), passed through `drop`, times v; heads back behind the tokens.
    `attention_mask` is SDPA's: bool (True attends) or additive, or None."""
    scores = torch.matmul(query, key.transpose(2, 3)) * (query.size(-1) ** -0.5 if scaling is None else scaling)
    if attention_mask is not None:
        scores = (scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
                  if attention_mask.dtype == torch.bool else scores + attention_mask)
    probs = drop(torch.softmax(scores, dim=-1))
    return torch.matmul(probs, value).transpose(1, 2).contiguous()


def _attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if not module.training or dropout == 0 or getattr(module, "is_causal", False):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    return dropped_attention(query, key, value, attention_mask, scaling, lambda probs: fast_dropout(probs, dropout)), None


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION, _attention)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)


def use_fast_dropout(model, on: bool) -> None:
    old, new = (nn.Dropout, FastDropout) if on else (FastDropout, nn.Dropout)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is old:
                setattr(parent, name, new(child.p).train(child.training))
    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # a LoRA model's transformers model
    if not hasattr(type(base), "_can_set_attn_implementation"):
        return
    current = base.config._attn_implementation
    if on and current == "sdpa" and type(base)._can_set_attn_implementation():
        _register_attention()
        base.set_attn_implementation(ATTENTION)
    elif not on and current == ATTENTION:
        base.set_attn_implementation("sdpa")


def has_dropout(model) -> bool:
    return any(type(m) is nn.Dropout and m.p > 0 for m in model.modules())


def choose_dropout_masks(requested: str, model, batch_size: int, seq_len: int) -> tuple[bool, str]:
    """Whether training draws its dropout masks here, and a sentence saying why."""
    if not has_dropout(model):
        return False, "Dropout: none in this model."
    if requested == "torch":
        return False, "Dropout masks: torch's (training.dropout_masks)."
    if requested == "fast":
        return True, "Dropout masks: four drawn from each random number (training.dropout_masks)."
    device = pick_device()
    if device != "cpu":
        return False, f"Dropout masks: torch's, which are fused into one kernel on {device}."
    hidden = getattr(model.config, "hidden_size", 768)
    speedup = measured(f"dropout|{batch_size}x{seq_len}x{hidden}", lambda: measure_fast_dropout(batch_size, seq_len, hidden))
    if speedup < FAST_MIN_SPEEDUP:
        return False, f"Dropout masks: torch's (drawing four from each random number measured {speedup:.2f}x its speed on this CPU)."
    return True, (f"Dropout masks: four drawn from each random number, measured {speedup:.2f}x the speed "
                  "of torch's on this CPU (training.dropout_masks).")


def measure_fast_dropout(batch_size: int, seq_len: int, hidden: int, rounds: int = 5) -> float:
    """torch's dropout time / ours on one activation-sized tensor, the fastest of `rounds` each, taking turns."""
    x = torch.randn(batch_size, seq_len, hidden)
    best = {nn.functional.dropout: math.inf, fast_dropout: math.inf}
    with torch.random.fork_rng():  # the measurement draws no numbers a seeded run would see
        for _ in range(rounds + 1):  # the first round is a warm-up, kept only if never beaten
            for dropout in best:
                start = time.perf_counter()
                dropout(x, 0.1, True)
                best[dropout] = min(best[dropout], time.perf_counter() - start)
    return best[nn.functional.dropout] / best[fast_dropout]
