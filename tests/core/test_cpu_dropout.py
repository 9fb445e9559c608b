"""Dropout masks drawn four to a random number: the same dropout as torch's, cheaper to draw on some CPUs."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import AutoModelForSequenceClassification
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from tests.core.test_training import Recorder
from workbench.core.training.speed.cpu_dropout import (ATTENTION, FastDropout, choose_dropout_masks, dropped_attention, fast_dropout,
                                        keep_mask, use_fast_dropout)
from workbench.core.events import MessageLogged, RunFinished
from workbench.core.model.device import _cpu_name
from workbench.core.training.run import train


def tiny_classifier(path, **dropouts):
    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(path, num_labels=2, **dropouts)


def batch():
    ids = torch.tensor([[2, 10, 11, 12, 13, 3], [2, 14, 15, 3, 0, 0]])
    return {"input_ids": ids, "attention_mask": (ids != 0).long()}


def test_keep_mask_keeps_the_asked_share_and_follows_the_seed():
    torch.manual_seed(1)
    mask, scale = keep_mask((1000, 1000), 0.9)
    assert mask.dtype == torch.bool and mask.shape == (1000, 1000)
    assert mask.float().mean().item() == pytest.approx(0.9, abs=0.002)
    assert scale == pytest.approx(1 / 0.9, rel=1e-4)
    torch.manual_seed(1)
    assert torch.equal(keep_mask((1000, 1000), 0.9)[0], mask)
    assert not torch.equal(keep_mask((1000, 1000), 0.9)[0], mask)
    odd, _ = keep_mask((3, 7, 5), 0.5)  # a size that is not a multiple of four
    assert odd.shape == (3, 7, 5)


def test_fast_dropout_keeps_the_expectation_and_its_gradient_is_the_mask():
    torch.manual_seed(0)
    ones = torch.ones(500_000)
    assert fast_dropout(ones, 0.1).mean().item() == pytest.approx(1.0, abs=0.005)
    x = torch.randn(64, 33, requires_grad=True)
    y = fast_dropout(x, 0.25)
    y.sum().backward()
    kept = y != 0
    assert kept.float().mean().item() == pytest.approx(0.75, abs=0.05)
    assert torch.allclose(y[kept], x[kept] / 0.75, rtol=1e-4)
    assert torch.allclose(x.grad, kept.float() / 0.75, rtol=1e-4)
    assert fast_dropout(x, 0.25, training=False) is x
    assert fast_dropout(x, 0.0) is x
    assert torch.count_nonzero(fast_dropout(x, 1.0)) == 0


@pytest.mark.parametrize("padded", [True, False])
def test_dropped_attention_without_dropout_is_sdpa(padded):
    torch.manual_seed(0)
    query, key, value = (torch.randn(2, 4, 6, 8) for _ in range(3))
    mask = torch.ones(2, 1, 6, 6, dtype=torch.bool)
    mask[1, :, :, 4:] = False  # the second row's last two tokens are padding
    module = nn.Module()
    module.is_causal = False
    expected, _ = sdpa_attention_forward(module, query, key, value, mask if padded else None, scaling=0.3)
    ours = dropped_attention(query, key, value, mask if padded else None, 0.3, lambda probs: probs)
    assert torch.allclose(ours, expected, atol=1e-6)


def test_use_fast_dropout_swaps_every_dropout_and_puts_torchs_back(tiny_backbone_dir, tmp_path):
    model = tiny_classifier(tiny_backbone_dir)
    dropouts = sum(type(m) is nn.Dropout for m in model.modules())
    model.eval()
    before = model(**batch()).logits
    use_fast_dropout(model, True)
    assert sum(type(m) is FastDropout for m in model.modules()) == dropouts > 0
    assert model.config._attn_implementation == ATTENTION
    assert torch.equal(model(**batch()).logits, before)  # evaluation is untouched
    use_fast_dropout(model, False)
    assert sum(type(m) is nn.Dropout for m in model.modules()) == dropouts
    assert not any(type(m) is FastDropout for m in model.modules())
    assert model.config._attn_implementation == "sdpa"
    model.save_pretrained(tmp_path / "saved")
    assert ATTENTION not in (tmp_path / "saved" / "config.json").read_text()


def test_the_attention_probabilities_are_dropped_while_training(tiny_backbone_dir):
    """Only attention dropout on: training outputs differ from evaluation, and p=0 gives SDPA's own."""
    model = tiny_classifier(tiny_backbone_dir, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.5)
    model.eval()
    reference = model(**batch()).logits
    use_fast_dropout(model, True)
    model.train()
    torch.manual_seed(3)
    dropped = model(**batch()).logits
    assert not torch.allclose(dropped, reference)
    torch.manual_seed(3)
    assert torch.equal(model(**batch()).logits, dropped)  # the seed decides the masks
    for m in model.modules():
        if type(m) is FastDropout:  # the attention modules hand their dropout's p to the attention function
            m.p = 0.0
    assert torch.allclose(model(**batch()).logits, reference, atol=1e-6)


def test_choose_dropout_masks(tiny_backbone_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model = tiny_classifier(tiny_backbone_dir)
    assert choose_dropout_masks("torch", model, 8, 16)[0] is False
    assert choose_dropout_masks("fast", model, 8, 16)[0] is True
    none = tiny_classifier(tiny_backbone_dir, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    assert choose_dropout_masks("fast", none, 8, 16) == (False, "Dropout: none in this model.")

    fast, why = choose_dropout_masks("auto", model, 8, 16)  # measured here, then cached
    cache = tmp_path / "workbench" / "measurements.json"
    (key, speedup), = json.loads(cache.read_text()).items()
    assert key.startswith(_cpu_name()) and key.endswith("dropout|8x16x32")
    assert fast is (speedup >= 1.2) and f"{speedup:.2f}x" in why
    for cached, expected in ((1.0, False), (3.0, True)):  # the cached verdict decides, without measuring again
        cache.write_text(json.dumps({key: cached}))
        assert choose_dropout_masks("auto", model, 8, 16)[0] is expected


def test_a_run_with_fast_masks_says_so_and_saves_torchs_dropout(tiny_config):
    tiny_config.training.dropout_masks = "fast"
    recorder = Recorder()
    result = train(tiny_config, recorder)
    assert isinstance(result, RunFinished), result
    logged = [e.text for e in recorder if isinstance(e, MessageLogged)]
    assert any(text.startswith("Dropout masks: four drawn") for text in logged)
    assert ATTENTION not in (Path(result.run_dir) / "model" / "config.json").read_text()


def test_dropout_masks_must_be_a_known_choice(tiny_config):
    tiny_config.training.dropout_masks = "quick"
    assert tiny_config.validate() == ["training.dropout_masks 'quick' is not one of auto, fast, torch."]
